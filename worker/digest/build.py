"""Entries for one subscriber → the digest a reader sees: grouped, ordered, capped (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from worker.digest.factline import fact_line, yuan
from worker.digest.marks import Fragment, highlight
from worker.digest.period import Coverage, coverage, is_older, period_label
from worker.districts import Gazetteer
from worker.models import CATEGORIES, CATEGORY_LABELS, DistrictTag, Entry, Subscriber

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
FREQUENCY_LABELS = {"instant": "即时提醒", "daily": "日报", "weekly": "周报"}
CITYWIDE = "天津市"
PREHEADER_CHARS = 110  # about what the longest inbox previews show
UNDATED = "日期未注明"  # the source printed no date: never show when we happened to see it


@dataclass(frozen=True)
class DigestItem:
    title: tuple[Fragment, ...]
    url: str
    published: str
    source: str
    summary: tuple[Fragment, ...]
    keywords: tuple[str, ...]
    other_districts: tuple[str, ...]
    policy: tuple[tuple[str, str], ...] = ()  # (发文机关 | 文号 | 类型, value)
    also_in: tuple[str, ...] = ()  # names of other sources that published it
    facts: str = ""  # 总投资42亿元 · 签约 · 高端装备 (digest/factline.py)
    amount: float = -1.0  # the headline investment, for ordering (-1: none stated)
    older: bool = False  # dated well before the period it arrives in (digest/period.py)


@dataclass(frozen=True)
class CategoryGroup:
    label: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class Section:
    district: str
    groups: tuple[CategoryGroup, ...]

    @property
    def count(self) -> int:
        return sum(len(g.items) for g in self.groups)


@dataclass(frozen=True)
class Links:
    unsubscribe: str
    manage: str


@dataclass(frozen=True)
class Operator:
    """Who sends the mail, as the footer names them (mail.operator_name / _contact)."""

    name: str = "district-radar"
    contact: str = ""  # e.g. "天津某某咨询有限公司 · 天津市和平区… · 022-1234 5678"


@dataclass(frozen=True)
class Digest:
    subject: str
    heading: str
    greeting: str
    as_of: str
    sections: tuple[Section, ...]
    total: int
    shown: int
    counts: tuple[tuple[str, int], ...]  # (category label, n) over everything matched
    preferences: tuple[tuple[str, str], ...]
    links: Links
    period: str = ""  # "2025年7月21日–7月28日", or "截至 …" for alerts (digest/period.py)
    preheader: str = ""  # hidden first text: what inbox lists show after the subject
    operator: Operator = Operator()
    # weekly digests open with it: (district, items, total announced investment)
    summary: tuple[tuple[str, int, str], ...] = ()


def build_digest(
    subscriber: Subscriber,
    entries: Sequence[Entry],
    *,
    now: datetime,
    gazetteer: Gazetteer,
    source_names: Mapping[str, str],
    links: Links,
    max_items: int,
    summary_chars: int,
    period_key: str | None = None,
    operator: Operator = Operator(),
) -> Digest:
    """What the reader sees: sections by district, then category; newest first; capped."""
    tz = ZoneInfo(subscriber.schedule.timezone)
    covered = coverage(subscriber.schedule, period_key, now)
    newest = sorted(entries, key=lambda e: (e.item.published, e.item.id or 0), reverse=True)
    shown = newest[:max_items]
    placed: dict[str, dict[str, list[DigestItem]]] = {}
    for entry in shown:
        district = _home_district(entry, gazetteer)
        view = _item_view(entry, district, tz, source_names, summary_chars, covered)
        placed.setdefault(district, {}).setdefault(entry.item.category, []).append(view)
    sections = _sections(placed, _district_order(subscriber, gazetteer))
    counts = tuple((CATEGORY_LABELS[c], n) for c in CATEGORIES
                   if (n := sum(1 for e in entries if e.item.category == c)))
    kind = FREQUENCY_LABELS[subscriber.schedule.frequency]
    return Digest(
        subject=_subject(kind, [s.district for s in sections], counts),
        heading=f"天津区域投资动态{kind}",
        greeting=f"{subscriber.name}，您好：" if subscriber.name else "您好：",
        as_of=now.astimezone(tz).strftime("%Y年%m月%d日 %H:%M"),
        period=period_label(covered, tz),
        preheader=preheader(sections),
        sections=sections, total=len(entries), shown=len(shown), counts=counts,
        preferences=preference_lines(subscriber), links=links, operator=operator,
        summary=district_summary(entries, gazetteer)
        if subscriber.schedule.frequency == "weekly" else (),
    )


def preheader(sections: Sequence[Section], limit: int = PREHEADER_CHARS) -> str:
    """The inbox preview: the first two items' titles with their facts, not the subject
    again (clients show the first text of the body after the subject)."""
    lines = []
    for item in [item for s in sections for g in s.groups for item in g.items][:2]:
        title = "".join(f.text for f in item.title)
        # facts the title does not already say ("总投资42亿元" is often in both)
        facts = [fact for fact in item.facts.split(" · ") if fact and fact not in title]
        lines.append(title + (f"（{'，'.join(facts)}）" if facts else ""))
    text = "；".join(lines)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _sections(placed: Mapping[str, Mapping[str, list[DigestItem]]],
              order: Mapping[str, int]) -> tuple[Section, ...]:
    """Sections in the subscriber's district order, categories in a fixed order."""
    return tuple(
        Section(d, tuple(
            # bigger announced investments first; the stable sort keeps the newest first
            CategoryGroup(CATEGORY_LABELS[c], tuple(sorted(placed[d][c],
                                                           key=lambda i: -i.amount)))
            for c in CATEGORIES if c in placed[d]
        ))
        for d in sorted(placed, key=lambda d: order.get(d, len(order)))
    )


