"""The time a digest covers, how it is named, and which items are older than it (pure).

A daily or weekly digest covers the time since the previous send: "w:2025-07-28" sent on
Mondays at 09:00 covers 7月21日 09:00 – 7月28日 09:00 and says "2025年7月21日–7月28日".
Instant alerts and forced sends have no calendar period: they cover the moment they
are sent ("截至 2025年07月28日 09:00").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from worker.models import Schedule
from worker.schedule import local_time

# Sites list a story a day or two after its date, so an item dated up to this long before
# the period is still news; older than that it is shown as an older item, not a new one.
OLDER_GRACE = timedelta(days=3)
PERIOD_DAYS = {"w": 7, "d": 1}  # prefixes of calendar period keys (worker/schedule.py)


@dataclass(frozen=True)
class Coverage:
    start: datetime  # aware
    end: datetime
    calendar: bool  # a daily or weekly period; False: an alert or a forced send


def coverage(schedule: Schedule, period_key: str | None, now: datetime) -> Coverage:
    """What a digest with this period key covers (any other key: up to `now`)."""
    prefix, _, day = (period_key or "").partition(":")
    days = PERIOD_DAYS.get(prefix)
    try:
        sent_on = date.fromisoformat(day)
    except ValueError:
        days = None
    if days is None:
        return Coverage(now, now, calendar=False)
    tz = ZoneInfo(schedule.timezone)
    return Coverage(local_time(sent_on - timedelta(days=days), schedule.at, tz),
                    local_time(sent_on, schedule.at, tz), calendar=True)


def period_label(covered: Coverage, tz: ZoneInfo) -> str:
    """'2025年7月21日–7月28日' (a year in both ends when it changes); '截至 …' otherwise."""
    end = covered.end.astimezone(tz)
    if not covered.calendar:
        return f"截至 {end:%Y年%m月%d日 %H:%M}"
    start = covered.start.astimezone(tz)
    tail = f"{end.month}月{end.day}日" if end.year == start.year else _day(end)
    return f"{_day(start)}–{tail}"


def _day(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日"


def is_older(published: datetime, covered: Coverage) -> bool:
    """Dated well before the period started: old news that only reached us now."""
    return published < covered.start - OLDER_GRACE
