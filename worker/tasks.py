"""Celery app, beat schedule and tasks: each task a few lines around `worker.pipeline`.

    beat ── poll:<source> every source's interval ──► poll_source ──► (matches stored)
         └─ dispatch every service.dispatch_every_seconds ──► send_digests per batch of due
                                                               digests

Retries of sends are kept in the database (digests.next_attempt_at), so a restarted
Redis loses nothing: the next dispatch finds whatever is due. Polls retry transient
failures with backoff (honouring Retry-After).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_process_shutdown
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock

from worker import clock
from worker.backoff import backoff_seconds
from worker.config import Settings, load_settings
from worker.districts import Gazetteer
from worker.mail import Sender
from worker.models import Source
from worker.pipeline.cycle import poll_and_match
from worker.pipeline.deliver import send_digests
from worker.pipeline.opening import DISPATCH_SECONDS, due_digest_batches
from worker.pipeline.outcomes import batches
from worker.ratelimit import DAY_FULL, SECOND_FULL, RateLimiter
from worker.redis_keys import BEAT_LOCK, DISPATCH_LOCK, QUEUED_PREFIX
from worker.runtime import Runtime, build_runtime
from worker.sources_config import load_sources

app = Celery("radar")
log = logging.getLogger("radar.tasks")


@cache
def settings() -> Settings:
    return load_settings()


@cache
def sources() -> tuple[Source, ...]:
    return load_sources(settings().sources_file, Gazetteer.tianjin(), settings().facts.usd_rate)


def celery_config(s: Settings, polled: tuple[Source, ...]) -> dict[str, Any]:
    """Delivery settings: a task is acknowledged only when done, one at a time per process."""
    service = s.service
    schedule: dict[str, Any] = {
        f"poll:{source.id}": {"task": "radar.poll_source", "args": (source.id,),
                              "schedule": timedelta(minutes=source.interval_minutes)}
        for source in polled
    }
    schedule["dispatch"] = {"task": "radar.dispatch",
                            "schedule": timedelta(seconds=service.dispatch_every_seconds)}
    return {
        "broker_url": service.redis_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": service.visibility_timeout_seconds},
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "timezone": "UTC",
        "beat_schedule": schedule,
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "beat_max_loop_interval": 5,
        "redbeat_redis_url": service.redis_url,
        "redbeat_lock_key": BEAT_LOCK,
        "redbeat_lock_timeout": service.beat_lock_timeout_seconds,
    }


@app.on_configure.connect
def _configure(sender: Celery, **_: Any) -> None:
    sender.conf.update(celery_config(settings(), sources()))


@dataclass
class _Process:
    """What one worker process keeps between tasks: store, loop, one SMTP session."""

    runtime: Runtime
    redis: Any
    limiter: RateLimiter
    runner: asyncio.Runner = field(default_factory=asyncio.Runner)
    sender: Sender | None = None

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    def open_sender(self) -> Sender:
        if self.sender is None:
            self.sender = self.runtime.make_sender()
            self.run(self.sender.__aenter__())
        return self.sender

    def close(self) -> None:
        if self.sender is not None:
            self.run(self.sender.__aexit__(None, None, None))
        self.runner.close()
        self.runtime.engine.dispose()


@cache
def process() -> _Process:
    """Built on first use inside the worker process (never in the prefork parent)."""
    s = settings()
    client = redis.Redis.from_url(s.service.redis_url)
    return _Process(
        runtime=build_runtime(s, sources(), migrate_schema=False),
        redis=client,
        limiter=RateLimiter(client, s.service.rate_per_second, s.service.rate_per_day),
    )


@worker_process_shutdown.connect
def _shutdown(**_: Any) -> None:
    if process.cache_info().currsize:
        process().close()


@app.task(name="radar.poll_source", bind=True)
def poll_source(self: Any, source_id: str) -> str:
    """Poll one source, store and match its new items, then send what became due."""
    p = process()
    report = p.run(poll_and_match(p.runtime, source_id, clock.now()))
    dispatch()  # instant alerts go out in the cycle that stored the item
    if report.error and report.transient and self.request.retries < settings().service.poll_retries:
        wait = backoff_seconds(self.request.retries + 1, 30, 600,
                               at_least=report.retry_after or 0)
        raise self.retry(countdown=wait, max_retries=settings().service.poll_retries)
    return f"{source_id}: {report.new_items} new" + (f", {report.error}" if report.error else "")


@app.task(name="radar.dispatch")
def dispatch() -> int:
    """Open due digests and queue each sendable one once (a Redis key marks it queued), in
    batches: one task per digest cost more in publishing than in sending."""
    p = process()
    ttl = int(settings().service.visibility_timeout_seconds)
    # One dispatch at a time: opening thousands of digests can outlast the beat's interval.
    # redis-py's lock (a token compared in Redis) is renewed after each batch and must
    # outlast the longest step between two renewals (finding the waiting subscribers:
    # seconds at 100,000; when a 10 s lock ran out, both worker processes were
    # dispatching and neither sent). A dispatch that lost it stops; a worker killed while
    # holding it holds up the next dispatch for a minute at most.
    lock = p.redis.lock(DISPATCH_LOCK, timeout=DISPATCH_SECONDS)
    if not lock.acquire(blocking=False):
        return 0
    try:
        return _dispatch(p, ttl, lock)
    finally:
        with suppress(redis.RedisError):  # LockError too: it ran out, another holds it
            lock.release()


def _dispatch(p: _Process, ttl: int, lock: Lock) -> int:
    queued = 0
    size = settings().service.send_batch
    with app.producer_or_acquire() as producer, \
            closing(due_digest_batches(p.runtime, clock.now())) as due_batches:
        for due in due_batches:
            marks = p.redis.pipeline(transaction=False)
            for digest_id in due:
                marks.set(f"{QUEUED_PREFIX}{digest_id}", 1, nx=True, ex=ttl)
            fresh = [d for d, marked in zip(due, marks.execute(), strict=True) if marked]
            _publish(p, producer, fresh, size)
            queued += len(fresh)
            try:
                lock.extend(DISPATCH_SECONDS, replace_ttl=True)
            except LockNotOwnedError:  # ran out mid-step: another dispatch goes on
                log.warning("dispatch lock lost after queuing %d digest(s); stopping", queued)
                break
    return queued


def _publish(p: _Process, producer: Any, digest_ids: list[int], size: int) -> None:
    """One send task per batch. If publishing fails, what was not published loses its
    queued marker, so the next dispatch queues it instead of waiting out the marker."""
    published = 0
    try:
        for batch in batches(digest_ids, size):
            send.apply_async((batch,), producer=producer)
            published += len(batch)
    except Exception:
        with suppress(redis.RedisError):
            p.redis.delete(*(f"{QUEUED_PREFIX}{d}" for d in digest_ids[published:]))
        raise


@app.task(name="radar.send_digests")
def send(digest_ids: list[int]) -> str:
    """Send digests through this process's SMTP session, within the shared rate limit."""
    p = process()

    async def permit() -> bool:
        while (verdict := p.limiter.take(clock.now())) == SECOND_FULL:
            await asyncio.sleep(0.05)
        return verdict != DAY_FULL

    try:
        outcomes = p.run(send_digests(p.runtime, p.open_sender(), digest_ids, clock.now(), permit))
    finally:
        # The markers expire by themselves; the digests' state is in the database.
        with suppress(redis.RedisError):
            p.redis.delete(*(f"{QUEUED_PREFIX}{d}" for d in digest_ids))
    counts = Counter[str](outcomes.values())
    if left := len(digest_ids) - len(outcomes):
        why = ("mail server unreachable" if "unreachable" in counts else
               "mail server refuses to send for us" if "refused" in counts else
               "rate limit for today reached")
        counts[f"left pending: {why}"] = left
    return ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
