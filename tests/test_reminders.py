"""Deadline reminders: when they are planned (pure), and the whole path through the real
`radar` command to a loopback SMTP server on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.feedserver import FeedServer
from tests.smtpserver import SmtpServer
from tests.test_end_to_end import radar, write_settings
from worker.digest.reminder import left_label
from worker.reminders import plan

SHANGHAI = "Asia/Shanghai"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(("delivered", "expected"), [
    # (days before, due, lapse) in Shanghai time
    ("2025-07-28T08:30+08:00", [(7, "2025-08-08T09:00+08:00", "2025-08-14T09:00+08:00"),
                                (1, "2025-08-14T09:00+08:00", "2025-08-16T00:00+08:00")]),
    ("2025-08-08T07:00+08:00", [(1, "2025-08-14T09:00+08:00", "2025-08-16T00:00+08:00")]),
    ("2025-08-13T23:59+08:00", [(1, "2025-08-14T09:00+08:00", "2025-08-16T00:00+08:00")]),
    ("2025-08-14T00:01+08:00", []),  # the 1-day reminder's day: they have just read it
    ("2025-08-20T10:00+08:00", []),  # the deadline passed
])
def test_reminders_planned_for_a_deadline(delivered: str, expected: list[tuple[int, str, str]]
                                          ) -> None:
    planned = plan(9, date(2025, 8, 15), time(9, 0), SHANGHAI, at(delivered))
    assert [(p.days_before, p.due_at, p.lapse_at) for p in planned] == [
        (days, at(due), at(lapse)) for days, due, lapse in expected]
    assert all(p.item_id == 9 and p.deadline == date(2025, 8, 15) for p in planned)


def test_reminders_follow_the_subscribers_clock() -> None:
    # 08:00 in New York on the reminder days, across the November DST change
    planned = plan(1, date(2025, 11, 7), time(8, 0), "America/New_York",
                   at("2025-10-20T12:00-04:00"))
    assert [p.due_at for p in planned] == [at("2025-10-31T08:00-04:00"),
                                           at("2025-11-06T08:00-05:00")]


def test_days_left_read_as_people_say_them() -> None:
    assert [left_label(d) for d in (0, 1, 2, 7)] == ["今天截止", "明天截止", "2天后截止",
                                                    "7天后截止"]


SUBSCRIBERS = """\
subscribers:
  - {email: li@example.com, name: 李女士, categories: [policy], frequency: daily, send_at: "08:30"}
  - {email: quiet@example.com, categories: [policy], frequency: daily, send_at: "08:30",
     reminders: false}
