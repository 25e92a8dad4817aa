"""The whole path through the real `radar` command: loopback feeds → SQLite/PostgreSQL →
loopback SMTP. Two of the sources fail (HTTP 500, a server that hangs); the rest carry on."""

import os
import subprocess
from email.message import EmailMessage
from pathlib import Path

from tests.feedserver import FeedServer
from tests.processes import run_radar
from tests.smtpserver import SmtpServer

SUBSCRIBERS = """\
subscribers:
  - email: wang@example.com
    name: 王先生
    districts: [武清]
    keywords: [新能源]
    exclude: [招聘]
    frequency: weekly
    send_at: "mon 09:00"
  - email: zhao@example.com
    districts: [宝坻区]
    frequency: instant
  - email: li@example.com
    districts: [西青]
    categories: [policy]
    frequency: daily
    send_at: "08:30"
  - email: chen@example.com
    keywords: [AI]
    frequency: weekly
    send_at: "fri 17:00"
    timezone: Europe/Berlin
  - email: reject-me@example.com
    frequency: instant
  - email: nobody@example.com
    districts: [上海]
"""

MONDAY_0830 = "2025-07-28T00:30:00+00:00"  # 08:30 in Shanghai


def radar(tmp_path: Path, *args: str, now: str = MONDAY_0830) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RADAR_CONFIG": str(tmp_path / "radar.yaml"),
           "RADAR_SECRET_KEY": "e2e-secret-key", "MAIL_BACKEND": "smtp"}
    return run_radar("--now", now, *args, cwd=tmp_path, env=env)


def write_settings(tmp_path: Path, database_url: str, smtp: SmtpServer) -> None:
    """radar.yaml for a run mailing through the loopback SMTP server."""
    (tmp_path / "radar.yaml").write_text(f"""
database_url: "{database_url}"
mail:
  from: "district-radar <radar@radar.test>"
  smtp: {{host: {smtp.host}, port: {smtp.port}}}
fetch: {{timeout_seconds: 1}}
web: {{base_url: "https://radar.test"}}
""", encoding="utf-8")


def configure(tmp_path: Path, database_url: str, feeds: FeedServer, smtp: SmtpServer) -> None:
    write_settings(tmp_path, database_url, smtp)
    sources = [("projects", "rss", "/feeds/projects.rss", "project", None),
               ("policies", "atom", "/feeds/policies.atom", "policy", None),
               ("baodi", "rss", "/feeds/baodi-gbk.rss", "project", "宝坻"),
               ("portal", "rss", "/feeds/republished.rss", "project", None),
               ("broken", "rss", "/status/500", "project", None),
               ("slow", "rss", "/hang", "project", None)]
    (tmp_path / "sources.yaml").write_text("sources:\n" + "".join(
        # backfill_days: the fixture feeds hold a January policy that li must get here
        f"  - {{id: {i}, name: {i}, kind: {k}, url: '{feeds.url(p)}', category: {c}, "
        "backfill_days: 365"
        + (f", district: {d}" if d else "") + "}\n"
        for i, k, p, c, d in sources), encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")


def titles(message: EmailMessage) -> list[str]:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return sorted(line[2:] for line in text.splitlines() if line.startswith("* "))


def test_feeds_to_mailboxes(tmp_path: Path, database_url: str, feed_server: FeedServer,
                            smtp_server: SmtpServer) -> None:
    configure(tmp_path, database_url, feed_server, smtp_server)

    imported = radar(tmp_path, "subscribers", "import", str(tmp_path / "subscribers.yaml"))
    assert imported.returncode == 1  # one row rejected, the good ones imported
    assert "5 added, 0 updated, 1 rejected" in imported.stdout
    assert "line 24 (subscribers[5]): districts: unknown district '上海'" in imported.stderr
    assert "Traceback" not in imported.stderr

    # Monday 08:30 Shanghai: instant alerts and li's daily digest are due; weekly ones not.
    first = radar(tmp_path, "run", "--once")
    assert first.returncode == 1, first.stderr  # two sources failed
    assert "Polled 6 sources: 4 ok (0 unchanged), 2 failed" in first.stdout
    assert "broken: HTTP 500" in first.stdout and "slow: timed out after 1s" in first.stdout
    assert "New items:    9" in first.stdout
    assert "Digests sent: 2 (0 deferred to retry, 1 failed)" in first.stdout
    assert "Traceback" not in first.stderr

    # Wang's weekly digest is not due yet; preview shows it without sending or changing it.
    html = tmp_path / "preview.html"
    preview = radar(tmp_path, "preview", "wang@example.com", "--html", str(html))
    assert preview.returncode == 0, preview.stderr
    assert "Subject: 【天津区域投资周报】武清区：招商项目1条，优惠政策1条" in preview.stdout
    assert "武清区关于支持新能源产业高质量发展的若干措施" in preview.stdout
    assert "<mark" in html.read_text(encoding="utf-8")
    assert len(smtp_server.handler.messages) == 2

    # Weekly subscribers: send what waits now, regardless of schedule.
    forced = radar(tmp_path, "digest", "send", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Digests sent: 2" in forced.stdout

    handler = smtp_server.handler
    assert sorted(r for m in handler.messages for r in m.recipients) == [
        "chen@example.com", "li@example.com", "wang@example.com", "zhao@example.com"]
    [wang] = handler.to("wang@example.com")
    assert titles(wang) == [
        "【武清区招商】武清区新能源汽车零部件产业园签约12个项目",  # once, not the portal copy
        "武清区关于支持新能源产业高质量发展的若干措施",
    ]  # the 招聘 item is excluded
    assert titles(handler.to("zhao@example.com")[0]) == [
        "【南开招商】宝坻区深化京津冀人防协同 共筑区域安全新格局",  # mislabeled, still 宝坻
        "宝坻中关村“云签约”23个重点项目落地",  # from the GBK feed
    ]
    assert titles(handler.to("li@example.com")[0]) == [
        "天津市西青区人民政府关于印发政府工作报告的通知"]
    assert titles(handler.to("chen@example.com")[0]) == ["滨海高新区AI算力中心项目开工"]
    assert wang["List-Unsubscribe"].startswith("<https://radar.test/unsubscribe/")
    assert wang["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len({m.message["Message-ID"] for m in handler.messages}) == 4

    # Nothing new: the next cycle and a forced send deliver nothing more.
    again = radar(tmp_path, "run", "--once")
    assert "4 ok (4 unchanged)" in again.stdout and "New items:    0" in again.stdout
    assert radar(tmp_path, "digest", "send", "--force").returncode == 0
    assert len(handler.messages) == 4
    assert all(h.headers.get("If-None-Match") for h in feed_server.hits("/feeds/projects.rss")[1:])

    # The rejected address was recorded, not retried.
    later = radar(tmp_path, "run", "--once", now="2025-07-28T03:00:00+00:00")
    assert "Digests sent: 0" in later.stdout
    listing = radar(tmp_path, "subscribers", "list")
    assert "reject-me@example.com\tactive\tinstant" in listing.stdout
