"""One cycle: poll sources → store new items → match → open due digests → send.

Plain functions over a `Runtime` that holds every dependency; the CLI and the Celery
tasks are thin shells that read the clock once and call these.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from datasketch import MinHash
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from worker.backoff import backoff_seconds
from worker.config import Settings
from worker.dedupe import KnownKeys, republished, unseen
from worker.digest.compose import compose
from worker.districts import Gazetteer
from worker.errors import (
    MailError,
    MailServerUnreachable,
    SourceError,
    SourceGoneError,
    TransientMailError,
    is_transient,
)
from worker.mail import Sender
from worker.mail.message import (
    build_message,
    build_ops_alert,
    empty_source_alert,
    gone_source_alert,
)
from worker.mail.sessions import over_sessions
from worker.mail.smtp import RecipientRejected
from worker.matching import MatchIndex, compile_rule
from worker.models import Item, Source
from worker.neardup import Known, NearDuplicates, signature
from worker.schedule import plan_digest
from worker.sources.collect import collect, fill_details
from worker.sources.fetch import Fetcher
from worker.sources.parsers import FeedParsers, processes_for
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows

log = logging.getLogger("radar.pipeline")
NEAR_DUPLICATE_WINDOW = timedelta(days=30)  # how far back a republished story is recognised


class RecentTitles:
    """The near-duplicate index of recent titles, loaded once per process and then topped
    up with newer items: reloading it for every poll cost O(recent items) per source."""

    def __init__(self) -> None:
        self._index: NearDuplicates | None = None
        self._newest_id = 0
        self._loaded_at: datetime | None = None

    def index(self, conn: Connection, now: datetime) -> NearDuplicates:
        if self._index is None or self._loaded_at is None or \
                now - self._loaded_at > timedelta(days=1):  # let old titles age out
            self._index, self._newest_id, self._loaded_at = NearDuplicates(), 0, now
        for known in item_rows.recent(conn, now - NEAR_DUPLICATE_WINDOW, self._newest_id):
            self.add(known)
        return self._index

    def add(self, known: Known) -> None:
        if self._index is not None:
            self._index.add(known)
            self._newest_id = max(self._newest_id, known.id)

    def forget(self) -> None:
        """After a failed transaction: what it added may not exist."""
        self._index = None


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sources: tuple[Source, ...]
    engine: Engine
    gazetteer: Gazetteer
    make_fetcher: Callable[[], Fetcher]
    make_sender: Callable[[], Sender]
    recent_titles: RecentTitles = field(default_factory=RecentTitles)

    @property
    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.sources}

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(f"no source {source_id!r} in {self.settings.sources_file}")


@dataclass(frozen=True)
class PollReport:
    source_id: str
    new_items: int = 0
    not_modified: bool = False
    error: str | None = None
    transient: bool = False  # worth polling again soon
    retry_after: float | None = None  # what the server asked for, in seconds


# "unreachable": deferred because no SMTP session could be opened; the batch stops there.
SendOutcome = Literal["sent", "deferred", "unreachable", "failed", "empty", "taken",
                      "cancelled"]


@dataclass
class SendReport:
    outcomes: dict[int, SendOutcome] = field(default_factory=dict)

    def count(self, *outcomes: SendOutcome) -> int:
        return sum(1 for o in self.outcomes.values() if o in outcomes)


@dataclass(frozen=True)
class CycleReport:
    polls: tuple[PollReport, ...]
    new_items: int
    matches: int
    sent: SendReport


async def poll_sources(rt: Runtime, now: datetime) -> tuple[list[PollReport], list[Item]]:
    """Poll every source concurrently; a failing one is recorded and the rest carry on."""
    with rt.engine.begin() as conn:
        source_rows.sync(conn, rt.sources)
    feeds = sum(1 for s in rt.sources if s.kind != "html")
    processes = processes_for(feeds, rt.settings.fetch.parse_processes)
    async with rt.make_fetcher() as fetcher, FeedParsers(processes) as parsers:
        results = await asyncio.gather(*(poll_one(rt, fetcher, s, now, parsers)
                                         for s in rt.sources))
    return [r for r, _ in results], [item for _, new in results for item in new]


async def poll_one(
    rt: Runtime, fetcher: Fetcher, source: Source, now: datetime,
    parsers: FeedParsers | None = None,
) -> tuple[PollReport, list[Item]]:
    """Fetch, parse and store one source's new items; a failure is recorded, not raised."""
    with rt.engine.connect() as conn:
        state = source_rows.poll_state(conn, source.id)
    try:
        result = await fetcher.fetch(source, state.validators)
        body_hash = hashlib.sha256(result.body).hexdigest() if result.body is not None else None
        # 304, or the same bytes from a server without validators: nothing to re-parse.
        unchanged = result.body is None or body_hash == state.content_hash
        parsed = [] if unchanged else await collect(fetcher, source, result, rt.gazetteer, now,
                                                    parsers)
        with rt.engine.connect() as conn:
            known = item_rows.known(conn, KnownKeys.wanted_for(parsed))
        elsewhere = republished(parsed, known)
        fresh = await fill_details(fetcher, source, unseen(parsed, known), rt.gazetteer)
    except SourceError as e:
        report = _record_failure(rt, source, e.reason, now)
        if isinstance(e, SourceGoneError):
            await _source_gone(rt, source, e.reason, now)
        return replace(report, transient=is_transient(e),
                       retry_after=getattr(e, "retry_after", None)), []
    except Exception as e:  # a bug in one source's path must not stop the others
        log.exception("source %s (%s): unexpected error", source.id, source.url)
        return _record_failure(rt, source, f"internal error: {type(e).__name__}: {e}", now), []
    empty = empty_streak(source, state.empty_streak, unchanged, len(parsed))
    try:
        with rt.engine.begin() as conn:
            stored = _store_new(conn, rt.recent_titles, fresh, elsewhere, now)
            source_rows.record_success(conn, source.id, result.validators, now,
                                       body_hash or state.content_hash, empty)
    except Exception:
        rt.recent_titles.forget()
        raise
    log.info("source %s: %d entries, %d new%s", source.id, len(parsed), len(stored),
             " (unchanged)" if unchanged else "")
    if empty == source.empty_alert_after:
        log.error("source %s (%s): no items in %d polls in a row; its selectors may no "
                  "longer match the page", source.id, source.url, empty)
        await _alert_ops(rt, source, *empty_source_alert(source.id, source.url, empty), now)
    return PollReport(source.id, len(stored), unchanged), stored