def district_summary(entries: Sequence[Entry], gazetteer: Gazetteer
                     ) -> tuple[tuple[str, int, str], ...]:
    """Per district: items, and the sum of the investments they announce."""
    counts: dict[str, int] = {}
    totals: dict[str, float] = {}
    for entry in entries:
        district = _home_district(entry, gazetteer)
        counts[district] = counts.get(district, 0) + 1
        amount = entry.item.facts.amount
        if amount is not None and entry.item.category == "project":
            totals[district] = totals.get(district, 0.0) + amount
    return tuple((d, n, yuan(totals[d]) if d in totals else "—")
                 for d, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _subject(kind: str, districts: list[str], counts: tuple[tuple[str, int], ...]) -> str:
    named = "、".join(districts[:3]) + ("等" if len(districts) > 3 else "")
    tally = "，".join(f"{label}{n}条" for label, n in counts)
    return f"【天津区域投资{kind}】{named}：{tally}"


def _district_order(subscriber: Subscriber, gazetteer: Gazetteer) -> dict[str, int]:
    """The subscriber's own districts first, in their order, then the gazetteer's."""
    names = [*subscriber.districts, *gazetteer.names, CITYWIDE]
    return {name: i for i, name in enumerate(dict.fromkeys(names))}


def _home_district(entry: Entry, gazetteer: Gazetteer) -> str:
    """The section an item is listed under: what it matched on, else what it is about."""
    for name in (*entry.districts, *entry.item.district_names):
        return gazetteer.parent(name)
    return CITYWIDE


def _item_view(
    entry: Entry, district: str, tz: ZoneInfo, source_names: Mapping[str, str],
    summary_chars: int, covered: Coverage,
) -> DigestItem:
    item = entry.item
    summary = item.summary
    if len(summary) > summary_chars:
        summary = summary[:summary_chars].rstrip() + "…"
    # Zones of the section's district are worth naming too ("滨海高新区" under 滨海新区).
    others = tuple(_named(t) for t in item.districts if t.district != district)
    return DigestItem(
        title=highlight(item.title, entry.keywords),
        url=item.url if item.url.startswith(("https://", "http://")) else "",
        published=item.published.astimezone(tz).strftime("%Y-%m-%d") if item.dated
        else UNDATED,
        source=source_names.get(item.source_id, item.source_id),
        summary=highlight(summary, entry.keywords),
        keywords=entry.keywords,
        other_districts=others,
        policy=tuple((label, value) for label, value in (
            ("发文机关", item.issuer), ("文号", item.doc_number),
            ("类型", "、".join(item.doc_types))) if value),
        also_in=tuple(dict.fromkeys(source_names.get(s, s) for s in entry.also_in
                                    if s != item.source_id)),
        facts=fact_line(item.facts, item.category == "policy"),
        amount=item.facts.amount if item.facts.amount is not None else -1.0,
        older=item.dated and is_older(item.published, covered),
    )


def _named(tag: DistrictTag) -> str:
    """'武清区（京滨工业园）' when a place below the district gave the tag."""
    places = [e.name for e in tag.evidence if e.kind != "district" and e.name != tag.district]
    return f"{tag.district}（{places[0]}）" if places else tag.district


def preference_lines(subscriber: Subscriber) -> tuple[tuple[str, str], ...]:
    s = subscriber.schedule
    when = {
        "instant": "有新内容即发送",
        "daily": f"每天 {s.at:%H:%M}",
        "weekly": f"每{WEEKDAYS[s.weekday]} {s.at:%H:%M}",
    }[s.frequency]
    return (
        ("区域", "、".join(subscriber.districts) or "全部区域"),
        ("类别", "、".join(CATEGORY_LABELS[c] for c in subscriber.categories) or "全部类别"),
        ("关键词", "、".join(subscriber.keywords) or "不限"),
        ("排除", "、".join(subscriber.exclude) or "无"),
        ("频率", f"{FREQUENCY_LABELS[s.frequency]}（{when}，{s.timezone}）"),
        *_fact_rule_lines(subscriber),
    )


def _fact_rule_lines(subscriber: Subscriber) -> tuple[tuple[str, str], ...]:
    """Only the rules a subscriber set (they explain why fewer items come)."""
    lines = []
    if subscriber.min_amount is not None:
        lines.append(("最低投资额", yuan(subscriber.min_amount)))
    if subscriber.stages:
        lines.append(("项目阶段", "、".join(subscriber.stages)))
    if subscriber.industries:
        lines.append(("产业", "、".join(subscriber.industries)))
    if not subscriber.reminders:
        lines.append(("截止提醒", "已关闭"))
    return tuple(lines)
