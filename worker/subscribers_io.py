"""Subscriber files (YAML or CSV) → Subscribers, each bad row reported with where and why.

Pure: text in, (subscribers, errors) out. A bad row never stops the good ones.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import time
from pathlib import Path
from typing import Any, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from email_validator import EmailNotValidError, validate_email

from worker import fact_rules
from worker.districts import Gazetteer
from worker.errors import RadarError, SubscriberError
from worker.facts import USD_RATE
from worker.models import Category, Frequency, Schedule, Subscriber
from worker.normalize import clean_text
from worker.subscriber_files import csv_rows, yaml_rows

FIELDS = ("email", "name", "districts", "categories", "keywords", "exclude",
          "frequency", "send_at", "timezone", "min_amount", "stages", "industries", "reminders")
EXPORT_ONLY = ("status",)  # written by export; ignored on import (status is not importable)
_SPLIT = re.compile(r"[,，、;；|\r\n]")  # one term per line is fine too
_CATEGORY_NAMES = {"project": "project", "projects": "project", "招商项目": "project",
                   "项目": "project", "policy": "policy", "policies": "policy",
                   "优惠政策": "policy", "政策": "policy"}
_FREQUENCY_NAMES = {"instant": "instant", "即时": "instant", "daily": "daily", "每日": "daily",
                    "每天": "daily", "weekly": "weekly", "每周": "weekly"}
_SWITCH = {"true": True, "yes": True, "on": True, "1": True, "是": True, "开": True,
           "false": False, "no": False, "off": False, "0": False, "否": False, "关": False}
_DAYS = {name: i for i, names in enumerate((
    ("mon", "monday", "周一", "星期一"), ("tue", "tuesday", "周二", "星期二"),
    ("wed", "wednesday", "周三", "星期三"), ("thu", "thursday", "周四", "星期四"),
    ("fri", "friday", "周五", "星期五"), ("sat", "saturday", "周六", "星期六"),
    ("sun", "sunday", "周日", "星期日", "周天"),
)) for name in names}
MAX_TERMS = 100
MAX_TERM_CHARS = 50


def read_subscribers_file(path: Path, gazetteer: Gazetteer, notes: list[str] | None = None,
                          usd_rate: float = USD_RATE
                          ) -> tuple[list[Subscriber], list[SubscriberError]]:
    """`read_subscribers` over a file; RadarError if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RadarError(f"{path}: cannot read: {e}") from e
    return read_subscribers(text, str(path), gazetteer, notes, usd_rate)


def read_subscribers(
    text: str, filename: str, gazetteer: Gazetteer, notes: list[str] | None = None,
    usd_rate: float = USD_RATE,
) -> tuple[list[Subscriber], list[SubscriberError]]:
    """Every valid row, and one SubscriberError per invalid one; `notes` collects what was
    read as something else (a park's name as its district)."""
    good: list[Subscriber] = []
    bad: list[SubscriberError] = []
    first_seen: dict[str, str] = {}
    try:
        rows = list(csv_rows(text, filename) if filename.lower().endswith(".csv")
                    else yaml_rows(text, filename))
    except SubscriberError as e:
        return [], [e]
    for where, row in rows:
        if isinstance(row, str):
            bad.append(SubscriberError(where, row))
            continue
        try:
            subscriber = parse_row(row, where, gazetteer, notes, usd_rate)
        except SubscriberError as e:
            bad.append(e)
            continue
        if subscriber.email in first_seen:
            bad.append(SubscriberError(
                where, f"{subscriber.email} already appears at {first_seen[subscriber.email]}"
            ))
            continue
        first_seen[subscriber.email] = where
        good.append(subscriber)
    return good, bad


def parse_row(row: Mapping[str, Any], where: str, gazetteer: Gazetteer,
              notes: list[str] | None = None, usd_rate: float = USD_RATE) -> Subscriber:
    """One subscriber record; SubscriberError naming the field and what was expected."""
    unknown = sorted(set(row) - set(FIELDS) - set(EXPORT_ONLY))
    if unknown:
        raise SubscriberError(where, f"unknown field(s) {', '.join(unknown)}; "
                                     f"expected {', '.join(FIELDS)}")
    frequency = _one_of(row.get("frequency") or "weekly", _FREQUENCY_NAMES, where, "frequency")
    weekday, at = _send_at(row.get("send_at"), frequency, where)
    return Subscriber(
        email=_email(row.get("email"), where),
        name=_name(row.get("name"), where),
        districts=_districts(row.get("districts"), where, gazetteer, notes),
        categories=tuple(dict.fromkeys(
            cast(Category, _one_of(c, _CATEGORY_NAMES, where, "categories"))
            for c in _terms(row, "categories")
        )),
        keywords=_checked_terms(row, "keywords", where),
        exclude=_checked_terms(row, "exclude", where),
        schedule=Schedule(cast(Frequency, frequency), at, weekday,
                          _timezone(row.get("timezone"), where)),
        reminders=_switch(row.get("reminders"), where, "reminders"),
        **_fact_rules(row, where, usd_rate),
    )


def _switch(value: Any, where: str, field: str) -> bool:
    """On unless said otherwise: true/false, yes/no, on/off, 1/0, 是/否, 开/关."""
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    said = _SWITCH.get(str(value).strip().lower())
    if said is None:
        raise SubscriberError(where, f"{field}: {value!r} is not true or false")
    return said


