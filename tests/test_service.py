"""Service mode with real processes: `radar worker` and `radar beat` (Celery) on a private
Redis and PostgreSQL, loopback feeds, a loopback SMTP server. Crashes included."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.feedserver import FeedServer
from tests.processes import (
    RADAR,
    Process,
    RedisServer,
    private_redis,
    run_radar,
    running,
    supervised,
    wait_until,
)
from tests.smtpserver import SmtpServer

ROOT = Path(__file__).resolve().parent.parent


class Service:
    """One deployment under test: config files, environment, processes to start."""

    def __init__(self, tmp: Path, redis: RedisServer, database_url: str, feeds: FeedServer,
                 smtp: SmtpServer, stack: ExitStack) -> None:
        self.tmp, self.redis, self.stack = tmp, redis, stack
        (tmp / "radar.yaml").write_text(f"""
database_url: "{database_url}"
mail:
  backend: smtp
  from: "district-radar <radar@radar.test>"
  send_lease_minutes: 0.1
  smtp: {{host: {smtp.host}, port: {smtp.port}, timeout_seconds: 10}}
fetch: {{timeout_seconds: 2}}
service:
  redis_url: "{redis.url}"
  dispatch_every_seconds: 1
  beat_lock_timeout_seconds: 10
  visibility_timeout_seconds: 10
  retry_base_seconds: 1
  retry_max_seconds: 2
""", encoding="utf-8")
        (tmp / "sources.yaml").write_text(f"""sources:
  - {{id: projects, name: 项目, kind: rss, url: "{feeds.url('/feeds/projects.rss')}",
      category: project, interval: 0.05}}
  - {{id: policies, name: 政策, kind: atom, url: "{feeds.url('/feeds/policies.atom')}",
      category: policy, interval: 0.05}}
  - {{id: baodi, name: 宝坻, kind: rss, url: "{feeds.url('/feeds/baodi-gbk.rss')}",
      category: project, district: 宝坻, interval: 0.05}}
""", encoding="utf-8")
        self.env = {**os.environ, "RADAR_CONFIG": str(tmp / "radar.yaml"),
                    "RADAR_SECRET_KEY": "service-test-secret", "PYTHONPATH": str(ROOT)}

    def radar(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_radar(*args, cwd=self.tmp, env=self.env)

    def subscribe(self, yaml_rows: str) -> None:
        path = self.tmp / "subscribers.yaml"
        path.write_text("subscribers:\n" + yaml_rows, encoding="utf-8")
        result = self.radar("subscribers", "import", str(path))
        assert result.returncode == 0, result.stderr

    def start(self, what: str, name: str, *args: str, **env: str) -> Process:
        process = self.stack.enter_context(running(
            [*RADAR, what, *args], self.tmp / f"{name}.log", {**self.env, **env}, self.tmp))
        process.wait_for("ready." if what == "worker" else "beat: Starting...", timeout=60)
        return process


@pytest.fixture
def service(tmp_path: Path, postgres_url: str, feed_server: FeedServer,
            smtp_server: SmtpServer) -> Iterator[Service]:
    with ExitStack() as stack:
        redis = stack.enter_context(private_redis(tmp_path))
        yield Service(tmp_path, redis, postgres_url, feed_server, smtp_server, stack)


def titles(smtp: SmtpServer, address: str) -> list[list[str]]:
    out = []
    for message in smtp.handler.to(address):
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        out.append(sorted(line[2:] for line in text.splitlines() if line.startswith("* ")))
    return out


def test_instant_alerts_then_a_daily_digest_due_while_the_service_was_down(
    service: Service, smtp_server: SmtpServer
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    service.subscribe(f"""\
  - {{email: zhao@example.com, districts: [宝坻], frequency: instant}}
  - {{email: li@example.com, districts: [西青], categories: [policy], frequency: daily,
      send_at: "{soon:%H:%M}"}}
  - {{email: wang@example.com, districts: [武清], frequency: weekly,
      send_at: "{(soon + timedelta(days=3)):%a} 09:00"}}
