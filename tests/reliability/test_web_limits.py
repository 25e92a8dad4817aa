"""The web rate limits across real `radar web` processes: shared through one private Redis,
kept per process when Redis is gone (at start or mid-flight), shared again when it is back.

Rows: "expected" = sign-ups that should be let through, "delivered" = let through,
"duplicated" = sign-ups let through beyond the limit.
"""

from __future__ import annotations

import time
from pathlib import Path

import redis

from tests.processes import private_redis, wait_until
from tests.reliability.report import Outcome, record
from tests.reliability.webserver import radar_web, subscribe
from tests.smtpserver import SmtpServer
from worker.web.limits import RETRY_SECONDS


def codes(clients: list[object], email: str, n: int) -> list[int]:
    """n sign-ups of one address, taking turns over the clients (one per process)."""
    return [subscribe(clients[i % len(clients)], email).status_code  # type: ignore[arg-type]
            for i in range(n)]


def test_two_web_processes_share_the_limits_through_redis(tmp_path: Path,
                                                          smtp_server: SmtpServer) -> None:
    with private_redis(tmp_path) as server, \
            radar_web(tmp_path, smtp_server, server.url, "web-a") as a, \
            radar_web(tmp_path, smtp_server, server.url, "web-b") as b:
        for web in (a, b):
            assert "shared by every radar web process through Redis" in web.process.output()
        per_address = codes([a.client("198.51.100.1"), b.client("198.51.100.1")],
                            "target@example.com", 6)
        ip = "203.0.113.7"  # uvicorn believes X-Forwarded-For from loopback (a local proxy)
        clients = [a.client(ip), b.client(ip)]
        per_ip = [subscribe(clients[i % 2], f"u{i}@example.com").status_code
                  for i in range(12)]
        with redis.Redis.from_url(server.url) as direct:
            keys = [k.decode() for k in direct.keys("radar:web:*")]
    mailed = len(smtp_server.handler.to("target@example.com"))
    record(Outcome(
        "security", "web rate limits shared by two radar web processes (Redis)",
        "6 sign-ups of one address and 12 from one IP, alternating between 2 processes",
        3 + 10, per_address.count(200) + per_ip.count(200),
        max(per_address.count(200) - 3, 0) + max(per_ip.count(200) - 10, 0),
        others_carried_on=500 not in per_address + per_ip,
        note=f"per address {per_address}, per IP {per_ip}; {mailed} confirmation mails to "
             f"the address; {len(keys)} keys in Redis, none naming an address"))
    assert per_address == [200, 200, 200, 429, 429, 429]
    assert per_ip == [200] * 10 + [429, 429]
    assert mailed == 3
    assert keys and not any("@" in k or "example" in k for k in keys)


def test_redis_lost_mid_flight_keeps_a_limit_per_process(tmp_path: Path,
                                                         smtp_server: SmtpServer) -> None:
    """Decided: neither open (no limit) nor closed (no sign-ups): each process counts alone
    until Redis answers, then the shared count resumes (worker/web/limits.py says why)."""
    with private_redis(tmp_path) as server, \
            radar_web(tmp_path, smtp_server, server.url, "web-a") as a, \
            radar_web(tmp_path, smtp_server, server.url, "web-b") as b:
        ca, cb = a.client("198.51.100.2"), b.client("198.51.100.3")
        server.stop()
        started = time.monotonic()
        alone_a = codes([ca], "outage@example.com", 4)
        alone_b = codes([cb], "outage@example.com", 4)
        slowest = (time.monotonic() - started) / 8
        said = "counting in this process" in a.process.output()
        server.start()  # same port, empty: the counts of before are gone
        time.sleep(RETRY_SECONDS + 0.5)
        back = codes([ca, cb], "after@example.com", 4)
        wait_until(lambda: "shared again" in a.process.output() + b.process.output(), 5,
                   "the log saying the limits are shared again")
    record(Outcome(
        "security", "Redis stopped under two radar web processes, then restarted",
        "redis-server stopped; 4 sign-ups of one address on each process; Redis back",
        3 + 3 + 3, alone_a.count(200) + alone_b.count(200) + back.count(200),
        max(alone_a.count(200) - 3, 0) + max(alone_b.count(200) - 3, 0)
        + max(back.count(200) - 3, 0),
        others_carried_on=500 not in alone_a + alone_b + back and slowest < 2,
        note=f"during the outage {alone_a} and {alone_b} (the limit per process, logged "
             f"once); after {back} (shared again); {slowest * 1000:.0f} ms per sign-up"))
    assert alone_a == [200, 200, 200, 429] and alone_b == [200, 200, 200, 429]
    assert back == [200, 200, 200, 429]
    assert said and slowest < 2


def test_without_redis_each_process_counts_and_says_so(tmp_path: Path,
                                                       smtp_server: SmtpServer) -> None:
    with radar_web(tmp_path, smtp_server) as web:  # the one-command trial: no Redis
        logged = "counted in this process only" in web.process.output()
        found = codes([web.client()], "solo@example.com", 4)
    record(Outcome("security", "web rate limits without Redis (SQLite trial)",
                   "REDIS_URL unreachable at start; 4 sign-ups of one address", 3,
                   found.count(200), max(found.count(200) - 3, 0),
                   others_carried_on=logged and 500 not in found,
                   note=f"{found}; the start log says the limits are per process"))
    assert found == [200, 200, 200, 429] and logged
