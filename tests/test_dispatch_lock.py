"""The dispatch lock against the real Redis on 127.0.0.1:6379: a dispatch that lost it
stops after the batch it was queuing, and never releases a lock another dispatch now holds.

The store (SQLite) and Redis are real; Celery's producer and the send task are replaced by
a recorder of what would have been published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from redis.lock import Lock

from tests.conftest import NOW
from tests.feedserver import FeedServer
from tests.services import require
from worker import tasks
from worker.config import MailSettings, Settings
from worker.models import Source
from worker.pipeline.cycle import match_items
from worker.pipeline.opening import due_digest_batches
from worker.pipeline.poll import poll_sources
from worker.ratelimit import RateLimiter
from worker.redis_keys import DISPATCH_LOCK, QUEUED_PREFIX
from worker.runtime import Runtime, build_runtime
from worker.store import digests as digest_rows
from worker.store import subscribers as subscriber_rows
from worker.subscribers_io import read_subscribers

DB = 6  # not 0: the lock's name is fixed, and a worker on this machine may use db 0
SUBSCRIBERS = """\
subscribers:
  - {email: a@example.com, districts: [武清], frequency: instant}
  - {email: b@example.com, districts: [宝坻], frequency: instant}
  - {email: c@example.com, districts: [武清], frequency: instant}
  - {email: d@example.com, districts: [宝坻], frequency: instant}
"""
LOST = "dispatch lock lost after queuing {} digest(s); stopping"


@dataclass
class Published:
    """Stands in for the send task and the producer: records each batch published."""

    batches: list[list[int]] = field(default_factory=list)
    producer: object = field(default_factory=object)

    @contextmanager
    def producer_or_acquire(self) -> Iterator[object]:
        yield self.producer

    def apply_async(self, args: tuple[list[int]], producer: object) -> None:
        assert producer is self.producer
        self.batches.append(list(args[0]))


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    require("redis", 6379)
    connection = redis.Redis(host="127.0.0.1", port=6379, db=DB)
    assert not connection.exists(DISPATCH_LOCK), f"db {DB} is in use: {DISPATCH_LOCK} is set"
    assert not list(connection.scan_iter(f"{QUEUED_PREFIX}*")), f"db {DB} is in use"
    yield connection
    connection.delete(DISPATCH_LOCK, *connection.scan_iter(f"{QUEUED_PREFIX}*"))
    connection.close()


def with_due_digests(tmp_path: Path, feeds: FeedServer) -> Runtime:
    """A store where four instant subscribers each wait for a digest to be opened."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}",
                        mail=MailSettings(backend="folder", outbox=tmp_path / "out"))
    sources = [Source("p", "P", "rss", feeds.url("/feeds/projects.rss"), "project")]
    rt = build_runtime(settings, sources)
    good, bad = read_subscribers(SUBSCRIBERS, "s.yaml", rt.gazetteer)
    assert not bad
    with rt.engine.begin() as conn:
        for s in good:
            subscriber_rows.save(conn, s, NOW)
    _, new_items = asyncio.run(poll_sources(rt, NOW))
    match_items(rt, new_items, NOW)
    return rt


@pytest.fixture
def published(tmp_path: Path, feed_server: FeedServer, client: redis.Redis,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Published]:
    """`dispatch()` on a worker process of real store and Redis, at NOW, in small batches."""
    rt = with_due_digests(tmp_path, feed_server)
    p = tasks._Process(runtime=rt, redis=client, limiter=RateLimiter(client, 0, 0))
    recorder = Published()
    monkeypatch.setattr(digest_rows, "OPEN_BATCH", 2)
    monkeypatch.setattr(tasks, "clock", SimpleNamespace(now=lambda: NOW))
    monkeypatch.setattr(tasks, "settings", lambda: rt.settings)
    monkeypatch.setattr(tasks, "sources", lambda: ())  # read when Celery configures its app
    monkeypatch.setattr(tasks, "process", lambda: p)
    monkeypatch.setattr(tasks, "app", recorder)
    monkeypatch.setattr(tasks, "send", recorder)
    yield recorder
    p.close()


