from datetime import UTC, datetime, time

import pytest

from worker.models import Schedule, Subscriber
from worker.schedule import digest_key, due_period

SH = "Asia/Shanghai"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("schedule", "now", "since", "key"), [
    # daily 09:00 Shanghai = 01:00 UTC
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 24, 0, 59), None, "d:2026-11-23"),
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 24, 1, 0), None, "d:2026-11-24"),
    # local day boundary: 23:30 UTC is already the next day in Shanghai
    (Schedule("daily", time(7, 0), 0, SH), utc(2026, 11, 24, 23, 30), None, "d:2026-11-25"),
    # weekly Monday 09:00; 2026-11-23 is a Monday
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 23, 1, 0), None, "w:2026-11-23"),
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 23, 0, 59), None, "w:2026-11-16"),
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 29, 12, 0), None, "w:2026-11-23"),
    # missed periods: down for three weeks, one (the latest) period is due, not three
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 12, 15, 3, 0), None, "w:2026-12-14"),
    # joined after the latest send time: nothing due until the next one
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 24, 5, 0),
     utc(2026, 11, 24, 2, 0), None),
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 25, 1, 0),
     utc(2026, 11, 24, 2, 0), "d:2026-11-25"),
    # New York, across DST: 08:00 local is 13:00 UTC in winter, 12:00 UTC in summer
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 7, 12, 59), None,
     "d:2026-03-06"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 7, 13, 0), None,
     "d:2026-03-07"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 8, 11, 59), None,
     "d:2026-03-07"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 8, 12, 0), None,
     "d:2026-03-08"),
    # a send time skipped by spring-forward (02:30) happens right after the jump
    (Schedule("daily", time(2, 30), 0, "America/New_York"), utc(2026, 3, 8, 7, 29), None,
     "d:2026-03-07"),
    (Schedule("daily", time(2, 30), 0, "America/New_York"), utc(2026, 3, 8, 7, 30), None,
     "d:2026-03-08"),
    # Berlin weekly Friday 17:00 across the end of DST (25 Oct 2026)
    (Schedule("weekly", time(17, 0), 4, "Europe/Berlin"), utc(2026, 10, 30, 15, 59), None,
     "w:2026-10-23"),
    (Schedule("weekly", time(17, 0), 4, "Europe/Berlin"), utc(2026, 10, 30, 16, 0), None,
     "w:2026-10-30"),
])
def test_due_period(schedule: Schedule, now: datetime, since: datetime | None,
                    key: str | None) -> None:
    period = due_period(schedule, now, since)
    assert (period.key if period else None) == key
    if period:
        assert period.due_at <= now


def test_instant_and_forced_keys_come_from_the_first_delivery() -> None:
    now = utc(2026, 11, 24, 3, 0)
    instant = Subscriber("a@t.test", schedule=Schedule("instant"), id=1)
    weekly = Subscriber("b@t.test", schedule=Schedule("weekly", time(9, 0), 0), id=2)
    assert digest_key(instant, 41, now) == "i:41"
    assert digest_key(weekly, 41, now) == "w:2026-11-23"
    assert digest_key(weekly, 41, now, force=True) == "m:41"
