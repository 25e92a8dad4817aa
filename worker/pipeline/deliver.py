"""Open due digests, claim them, send them, record each outcome.

A batch is claimed and loaded in one transaction; each digest is marked sent as soon as
the server accepted it, so a crash re-sends nothing already marked. What each failure
means is decided in `outcomes.py`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from worker.digest.compose import compose
from worker.digest.reminder import compose_reminder
from worker.errors import MailError
from worker.mail import Sender
from worker.mail.message import Envelope, build_message
from worker.mail.sessions import over_sessions
from worker.models import Entry, Rendered
from worker.pipeline.outcomes import (
    STOPS_THE_ROUND,
    SendOutcome,
    batch_size,
    batches,
    on_failure,
    retry_at,
    triage,
)
from worker.reminders import Planned, is_reminder, plan_for
from worker.runtime import Runtime
from worker.store import conditions
from worker.store import digests as digest_rows
from worker.store import reminders as reminder_rows
from worker.store import reports as report_rows
from worker.store import subscribers as subscriber_rows
from worker.store.digests import DigestContents

log = logging.getLogger("radar.pipeline")

Permit = Callable[[], Awaitable[bool]]  # asked before each send; False ends the batch


@dataclass
class SendReport:
    outcomes: dict[int, SendOutcome] = field(default_factory=dict)

    def count(self, *outcomes: SendOutcome) -> int:
        return sum(1 for o in self.outcomes.values() if o in outcomes)


async def send_pending(rt: Runtime, now: datetime, email: str | None = None) -> SendReport:
    """Send every sendable digest, in batches over mail.connections concurrent sessions."""
    report = SendReport()
    with rt.engine.connect() as conn:
        digest_ids = digest_rows.sendable(conn, now, rt.settings.mail.send_lease, email)
    sessions = rt.settings.mail.connections
    size = batch_size(len(digest_ids), sessions, rt.settings.service.send_batch)
    started = time.monotonic()

    async def send_batch(sender: Sender, batch: list[int]) -> bool:
        # Each batch is claimed at the time it starts, not the round's: a long round's
        # later batches would otherwise look like lapsed leases to another worker.
        at = now + timedelta(seconds=time.monotonic() - started)
        outcomes = await send_digests(rt, sender, batch, at)
        report.outcomes.update(outcomes)
        # else each of the rest would wait a timeout, or be refused in turn
        return not set(STOPS_THE_ROUND) & set(outcomes.values())

    await over_sessions(rt.make_sender, batches(digest_ids, size), sessions, send_batch)
    if left := len(digest_ids) - len(report.outcomes):
        why = "refuses to send for us" if "refused" in report.outcomes.values() \
            else "is unreachable"
        log.warning("mail server %s: %d digest(s) left for the next round", why, left)
    return report


async def send_digests(rt: Runtime, sender: Sender, digest_ids: Sequence[int], now: datetime,
                       permit: Permit | None = None) -> dict[int, SendOutcome]:
    """Claim and load a batch, then send each digest and mark it sent as soon as it is
    accepted. Failures are recorded on their digest, never raised. Digests the batch did
    not reach (the server is unreachable or refuses us, `permit` said no) are handed back
    and get no outcome."""
    outcomes, ready = _claim(rt, digest_ids, now)
    try:
        for contents in ready:
            if permit is not None and not await permit():
                break
            outcomes[contents.id] = outcome = await _send_claimed(rt, sender, contents, now)
            if outcome == "sent":  # its outcome is set first: a sent digest is never handed back
                await _record_sent(rt, contents, now)
            if outcome in STOPS_THE_ROUND:
                break
    finally:  # also when the permit or the database failed: the rest need not wait a lease
        _hand_back(rt, [c.id for c in ready
                        if c.id not in outcomes or outcomes[c.id] == "refused"], now)
        if "sent" in outcomes.values():
            _mail_works(rt)
    return outcomes


def _claim(rt: Runtime, digest_ids: Sequence[int], now: datetime
           ) -> tuple[dict[int, SendOutcome], list[DigestContents]]:
    """Claim in one transaction; cancel and discard what is not to be sent. Returns the
    outcomes decided so far and the digests to send."""
    outcomes: dict[int, SendOutcome] = {}
    ready: list[DigestContents] = []
    with rt.engine.begin() as conn:
        claimed = digest_rows.claim(conn, digest_ids, now, rt.settings.mail.send_lease)
        loaded = digest_rows.contents(conn, claimed, rt.recent_items.by_ids)
        for contents in with_reminders(conn, loaded, now):
            verdict = triage(contents)
            if verdict == "cancel":
                report_rows.cancel(conn, contents.id,
                                   f"subscriber is {contents.subscriber.status}")
                outcomes[contents.id] = "cancelled"
            elif verdict == "discard":
                report_rows.discard(conn, contents.id)
                outcomes[contents.id] = "empty"
            else:
                ready.append(contents)
    outcomes.update({d: "taken" for d in set(digest_ids).difference(claimed)})
    return outcomes, ready


def with_reminders(conn: Connection, loaded: list[DigestContents], now: datetime
                    ) -> list[DigestContents]:
    """A reminder mail carries its reminders, not deliveries; none once the subscriber
    turned reminders off (the empty mail is then discarded)."""
    ids = [c.id for c in loaded if is_reminder(c.period_key)]
    if not ids:
        return loaded
    wanted = {c.id: c.subscriber.reminders for c in loaded}
    going: dict[int, list[Entry]] = {}
    for r in reminder_rows.carried(conn, ids):
        why = ("reminders turned off" if not wanted[r.mail] else
               "lapsed" if r.lapse_at <= now else
               f"the item's deadline is now {r.entry.item.facts.deadline}"
               if r.entry.item.facts.deadline != r.planned_for else None)
        if why is None:
            going.setdefault(r.mail, []).append(r.entry)
        else:  # every reminder that will not go out is said once, when its mail is claimed
            log.info("reminder %d (item %s, deadline %s) not sent: %s", r.entry.delivery_id,
                     r.entry.item.id, r.planned_for, why)
    return [replace(c, entries=tuple(going.get(c.id, ()))) if c.id in ids else c
            for c in loaded]


def _compose(rt: Runtime, contents: DigestContents, now: datetime
             ) -> tuple[Rendered, Envelope]:
    make = compose_reminder if is_reminder(contents.period_key) else compose
    return make(contents.subscriber, contents.period_key, contents.entries, rt.settings,
                rt.gazetteer, rt.source_names, now)


def _hand_back(rt: Runtime, left: list[int], claimed_at: datetime) -> None:
    if not left:
        return
    try:
        with rt.engine.begin() as conn:
            report_rows.hand_back(conn, left, claimed_at)
    except sa_exc.SQLAlchemyError as e:
        log.warning("%d claimed digest(s) left to their lease: %s", len(left), e)


async def _send_claimed(rt: Runtime, sender: Sender, contents: DigestContents,
                        now: datetime) -> SendOutcome:
    try:
        rendered, envelope = _compose(rt, contents, now)
        await sender.send(build_message(rendered, envelope, now))
    except MailError as e:
        return _record_failure(rt, contents, e, now)
    except Exception as e:  # a bug with one digest must not stop the batch or lose it
        log.exception("digest %d: unexpected error while composing or sending", contents.id)
        with rt.engine.begin() as conn:
            report_rows.release(conn, contents.id, f"internal error: {type(e).__name__}: {e}",
                                retry_at(contents.attempts, rt.settings.service, now), now)
        return "deferred"
    return "sent"


def _mark_sent(conn: Connection, contents: DigestContents, now: datetime) -> None:
    """The digest and what it carried; a digest's deadlines are planned as reminders."""
    carried = [e.delivery_id for e in contents.entries]
    if is_reminder(contents.period_key):
        report_rows.mark_sent(conn, contents.id, [], now)
        reminder_rows.mark_sent(conn, carried, now)
    else:
        report_rows.mark_sent(conn, contents.id, carried, now)
        if contents.subscriber.id is not None:
            reminder_rows.schedule(conn, contents.subscriber.id, _reminders(contents, now), now)


