"""`radar status`'s reads over a plain socket give what redis-py gives, against the real
Redis on 127.0.0.1:6379 and a private one with a password; failures read the same."""

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.processes import (
    environment_without_settings,
    free_port,
    private_redis,
    run_radar,
    wait_until,
)
from tests.services import require
from worker.redis_keys import BEAT_LOCK, BEAT_SCHEDULE
from worker.redis_probe import Probe, ResponseError, connect

DB = 5  # not 0: SELECT is part of what is checked


@pytest.fixture
def keys() -> Iterator[dict[str, str]]:
    """A list of 3, a key expiring in 100 s, one that never expires, one that is not there."""
    require("redis", 6379)
    client = redis.Redis(host="127.0.0.1", port=6379, db=DB)
    prefix = f"radar-test:{uuid.uuid4().hex}:"
    names = {n: prefix + n for n in ("list", "expiring", "lasting", "missing")}
    client.rpush(names["list"], "a", "b", "c")
    client.set(names["expiring"], "x", ex=100)
    client.set(names["lasting"], "x")
    yield names
    client.delete(*names.values())
    client.close()


def reads(client: Probe | redis.Redis, names: dict[str, str]) -> list[int]:
    return [client.llen(names["list"]), client.llen(names["missing"]),
            *(client.ttl(n) for n in names.values()),
            client.exists(*names.values()), client.exists(names["missing"])]


def test_the_reads_are_redis_pys(keys: dict[str, str]) -> None:
    url = f"redis://127.0.0.1:6379/{DB}"
    probe, reference = Probe(url), redis.Redis.from_url(url)
    try:
        probed, read = reads(probe, keys), reads(reference, keys)
        # the expiring key's TTL counts down in whole seconds between the two reads
        assert 90 <= read[3] <= probed[3] <= 100 and read[3] >= probed[3] - 1
        probed[3] = read[3] = 100
        assert probed == read == [3, 0, -1, 100, -1, -2, 3, 0]
        with pytest.raises(ResponseError) as ours:
            probe.llen(keys["lasting"])  # not a list
        with pytest.raises(redis.ResponseError) as theirs:
            reference.llen(keys["lasting"])
        assert str(ours.value) == str(theirs.value)
    finally:
        probe.close()
        reference.close()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "redis://nowhere.invalid:6379/0"])
def test_failing_to_connect_reads_as_redis_pys(url: str) -> None:
    with pytest.raises(Exception) as ours:
        llen(url, "x")
    reference = redis.Redis.from_url(url, socket_connect_timeout=3)
    with pytest.raises(Exception) as theirs:
        reference.llen("x")
    reference.close()
    assert (type(ours.value).__name__, str(ours.value)) == \
        (type(theirs.value).__name__, str(theirs.value))


@pytest.mark.parametrize(("url", "kind"), [
    ("rediss://cache:6380/0?ssl_cert_reqs=required", redis.Redis),
    ("redis://cache:6379/0?health_check_interval=10", redis.Redis),
    ("redis://:pw@cache:6379/1", Probe),
])
def test_tls_and_options_go_to_redis_py(url: str, kind: type) -> None:
    client = connect(url)
    assert isinstance(client, kind)
    client.close()


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[int]:
    """A private redis-server with a password; its port."""
    require("redis", 6379)  # redis-server is installed
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
                               "--requirepass", "s3cret-pw"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(port), 10, "redis-server with a password")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(port: int) -> bool:
    client = redis.Redis(port=port, password="s3cret-pw")
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def llen(url: str, key: str) -> int:
    probe = Probe(url)
    try:
        return probe.llen(key)
    finally:
        probe.close()


def test_a_password_and_a_database(guarded: int) -> None:
    client = redis.Redis(port=guarded, password="s3cret-pw", db=3)
    client.rpush("q", "a", "b")
    client.close()
    assert llen(f"redis://:s3cret-pw@127.0.0.1:{guarded}/3", "q") == 2
    assert llen(f"redis://default:s3cret-pw@127.0.0.1:{guarded}/3", "q") == 2
    with pytest.raises(ResponseError, match=r"^WRONGPASS") as wrong:
        llen(f"redis://:nope@127.0.0.1:{guarded}/3", "q")
    with pytest.raises(ResponseError, match=r"^NOAUTH"):
        llen(f"redis://127.0.0.1:{guarded}/3", "q")
    assert "nope" not in str(wrong.value)


def test_status_beat_only_sees_the_beat(tmp_path: Path) -> None:
    with private_redis(tmp_path) as server:
        env = {**environment_without_settings(), "REDIS_URL": server.url}
        client = redis.Redis.from_url(server.url)
        none = run_radar("status", "--beat-only", cwd=tmp_path, env=env)
        client.zadd(BEAT_SCHEDULE, {"task": 1})
        client.set(BEAT_LOCK, "beat-1", ex=60)
        client.rpush("celery", "job")
        held = run_radar("status", "--beat-only", cwd=tmp_path, env=env)
        client.close()
    assert none.returncode == 1 and "none ever ran here" in none.stdout
    assert held.returncode == 0, held.stdout + held.stderr
    assert "queue length: 1" in held.stdout and "beat lock: held (expires in" in held.stdout
    assert held.stdout.endswith("status: OK\n")
