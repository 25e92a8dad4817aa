"""Published dates in the forms feeds and Chinese government sites print them (pure)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_CJK_DATE = re.compile(
    r"(?P<y>\d{4})\s*[年/.\-]\s*(?P<m>\d{1,2})\s*[月/.\-]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_MONTH_DAY = re.compile(r"^[\[【(（]?(?P<m>\d{1,2})[-/月](?P<d>\d{1,2})日?[\]】)）]?$")
# 21-02-25: two-digit years, as some district sites print them (2000-2099)
_SHORT_YEAR = re.compile(r"(?<!\d)(?P<y>\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)")
_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>分钟|小时|天)前$")
_UNITS = {"分钟": "minutes", "小时": "hours", "天": "days"}


def parse_date(text: str | None, now: datetime, tz: ZoneInfo = SHANGHAI) -> datetime | None:
    """Aware datetime for `text`, read in `tz` when it names no zone; None if unreadable."""
    if not text or not text.strip():
        return None
    text = text.strip()
    for parse in (_rfc822, _iso, _cjk, _short_year):
        found = parse(text, tz)
        if found is not None:
            return found
    return _short_forms(text.strip("[]【】()（） "), now.astimezone(tz))


def from_struct(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's *_parsed fields are UTC."""
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _rfc822(text: str, tz: ZoneInfo) -> datetime | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 2822 "-0000" means "zone unknown": read it as the site's zone.
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value


def _iso(text: str, tz: ZoneInfo) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")), tz)
    except ValueError:
        return None


def _cjk(text: str, tz: ZoneInfo) -> datetime | None:
    found = _CJK_DATE.search(text)
    if found is None:
        return None
    parts = {k: int(v) for k, v in found.groupdict().items() if v is not None}
    try:
        return datetime(
            parts["y"], parts["m"], parts["d"],
            parts.get("H", 0), parts.get("M", 0), parts.get("S", 0), tzinfo=tz,
        )
    except ValueError:
        return None


def _short_year(text: str, tz: ZoneInfo) -> datetime | None:
    found = _SHORT_YEAR.search(text)
    if found is None:
        return None
    try:
        return datetime(2000 + int(found["y"]), int(found["m"]), int(found["d"]), tzinfo=tz)
    except ValueError:
        return None


def _short_forms(text: str, local_now: datetime) -> datetime | None:
    """'07-25' (this year, or last year if that would be in the future), '3小时前'."""
    found = _MONTH_DAY.match(text)
    if found is not None:
        try:
            value = local_now.replace(
                month=int(found["m"]), day=int(found["d"]),
                hour=0, minute=0, second=0, microsecond=0,
            )
        except ValueError:
            return None
        if value > local_now:
            value = value.replace(year=value.year - 1)
        return value
    found = _RELATIVE.match(text)
    if found is not None:
        return local_now - timedelta(**{_UNITS[found["unit"]]: int(found["n"])})
    return None


# A date somewhere in a list row: 2025-07-25, 2025年7月25日, 2025/7/25, 25-07-21 (two-digit
# year), [07-25], 7月25日.
_ANY_DATE = re.compile(
    r"(?<!\d)(?:\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2}|\d{2}-\d{2}-\d{2}"
    r"|\d{1,2}月\d{1,2}日|\d{1,2}[-/]\d{1,2})(?!\d)")


def has_date(text: str) -> bool:
    """Whether the text shows a date in a form list pages print."""
    return _ANY_DATE.search(text) is not None


def find_date(text: str, now: datetime, tz: ZoneInfo = SHANGHAI) -> datetime | None:
    """The first date a list row prints anywhere in its text, or None."""
    for found in _ANY_DATE.finditer(text):
        value = parse_date(found.group(), now, tz)
        if value is not None:
            return value
    return None


_EDGE_DATE = re.compile(rf"^\s*[\[【(（]?(?:{_ANY_DATE.pattern})[\]】)）]?\s*|"
                        rf"\s*[\[【(（]?(?:{_ANY_DATE.pattern})[\]】)）]?\s*$")


def strip_dates(title: str) -> str:
    """A headline without the date a list prints before or after it in the same link."""
    return _EDGE_DATE.sub("", title).strip()
