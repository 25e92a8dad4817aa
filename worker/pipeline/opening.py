"""Open the digests that are due and pick those to queue: the dispatcher's part and the
cycle's, before anything is sent (`deliver.py` sends)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from contextlib import closing
from datetime import datetime, timedelta

from worker.runtime import Runtime
from worker.schedule import plan_digest
from worker.store import digests as digest_rows
from worker.store import reminders as reminder_rows


def open_due_digests(
    rt: Runtime, now: datetime, force: bool = False, email: str | None = None,
    most: int | None = None,
) -> int:
    """Create the digests that are due (all waiting ones if `force`; at most `most`), and
    the deadline reminder mails; returns how many digests."""
    with rt.engine.begin() as conn:
        reminder_rows.open_due(conn, now)
    return sum(len(batch) for batch in opened_batches(rt, now, force, email, most))


def opened_batches(
    rt: Runtime, now: datetime, force: bool = False, email: str | None = None,
    most: int | None = None,
) -> Generator[list[int], None, None]:
    """Open what is due a batch of subscribers at a time, each in a transaction of its
    own, and yield the ids of each batch's pending digests: what was opened can be sent
    while the rest opens. Stopping early leaves the rest for the next call."""
    planned = 0
    with rt.engine.connect() as conn, closing(digest_rows.waiting(conn, email)) as found:
        plans: list[digest_rows.Plan] = []
        for waiting in found:
            if most is not None and planned >= most:
                break
            subscriber = waiting.subscriber
            plan = plan_digest(subscriber, waiting.first_delivery_id, waiting.oldest, now, force)
            if plan is None or subscriber.id is None:
                continue
            plans.append(digest_rows.Plan(subscriber.id, *plan))
            planned += 1
            if len(plans) == digest_rows.OPEN_BATCH:
                yield _open(rt, plans, now)
                plans = []
        if plans:
            yield _open(rt, plans, now)


def _open(rt: Runtime, plans: list[digest_rows.Plan], now: datetime) -> list[int]:
    with rt.engine.begin() as conn:
        return sorted(digest_rows.open_digests(conn, plans, now).values())


# A dispatch opens and queues for a bounded time, batch by batch, so the first digests go
# out while the rest are opened, and a dispatch ends well before the next is due. (At
# 100,000 weekly subscribers opening all 94,461 digests in one transaction took 109 s;
# capped at 2,000 per dispatch instead, sending waited for the next dispatch after every
# 2,000: with the default 120 s between dispatches, 94,461 digests would have taken ~95 min:
# 48 dispatches, computed.)
DISPATCH_SECONDS = 60.0
QUEUE_PER_DISPATCH = 5000  # digests opened before (retries, leases run out)


def due_digest_batches(rt: Runtime, now: datetime, seconds: float = DISPATCH_SECONDS,
                       clock: Callable[[], float] = time.monotonic,
                       ) -> Generator[list[int], None, None]:
    """For the dispatcher, which queues each batch as it comes: the oldest digests that
    may be sent now, then the digests opened batch by batch from what is due, until
    `seconds` have passed; each id once. What came due while it opened (an instant alert
    stored meanwhile) is looked for again, as of the time that pass starts, until a pass
    opens nothing new."""
    started = clock()
    with rt.engine.begin() as conn:
        reminder_rows.open_due(conn, now)
    with rt.engine.connect() as conn:  # read before yielding: no transaction held meanwhile
        ready = digest_rows.sendable(conn, now, rt.settings.mail.send_lease,
                                     most=QUEUE_PER_DISPATCH)
    yield ready
    seen, at = set(ready), now
    while True:  # a pass at least: each dispatch opens something if anything is due
        opened = False
        # closed (its reader too) on a stop; that reader stays open while batches are
        # yielded and queued
        with closing(opened_batches(rt, at)) as batches:
            for batch in batches:
                # a digest still pending comes back while some of its subscriber's
                # deliveries wait for a later one (newer than its cutoff): not news
                fresh = [d for d in batch if d not in seen]
                seen.update(fresh)
                yield fresh  # even empty: the dispatcher renews its lock
                opened = opened or bool(fresh)
                if clock() - started >= seconds:
                    return
        if not opened or clock() - started >= seconds:
            return
        at = now + timedelta(seconds=clock() - started)
