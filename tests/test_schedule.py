from datetime import UTC, datetime, time

import pytest

from worker.models import Schedule, Subscriber
from worker.schedule import due_period, plan_digest

SH = "Asia/Shanghai"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("schedule", "now", "key"), [
    # daily 09:00 Shanghai = 01:00 UTC
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 24, 0, 59), "d:2026-11-23"),
    (Schedule("daily", time(9, 0), 0, SH), utc(2026, 11, 24, 1, 0), "d:2026-11-24"),
    # local day boundary: 23:30 UTC is already the next day in Shanghai
    (Schedule("daily", time(7, 0), 0, SH), utc(2026, 11, 24, 23, 30), "d:2026-11-25"),
    # weekly Monday 09:00; 2026-11-23 is a Monday
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 23, 1, 0), "w:2026-11-23"),
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 23, 0, 59), "w:2026-11-16"),
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 11, 29, 12, 0), "w:2026-11-23"),
    # missed periods: down for three weeks, one (the latest) period is due, not three
    (Schedule("weekly", time(9, 0), 0, SH), utc(2026, 12, 15, 3, 0), "w:2026-12-14"),
    # New York, across DST: 08:00 local is 13:00 UTC in winter, 12:00 UTC in summer
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 7, 12, 59),
     "d:2026-03-06"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 7, 13, 0),
     "d:2026-03-07"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 8, 11, 59),
     "d:2026-03-07"),
    (Schedule("daily", time(8, 0), 0, "America/New_York"), utc(2026, 3, 8, 12, 0),
     "d:2026-03-08"),
    # a send time skipped by spring-forward (02:30) happens right after the jump
    (Schedule("daily", time(2, 30), 0, "America/New_York"), utc(2026, 3, 8, 7, 29),
     "d:2026-03-07"),
    (Schedule("daily", time(2, 30), 0, "America/New_York"), utc(2026, 3, 8, 7, 30),
     "d:2026-03-08"),
    # Berlin weekly Friday 17:00 across the end of DST (25 Oct 2026)
    (Schedule("weekly", time(17, 0), 4, "Europe/Berlin"), utc(2026, 10, 30, 15, 59),
     "w:2026-10-23"),
    (Schedule("weekly", time(17, 0), 4, "Europe/Berlin"), utc(2026, 10, 30, 16, 0),
     "w:2026-10-30"),
])
def test_due_period(schedule: Schedule, now: datetime, key: str | None) -> None:
    period = due_period(schedule, now)
    assert (period.key if period else None) == key
    if period:
        assert period.due_at <= now


WEEKLY = Subscriber("b@t.test", schedule=Schedule("weekly", time(9, 0), 0), id=2)


@pytest.mark.parametrize(("subscriber", "oldest", "now", "force", "plan"), [
    (Subscriber("a@t.test", schedule=Schedule("instant"), id=1), utc(2026, 11, 24, 2, 0),
     utc(2026, 11, 24, 3, 0), False, ("i:41", utc(2026, 11, 24, 3, 0))),
    # waiting since before Monday 09:00 (01:00 UTC): Monday's digest, up to its send time
    (WEEKLY, utc(2026, 11, 22, 0, 0), utc(2026, 11, 24, 3, 0), False,
     ("w:2026-11-23", utc(2026, 11, 23, 1, 0))),
    # matched after Monday's send time: waits for next Monday, not a late "Monday" digest
    (WEEKLY, utc(2026, 11, 23, 2, 0), utc(2026, 11, 24, 3, 0), False, None),
    (WEEKLY, utc(2026, 11, 23, 2, 0), utc(2026, 11, 30, 1, 0), False,
     ("w:2026-11-30", utc(2026, 11, 30, 1, 0))),
    # forced: everything waiting, now
    (WEEKLY, utc(2026, 11, 23, 2, 0), utc(2026, 11, 24, 3, 0), True,
     ("m:41", utc(2026, 11, 24, 3, 0))),
])
def test_plan_digest(subscriber: Subscriber, oldest: datetime, now: datetime, force: bool,
                     plan: tuple[str, datetime] | None) -> None:
    assert plan_digest(subscriber, 41, oldest, now, force) == plan