""")
    worker = service.start("worker", "worker", "--concurrency", "2")
    service.start("beat", "beat")
    zhao_expects = ["【南开招商】宝坻区深化京津冀人防协同 共筑区域安全新格局",
                    "宝坻中关村“云签约”23个重点项目落地"]

    def zhao_received() -> list[str]:  # one alert per source poll that found something
        return sorted(t for mail in titles(smtp_server, "zhao@example.com") for t in mail)

    wait_until(lambda: len(zhao_received()) >= 2, 30, "zhao's alerts")
    status = service.radar("status")
    assert status.returncode == 0, status.stdout
    assert "beat lock: held" in status.stdout and "status: OK" in status.stdout

    # The service goes down before li's send time and comes back a day later: li gets
    # that one late digest, once; wang's weekly is not due.
    worker.stop()
    service.start("worker", "worker-next-day", RADAR_CLOCK_OFFSET="86400")
    wait_until(lambda: bool(smtp_server.handler.to("li@example.com")), 30, "li's digest")
    time.sleep(3)  # several more polls and dispatches: nothing else may arrive
    assert titles(smtp_server, "li@example.com") == [[
        "天津市西青区人民政府关于印发政府工作报告的通知"]]
    assert zhao_received() == zhao_expects  # each item once
    assert set(smtp_server.handler.recipients()) == {"li@example.com", "zhao@example.com"}


def instant_subscribers(n: int) -> str:
    """Subscribers whose rules match one source only: exactly one alert each."""
    return "".join(f"  - {{email: s{i:02d}@example.com, categories: [policy], "
                   "frequency: instant}\n" for i in range(n))


def delivery_report(smtp: SmtpServer, expected: int) -> tuple[int, int]:
    """(digests delivered, digests delivered more than once), by Message-ID."""
    sent = Counter(r.message["Message-ID"] for r in smtp.handler.messages)
    duplicates = sum(n - 1 for n in sent.values())
    print(f"\nexpected {expected} digests: delivered {len(sent)}, "
          f"lost {expected - len(sent)}, duplicated {duplicates}")
    return len(sent), duplicates


def test_worker_killed_mid_batch_loses_nothing(service: Service,
                                               smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_delay = 0.4  # a slow server: the batch takes a while
    service.subscribe(instant_subscribers(12))
    worker = service.start("worker", "worker", "--concurrency", "1")
    service.start("beat", "beat")
    wait_until(lambda: len(smtp_server.handler.messages) >= 4, 60, "4 digests")
    time.sleep(0.2)  # now inside the next recipient's slow RCPT, before it is accepted
    worker.stop(signal.SIGKILL)
    sent_before_kill = len(smtp_server.handler.messages)
    assert sent_before_kill < 12
    service.start("worker", "worker-restarted", "--concurrency", "1")
    wait_until(lambda: len(set(smtp_server.handler.recipients())) == 12, 90, "all 12 digests")
    time.sleep(2)
    delivered, duplicates = delivery_report(smtp_server, 12)
    assert delivered == 12
    assert duplicates == 0
    assert Counter(smtp_server.handler.recipients()) == {f"s{i:02d}@example.com": 1
                                                         for i in range(12)}


def test_redis_restart_mid_run(service: Service, smtp_server: SmtpServer) -> None:
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
    wait_until(lambda: len(set(smtp_server.handler.recipients())) == 8, 90, "all 8 digests")
    delivered, duplicates = delivery_report(smtp_server, 8)
    assert delivered == 8 and duplicates <= 1  # at most the one in flight at the restart


def test_two_beats_schedule_once(service: Service, feed_server: FeedServer) -> None:
    service.start("worker", "worker", "--concurrency", "2")
    service.start("beat", "beat-1")
    second = service.start("beat", "beat-2")
    time.sleep(12)
    polls = len(feed_server.hits("/feeds/projects.rss"))
    print(f"\n12 s at a 3 s interval with two beats: {polls} polls of one source")
    assert 2 <= polls <= 6  # one scheduler: ~4; two would give ~8
    assert "Sending due task" not in second.output()
