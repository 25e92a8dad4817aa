"""How commands print what they did (a cycle, a send, an item)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from worker.models import Item, Source
    from worker.pipeline.cycle import CycleReport
    from worker.pipeline.deliver import SendReport
    from worker.sources.collect import Collected


def print_cycle(report: CycleReport) -> None:
    failed = [p for p in report.polls if p.error]
    unchanged = sum(1 for p in report.polls if p.not_modified)
    click.echo(f"Polled {len(report.polls)} sources: {len(report.polls) - len(failed)} ok "
               f"({unchanged} unchanged), {len(failed)} failed")
    for poll in failed:
        click.echo(f"  {poll.source_id}: {poll.error}")
    click.echo(f"New items:    {report.new_items}")
    click.echo(f"Matches:      {report.matches}")
    print_sent(report.sent)


def print_sent(report: SendReport) -> None:
    sent, failed = report.count("sent"), report.count("failed")
    deferred = report.count("deferred", "unreachable")
    extra = f" ({deferred} deferred to retry, {failed} failed)" if deferred or failed else ""
    click.echo(f"Digests sent: {sent}{extra}")
    if report.count("refused"):
        click.echo("The mail server refuses to send for us (see the log, `radar status`): "
                   "every digest waits until the mail settings are fixed.")


def describe_item(item: Item) -> str:
    """An item as `radar sources test` shows it: title, link, date, category, tags."""
    from worker.digest.factline import fact_line
    from worker.models import CATEGORY_LABELS

    when = f"{item.published:%Y-%m-%d %H:%M %Z}" if item.dated else "日期未注明"
    lines = [f"* {item.title}", f"  {item.url}",
             f"  {when} · {CATEGORY_LABELS[item.category]}"
             f"{'' if item.districts else ' · 未标注区'}"]
    lines += [f"  {tag.explained()}" for tag in item.districts]
    policy = " · ".join(v for v in (item.issuer, item.doc_number, "、".join(item.doc_types)) if v)
    if policy:
        lines.append(f"  {policy}")
    facts = fact_line(item.facts, item.category == "policy")
    if facts:
        lines.append(f"  {facts}")
    if item.summary:
        lines.append(f"  {item.summary[:80]}")
    return "\n".join(lines)


def describe_found(source: Source, found: Collected) -> str:
    """What `sources test` found besides the items: the detected list, skipped rows."""
    lines = [f"{len(found.items)} item(s) from {source.url}"
             f"{'' if source.kind == 'html' else f' ({source.kind} feed)'}"]
    undated = sum(1 for i in found.items if not i.dated)
    if undated:
        lines.append(f"{undated} item(s) without a date on the page (shown as 日期未注明)")
    if found.detected is not None:
        d = found.detected
        lines.append(f"detected list: {d.records} rows, {d.dated:.0%} dated; pin it in "
                     f"sources.yaml with  html: {{item: '{d.item_selector}'}}")
    lines += [f"skipped {why}" for why in found.skipped]
    return "\n".join(lines)
