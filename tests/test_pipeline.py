"""The pipeline in-process: real fetch (loopback), real store, the folder sender."""

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest
import sqlalchemy as sa

from tests.conftest import NOW
from tests.feedserver import FeedServer
from worker.config import MailSettings, Settings
from worker.mail.folder import FolderSender
from worker.mail.message import Outgoing
from worker.models import Source
from worker.pipeline.cycle import match_items, run_cycle
from worker.pipeline.deliver import send_digests, send_pending
from worker.pipeline.opening import due_digest_batches, open_due_digests
from worker.pipeline.outcomes import SendOutcome
from worker.pipeline.poll import poll_sources
from worker.runtime import RecentItems, Runtime, build_runtime
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import subscribers as subscriber_rows
from worker.store.tables import digests
from worker.subscribers_io import read_subscribers

SUBSCRIBERS = """\
subscribers:
  - {email: a@example.com, districts: [武清], frequency: instant}
  - {email: b@example.com, districts: [宝坻], frequency: instant}
"""


class BreaksFor:
    """The folder sender, except that mail to one address hits an unexpected bug."""

    def __init__(self, inner: FolderSender, address: str) -> None:
        self.inner, self.address = inner, address

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.inner.__aexit__(kind, error, tb)

    async def send(self, mail: Outgoing) -> None:
        if mail.recipient == self.address:
            raise RuntimeError("boom")
        await self.inner.send(mail)


def runtime(tmp_path: Path, feeds: FeedServer, breaks_for: str | None = None) -> Runtime:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                        mail=MailSettings(backend="folder", outbox=tmp_path / "out"))
    sources = [Source("p", "P", "rss", feeds.url("/feeds/projects.rss"), "project")]
    rt = build_runtime(settings, sources)
    if breaks_for:
        outbox = settings.mail.outbox
        rt = replace(rt, make_sender=lambda: BreaksFor(FolderSender(outbox), breaks_for))
    good, bad = read_subscribers(SUBSCRIBERS, "s.yaml", rt.gazetteer)
    assert not bad
    with rt.engine.begin() as conn:
        for s in good:
            subscriber_rows.save(conn, s, NOW)
    return rt


