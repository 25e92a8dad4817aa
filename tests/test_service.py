"""Service mode with real processes: `radar worker` and `radar beat` (Celery) on a private
Redis and PostgreSQL, loopback feeds, a loopback SMTP server. Crashes included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.deployment import Service, deployed
from tests.feedserver import FeedServer
from tests.processes import wait_until
from tests.smtpserver import SmtpServer


@pytest.fixture
def service(tmp_path: Path, postgres_url: str, feed_server: FeedServer,
            smtp_server: SmtpServer) -> Iterator[Service]:
    with deployed(tmp_path, postgres_url, feed_server, smtp_server) as service:
        yield service


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
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    service.start("worker", "worker-next-day", RADAR_NOW=tomorrow.isoformat())
    wait_until(lambda: bool(smtp_server.handler.to("li@example.com")), 30, "li's digest")
    time.sleep(3)  # several more polls and dispatches: nothing else may arrive
    assert titles(smtp_server, "li@example.com") == [[
        "天津市西青区人民政府关于印发政府工作报告的通知"]]
    assert zhao_received() == zhao_expects  # each item once
    assert set(smtp_server.handler.recipients()) == {"li@example.com", "zhao@example.com"}
