"""Plain frozen data passed between the layers; no behaviour with side effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

Category = Literal["project", "policy"]
CATEGORIES: tuple[Category, ...] = ("project", "policy")
CATEGORY_LABELS: dict[str, str] = {"project": "招商项目", "policy": "优惠政策"}

Frequency = Literal["instant", "daily", "weekly"]

SourceKind = Literal["rss", "atom", "html"]

# Where a district tag came from, strongest evidence first.
TagOrigin = Literal["source", "title", "label", "text"]


@dataclass(frozen=True)
class HtmlSelectors:
    """Where the items are on an HTML list page. CSS selectors; prefix `xpath:` for XPath."""

    item: str  # each item's container
    title: str = "a"  # inside the container
    link: str = "a"
    link_attr: str = "href"
    date: str | None = None
    summary: str | None = None
    detail_body: str | None = None  # on the item's own page: its text becomes the summary
    next_page: str | None = None  # the link to the next list page
    page_url: str | None = None  # or page n >= 2 as "list_{page}.html" / "index_{index}.html"
    max_pages: int = 1


@dataclass(frozen=True)
class Source:
    """A feed or list page we poll."""

    id: str
    name: str
    kind: SourceKind
    url: str
    category: Category
    district: str | None = None
    interval_minutes: float = 15
    html: HtmlSelectors | None = None
    empty_alert_after: int = 3  # polls yielding no items before ops is told
    # tianjin: a Tianjin site, whose town names mean Tianjin's towns; national: a portal
    # covering all China, where a town name shared with places elsewhere needs 天津 nearby
    scope: Literal["tianjin", "national"] = "tianjin"


@dataclass(frozen=True)
class Validators:
    """What a server gave us last time, for a conditional GET (RFC 9110 §13)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Evidence:
    """A place name that made a tag: `武清区 ← 京滨工业园 (park, title)`."""

    name: str  # the place as the data names it
    kind: str  # district, zone, town, park, landmark, …
    origin: TagOrigin


@dataclass(frozen=True)
class DistrictTag:
    """A district (or 滨海新区 functional zone) an item is about, and why we think so."""

    district: str
    origins: tuple[TagOrigin, ...]
    evidence: tuple[Evidence, ...] = ()

    def explained(self) -> str:
        """'武清区 (title+text) ← 京滨工业园 (park, title), 武清区 (district, text)'."""
        names = ", ".join(f"{e.name} ({e.kind}, {e.origin})" for e in self.evidence)
        said = f"{self.district} ({'+'.join(self.origins)})"
        return f"{said} ← {names}" if names else said


@dataclass(frozen=True)
class Item:
    """One normalized news item or policy. `id` is set once it is stored."""

    source_id: str
    guid: str
    url: str
    title: str
    summary: str
    published: datetime
    category: Category
    districts: tuple[DistrictTag, ...]
    fingerprint: str
    id: int | None = None
    issuer: str = ""  # policies: 发文机关
    doc_number: str = ""  # policies: 文号, e.g. 津政办发〔2025〕12号
    doc_types: tuple[str, ...] = ()  # policies: 通知, 实施方案, 若干措施, 解读 …

    @property
    def district_names(self) -> tuple[str, ...]:
        return tuple(tag.district for tag in self.districts)


@dataclass(frozen=True)
class Schedule:
    """When a subscriber gets mail: instant, daily at `at`, weekly on `weekday` at `at`."""

    frequency: Frequency
    at: time = time(9, 0)
    weekday: int = 0  # Monday = 0, used by weekly only
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class Subscriber:
    """An investor and the rules their mail is built from."""

    email: str
    name: str = ""
    districts: tuple[str, ...] = ()
    categories: tuple[Category, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    schedule: Schedule = field(default_factory=lambda: Schedule("weekly"))
    id: int | None = None
    # pending: not confirmed yet (web sign-up); paused: by the subscriber; suspended: bounces
    status: Literal["pending", "active", "paused", "suspended", "unsubscribed"] = "active"
    created_at: datetime | None = None


@dataclass(frozen=True)
class Match:
    """Subscriber `subscriber_id` wants item `item_id`; what made it match."""

    subscriber_id: int
    item_id: int
    keywords: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One item waiting for (or in) a subscriber's digest, and why they got it."""

    delivery_id: int
    item: Item
    keywords: tuple[str, ...]
    districts: tuple[str, ...]
    also_in: tuple[str, ...] = ()  # other sources that published the same story


@dataclass(frozen=True)
class Rendered:
    """A mail's subject and both bodies, ready to be put into a message."""

    subject: str
    text: str
    html: str
