"""`radar facts refresh`: read the investor facts of stored items again."""

from __future__ import annotations

import click

from worker.cli.context import Context, pass_context


@click.group()
def facts() -> None:
    """Investor facts (amounts, stages, industries, deadlines) of stored items."""


@facts.command("refresh")
@click.option("--all", "every", is_flag=True,
              help="Every item, not only those stored before facts were read.")
@pass_context
def facts_refresh(ctx: Context, /, every: bool) -> None:
    """Read the facts of stored items from their title and summary (after an upgrade)."""
    from worker.facts import read_facts
    from worker.models import Facts, Item
    from worker.store import items as item_rows

    rt = ctx.runtime()

    def read(item: Item) -> Facts:
        return read_facts(item.title, item.summary, item.category, item.published.date(),
                          rt.settings.facts.usd_rate)

    with rt.engine.begin() as conn:
        updated = item_rows.refresh_facts(conn, read, every)
    click.echo(f"facts read for {updated} item(s)")


COMMANDS = (facts,)
