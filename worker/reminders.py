"""When a policy's application deadline is reminded to a subscriber (pure; `now` passed in).

A policy with a 申报截止 that reached a subscriber is reminded to them 7 days and 1 day
before the deadline, each at their usual send time in their timezone, in a mail of its
own. A reminder whose day has come by the time the item reached them is not planned
(they have just read it); a 7-day reminder lapses when the 1-day one is due and the
1-day one at the end of the deadline day, so a service that was down never reminds of a
deadline that has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from worker.models import Entry, Subscriber
from worker.schedule import local_time

REMIND_DAYS_BEFORE = (7, 1)  # the first one lapses when the next is due


@dataclass(frozen=True)
class Planned:
    """A reminder of `item_id`'s deadline, `days_before` it, to send from `due_at` and
    not from `lapse_at` on."""

    item_id: int
    days_before: int
    deadline: date
    due_at: datetime
    lapse_at: datetime


def plan(item_id: int, deadline: date, at: time, timezone: str, delivered_at: datetime
         ) -> list[Planned]:
    """The reminders of one deadline for a subscriber the item reached at `delivered_at`."""
    tz = ZoneInfo(timezone)
    delivered_on = delivered_at.astimezone(tz).date()
    end_of_deadline = local_time(deadline + timedelta(days=1), time(0, 0), tz)
    out: list[Planned] = []
    for i, days in enumerate(REMIND_DAYS_BEFORE):
        day = deadline - timedelta(days=days)
        if day <= delivered_on:
            continue
        later = REMIND_DAYS_BEFORE[i + 1:]
        lapse = (local_time(deadline - timedelta(days=later[0]), at, tz) if later
                 else end_of_deadline)
        out.append(Planned(item_id, days, deadline, local_time(day, at, tz), lapse))
    return out


def plan_for(subscriber: Subscriber, entries: Iterable[Entry], delivered_at: datetime
             ) -> list[Planned]:
    """The reminders of the deadlines among entries just delivered to this subscriber."""
    if not subscriber.reminders:
        return []
    at, tz = subscriber.schedule.at, subscriber.schedule.timezone
    return [p for e in entries
            if e.item.id is not None and e.item.facts.deadline is not None
            for p in plan(e.item.id, e.item.facts.deadline, at, tz, delivered_at)]


def days_left(deadline: date, now: datetime, timezone: str) -> int:
    """Whole days from the subscriber's today to the deadline (0: today is the last day)."""
    return (deadline - now.astimezone(ZoneInfo(timezone)).date()).days


REMINDER_KEY_PREFIX = "r:"  # period_key of a reminder mail, "r:<first reminder id>"


def reminder_key(first_reminder_id: int) -> str:
    return f"{REMINDER_KEY_PREFIX}{first_reminder_id}"


def is_reminder(period_key: str) -> bool:
    return period_key.startswith(REMINDER_KEY_PREFIX)
