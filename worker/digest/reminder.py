"""Deadline reminders → the mail a subscriber reads (pure; settings passed in).

One mail carries the reminders due together, soonest deadline first:

    申报截止提醒：《关于组织申报2025年度天津市智能制造专项资金项目的通知》7天后截止（8月15日）
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from worker.config import Settings
from worker.digest.build import WEEKDAYS, Links
from worker.digest.compose import envelope_for, links_for
from worker.digest.factline import fact_line
from worker.digest.render import jinja_environment
from worker.districts import Gazetteer
from worker.mail.message import Envelope
from worker.models import Entry, Rendered, Subscriber
from worker.reminders import days_left
from worker.resources import templates_dir

SUBJECT_TITLE_CHARS = 40


@dataclass(frozen=True)
class ReminderItem:
    title: str
    url: str
    day: str  # 8月31日
    weekday: str  # 周一
    left: str  # 7天后截止 | 明天截止 | 今天截止
    facts: str  # 最高500万元 · 补贴30% · 申报
    issuer: str
    doc_number: str
    source: str


@dataclass(frozen=True)
class Reminder:
    subject: str
    greeting: str
    items: tuple[ReminderItem, ...]
    links: Links


def build_reminder(subscriber: Subscriber, entries: Sequence[Entry], now: datetime,
                   source_names: Mapping[str, str], links: Links) -> Reminder:
    tz = subscriber.schedule.timezone
    items = tuple(_item(e, now, tz, source_names) for e in entries
                  if e.item.facts.deadline is not None)
    return Reminder(_subject(items), f"{subscriber.name}，您好：" if subscriber.name else "您好：",
                    items, links)


def _item(entry: Entry, now: datetime, timezone: str, source_names: Mapping[str, str]
          ) -> ReminderItem:
    item = entry.item
    deadline = item.facts.deadline
    assert deadline is not None
    return ReminderItem(
        title=item.title, url=item.url, day=f"{deadline.month}月{deadline.day}日",
        weekday=WEEKDAYS[deadline.weekday()],
        left=left_label(days_left(deadline, now, timezone)),
        facts=fact_line(item.facts, policy=True, deadline=False),
        issuer=item.issuer, doc_number=item.doc_number,
        source=source_names.get(item.source_id, item.source_id))


def left_label(days: int) -> str:
    return {0: "今天截止", 1: "明天截止"}.get(days, f"{days}天后截止")


def _subject(items: Sequence[ReminderItem]) -> str:
    if not items:  # its deadlines changed after it was opened; not sent (triage)
        return "申报截止提醒"
    if len(items) == 1:
        title = items[0].title
        if len(title) > SUBJECT_TITLE_CHARS:
            title = title[:SUBJECT_TITLE_CHARS - 1] + "…"
        return f"申报截止提醒：《{title}》{items[0].left}（{items[0].day}）"
    return f"申报截止提醒：{len(items)}项政策即将截止，最近一项{items[0].left}（{items[0].day}）"


def compose_reminder(
    subscriber: Subscriber, period_key: str, entries: Sequence[Entry], settings: Settings,
    gazetteer: Gazetteer, source_names: Mapping[str, str], now: datetime,
) -> tuple[Rendered, Envelope]:
    """The rendered bodies and envelope of one reminder mail (the digest's signature)."""
    assert subscriber.id is not None
    reminder = build_reminder(subscriber, entries, now, source_names,
                              links_for(settings, subscriber.id, now))
    env = jinja_environment(templates_dir())
    text = env.get_template("reminder.txt").render(reminder=reminder)
    html = env.get_template("reminder.html").render(reminder=reminder)
    envelope = envelope_for(subscriber, period_key, "deadline:reminder", reminder.links,
                            settings)
    return Rendered(reminder.subject, text, html), envelope  # its template is inlined
