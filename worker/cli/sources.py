"""`radar sources`: try a source before adding it."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from worker.cli.context import Context, fail, pass_context
from worker.cli.report import describe_item
from worker.errors import ConfigError


@click.group()
def sources() -> None:
    """Sources: try one before adding it."""


@sources.command("test")
@click.argument("source_id", required=False)
@click.option("--url", help="Try a page that is not in the sources file yet.")
@click.option("--kind", type=click.Choice(["rss", "atom", "html"]), default="html",
              show_default=True)
@click.option("--category", type=click.Choice(["project", "policy"]), default="project",
              show_default=True)
@click.option("--district", help="The district the whole source is about.")
@click.option("--item", help="html: each item's container.")
@click.option("--title", default="a", show_default=True)
@click.option("--link", default="a", show_default=True)
@click.option("--date")
@click.option("--summary")
@click.option("--detail-body")
@click.option("--next-page")
@click.option("--max-pages", type=click.IntRange(1, 50), default=1, show_default=True)
@pass_context
def sources_test(ctx: Context, /, source_id: str | None, url: str | None, kind: str,
                 category: str, district: str | None, **selectors: Any) -> None:
    """Fetch a source once and print the items it would give; nothing is stored."""
    from worker.districts import Gazetteer
    from worker.sources.collect import try_source
    from worker.sources_config import load_sources, trial_source

    settings = ctx.settings()
    gazetteer = Gazetteer.tianjin()
    if source_id:
        found = [s for s in load_sources(settings.sources_file, gazetteer) if s.id == source_id]
        if not found:
            fail(f"no source {source_id} in {settings.sources_file}")
        source = found[0]
    elif url:
        try:
            source = trial_source(url, kind, category, district,
                                  selectors if kind == "html" else None, gazetteer)
        except ConfigError as e:
            fail(str(e))
    else:
        fail("name a SOURCE_ID from the sources file, or give --url")
    items = asyncio.run(try_source(source, settings.fetch, gazetteer, ctx.now()))
    for item in items:
        click.echo(describe_item(item))
    click.echo(f"{len(items)} item(s) from {source.url}", err=True)
    if not items:
        fail("no items: check the selectors (html) or that the URL is a feed")


COMMANDS = (sources,)
