"""The shared send limit against the real Redis on 127.0.0.1:6379."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from tests.services import require
from worker.ratelimit import DAY_FULL, OK, SECOND_FULL, RateLimiter

T0 = datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    require("redis", 6379)
    connection = redis.Redis(host="127.0.0.1", port=6379)
    yield connection
    for key in connection.scan_iter("radar-test:*"):  # day counters would linger 25 h
        connection.delete(key)
    connection.close()


def limiter(client: redis.Redis, per_second: int, per_day: int) -> RateLimiter:
    return RateLimiter(client, per_second, per_day, prefix=f"radar-test:{uuid.uuid4().hex}")


def test_per_second_window(client: redis.Redis) -> None:
    limit = limiter(client, 3, 0)
    assert [limit.take(T0) for _ in range(5)] == [OK, OK, OK, SECOND_FULL, SECOND_FULL]
    assert limit.take(T0 + timedelta(seconds=1)) == OK  # the next second has room again


def test_per_day_window_and_refused_sends_are_not_counted(client: redis.Redis) -> None:
    limit = limiter(client, 0, 4)
    verdicts = [limit.take(T0 + timedelta(minutes=i)) for i in range(6)]
    assert verdicts == [OK, OK, OK, OK, DAY_FULL, DAY_FULL]
    assert limit.take(T0 + timedelta(days=1)) == OK


def test_two_limiters_share_one_budget(client: redis.Redis) -> None:
    prefix = f"radar-test:{uuid.uuid4().hex}"
    first, second = (RateLimiter(client, 2, 0, prefix=prefix) for _ in range(2))
    assert [first.take(T0), second.take(T0), first.take(T0), second.take(T0)] == [
        OK, OK, SECOND_FULL, SECOND_FULL]


def test_unlimited_does_not_touch_redis() -> None:
    class NoRedis:
        def register_script(self, _: str) -> None:
            return None
    assert RateLimiter(NoRedis(), 0, 0).take(T0) == OK
