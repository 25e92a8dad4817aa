"""One deployment of district-radar in service mode for tests: config files, environment,
and `radar worker` / `radar beat` processes on a private Redis, PostgreSQL, loopback feeds
and a loopback SMTP server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.feedserver import FeedServer
from tests.processes import RADAR, Process, RedisServer, private_redis, run_radar, running
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
  trial: true  # the web app's links point at this machine
  from: "district-radar <radar@radar.test>"
  send_lease_minutes: 0.2
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
        # backfill_days: the fixture feeds are from 2025 and these processes run on the real
        # clock; the first poll must still alert (the backfill rule has its own test)
        (tmp / "sources.yaml").write_text(f"""sources:
  - {{id: projects, name: 项目, kind: rss, url: "{feeds.url('/feeds/projects.rss')}",
      category: project, interval: 0.05, backfill_days: 100000}}
  - {{id: policies, name: 政策, kind: atom, url: "{feeds.url('/feeds/policies.atom')}",
      category: policy, interval: 0.05, backfill_days: 100000}}
  - {{id: baodi, name: 宝坻, kind: rss, url: "{feeds.url('/feeds/baodi-gbk.rss')}",
      category: project, district: 宝坻, interval: 0.05, backfill_days: 100000}}
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


@contextmanager
def deployed(tmp: Path, database_url: str, feeds: FeedServer, smtp: SmtpServer
             ) -> Iterator[Service]:
    with ExitStack() as stack:
        redis = stack.enter_context(private_redis(tmp))
        yield Service(tmp, redis, database_url, feeds, smtp, stack)


def instant_subscribers(n: int) -> str:
    """Subscribers whose rules match one source only: exactly one alert each."""
    return "".join(f"  - {{email: s{i:02d}@example.com, categories: [policy], "
                   "frequency: instant}\n" for i in range(n))
