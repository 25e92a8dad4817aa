"""How commands print what they did (a cycle, a send, an item)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from worker.models import CATEGORY_LABELS, Item

if TYPE_CHECKING:
    from worker.pipeline.cycle import CycleReport
    from worker.pipeline.deliver import SendReport


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
    lines = [f"* {item.title}", f"  {item.url}",
             f"  {item.published:%Y-%m-%d %H:%M %Z} · {CATEGORY_LABELS[item.category]}"
             f"{'' if item.districts else ' · 未标注区'}"]
    lines += [f"  {tag.explained()}" for tag in item.districts]
    policy = " · ".join(v for v in (item.issuer, item.doc_number, "、".join(item.doc_types)) if v)
    if policy:
        lines.append(f"  {policy}")
    if item.summary:
        lines.append(f"  {item.summary[:80]}")
    return "\n".join(lines)