def _reminders(contents: DigestContents, now: datetime) -> list[Planned]:
    """The deadline reminders a sent digest brings; a bug here never keeps the digest
    from being recorded as sent (it would go out again)."""
    try:
        return plan_for(contents.subscriber, contents.entries, now)
    except Exception:
        log.exception("digest %d: its deadline reminders could not be planned", contents.id)
        return []


async def _record_sent(rt: Runtime, contents: DigestContents, now: datetime) -> None:
    """Mark a delivered digest sent, riding out a short database outage: if the mark is
    lost, the lease runs out and the digest goes out a second time."""
    digest_id = contents.id
    deadline = time.monotonic() + rt.settings.mail.send_lease.total_seconds() * 0.8
    pause = 0.25  # give up before another worker may claim it
    while True:
        try:
            with rt.engine.begin() as conn:
                _mark_sent(conn, contents, now)
            return
        except sa_exc.OperationalError as e:  # connection refused or dropped
            if time.monotonic() + pause > deadline:
                raise
            log.warning("digest %d was sent but cannot be marked yet (%s); retrying",
                        digest_id, type(e.orig).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 4.0)


def _record_failure(rt: Runtime, contents: DigestContents, error: MailError, now: datetime
                    ) -> SendOutcome:
    failure = on_failure(error, contents.attempts, rt.settings.service, now)
    if failure.outcome == "refused":  # handed back untried with the rest of the batch
        _mail_refused(rt, str(error), now)
        return failure.outcome
    subscriber_id = contents.subscriber.id
    with rt.engine.begin() as conn:
        if failure.retry_at is not None:
            report_rows.release(conn, contents.id, str(error), failure.retry_at, now)
            log.warning("digest %d deferred until %s: %s", contents.id, failure.retry_at, error)
            return failure.outcome
        failed_now = report_rows.mark_failed(conn, contents.id, str(error), now)
        if failed_now and failure.hard_bounce and subscriber_id is not None and \
                subscriber_rows.record_hard_bounce(conn, subscriber_id,
                                                   rt.settings.mail.suspend_after_bounces):
            log.warning("subscriber %d suspended after repeated rejections", subscriber_id)
    log.error("digest %d failed: %s", contents.id, error)
    return failure.outcome


def _mail_refused(rt: Runtime, reason: str, now: datetime) -> None:
    """Raise the condition ops must fix; log it at error level the first time only."""
    with rt.engine.begin() as conn:
        new = conditions.raise_condition(conn, conditions.MAIL_REFUSED, reason, now)
    if new:
        log.error("the SMTP server refuses to send for us: %s. Sending is stopped: every "
                  "digest waits (pending) and goes out once this is fixed; no subscriber "
                  "is marked. (Not mailed to ops_email: mail is what fails.)", reason)
    else:
        log.warning("the SMTP server still refuses to send for us: %s", reason)


def _mail_works(rt: Runtime) -> None:
    try:
        with rt.engine.begin() as conn:
            cleared = conditions.clear(conn, conditions.MAIL_REFUSED)
    except sa_exc.SQLAlchemyError as e:  # only a note; the sends are recorded already
        log.warning("could not clear the mail condition: %s", e)
        return
    if cleared:
        log.warning("the SMTP server accepts our mail again")
