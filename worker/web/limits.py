"""The web app's rate limits, shared by every `radar web` process through Redis.

Per IP (10 sign-ups per 10 minutes) and per address (3 per hour): the second one is what
keeps the subscribe form from being used to mail-bomb someone else's address with
confirmation mails, so it must hold however many web processes answer. Each limit is a
sliding log in a Redis sorted set, checked and counted in one Lua script (atomic; the
time is Redis's own, so the processes' clocks do not matter). Keys are hashed: no address
is written to Redis. They live under the deployment's namespace (a hash of its database
URL), so two deployments sharing a Redis do not share counts.

Without Redis (the one-command SQLite trial) each process counts for itself, and says so
at start. Redis failing mid-flight: each limit falls back to its in-process count and
tries Redis again `RETRY_SECONDS` later. Neither failing open (no limit while Redis is
down: the form becomes a free mail cannon) nor failing closed (nobody can subscribe while
Redis is down, for a limit that exists to stop abuse, not to protect Redis); the bound is
loosened to the limit per process for the outage, and the log says so once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from worker.web.security import RateLimit

log = logging.getLogger("radar.web")
PREFIX = "radar:web:"
RETRY_SECONDS = 10.0
TIMEOUT_SECONDS = 0.5  # a request never waits longer than this on Redis
PER_IP = (10, 600)  # (events, window in seconds)
PER_ADDRESS = (3, 3600)

# KEYS[1] the log; ARGV limit, window (ms), a unique member. 1 = allowed (and counted).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


class Limit(Protocol):
    def allow(self, key: str) -> bool: ...


@dataclass
class _RedisHealth:
    """Whether to ask Redis now; logs each change once."""

    where: str
    retry_at: float = 0.0
    down: bool = False

    def usable(self) -> bool:
        return not self.down or time.monotonic() >= self.retry_at

    def failed(self, error: Exception) -> None:
        if not self.down:
            log.warning("web rate limits: Redis at %s failed (%s); counting in this process "
                        "until it answers again", self.where, type(error).__name__)
        self.down, self.retry_at = True, time.monotonic() + RETRY_SECONDS

    def answered(self) -> None:
        if self.down:
            log.warning("web rate limits: Redis at %s answers again; shared again", self.where)
        self.down = False


@dataclass
class SharedLimit:
    """`limit` events per `window` seconds per key across processes; local when Redis fails."""

    script: Any  # redis.commands.core.Script
    name: str
    limit: int
    window: int
    health: _RedisHealth
    local: RateLimit = field(init=False)

    def __post_init__(self) -> None:
        self.local = RateLimit(self.limit, self.window)

    def allow(self, key: str) -> bool:
        from redis.exceptions import RedisError

        if not self.health.usable():
            return self.local.allow(key)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        try:
            allowed = self.script(keys=[f"{self.name}:{digest}"],
                                  args=[self.limit, self.window * 1000, secrets.token_hex(8)])
        except (RedisError, OSError) as e:
            self.health.failed(e)
            return self.local.allow(key)
        self.health.answered()
        return bool(allowed)


@dataclass(frozen=True)
class WebLimits:
    per_ip: Limit
    per_address: Limit
    shared: bool


def local_limits() -> WebLimits:
    return WebLimits(RateLimit(*PER_IP), RateLimit(*PER_ADDRESS), shared=False)


def web_limits(redis_url: str, database_url: str) -> WebLimits:
    """Shared limits when Redis answers now or later; the log says which at start."""
    import redis
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
    from redis.retry import Retry

    parts = urlsplit(redis_url)
    where = f"{parts.hostname}:{parts.port or 6379}{parts.path}"  # never the password
    client = redis.Redis.from_url(  # one retry at once: a connection Redis dropped
        redis_url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1))
    health = _RedisHealth(where)
    try:
        client.ping()
        log.info("web rate limits: shared by every radar web process through Redis at %s",
                 where)
    except (RedisError, OSError) as e:
        health.down = True
        log.warning("web rate limits: counted in this process only: Redis at %s does not "
                    "answer (%s); each radar web process allows the full limits. Shared "
                    "as soon as Redis answers", where, type(e).__name__)
    script = client.register_script(_TAKE)
    namespace = PREFIX + hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return WebLimits(SharedLimit(script, f"{namespace}:ip", *PER_IP, health),
                     SharedLimit(script, f"{namespace}:address", *PER_ADDRESS, health),
                     shared=True)
