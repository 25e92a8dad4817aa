"""A real `radar web` process for the web reliability scenarios (as tests/test_browser.py
starts it: SQLite, mail to the loopback SMTP recorder), and a client that fills its forms."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.processes import RADAR, Process, environment_without_settings, free_port, running
from tests.smtpserver import SmtpServer

SECRET = "web-reliability-secret"


@dataclass
class RadarWeb:
    base: str
    process: Process
    env: dict[str, str]
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, forwarded_for: str | None = None) -> httpx.Client:
        """A client of this process (closed with it)."""
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.clients.append(httpx.Client(base_url=self.base, headers=headers, timeout=10))
        return self.clients[-1]


def write_settings(work: Path, smtp: SmtpServer, base: str) -> Path:
    config = work / "radar.yaml"
    config.write_text(f"""
database_url: "sqlite:///{work / 'radar.db'}"
sources_file: {work / 'sources.yaml'}
mail:
  backend: smtp
  trial: true
  from: "district-radar <radar@radar.test>"
  smtp: {{host: {smtp.host}, port: {smtp.port}}}
web: {{base_url: "{base}"}}
""", encoding="utf-8")
    (work / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    return config


@contextmanager
def radar_web(work: Path, smtp: SmtpServer, redis_url: str = "redis://127.0.0.1:1/0",
              name: str = "web") -> Iterator[RadarWeb]:
    """`radar -v web` on a free port; Redis unreachable unless `redis_url` says otherwise."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = work / "radar.yaml"
    if not config.exists():
        write_settings(work, smtp, base)
    env = {**environment_without_settings(), "RADAR_CONFIG": str(config),
           "RADAR_SECRET_KEY": SECRET, "REDIS_URL": redis_url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path.cwd()),
                                                       os.environ.get("PYTHONPATH")]))}
    with running([*RADAR, "-v", "web", "--port", str(port)], work / f"{name}.log", env,
                 work) as process:
        process.wait_for("Uvicorn running", 60)
        web = RadarWeb(base, process, env)
        try:
            yield web
        finally:
            for client in web.clients:
                client.close()


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def subscribe(client: httpx.Client, email: str, **extra: str) -> httpx.Response:
    data = {"csrf": csrf_of(client), "email": email, "districts": "武清区",
            "frequency": "weekly", "weekday": "mon", "time": "09:00",
            "timezone": "Asia/Shanghai", **extra}
    return client.post("/subscribe", data=data)
