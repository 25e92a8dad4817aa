"""An investor in a real browser (Debian's Chromium, driven by Playwright) against a real
`radar web`: subscribe → confirmation mail → confirm → digest → change preferences →
one-click unsubscribe → no further digest. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from tests.processes import RADAR, free_port, run_radar, running, wait_until
from tests.services import IN_CI
from tests.smtpserver import SmtpServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADDRESS = "investor@example.com"


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def test_investor_journey(browser: object, tmp_path: Path, feed_server: FeedServer,
                          smtp_server: SmtpServer) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "radar.yaml").write_text(f"""
database_url: "sqlite:///{tmp_path / 'radar.db'}"
mail:
  backend: smtp
  trial: true  # the links point at the loopback web app
  from: "district-radar <radar@radar.test>"
  smtp: {{host: {smtp_server.host}, port: {smtp_server.port}}}
web: {{base_url: "{base}"}}
""", encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{id: p, name: 天津招商项目, kind: rss, "
        f"url: '{feed_server.url('/feeds/list.rss')}', category: project, "
        "backfill_days: 100000}\n", encoding="utf-8")  # 2025 stories, today's clock
    feed_server.overrides["/feeds/list.rss"] = (Path(__file__).parent / "fixtures" / "feeds"
                                                / "projects.rss").read_bytes()
    env = {**os.environ, "RADAR_CONFIG": str(tmp_path / "radar.yaml"),
           "RADAR_SECRET_KEY": "browser-test-secret"}

    def radar(*args: str) -> subprocess.CompletedProcess[str]:
        return run_radar(*args, cwd=tmp_path, env=env)

    def mails_to(address: str) -> list:  # type: ignore[type-arg]
        return smtp_server.handler.to(address)

    def link(message: object, path: str) -> str:
        found = re.search(rf"{re.escape(base)}/{path}/\S+", message.get_content())  # type: ignore[attr-defined]
        assert found, message
        return found.group(0)

    ARTIFACTS.mkdir(exist_ok=True)
    server = [*RADAR, "web", "--port", str(port)]
    with running(server, tmp_path / "web.log", env, tmp_path) as web:
        web.wait_for("Uvicorn running", 30)
        page = browser.new_page(viewport={"width": 900, "height": 1400},  # type: ignore[attr-defined]
                                locale="zh-CN")  # a Chinese investor's browser

        # Subscribe, in Chinese; the English page exists too.
        page.goto(f"{base}/?lang=en")
        page.screenshot(path=str(ARTIFACTS / "subscribe-en.png"), full_page=True)
        page.goto(f"{base}/")
        page.fill("#email", ADDRESS)
        page.fill("#name", "王先生")
        page.check("input[name=districts][value=武清区]")
        page.check("input[name=frequency][value=instant]")
        page.screenshot(path=str(ARTIFACTS / "subscribe-zh.png"), full_page=True)
        page.click("button[type=submit]")
        assert "请查收确认邮件" in page.content()

        # The confirmation mail arrives; its link shows a button that confirms.
        wait_until(lambda: bool(mails_to(ADDRESS)), 10, "the confirmation mail")
        page.goto(link(mails_to(ADDRESS)[0], "confirm"))
        page.click("button[type=submit]")
        assert "订阅已确认" in page.content()

        # A poll: the instant alert carries the items about 武清区.
        assert radar("run", "--once").returncode == 0
        [alert] = [m for m in mails_to(ADDRESS) if "List-Unsubscribe" in m]
        assert "武清区" in alert["Subject"]
        unsubscribe = re.search(r"<(http[^>]+)>", alert["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]

        # Preferences: through the link mailed to a known address that signs up again.
        page.goto(f"{base}/")
        page.fill("#email", ADDRESS)
        page.click("button[type=submit]")
        wait_until(lambda: any("您已订阅" in m["Subject"] for m in mails_to(ADDRESS)), 10,
                   "the 'already subscribed' mail")
        preferences = link(next(m for m in mails_to(ADDRESS) if "您已订阅" in m["Subject"]),
                           "preferences")
        page.goto(preferences)
        page.fill("#keywords", "新能源、氢能")
        page.click("button[value=save]")
        assert "设置已保存" in page.content()
        page.screenshot(path=str(ARTIFACTS / "preferences-zh.png"), full_page=True)
        page.goto(f"{preferences}?lang=en")
        assert "Your subscription" in page.content()
        page.screenshot(path=str(ARTIFACTS / "preferences-en.png"), full_page=True)

        # One-click unsubscribe, as a mail client does it: a POST, no cookie, no page.
        response = page.request.post(unsubscribe, data="List-Unsubscribe=One-Click", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert response.status == 200

        # New items arrive: nothing more is sent to the address.
        before = len(mails_to(ADDRESS))
        feed_server.overrides["/feeds/list.rss"] = (Path(__file__).parent / "fixtures" / "feeds"
                                                    / "near.rss").read_bytes()
        assert radar("run", "--once").returncode == 0
        assert len(mails_to(ADDRESS)) == before
        listing = radar("subscribers", "list").stdout
        assert f"{ADDRESS}\tunsubscribed" in listing
    for shot in ("subscribe-zh", "subscribe-en", "preferences-zh", "preferences-en"):
        assert (ARTIFACTS / f"{shot}.png").stat().st_size > 10_000