def empty_streak(source: Source, streak: int, unchanged: bool, parsed: int) -> int:
    """Polls in a row where an HTML list page gave no items (an unchanged empty page counts)."""
    if source.kind != "html":
        return 0
    if unchanged:
        return streak + 1 if streak else 0
    return 0 if parsed else streak + 1


def _store_new(conn: Connection, recent: RecentTitles, fresh: list[Item],
               elsewhere: list[Item], now: datetime) -> list[Item]:
    """Insert new items, except near-duplicates of recent ones: those, and exact copies
    from other sources, are recorded under the item they repeat."""
    for copy in elsewhere:
        original = item_rows.original_of(conn, copy)
        if original is not None and original[1] != copy.source_id:
            item_rows.add_alias(conn, original[0], copy, now)
    if not fresh:
        return []
    index = recent.index(conn, now)
    # Decide in memory (near-duplicates of stored items, then of this batch), insert the
    # new ones in one statement, then record the copies under what they repeat.
    pending: list[tuple[Item, MinHash]] = []
    batch = NearDuplicates()  # keyed by position in `pending`
    copies: list[tuple[Item, int | Item]] = []  # (copy, stored id or pending original)
    for item in fresh:
        minhash = signature(item.title)
        original_id = index.match(item, minhash)
        if original_id is not None:
            copies.append((item, original_id))
            continue
        twin = batch.match(item, minhash)
        if twin is not None:
            copies.append((item, pending[twin][0]))
            continue
        batch.add(Known(len(pending), item, minhash))
        pending.append((item, minhash))
    ids = item_rows.insert_many(conn, pending, now)
    stored = []
    for item, minhash in pending:
        if item.url in ids:  # else stored meanwhile by another worker
            new = replace(item, id=ids[item.url])
            recent.add(Known(ids[item.url], new, minhash))
            stored.append(new)
    for copy, repeats in copies:
        target = repeats if isinstance(repeats, int) else ids.get(repeats.url)
        if target is not None:
            item_rows.add_alias(conn, target, copy, now)
    return stored


async def _source_gone(rt: Runtime, source: Source, reason: str, now: datetime) -> None:
    with rt.engine.begin() as conn:
        newly_gone = source_rows.mark_gone(conn, source.id, now)
    if newly_gone:
        log.error("source %s (%s) is gone: %s; fix its url in %s", source.id, source.url,
                  reason, rt.settings.sources_file)
        await _alert_ops(rt, source, *gone_source_alert(source.id, source.url, reason), now)


