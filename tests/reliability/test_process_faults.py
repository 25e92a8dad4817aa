"""Crashes and restarts of the service's parts: real `radar worker` and `radar beat`
processes (Celery), a private Redis, PostgreSQL, loopback feeds and SMTP. Nothing is
restarted by hand except what a supervisor (compose's restart policy) would restart."""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deployment import Service, deployed, instant_subscribers
from tests.feedserver import FeedServer
from tests.processes import RADAR, private_postgres, supervised, wait_until
from tests.reliability.report import Outcome, deliveries, record
from tests.smtpserver import SmtpServer

# How long the SMTP server stays down; `make chaos` and CI use the full minute.
OUTAGE_SECONDS = float(os.environ.get("RELIABILITY_OUTAGE_SECONDS", "60"))


@pytest.fixture
def service(tmp_path: Path, postgres_url: str, feed_server: FeedServer,
            smtp_server: SmtpServer) -> Iterator[Service]:
    with deployed(tmp_path, postgres_url, feed_server, smtp_server) as service:
        yield service


def everyone_received(smtp: SmtpServer, n: int) -> bool:
    return len(set(smtp.handler.recipients())) == n


def settle_and_record(smtp: SmtpServer, expected: int, scenario: str, injected: str,
                      note: str = "") -> Outcome:
    time.sleep(2)  # a few more dispatch rounds: a duplicate would show up now
    delivered, duplicated = deliveries(smtp.handler.messages)
    per_recipient = Counter(smtp.handler.recipients())
    return record(Outcome("service", scenario, injected, expected, delivered, duplicated,
                          others_carried_on=len(per_recipient) == expected, note=note))


def test_worker_killed_mid_batch(service: Service, smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_delay = 0.4  # a slow server: the batch takes a while
    service.subscribe(instant_subscribers(12))
    worker = service.start("worker", "worker", "--concurrency", "1")
    service.start("beat", "beat")
    wait_until(lambda: len(smtp_server.handler.messages) >= 4, 60, "4 digests")
    time.sleep(0.2)  # now inside the next recipient's slow RCPT, before it is accepted
    worker.stop(signal.SIGKILL)
    before = len(smtp_server.handler.messages)
    service.start("worker", "worker-restarted", "--concurrency", "1")
    wait_until(lambda: everyone_received(smtp_server, 12), 90, "all 12 digests")
    outcome = settle_and_record(smtp_server, 12, "worker SIGKILLed mid-batch",
                                "SIGKILL to the worker and its pool during an SMTP exchange",
                                f"{before} sent before the kill; the new worker sent the rest")
    assert before < 12
    assert outcome.lost == 0 and outcome.duplicated == 0


def test_redis_restarted_mid_run(service: Service, smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_delay = 0.3
    service.subscribe(instant_subscribers(8))
    service.start("worker", "worker", "--concurrency", "1")
    # A beat cannot hold its lock without Redis and exits; compose restarts it.
    service.stack.enter_context(supervised([*RADAR, "beat"], service.tmp / "beat.log",
                                           service.env, service.tmp))
    wait_until(lambda: len(smtp_server.handler.messages) >= 2, 60, "2 digests")
    service.redis.stop()  # queue, locks and schedule state are gone with it
    time.sleep(1)
    service.redis.start()
    wait_until(lambda: everyone_received(smtp_server, 8), 90, "all 8 digests")
    outcome = settle_and_record(smtp_server, 8, "Redis restarted mid-run",
                                "redis-server stopped for 1 s (queue and locks lost)",
                                "the beat exits without Redis and is restarted by its "
                                "supervisor; pending digests live in PostgreSQL")
    assert outcome.lost == 0
    assert outcome.duplicated <= 1  # at most the one in flight at the restart


def test_postgres_restarted_mid_run(tmp_path: Path, feed_server: FeedServer,
                                    smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_delay = 0.3
    with private_postgres() as pg, deployed(tmp_path, pg.url, feed_server,
                                            smtp_server) as service:
        service.subscribe(instant_subscribers(8))
        service.start("worker", "worker", "--concurrency", "1")
        service.stack.enter_context(supervised([*RADAR, "beat"], service.tmp / "beat.log",
                                               service.env, service.tmp))
        wait_until(lambda: len(smtp_server.handler.messages) >= 2, 60, "2 digests")
        pg.stop()
        time.sleep(3)
        pg.start()
        wait_until(lambda: everyone_received(smtp_server, 8), 120, "all 8 digests")
        log = (service.tmp / "worker.log").read_text(encoding="utf-8", errors="replace")
        waited = len(set(re.findall(r"digest (\d+) was sent but cannot be marked yet", log)))
        outcome = settle_and_record(smtp_server, 8, "PostgreSQL restarted mid-run",
                                    "pg_ctl stop -m fast, down 3 s, start",
                                    f"{waited} digest(s) sent during the outage waited for "
                                    "the database to record them; no manual step")
    assert outcome.lost == 0
    assert outcome.duplicated == 0  # the mark "sent" waited for the database


def test_two_beats_schedule_once(service: Service, feed_server: FeedServer,
                                 smtp_server: SmtpServer) -> None:
    service.subscribe(instant_subscribers(4))
    service.start("worker", "worker", "--concurrency", "2")
    service.start("beat", "beat-1")
    second = service.start("beat", "beat-2")
    time.sleep(12)
    polls = len(feed_server.hits("/feeds/projects.rss"))
    outcome = settle_and_record(smtp_server, 4, "two beats started", "a second `radar beat`",
                                f"{polls} polls of a source in 12 s at a 3 s interval "
                                "(one scheduler: ~4; two would give ~8)")
    assert 2 <= polls <= 6
    assert "Sending due task" not in second.output()
    assert outcome.lost == 0 and outcome.duplicated == 0


def test_smtp_server_down_for_a_minute(service: Service, smtp_server: SmtpServer) -> None:
    service.subscribe(instant_subscribers(6))
    smtp_server.stop()
    service.start("worker", "worker", "--concurrency", "2")
    service.start("beat", "beat")
    time.sleep(OUTAGE_SECONDS)
    smtp_server.start()
    started = time.monotonic()
    wait_until(lambda: everyone_received(smtp_server, 6), 60, "all 6 digests")
    outcome = settle_and_record(
        smtp_server, 6, f"SMTP server down for {OUTAGE_SECONDS:g} s",
        "connection refused from the start",
        f"all delivered {time.monotonic() - started:.1f} s after it came back "
        "(retry backoff capped at 2 s in this test)")
    assert outcome.lost == 0 and outcome.duplicated == 0