def losing_the_lock(client: redis.Redis, taken: bool, monkeypatch: pytest.MonkeyPatch
                    ) -> Lock:
    """While the first digests are opened, the dispatch's lock runs out (its key goes) and,
    if `taken`, another dispatch takes it: returns that other dispatch's lock."""
    other = Lock(client, DISPATCH_LOCK, timeout=60)

    def batches(rt: Runtime, now: datetime) -> Generator[list[int], None, None]:
        lost = False
        with closing(due_digest_batches(rt, now)) as inner:
            for batch in inner:
                if batch and not lost:
                    assert client.delete(DISPATCH_LOCK) == 1  # it was held until now
                    assert not taken or other.acquire(blocking=False)
                    lost = True
                yield batch

    monkeypatch.setattr(tasks, "due_digest_batches", batches)
    return other


@pytest.mark.parametrize("taken", [True, False], ids=["taken-by-another", "ran-out"])
def test_a_dispatch_that_lost_its_lock_stops_after_the_batch_in_hand(
    published: Published, client: redis.Redis, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, taken: bool,
) -> None:
    """Two dispatches at once would pass twice over what is due: the one that lost the lock
    queues what it had opened, says so and stops, leaving alone the lock it no longer owns
    (another's, or nobody's); the next dispatch queues the rest, nothing twice."""
    other = losing_the_lock(client, taken, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="radar.tasks"):
        assert tasks.dispatch() == 2
    assert caplog.messages == [LOST.format(2)]
    [first] = published.batches
    assert len(first) == 2
    assert queued_marks(client) == sorted(first)  # none of the second batch
    assert client.get(DISPATCH_LOCK) == (other.local.token if taken else None)
    if taken:
        other.release()  # that other dispatch ends

    monkeypatch.setattr(tasks, "due_digest_batches", due_digest_batches)
    assert tasks.dispatch() == 2
    _, rest = published.batches
    assert len(set(first + rest)) == 4


def test_a_dispatch_that_keeps_its_lock_queues_every_batch(
    published: Published, client: redis.Redis, caplog: pytest.LogCaptureFixture,
) -> None:
    """The control: renewing the lock after each batch succeeds, so the dispatch goes on to
    the end, queues both batches, warns of nothing and releases its lock."""
    with caplog.at_level(logging.WARNING, logger="radar.tasks"):
        assert tasks.dispatch() == 4
    assert caplog.messages == []
    assert [len(batch) for batch in published.batches] == [2, 2]
    assert queued_marks(client) == sorted(d for batch in published.batches for d in batch)
    assert not client.exists(DISPATCH_LOCK)


def queued_marks(client: redis.Redis) -> list[int]:
    """The digest ids a dispatch marked as queued in Redis."""
    return sorted(int(key.removeprefix(QUEUED_PREFIX.encode()))
                  for key in client.scan_iter(f"{QUEUED_PREFIX}*"))


def test_what_could_not_be_published_is_not_left_marked_queued(
    published: Published, client: redis.Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A broker that fails mid-dispatch, after one task went out: the digests whose task
    was not published lose their queued marker, so the next dispatch queues them instead of
    waiting an hour; the one published keeps its marker (its task will send it)."""
    settings = tasks.settings()
    one_per_task = settings.model_copy(
        update={"service": settings.service.model_copy(update={"send_batch": 1})})
    monkeypatch.setattr(tasks, "settings", lambda: one_per_task)
    record, calls = published.apply_async, [0]

    def second_fails(args: tuple[list[int]], producer: object) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise ConnectionError("broker down")
        record(args, producer)

    monkeypatch.setattr(published, "apply_async", second_fails)
    with pytest.raises(ConnectionError):
        tasks.dispatch()
    [[first]] = published.batches
    assert queued_marks(client) == [first]
    assert not client.exists(DISPATCH_LOCK)  # released on the way out
    assert tasks.dispatch() == 3  # the unpublished one and the two not yet opened
    assert queued_marks(client) == sorted(d for batch in published.batches for d in batch)
    assert len(queued_marks(client)) == 4