"""


def configure(tmp_path: Path, database_url: str, feeds: FeedServer, smtp: SmtpServer) -> None:
    write_settings(tmp_path, database_url, smtp)
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {id: gyxxh, name: 市工业和信息化局, kind: rss, "
        f"url: '{feeds.url('/feeds/deadlines.rss')}', category: policy, backfill_days: 365}}\n",
        encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")


def reminders_to(smtp: SmtpServer, email: str) -> list[EmailMessage]:
    return [m for m in smtp.handler.to(email) if str(m["Subject"]).startswith("申报截止提醒")]


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_deadlines_reminded_on_the_right_days(tmp_path: Path, database_url: str,
                                              feed_server: FeedServer, smtp_server: SmtpServer
                                              ) -> None:
    configure(tmp_path, database_url, feed_server, smtp_server)
    assert radar(tmp_path, "subscribers", "import", str(tmp_path / "subscribers.yaml")
                 ).returncode == 0
    # Monday 28 July 08:30: both get their daily digest with the three policies.
    first = radar(tmp_path, "run", "--once", now="2025-07-28T08:30:00+08:00")
    assert "Digests sent: 2" in first.stdout, first.stdout + first.stderr
    assert not reminders_to(smtp_server, "li@example.com")

    def send(now: str) -> list[EmailMessage]:
        return send_one(tmp_path, smtp_server, now)

    # 30 July: 服务业 closes on the 31st (it reached her 3 days before: the 1-day one only).
    assert send("2025-07-30T08:29:00+08:00") == []  # before her send time
    [tomorrow] = send("2025-07-30T08:31:00+08:00")
    assert tomorrow["Subject"] == ("申报截止提醒：《关于2025年度市级服务业发展引导资金项目申报"
                                   "的通知》明天截止（7月31日）")
    assert "申报截止：7月31日（周四） · 明天截止" in body(tomorrow)
    assert tomorrow["List-Unsubscribe"].startswith("<https://radar.test/unsubscribe/")
    assert send("2025-07-30T12:00:00+08:00") == []  # never twice
    # 1 August: 西青's 8 August deadline, 7 days ahead.
    [week] = send("2025-08-01T09:00:00+08:00")
    assert "西青区关于开展2025年度高新技术企业培育库入库申报工作的通知" in str(week["Subject"])
    assert "7天后截止" in body(week) and "最高10万元" in body(week)
    # The service was down on 7 August: on the 8th, 西青 (due yesterday, closing today) and
    # 智能制造's 7-day reminder come together, soonest deadline first.
    [both] = send("2025-08-08T10:00:00+08:00")
    assert both["Subject"] == "申报截止提醒：2项政策即将截止，最近一项今天截止（8月8日）"
    text = body(both)
    assert text.index("培育库") < text.index("智能制造") and "最高500万元" in text
    # 14 August: 智能制造's last day but one; after the deadline, nothing more.
    [last] = send("2025-08-14T08:45:00+08:00")
    assert "智能制造" in str(last["Subject"]) and "明天截止" in str(last["Subject"])
    assert send("2025-08-16T09:00:00+08:00") == []
    assert send("2025-08-30T09:00:00+08:00") == []
    assert reminders_to(smtp_server, "quiet@example.com") == []  # reminders: false


def test_a_reminder_after_the_deadline_is_never_sent(tmp_path: Path, feed_server: FeedServer,
                                                     smtp_server: SmtpServer) -> None:
    configure(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", feed_server, smtp_server)
    radar(tmp_path, "subscribers", "import", str(tmp_path / "subscribers.yaml"))
    radar(tmp_path, "run", "--once", now="2025-07-28T08:30:00+08:00")
    # Down from 29 July to 16 August: every reminder lapsed; none goes out late.
    late = radar(tmp_path, "digest", "send", now="2025-08-16T09:00:00+08:00")
    assert late.returncode == 0, late.stderr
    assert reminders_to(smtp_server, "li@example.com") == []


def test_a_deadline_read_again_differently_is_not_reminded(
        tmp_path: Path, feed_server: FeedServer, smtp_server: SmtpServer) -> None:
    """`radar facts refresh` may read another deadline (or none) after a reminder was
    planned: the old reminder is not sent with a wrong day count."""
    from dataclasses import replace

    import sqlalchemy as sa

    from worker.models import Facts, Item
    from worker.store import items as item_rows
    from worker.store.db import connect

    configure(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", feed_server, smtp_server)
    radar(tmp_path, "subscribers", "import", str(tmp_path / "subscribers.yaml"))
    radar(tmp_path, "run", "--once", now="2025-07-28T08:30:00+08:00")

    def moved(item: Item) -> Facts:  # 服务业 now closes a week later; 培育库 names none
        if item.facts.deadline is None:
            return item.facts
        if "服务业" in item.title:
            return replace(item.facts, deadline=item.facts.deadline.replace(day=31, month=8))
        return replace(item.facts, deadline=None) if "培育库" in item.title else item.facts

    engine = connect(f"sqlite:///{tmp_path / 'r.db'}")
    with engine.begin() as conn:
        item_rows.refresh_facts(conn, moved, every=True)
        assert conn.scalar(sa.text("SELECT count(*) FROM reminders")) == 5
    engine.dispose()
    for when in ("2025-07-30T09:00:00+08:00", "2025-08-01T09:00:00+08:00"):
        done = radar(tmp_path, "digest", "send", now=when)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert reminders_to(smtp_server, "li@example.com") == []
    [kept] = send_one(tmp_path, smtp_server, "2025-08-08T09:00:00+08:00")
    assert "智能制造" in str(kept["Subject"])  # the unchanged deadline is still reminded


def send_one(tmp_path: Path, smtp: SmtpServer, now: str) -> list[EmailMessage]:
    """`radar digest send` at `now`: the reminders li@example.com got from it."""
    before = len(reminders_to(smtp, "li@example.com"))
    done = radar(tmp_path, "digest", "send", now=now)
    assert done.returncode == 0, done.stderr
    return reminders_to(smtp, "li@example.com")[before:]
