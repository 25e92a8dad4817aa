"""Plain frozen data passed between the layers; no behaviour with side effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
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
    """Where the items are on an HTML list page. CSS selectors; prefix `xpath:` for XPath.
    Without `item` the page's main list is detected; within a row, the headline is the
    link with the longest title and the date is found in the row unless `date` says where."""

    item: str | None  # each item's container; None: detect the list
    title: str = "a"  # inside the container
    link: str = "a"
    link_attr: str = "href"  # or onclick (jumpToDetail('…')): the address it names
    date: str | None = None
    date_attr: str | None = None  # the date is this attribute of `date` (input@value)
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
    backfill_days: int = 14  # on its first poll, items older than this are stored, not sent
    # read each new item's own page: its main text (html.detail_body, or found by
    # sources/article.py) becomes the summary, and tags and facts are read from it
    details: bool = False
    usd_rate: float | None = None  # yuan per dollar for its items' facts (facts.usd_rate)

    @property
    def reads_details(self) -> bool:
        """Each new item's own page is read: asked for, or implied by `detail_body`."""
        return self.details or bool(self.html and self.html.detail_body)


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
class Facts:
    """What an investor decides on, read from an item (worker/facts). Sums in yuan."""

    amount: float | None = None  # the headline investment
    amount_text: str = ""  # as printed: "42亿元", "3亿美元"
    amount_kind: str = ""  # 总投资, 计划总投资, 协议投资额, 签约额, 引资, 到位资金, 投资
    amount_qualifier: str = ""  # about | over | at_least | cap | "" (exact)
    amounts: tuple[str, ...] = ()  # every investment sum as printed, headline first
    project_count: int | None = None
    stage: str | None = None  # 推介 洽谈 签约 落地 开工 封顶 竣工 投产
    industries: tuple[str, ...] = ()
    deadline: date | None = None  # policies: 申报截止
    support_max: float | None = None  # policies: the largest money support named
    support_rate: float | None = None  # policies: the largest subsidy rate, 0.3 = 30 %
    policy_kind: str | None = None  # 申报 | 解读 | 原文


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
    dated: bool = True  # False: the source printed no date; `published` is when we saw it
    facts: Facts = field(default_factory=Facts)

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
    min_amount: float | None = None  # yuan: only items announcing at least this much
    stages: tuple[str, ...] = ()  # only projects at one of these stages
    industries: tuple[str, ...] = ()  # only items about one of these industries
    reminders: bool = True  # deadline reminders of the policies they received
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
