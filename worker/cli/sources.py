"""`radar sources`: try a source before adding it."""

from __future__ import annotations

from typing import Any

import click

from worker.cli.context import Context, fail, pass_context
from worker.cli.report import describe_found, describe_item
from worker.errors import ConfigError


@click.group()
def sources() -> None:
    """Sources: try one before adding it, and find real ones in the catalogue."""


@sources.command("test")
@click.argument("source_id", required=False)
@click.option("--url", help="Try a page or feed that is not in the sources file yet.")
@click.option("--kind", type=click.Choice(["rss", "atom", "html"]),
              help="Default: told from what the URL answers (a feed or a page).")
@click.option("--category", type=click.Choice(["project", "policy"]), default="project",
              show_default=True)
@click.option("--district", help="The district the whole source is about.")
@click.option("--item", help="html: each item's container (default: the list is detected).")
@click.option("--title", default="a", show_default=True)
@click.option("--link", default="a", show_default=True)
@click.option("--link-attr", help="Attribute holding the address (default href; onclick too).")
@click.option("--date")
@click.option("--date-attr", help="The date is this attribute of --date (e.g. value).")
@click.option("--summary")
@click.option("--detail-body", help="The article text on each item's own page (implies --details).")
@click.option("--details", is_flag=True,
              help="Read each item's own page: its main text becomes the summary.")
@click.option("--next-page")
@click.option("--page-url", help="Page n ≥ 2 as a pattern: list_{page}.html, index_{index}.html")
@click.option("--max-pages", type=click.IntRange(1, 50), default=1, show_default=True)
@pass_context
def sources_test(ctx: Context, /, source_id: str | None, url: str | None, kind: str | None,
                 category: str, district: str | None, details: bool, **selectors: Any) -> None:
    """Fetch a source once and print the items it would give; nothing is stored."""
    import asyncio
    from dataclasses import replace

    from worker.districts import Gazetteer
    from worker.sources.collect import try_source
    from worker.sources_config import load_sources, trial_source

    settings = ctx.settings()
    gazetteer = Gazetteer.tianjin()
    if source_id:
        found = [s for s in load_sources(settings.sources_file, gazetteer,
                                         settings.facts.usd_rate) if s.id == source_id]
        if not found:
            fail(f"no source {source_id} in {settings.sources_file}")
        source = found[0]
    elif url:
        try:
            source = trial_source(url, kind or "html", category, district,
                                  selectors if kind in (None, "html") else None, gazetteer,
                                  details)
            source = replace(source, usd_rate=settings.facts.usd_rate)
        except ConfigError as e:
            fail(str(e))
    else:
        fail("name a SOURCE_ID from the sources file, or give --url")
    source, result = asyncio.run(try_source(source, settings.fetch, gazetteer, ctx.now(),
                                            sniff=bool(url) and kind is None))
    for item in result.items:
        click.echo(describe_item(item))
    click.echo(describe_found(source, result), err=True)
    if not result.items:
        fail("no items: check the selectors (html) or that the URL is a feed")


@sources.command("catalogue")
@click.option("--district", help="Only this district's entries (short forms and zones work).")
def sources_catalogue(district: str | None) -> None:
    """Real Tianjin sources to watch: id, category, district, name, URL."""
    from worker.catalogue import catalogue
    from worker.districts import Gazetteer

    gazetteer = Gazetteer.tianjin()
    wanted = gazetteer.resolve(district) if district else None
    if district and wanted is None:
        fail(f"{district!r} is not a Tianjin district or zone")
    def about(district: str | None) -> bool:  # a district covers its zones
        area = gazetteer.resolve(district) if district else None
        return wanted is None or (area is not None and wanted in (area, gazetteer.parent(area)))

    shown = [e for e in catalogue() if about(e.district)]
    for entry in shown:
        how = "selectors" if entry.html else "detected"
        click.echo(f"{entry.id}\t{entry.category}\t{entry.district or '天津市'}\t{how}\t"
                   f"{entry.name}\t{entry.url}")
    click.echo(f"{len(shown)} source(s); none verified from here: try one with "
               "`radar sources test --url URL`, add with `radar sources add ID…`", err=True)


@sources.command("add")
@click.argument("ids", nargs=-1, required=True)
@pass_context
def sources_add(ctx: Context, /, ids: tuple[str, ...]) -> None:
    """Copy catalogue entries into your sources file (appended, comments kept)."""
    from worker.catalogue import appended, catalogue, pick
    from worker.districts import Gazetteer
    from worker.sources_config import load_sources

    path = ctx.settings().sources_file
    entries = pick(catalogue(), ids)
    text = path.read_text(encoding="utf-8") if path.exists() else "sources:\n"
    present = {s.id for s in load_sources(path, Gazetteer.tianjin())} if path.exists() \
        else set()
    new = [e for e in entries if e.id not in present]
    trial = path.with_name(path.name + ".new")  # what is written must load, else nothing is
    trial.write_text(appended(text, new), encoding="utf-8")
    try:
        kept = {s.id for s in load_sources(trial, Gazetteer.tianjin())}
        if not present <= kept:  # a file we misread: never lose the user's sources
            raise ConfigError(f"{path}: could not add to this file without losing "
                              f"{', '.join(sorted(present - kept))}; add the entries by hand "
                              "(radar sources catalogue shows them)")
    except ConfigError:
        trial.unlink()
        raise
    trial.replace(path)
    for entry in entries:
        click.echo(f"{'added' if entry in new else 'already there'}: {entry.id}")
    click.echo(f"{path}: {len(new)} source(s) added; try them with `radar sources check`",
               err=True)


@sources.command("check")
@click.argument("ids", nargs=-1)
@click.option("--catalogue", "from_catalogue", is_flag=True,
              help="Check the catalogue's entries instead of your sources file.")
@pass_context
def sources_check(ctx: Context, /, ids: tuple[str, ...], from_catalogue: bool) -> None:
    """Fetch each source once and say which give items (nothing is stored)."""
    import asyncio

    from worker.catalogue import catalogue, pick
    from worker.districts import Gazetteer
    from worker.sources.collect import check_sources
    from worker.sources_config import load_sources, source_from_mapping

    settings = ctx.settings()
    gazetteer = Gazetteer.tianjin()
    if from_catalogue:
        entries = pick(catalogue(), ids) if ids else list(catalogue())
        chosen = [source_from_mapping(e.as_source(), f"catalogue: {e.id}", gazetteer)
                  for e in entries]
    else:
        chosen = [s for s in load_sources(settings.sources_file, gazetteer)
                  if not ids or s.id in ids]
    results = asyncio.run(check_sources(chosen, settings.fetch, gazetteer, ctx.now()))
    for source, verdict in results:
        click.echo(f"{source.id}\t{verdict}")
    working = sum(1 for _, v in results if v.startswith("ok"))
    click.echo(f"{working} of {len(results)} give items", err=True)


COMMANDS = (sources,)