async def _alert_ops(rt: Runtime, source: Source, subject: str, body: str, now: datetime
                     ) -> None:
    """Mail ops about a source that needs a person (if an address is configured)."""
    if not rt.settings.ops_email:
        return
    message = build_ops_alert(rt.settings.mail.sender, rt.settings.ops_email, subject, body, now)
    try:
        async with rt.make_sender() as sender:
            await sender.send(message)
    except MailError as e:
        log.error("could not tell ops (%s) about source %s: %s", rt.settings.ops_email,
                  source.id, e)


async def poll_and_match(rt: Runtime, source_id: str, now: datetime) -> PollReport:
    """Poll one source and record what its new items match (the service's poll task)."""
    source = rt.source(source_id)
    with rt.engine.begin() as conn:
        source_rows.sync(conn, [source])
    async with rt.make_fetcher() as fetcher:
        report, items = await poll_one(rt, fetcher, source, now)
    match_items(rt, items, now)
    return report


def _record_failure(rt: Runtime, source: Source, reason: str, now: datetime) -> PollReport:
    with rt.engine.begin() as conn:
        streak = source_rows.record_failure(conn, source.id, reason, now)
    log.warning("source %s (%s) failed (%d in a row): %s", source.id, source.url, streak, reason)
    return PollReport(source.id, error=reason)


def match_items(rt: Runtime, items: list[Item], now: datetime) -> int:
    """Record a delivery for every subscriber each new item matches; returns how many."""
    if not items:
        return 0
    with rt.engine.begin() as conn:
        subscribers = subscriber_rows.listing(conn, active_only=True)
        index = MatchIndex(compile_rule(s, rt.gazetteer) for s in subscribers)
        matches = index.match(items)
        digest_rows.add_matches(conn, matches, now)
    return len(matches)


def open_due_digests(
    rt: Runtime, now: datetime, force: bool = False, email: str | None = None
) -> int:
    """Create the digests that are due (all waiting ones if `force`); returns how many."""
    with rt.engine.begin() as conn:
        plans = []
        for waiting in digest_rows.waiting(conn, email):
            subscriber = waiting.subscriber
            plan = plan_digest(subscriber, waiting.first_delivery_id, waiting.oldest, now, force)
            if plan is not None and subscriber.id is not None:
                plans.append(digest_rows.Plan(subscriber.id, *plan))
        return len(digest_rows.open_digests(conn, plans, now))


def due_digest_ids(rt: Runtime, now: datetime) -> list[int]:
    """Open what is due, then every digest that may be sent now (for the dispatcher)."""
    open_due_digests(rt, now)
    lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
    with rt.engine.connect() as conn:
        return digest_rows.sendable(conn, now, lease)


