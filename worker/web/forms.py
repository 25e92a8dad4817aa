"""The subscription form ↔ a Subscriber, validated exactly as an import row is (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from worker.errors import SubscriberError

if TYPE_CHECKING:  # the gazetteer and the import rules load on the first form checked
    from worker.districts import Gazetteer
    from worker.models import Subscriber

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RULE_FIELDS = ("name", "districts", "categories", "keywords", "exclude", "frequency",
               "send_at", "timezone", "min_amount", "stages", "industries")


@dataclass
class Form:
    """What the user typed, kept to show again next to any errors."""

    email: str = ""
    name: str = ""
    districts: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    keywords: str = ""
    exclude: str = ""
    frequency: str = "weekly"
    weekday: str = "mon"
    time: str = "09:00"
    timezone: str = "Asia/Shanghai"
    min_amount: str = ""  # as typed: 10亿, 5000万元
    stages: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    reminders: bool = True

    @classmethod
    def from_post(cls, data: Mapping[str, str], lists: Mapping[str, Sequence[str]]) -> Form:
        return cls(
            email=data.get("email", "").strip()[:320], name=data.get("name", "")[:200],
            districts=list(lists.get("districts", []))[:50],
            categories=list(lists.get("categories", []))[:5],
            keywords=data.get("keywords", "")[:6000], exclude=data.get("exclude", "")[:6000],
            frequency=data.get("frequency", "weekly"), weekday=data.get("weekday", "mon"),
            time=data.get("time", "09:00")[:10],
            timezone=data.get("timezone", "Asia/Shanghai")[:64],
            min_amount=data.get("min_amount", "").strip()[:30],
            stages=list(lists.get("stages", []))[:10],
            industries=list(lists.get("industries", []))[:40],
            reminders=data.get("reminders") == "on",  # an unticked box is not sent
        )

    @classmethod
    def from_subscriber(cls, s: Subscriber) -> Form:
        return cls(email=s.email, name=s.name, districts=list(s.districts),
                   categories=list(s.categories), keywords="、".join(s.keywords),
                   exclude="、".join(s.exclude), frequency=s.schedule.frequency,
                   weekday=DAYS[s.schedule.weekday], time=f"{s.schedule.at:%H:%M}",
                   timezone=s.schedule.timezone, min_amount=_sum(s.min_amount),
                   stages=list(s.stages), industries=list(s.industries),
                   reminders=s.reminders)

    def row(self) -> dict[str, object]:
        send_at = f"{self.weekday} {self.time}" if self.frequency == "weekly" else self.time
        return {"email": self.email, "name": self.name, "districts": self.districts,
                "categories": self.categories, "keywords": self.keywords,
                "exclude": self.exclude, "frequency": self.frequency, "send_at": send_at,
                "timezone": self.timezone, "min_amount": self.min_amount,
                "stages": self.stages, "industries": self.industries,
                "reminders": self.reminders}


def _sum(yuan: float | None) -> str:
    """A stored minimum as people type it back: 1000000000 → 10亿."""
    if yuan is None:
        return ""
    if yuan >= 1e8 and yuan % 1e6 == 0:
        return f"{yuan / 1e8:g}亿"
    if yuan >= 1e4 and yuan % 1e4 == 0:
        return f"{yuan / 1e4:g}万"
    return f"{yuan:.0f}"


def validate(form: Form, gazetteer: Gazetteer, usd_rate: float, with_email: bool = True
             ) -> tuple[Subscriber | None, dict[str, str]]:
    """(subscriber, {}) or (None, {field: reason}) with every wrong field named."""
    from worker.subscribers_io import parse_row

    row = form.row()
    if not with_email:
        row["email"] = "placeholder@example.com"
    try:
        return parse_row(row, "form", gazetteer, usd_rate=usd_rate), {}
    except SubscriberError:
        pass
    # Check the fields one at a time to name every wrong one, not just the first.
    checks = {name: {"email": "placeholder@example.com", name: row[name]}
              for name in RULE_FIELDS}
    checks["send_at"]["frequency"] = row["frequency"]  # what a valid time is depends on it
    if with_email:
        checks["email"] = {"email": row["email"]}
    errors: dict[str, str] = {}
    for name, partial in checks.items():
        try:
            parse_row(partial, "form", gazetteer, usd_rate=usd_rate)
        except SubscriberError as e:
            errors[name] = e.reason
    return None, errors or {"email": "invalid"}
