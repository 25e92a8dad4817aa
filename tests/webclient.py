"""The web app under a test client, on a real store and a loopback SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from tests.smtpserver import SmtpServer
from worker.config import MailSettings, Settings, SmtpSettings, WebSettings
from worker.models import Source
from worker.runtime import Runtime, build_runtime
from worker.store import subscribers as subscriber_rows
from worker.web.app import create_app

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SECRET = "web-test-secret"


@dataclass
class Web:
    client: TestClient
    rt: Runtime
    smtp: SmtpServer
    clock: list[datetime]

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def subscribe(self, **fields: object) -> object:
        data: dict[str, object] = {"csrf": self.csrf(), "email": "wang@example.com",
                                   "districts": ["武清区"], "keywords": "新能源、氢能",
                                   "frequency": "weekly", "weekday": "mon", "time": "09:00",
                                   "timezone": "Asia/Shanghai", **fields}
        return self.client.post("/subscribe", data=data)  # type: ignore[arg-type]

    def subscriber(self, email: str = "wang@example.com") -> object:
        with self.rt.engine.connect() as conn:
            return subscriber_rows.by_email(conn, email)

    def link_in_last_mail(self) -> str:
        body = self.smtp.handler.messages[-1].message.get_content()
        found = re.search(r"https://radar\.test(/\S+)", body)
        assert found, body
        return found.group(1)


@contextmanager
def web_client(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Web]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key=SECRET,
        mail=MailSettings(backend="smtp", smtp=SmtpSettings(host=smtp_server.host,
                                                            port=smtp_server.port)),
        web=WebSettings(base_url="https://radar.test"))
    rt = build_runtime(settings, [Source("p", "P", "rss", "http://p.test/f", "project")])
    clock = [T0]
    with TestClient(create_app(rt, lambda: clock[0]), base_url="https://testserver") as client:
        yield Web(client, rt, smtp_server, clock)