async def send_pending(rt: Runtime, now: datetime, email: str | None = None) -> SendReport:
    """Send every sendable digest, in batches over mail.connections concurrent sessions."""
    report = SendReport()
    lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
    with rt.engine.connect() as conn:
        digest_ids = digest_rows.sendable(conn, now, lease, email)
    sessions = rt.settings.mail.connections
    size = max(1, min(rt.settings.service.send_batch, -(-len(digest_ids) // sessions)))
    batches = [digest_ids[i:i + size] for i in range(0, len(digest_ids), size)]

    async def send_batch(sender: Sender, batch: list[int]) -> bool:
        outcomes = await send_digests(rt, sender, batch, now)
        report.outcomes.update(outcomes)
        return "unreachable" not in outcomes.values()  # else the rest would wait a timeout each

    await over_sessions(rt.make_sender, batches, sessions, send_batch)
    if left := len(digest_ids) - len(report.outcomes):
        log.warning("mail server unreachable: %d digest(s) left for the next round", left)
    return report


Permit = Callable[[], Awaitable[bool]]  # asked before each send; False ends the batch


async def send_digests(rt: Runtime, sender: Sender, digest_ids: Sequence[int], now: datetime,
                       permit: Permit | None = None) -> dict[int, SendOutcome]:
    """Claim and load a batch in one transaction, then send each digest and mark it sent as
    soon as it is accepted (so a crash re-sends nothing already marked). Failures are
    recorded on their digest, never raised. Digests the batch did not reach (the server is
    unreachable, `permit` said no) are handed back and get no outcome."""
    lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
    outcomes: dict[int, SendOutcome] = {}
    ready: list[digest_rows.DigestContents] = []
    with rt.engine.begin() as conn:
        claimed = digest_rows.claim(conn, digest_ids, now, lease)
        for contents in digest_rows.contents(conn, claimed):
            status = contents.subscriber.status
            if status != "active":  # unsubscribed or paused meanwhile
                digest_rows.cancel(conn, contents.id, f"subscriber is {status}")
                outcomes[contents.id] = "cancelled"
            elif not contents.entries:
                digest_rows.discard(conn, contents.id)
                outcomes[contents.id] = "empty"
            else:
                ready.append(contents)
    outcomes.update({d: "taken" for d in set(digest_ids).difference(claimed)})
    try:
        for contents in ready:
            if permit is not None and not await permit():
                break
            outcomes[contents.id] = outcome = await _send_claimed(rt, sender, contents, now)
            if outcome == "unreachable":
                break
    finally:  # also when the permit or the database failed: the rest need not wait a lease
        if left := [c.id for c in ready if c.id not in outcomes]:
            try:
                with rt.engine.begin() as conn:
                    digest_rows.hand_back(conn, left)
            except sa_exc.SQLAlchemyError as e:
                log.warning("%d claimed digest(s) left to their lease: %s", len(left), e)
    return outcomes


async def _send_claimed(rt: Runtime, sender: Sender, contents: digest_rows.DigestContents,
                        now: datetime) -> SendOutcome:
    try:
        rendered, envelope = compose(contents.subscriber, contents.period_key,
                                     contents.entries, rt.settings, rt.gazetteer,
                                     rt.source_names, now)
        await sender.send(build_message(rendered, envelope, now))
    except MailError as e:
        return _record_send_failure(rt, contents, e, now)
    except Exception as e:  # a bug with one digest must not stop the batch or lose it
        log.exception("digest %d: unexpected error while composing or sending", contents.id)
        with rt.engine.begin() as conn:
            digest_rows.release(conn, contents.id, f"internal error: {type(e).__name__}: {e}",
                                _retry_at(rt, contents.attempts, now))
        return "deferred"
    await _record_sent(rt, contents.id, [e.delivery_id for e in contents.entries], now)
    return "sent"


async def _record_sent(rt: Runtime, digest_id: int, delivery_ids: list[int], now: datetime
                       ) -> None:
    """Mark a delivered digest sent, riding out a short database outage: if the mark is
    lost, the lease runs out and the digest goes out a second time."""
    lease = rt.settings.mail.send_lease_minutes * 60
    deadline = time.monotonic() + lease * 0.8  # give up before another worker may claim it
    pause = 0.25
    while True:
        try:
            with rt.engine.begin() as conn:
                digest_rows.mark_sent(conn, digest_id, delivery_ids, now)
            return
        except sa_exc.OperationalError as e:  # connection refused or dropped
            if time.monotonic() + pause > deadline:
                raise
            log.warning("digest %d was sent but cannot be marked yet (%s); retrying",
                        digest_id, type(e.orig).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 4.0)


def _retry_at(rt: Runtime, attempts: int, now: datetime) -> datetime:
    service = rt.settings.service
    wait = backoff_seconds(attempts, service.retry_base_seconds, service.retry_max_seconds)
    return now + timedelta(seconds=wait)


def _record_send_failure(
    rt: Runtime, contents: digest_rows.DigestContents, error: MailError, now: datetime
) -> SendOutcome:
    digest_id, subscriber_id = contents.id, contents.subscriber.id
    with rt.engine.begin() as conn:
        if isinstance(error, TransientMailError):
            retry_at = _retry_at(rt, contents.attempts, now)
            digest_rows.release(conn, digest_id, str(error), retry_at)
            log.warning("digest %d deferred until %s: %s", digest_id, retry_at, error)
            return "unreachable" if isinstance(error, MailServerUnreachable) else "deferred"
        digest_rows.mark_failed(conn, digest_id, str(error))
        if isinstance(error, RecipientRejected) and subscriber_id is not None:
            suspended = subscriber_rows.record_hard_bounce(
                conn, subscriber_id, rt.settings.mail.suspend_after_bounces
            )
            if suspended:
                log.warning("subscriber %d suspended after repeated rejections", subscriber_id)
    log.error("digest %d failed: %s", digest_id, error)
    return "failed"


async def run_cycle(rt: Runtime, now: datetime, force_send: bool = False) -> CycleReport:
    """Poll, store, match, then send instant alerts and whatever digests are due."""
    polls, new_items = await poll_sources(rt, now)
    matches = match_items(rt, new_items, now)
    open_due_digests(rt, now, force=force_send)
    sent = await send_pending(rt, now)
    return CycleReport(tuple(polls), len(new_items), matches, sent)