def test_a_bug_with_one_digest_does_not_stop_the_others_or_lose_it(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    rt = runtime(tmp_path, feed_server, breaks_for="b@example.com")
    report = asyncio.run(run_cycle(rt, NOW))
    assert sorted(report.sent.outcomes.values()) == ["deferred", "sent"]
    assert [p.name.split("-")[0] for p in (tmp_path / "out").glob("*.eml")] == [
        "a@example.com"]
    with rt.engine.connect() as conn:
        lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
        assert digest_rows.sendable(conn, NOW, lease) == []  # it waits its backoff first
        later = NOW + timedelta(seconds=rt.settings.service.retry_base_seconds)
        [pending] = digest_rows.sendable(conn, later, lease)
        assert digest_rows.contents(conn, [pending])[0].subscriber.email == "b@example.com"

    fixed = runtime(tmp_path, feed_server)  # the same database, a working sender
    again = asyncio.run(send_pending(fixed, later))
    assert list(again.outcomes.values()) == ["sent"]
    assert len(list((tmp_path / "out").glob("*.eml"))) == 2


def test_a_batch_hands_back_what_it_did_not_reach(tmp_path: Path, feed_server: FeedServer
                                                  ) -> None:
    """Claimed in one statement, sent one by one: when the permit (the daily rate limit)
    says no, the rest go back to pending as if never claimed; a digest another worker holds
    is reported taken and left alone."""
    rt = runtime(tmp_path, feed_server)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    match_items(rt, new_items, NOW)
    assert open_due_digests(rt, NOW) == 2
    lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
    with rt.engine.begin() as conn:
        first, second = digest_rows.sendable(conn, NOW, lease)
        assert digest_rows.claim(conn, [first], NOW, lease) == [first]  # another worker's
    permits = iter([False, True])  # asked only before a send: not for `first`

    async def permit() -> bool:
        return next(permits)

    async def batch() -> dict[int, SendOutcome]:
        async with rt.make_sender() as sender:
            return await send_digests(rt, sender, [first, second], NOW, permit)

    assert asyncio.run(batch()) == {first: "taken"}  # `second` was not reached: no outcome
    with rt.engine.connect() as conn:
        assert digest_rows.sendable(conn, NOW, lease) == [second]
        assert conn.scalar(sa.select(digests.c.attempts).where(digests.c.id == second)) == 0
    assert asyncio.run(batch()) == {first: "taken", second: "sent"}
    assert [p.name.split("-")[0] for p in (tmp_path / "out").glob("*.eml")] == [
        "b@example.com"]


class Slow(FolderSender):
    """The folder sender taking its time, as a relay across a network does."""

    async def send(self, mail: Outgoing) -> None:
        await asyncio.sleep(0.4)
        await super().send(mail)


def test_each_batch_is_claimed_when_it_starts(tmp_path: Path, feed_server: FeedServer) -> None:
    """A long round's later batches carry their own claim time: stamped with the round's
    start, they would look like lapsed leases to another worker, which would send them
    too."""
    rt = runtime(tmp_path, feed_server)
    outbox = rt.settings.mail.outbox
    rt = replace(rt, make_sender=lambda: Slow(outbox),
                 settings=rt.settings.model_copy(update={
                     "mail": rt.settings.mail.model_copy(update={"connections": 1}),
                     "service": rt.settings.service.model_copy(update={"send_batch": 1})}))
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    match_items(rt, new_items, NOW)
    assert open_due_digests(rt, NOW) == 2
    report = asyncio.run(send_pending(rt, NOW))
    assert sorted(report.outcomes.values()) == ["sent", "sent"]
    with rt.engine.connect() as conn:
        claimed = sorted(conn.scalars(sa.select(digests.c.claimed_at)))
    assert claimed[0] < NOW + timedelta(seconds=0.2) <= NOW + timedelta(seconds=0.4) \
        <= claimed[1]


def test_a_dispatch_opens_and_queues_a_bounded_share(tmp_path: Path, feed_server: FeedServer
                                                     ) -> None:
    """At most `most` digests opened per call (the rest on the next), and the oldest
    sendable ones first: a dispatch stays short however many are due at once."""
    rt = runtime(tmp_path, feed_server)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    match_items(rt, new_items, NOW)
    assert open_due_digests(rt, NOW, most=1) == 1
    lease = timedelta(minutes=rt.settings.mail.send_lease_minutes)
    with rt.engine.connect() as conn:
        [first] = digest_rows.sendable(conn, NOW, lease)
    assert open_due_digests(rt, NOW, most=1) == 1 and open_due_digests(rt, NOW) == 0
    with rt.engine.connect() as conn:
        assert digest_rows.sendable(conn, NOW, lease, most=1) == [first]
        assert len(digest_rows.sendable(conn, NOW, lease)) == 2


def test_a_dispatch_queues_each_batch_as_it_opens_it(tmp_path: Path, feed_server: FeedServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What was opened before comes first, then each batch of subscribers as soon as it is
    opened; out of time, the dispatch stops after a batch and the next one opens the rest
    (capped at a share instead, sending waited for the next dispatch after every share)."""
    rt = runtime(tmp_path, feed_server)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    match_items(rt, new_items, NOW)
    monkeypatch.setattr(digest_rows, "OPEN_BATCH", 1)
    first = list(due_digest_batches(rt, NOW, seconds=0))
    assert first[0] == [] and len(first) == 2 and len(first[1]) == 1
    second = list(due_digest_batches(rt, NOW))
    assert second[0] == first[1] and len(second) == 2 and len(second[1]) == 1
    assert second[1] != first[1]
    assert list(due_digest_batches(rt, NOW)) == [sorted(first[1] + second[1])]


def test_a_dispatch_opens_what_came_due_while_it_opened_and_each_digest_once(
        tmp_path: Path, feed_server: FeedServer) -> None:
    """Instant alerts stored while a dispatch was opening are opened by its next pass, as
    of that pass's time, with what they carry; a pass that opens nothing new ends it (a
    pass as of the dispatch's start opened their digests empty, and the loop went on
    until its minute was out)."""
    rt = runtime(tmp_path, feed_server)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    half = len(new_items) // 2
    assert match_items(rt, new_items[:half], NOW) > 0
    elapsed = [0.0]
    due = due_digest_batches(rt, NOW, clock=lambda: elapsed[0])
    assert next(due) == []  # nothing opened before
    first = next(due)
    assert first
    later = NOW + timedelta(seconds=5)
    assert match_items(rt, new_items[half:], later) > 0  # stored meanwhile
    elapsed[0] = 10.0
    rest = [d for batch in due for d in batch]
    assert rest and not set(rest) & set(first) and len(set(rest)) == len(rest)
    with rt.engine.connect() as conn:
        carried = {c.id: {e.item.id for e in c.entries} for c in
                   digest_rows.contents(conn, first + rest)}
    assert all(carried.values())  # no digest opened empty
    assert set().union(*(carried[d] for d in rest)) <= {i.id for i in new_items[half:]}
    assert not set().union(*(carried[d] for d in first)) & {i.id for i in new_items[half:]}


def test_senders_read_each_item_once_a_minute(tmp_path: Path, feed_server: FeedServer) -> None:
    """The items a batch carries are read from the store only when not read in the last
    minute: the same items, the same contents."""
    rt = runtime(tmp_path, feed_server)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    ids = [i.id for i in new_items if i.id is not None]
    clock = [0.0]
    recent = RecentItems(clock=lambda: clock[0])
    reads: list[set[int]] = []
    read = item_rows.with_others

    def counted(conn: sa.Connection, wanted: Iterable[int]) -> dict[int, item_rows.Published]:
        reads.append(set(wanted))
        return read(conn, wanted)

    with rt.engine.connect() as conn:
        fresh = item_rows.with_others(conn, ids)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(item_rows, "with_others", counted)
            assert recent.by_ids(conn, ids[:1]) == {ids[0]: fresh[ids[0]]}
            assert recent.by_ids(conn, ids) == fresh
            clock[0] = RecentItems.SECONDS - 0.1
            assert recent.by_ids(conn, ids) == fresh
            clock[0] = RecentItems.SECONDS
            assert recent.by_ids(conn, ids[1:]) == {i: fresh[i] for i in ids[1:]}
    assert reads == [{ids[0]}, set(ids[1:]), set(ids[1:])]
