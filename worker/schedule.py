"""When a subscriber's mail is due, in their timezone (pure; `now` is passed in).

Daily and weekly digests belong to a period named by the local date of its send time
("d:2026-11-24", "w:2026-11-23"). Only the latest period whose send time has passed is
due, so a service that was down for three weeks sends one weekly digest, not three.
A late digest carries only what waited at its send time. Instant alerts and forced
sends have no calendar period: they are keyed by the first delivery they carry
("i:1234"), which makes creating them again after a crash a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from worker.models import Schedule, Subscriber


@dataclass(frozen=True)
class Period:
    key: str
    due_at: datetime  # aware


def due_period(schedule: Schedule, now: datetime) -> Period | None:
    """The latest calendar period whose send time has passed; None for instant alerts."""
    if schedule.frequency == "instant":
        return None
    tz = ZoneInfo(schedule.timezone)
    local = now.astimezone(tz)
    day = local.date()
    if schedule.frequency == "weekly":
        day -= timedelta(days=(day.weekday() - schedule.weekday) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    due = local_time(day, schedule.at, tz)
    if due > now:
        day -= step
        due = local_time(day, schedule.at, tz)
    prefix = "w" if schedule.frequency == "weekly" else "d"
    return Period(f"{prefix}:{day.isoformat()}", due)


def local_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `day` in `tz`. With fold=0 (PEP 495) a wall time skipped by a DST jump
    lands after the jump (02:30 on spring-forward day is 03:30 new time) and a repeated
    one on its first occurrence."""
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0)


def batch_key(kind: str, first_delivery_id: int) -> str:
    """Key of an instant alert ("i") or a forced send ("m") carrying deliveries from this id."""
    return f"{kind}:{first_delivery_id}"


def plan_digest(
    subscriber: Subscriber, first_delivery_id: int, oldest_waiting: datetime, now: datetime,
    force: bool = False,
) -> tuple[str, datetime] | None:
    """The digest to open now for what waits (key, and the newest delivery it may carry).

    A late calendar digest (the service was down at its send time) carries only what was
    already waiting at that time; anything newer waits for the next period.
    """
    if force:
        return batch_key("m", first_delivery_id), now
    if subscriber.schedule.frequency == "instant":
        return batch_key("i", first_delivery_id), now
    period = due_period(subscriber.schedule, now)
    if period is None or period.due_at < oldest_waiting:
        return None
    return period.key, period.due_at