def _fact_rules(row: Mapping[str, Any], where: str, usd_rate: float) -> dict[str, Any]:
    """min_amount, stages, industries; SubscriberError naming the field if wrong."""
    out: dict[str, Any] = {}
    for field, parse in (("min_amount",
                          lambda: fact_rules.min_amount(row.get("min_amount"), usd_rate)),
                         ("stages", lambda: fact_rules.stages(_terms(row, "stages"))),
                         ("industries", lambda: fact_rules.industries(_terms(row, "industries")))):
        try:
            out[field] = parse()
        except ValueError as e:
            raise SubscriberError(where, f"{field}: {e}") from None
    return out


def _email(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SubscriberError(where, "email: missing")
    try:
        # Mail goes out through relays that may not speak SMTPUTF8: a Chinese domain is
        # fine (sent as punycode), Chinese before the @ is refused with a reason.
        checked = validate_email(value.strip(), check_deliverability=False,
                                 allow_smtputf8=False)
    except EmailNotValidError as e:
        raise SubscriberError(where, f"email: {value.strip()!r} is not valid: {e}") from None
    return (checked.ascii_email or checked.normalized).lower()


def _name(value: Any, where: str) -> str:
    name = clean_text(str(value)) if value is not None else ""
    if len(name) > 100:
        raise SubscriberError(where, "name: longer than 100 characters")
    return name


def _terms(row: Mapping[str, Any], field: str) -> list[str]:
    value = row.get(field)
    if value is None or value == "":
        return []
    parts = value if isinstance(value, list) else _SPLIT.split(str(value))
    return [t for t in (clean_text(str(p)) for p in parts) if t]


def _checked_terms(row: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    terms = _terms(row, field)
    if len(terms) > MAX_TERMS:
        raise SubscriberError(where, f"{field}: {len(terms)} terms, at most {MAX_TERMS}")
    for term in terms:
        if len(term) > MAX_TERM_CHARS:
            raise SubscriberError(where, f"{field}: {term[:20]!r}… is longer than "
                                         f"{MAX_TERM_CHARS} characters")
    return tuple(dict.fromkeys(terms))


def _districts(value: Any, where: str, gazetteer: Gazetteer, notes: list[str] | None
               ) -> tuple[str, ...]:
    out = []
    for name in _terms({"d": value}, "d"):
        place = gazetteer.place(name)
        if place is None:
            raise SubscriberError(
                where, f"districts: unknown district {name!r} (expected one of Tianjin's "
                       "16 districts, e.g. 武清区 or 武清, a 滨海新区 zone such as 滨海高新区, "
                       "or a Tianjin town, park or zone, which stands for its district)"
            )
        area, own_name, kind = place
        if notes is not None and kind not in ("district", "zone") and own_name != area:
            notes.append(f"{where}: districts: {name} is a {kind} in {area}: subscribed to "
                         f"{area}")
        out.append(area)
    return tuple(dict.fromkeys(out))


def _one_of(value: Any, names: Mapping[str, str], where: str, field: str) -> str:
    key = clean_text(str(value)).lower()
    if key not in names:
        expected = ", ".join(sorted(set(names.values())))
        raise SubscriberError(where, f"{field}: unknown value {value!r} (expected {expected})")
    return names[key]


def _send_at(value: Any, frequency: str, where: str) -> tuple[int, time]:
    """'mon 09:00' / '周一 9:00' for weekly, '09:00' for daily; defaults Monday 09:00."""
    text = clean_text(str(value)).lower() if value not in (None, "") else ""
    weekday = 0
    parts = text.split()
    if parts and parts[0] in _DAYS:
        weekday = _DAYS[parts.pop(0)]
    elif parts and frequency == "weekly" and not re.match(r"^\d", parts[0]):
        raise SubscriberError(where, f"send_at: unknown day {parts[0]!r} (expected mon … sun)")
    clock = parts[0] if parts else "09:00"
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", clock)
    if found is None or len(parts) > 1 or int(found[1]) > 23 or int(found[2]) > 59:
        raise SubscriberError(where, f"send_at: {value!r} is not a time like 'mon 09:00' "
                                     "(weekly) or '09:00' (daily)")
    return weekday, time(int(found[1]), int(found[2]))


def _timezone(value: Any, where: str) -> str:
    name = str(value).strip() if value not in (None, "") else "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SubscriberError(where, f"timezone: unknown timezone {name!r} "
                                     "(expected an IANA name such as Asia/Shanghai)") from None
    return name


def write_subscribers(rows: Sequence[Subscriber], form: str) -> str:
    """The import format (CSV or YAML), so an export can be imported again; with status."""
    records = [_record(s) for s in rows]
    if form == "yaml":
        return yaml.safe_dump({"subscribers": records}, allow_unicode=True, sort_keys=False)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, "status"], lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in record.items()})
    return out.getvalue()


def _record(s: Subscriber) -> dict[str, Any]:
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[s.schedule.weekday]
    send_at = f"{s.schedule.at:%H:%M}"
    return {"email": s.email, "name": s.name, "districts": list(s.districts),
            "categories": list(s.categories), "keywords": list(s.keywords),
            "exclude": list(s.exclude), "frequency": s.schedule.frequency,
            "send_at": f"{day} {send_at}" if s.schedule.frequency == "weekly" else send_at,
            "timezone": s.schedule.timezone, "min_amount": s.min_amount or "",
            "stages": list(s.stages), "industries": list(s.industries), "reminders": s.reminders,
            "status": s.status}


assert set(get_args(Category)) == set(_CATEGORY_NAMES.values())
assert set(get_args(Frequency)) == set(_FREQUENCY_NAMES.values())
