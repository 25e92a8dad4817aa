"""`radar subscribers`: import, list, export, remove."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.cli.context import Context, fail, pass_context

if TYPE_CHECKING:
    from worker.runtime import Runtime

SHOWN_REJECTIONS = 100


@click.group()
def subscribers() -> None:
    """Subscribers: import, list, export, remove."""


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_context
def subscribers_import(ctx: Context, file: Path) -> None:
    """Add or update subscribers from a YAML or CSV file; bad rows are reported."""
    created, updated, rejected = import_file(ctx.runtime(), file, ctx.now())
    click.echo(f"{created} added, {updated} updated, {rejected} rejected")
    if rejected:
        sys.exit(1)


def import_file(rt: Runtime, file: Path, now: datetime) -> tuple[int, int, int]:
    """Import a file, printing each rejected row; returns (added, updated, rejected)."""
    from worker.store import subscribers as subscriber_rows
    from worker.subscribers_io import read_subscribers_file

    notes: list[str] = []
    good, bad = read_subscribers_file(file, rt.gazetteer, notes, rt.settings.facts.usd_rate)
    for note in notes[:SHOWN_REJECTIONS]:
        click.echo(f"note: {note}", err=True)
    for error in bad[:SHOWN_REJECTIONS]:
        click.echo(f"rejected: {error}", err=True)
    if len(bad) > SHOWN_REJECTIONS:
        click.echo(f"rejected: … and {len(bad) - SHOWN_REJECTIONS} more rows", err=True)
    show = len(good) > 5 * subscriber_rows.SAVE_BATCH and sys.stderr.isatty()
    with rt.engine.begin() as conn, click.progressbar(
        length=len(good), label="importing", file=sys.stderr, hidden=not show
    ) as progress:
        created, updated = subscriber_rows.save_all(conn, good, now, progress.update)
    return created, updated, len(bad)


@subscribers.command("list")
@pass_context
def subscribers_list(ctx: Context) -> None:
    """List subscribers with their rules."""
    from worker.store import subscribers as subscriber_rows

    with ctx.reader().engine.connect() as conn:
        rows = subscriber_rows.listing(conn)
    for s in rows:
        rules = " ".join(filter(None, [
            "districts=" + ",".join(s.districts) if s.districts else "",
            "categories=" + ",".join(s.categories) if s.categories else "",
            "keywords=" + ",".join(s.keywords) if s.keywords else "",
            "exclude=" + ",".join(s.exclude) if s.exclude else "",
            f"min_amount={s.min_amount:.0f}" if s.min_amount is not None else "",
            "stages=" + ",".join(s.stages) if s.stages else "",
            "industries=" + ",".join(s.industries) if s.industries else "",
            "" if s.reminders else "reminders=off",
        ]))
        click.echo(f"{s.email}\t{s.status}\t{s.schedule.frequency}\t{rules or 'everything'}")
    click.echo(f"{len(rows)} subscriber(s)", err=True)


@subscribers.command("export")
@click.option("--format", "form", type=click.Choice(["csv", "yaml"]), default="csv",
              show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write here instead of standard output.")
@pass_context
def subscribers_export(ctx: Context, form: str, output: Path | None) -> None:
    """Every subscriber with rules, schedule and status, in the import file format."""
    from worker.store import subscribers as subscriber_rows
    from worker.subscribers_io import write_subscribers

    with ctx.reader().engine.connect() as conn:
        rows = subscriber_rows.listing(conn)
    text = write_subscribers(rows, form)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} subscriber(s) written to {output}", err=True)


@subscribers.command("remove")
@click.argument("email")
@pass_context
def subscribers_remove(ctx: Context, email: str) -> None:
    """Delete a subscriber and whatever was waiting for them."""
    from worker.store import subscribers as subscriber_rows

    with ctx.runtime().engine.begin() as conn:
        removed = subscriber_rows.remove(conn, email)
    if not removed:
        fail(f"no subscriber {email}")
    click.echo(f"removed {email}")


COMMANDS = (subscribers,)
