"""Open the digests that are due and pick those to queue: the dispatcher's part and the
cycle's, before anything is sent (`deliver.py` sends)."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime

from worker.runtime import Runtime
from worker.schedule import plan_digest
from worker.store import digests as digest_rows
from worker.store import reminders as reminder_rows
from worker.store.db import chunks


def open_due_digests(
    rt: Runtime, now: datetime, force: bool = False, email: str | None = None,
    most: int | None = None,
) -> int:
    """Create the digests that are due (all waiting ones if `force`; at most `most`), and
    the deadline reminder mails; returns how many digests. Each batch of subscribers is
    opened in a transaction of its own: what was opened can be sent while the rest opens."""
    with rt.engine.begin() as conn:
        reminder_rows.open_due(conn, now)
    with rt.engine.connect() as conn, closing(digest_rows.waiting(conn, email)) as found:
        plans: list[digest_rows.Plan] = []
        for waiting in found:
            if most is not None and len(plans) >= most:
                break  # the rest wait for the next call
            subscriber = waiting.subscriber
            plan = plan_digest(subscriber, waiting.first_delivery_id, waiting.oldest, now, force)
            if plan is not None and subscriber.id is not None:
                plans.append(digest_rows.Plan(subscriber.id, *plan))
    opened = 0
    for batch in chunks(plans, digest_rows.OPEN_BATCH):
        with rt.engine.begin() as conn:
            opened += len(digest_rows.open_digests(conn, batch, now))
    return opened


# One dispatch opens and queues a bounded share, so it stays shorter than its lock and the
# first digests go out while the rest are opened: at 100,000 weekly subscribers opening all
# 94,461 at once took one dispatch 109 s; its 10 s lock ran out and a second one opened
# the same digests beside it, and nothing was sent until both were done.
OPEN_PER_DISPATCH = 2000
QUEUE_PER_DISPATCH = 5000


def due_digest_ids(rt: Runtime, now: datetime) -> list[int]:
    """Open (a share of) what is due, then the oldest digests that may be sent now (for
    the dispatcher, which queues those not queued yet)."""
    open_due_digests(rt, now, most=OPEN_PER_DISPATCH)
    with rt.engine.connect() as conn:
        return digest_rows.sendable(conn, now, rt.settings.mail.send_lease,
                                    most=QUEUE_PER_DISPATCH)
