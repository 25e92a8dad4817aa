"""`radar status`: what ops need to know, and whether anything is unhealthy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from worker.redis_keys import BEAT_LOCK, BEAT_SCHEDULE, QUEUE

if TYPE_CHECKING:  # the store loads when read: `--beat-only` needs no SQL
    from sqlalchemy.engine import Engine

    from worker.config import ServiceSettings, Settings
    from worker.redis_probe import Reads
    from worker.store.conditions import Condition
    from worker.store.sources import SourceStatus


@dataclass(frozen=True)
class Health:
    sources: list[SourceStatus]
    digests_24h: dict[str, int]
    stale_digests: int  # pending or sending for longer than service.stale_pending_minutes
    queue_length: int | None  # None: Redis not reachable
    beat_lock_ttl: int | None  # seconds; None: no beat holds the lock
    redis_error: str | None
    conditions: list[Condition] = field(default_factory=list)
    beat_ever: bool = True  # a beat's schedule is in Redis: the service runs, not cron
    store_read: bool = True  # False for `--beat-only`: sources and digests were not read


def gather(settings: Settings, now: datetime) -> Health:
    """Read the store and Redis (the only side effects here)."""
    from worker.redis_probe import connect
    from worker.store.db import connect as connect_store

    client = connect(settings.service.redis_url)
    try:
        engine = connect_store(settings.database_url)
        try:
            return read_health(engine, client, settings.service, now)
        finally:
            engine.dispose()
    finally:
        client.close()


def gather_beat(redis_url: str) -> Health:
    """Redis alone, for the beat's healthcheck every 30 s: no database driver or SQL
    layer loaded, and the URL is all it needs of the settings."""
    from worker.redis_probe import connect

    client = connect(redis_url)
    try:
        queue, ttl, error, beat_ever = read_redis(client)
    finally:
        client.close()
    return Health([], {}, 0, queue, ttl, error, beat_ever=beat_ever, store_read=False)


def read_health(engine: Engine, redis_client: Reads, service: ServiceSettings, now: datetime
                ) -> Health:
    from worker.store import conditions as condition_rows
    from worker.store import digests as digest_rows
    from worker.store import sources as source_rows

    stale_before = now - timedelta(minutes=service.stale_pending_minutes)
    with engine.connect() as conn:
        sources = source_rows.statuses(conn)
        counts = digest_rows.state_counts(conn, now - timedelta(hours=24))
        stale = digest_rows.unsent_since(conn, stale_before)
        found = condition_rows.active(conn)
    queue, ttl, error, beat_ever = read_redis(redis_client)
    return Health(sources, counts, stale, queue, ttl, error, found, beat_ever)


def read_redis(redis_client: Reads) -> tuple[int | None, int | None, str | None, bool]:
    """Queue length, the beat lock's TTL (None: not held), a Redis error, whether a beat
    ever ran here."""
    try:
        queue: int | None = int(redis_client.llen(QUEUE))
        ttl = int(redis_client.ttl(BEAT_LOCK))
        beat_ever = bool(redis_client.exists(BEAT_SCHEDULE))
        error = None
    except Exception as e:  # any Redis failure is something to report, not to crash on
        queue, ttl, error, beat_ever = None, -2, f"{type(e).__name__}: {e}", True
    return queue, ttl if ttl >= 0 else None, error, beat_ever


def beat_problems(health: Health, beat_only: bool = True) -> list[str]:
    """Whether Redis answers and a beat holds the scheduler lock (pure)."""
    if health.redis_error:
        return [f"Redis unreachable: {health.redis_error}"]
    if health.beat_lock_ttl is None and (beat_only or health.beat_ever):
        # With no beat ever here, `radar run` is scheduled by cron: nothing is missing.
        return ["no beat holds the scheduler lock: nothing is being scheduled"]
    return []


def problems(health: Health, service: ServiceSettings) -> list[str]:
    """What makes the service unhealthy (pure); `beat_problems` alone for the beat's
    healthcheck."""
    out = beat_problems(health, beat_only=False)
    out += [_describe(c) for c in health.conditions]
    out += [f"source {s.id} failed {s.failure_streak} times in a row: {s.last_error}"
            for s in health.sources
            if s.failure_streak >= service.failing_source_streak and s.gone_since is None]
    out += [f"source {s.id} is gone since {s.gone_since:%Y-%m-%d %H:%M} UTC: {s.last_error}; "
            "fix its url in sources.yaml"
            for s in health.sources if s.gone_since is not None]
    out += [f"source {s.id} gave no items in {s.empty_streak} polls in a row: were its "
            "pages redesigned? (radar sources test)"
            for s in health.sources if s.empty_streak >= service.failing_source_streak]
    if health.stale_digests:
        out.append(f"{health.stale_digests} digest(s) waiting longer than "
                   f"{service.stale_pending_minutes} min: are the workers running?")
    return out


def render(health: Health, found: list[str]) -> str:
    lines = ["sources:"] if health.store_read else []
    for s in health.sources:
        when = s.last_success_at.strftime("%Y-%m-%d %H:%M UTC") if s.last_success_at else "never"
        error = f"  last error: {s.last_error}" if s.last_error else ""
        lines.append(f"  {s.id:<24} last ok {when:<20} streak {s.failure_streak:<3} "
                     f"items {s.items_stored:<6}{error}")
    counts = ", ".join(f"{state} {n}" for state, n in sorted(health.digests_24h.items()))
    if health.store_read:
        lines.append(f"digests (24 h): {counts or 'none'}")
    lines.append(f"queue length: {'?' if health.queue_length is None else health.queue_length}")
    beat = "none" if health.beat_lock_ttl is None else f"held (expires in {health.beat_lock_ttl}s)"
    if health.beat_lock_ttl is None and not health.beat_ever:
        beat = "none ever ran here (radar run from cron?)"
    lines.append(f"beat lock: {beat}")
    lines.append("status: " + ("OK" if not found else "UNHEALTHY"))
    lines += [f"  - {p}" for p in found]
    return "\n".join(lines)


def _describe(condition: Condition) -> str:
    from worker.store.conditions import MAIL_REFUSED

    since = f"{condition.since:%Y-%m-%d %H:%M} UTC"
    if condition.name == MAIL_REFUSED:
        return (f"mail: the SMTP server refuses to send for us since {since}: "
                f"{condition.message}; every digest waits until this is fixed")
    return f"{condition.name} since {since}: {condition.message}"
