"""The `radar` command: a thin shell that reads the clock once and calls the pipeline."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa

from worker.config import MailSettings, Settings, load_settings, load_sources
from worker.digest.compose import digest_for
from worker.digest.render import render_digest
from worker.districts import Gazetteer
from worker.errors import ConfigError, RadarError
from worker.models import CATEGORY_LABELS, HtmlSelectors, Item, Source, Subscriber
from worker.pipeline import CycleReport, Runtime, open_due_digests, run_cycle, send_pending
from worker.runtime import build_runtime
from worker.sources.html import check_selectors
from worker.store import digests as digest_rows
from worker.store import subscribers as subscriber_rows
from worker.subscribers_io import read_subscribers


@dataclass
class _Context:
    config: Path | None
    now: datetime | None

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def settings(self) -> Settings:
        return load_settings(self.config)

    def runtime(self, migrate_schema: bool = True) -> Runtime:
        return build_runtime(self.settings(), migrate_schema=migrate_schema)


pass_context = click.make_pass_decorator(_Context)


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              help="Settings file (default: $RADAR_CONFIG, else config/radar.yaml).")
@click.option("--now", callback=_parse_now, metavar="ISO-TIME",
              help="Act as if it were this time (ISO 8601; UTC if no offset). For testing.")
@click.option("-v", "--verbose", count=True, help="-v: progress, -vv: debug.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, now: datetime | None, verbose: int) -> None:
    """district-radar: Tianjin district investment projects and policies, by email."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = _Context(config, now)


@cli.command()
@pass_context
def migrate(ctx: _Context) -> None:
    """Create or upgrade the database schema."""
    ctx.runtime()  # building the runtime migrates
    click.echo("database schema is up to date")


@cli.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.option("--every", type=click.IntRange(min=1), default=15, show_default=True,
              help="Minutes between cycles when not --once.")
@pass_context
def run(ctx: _Context, once: bool, every: int) -> None:
    """Poll sources, store and match new items, send instant alerts and due digests."""
    rt = ctx.runtime()
    while True:
        report = asyncio.run(run_cycle(rt, ctx.clock()))
        _print_cycle(report)
        if once:
            sys.exit(1 if any(p.error for p in report.polls) else 0)
        time.sleep(every * 60)


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@cli.command("worker", context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def worker_command(ctx: _Context, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (migrates first); other arguments go to `celery worker`."""
    ctx.runtime()  # validates the settings and sources, migrates the schema
    _exec_celery(ctx, "worker", "--loglevel", "INFO", *celery_args)


@cli.command("beat", context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def beat_command(ctx: _Context, celery_args: tuple[str, ...]) -> None:
    """Run the Celery beat scheduler; a second one waits for the first's lock."""
    ctx.runtime()
    _exec_celery(ctx, "beat", "--loglevel", "INFO", *celery_args)


def _exec_celery(ctx: _Context, *args: str) -> NoReturn:
    if ctx.config is not None:
        os.environ["RADAR_CONFIG"] = str(ctx.config.resolve())
    command = [sys.executable, "-m", "celery", "-A", "worker.tasks", *args]
    sys.stdout.flush()
    os.execv(sys.executable, command)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@pass_context
def web(ctx: _Context, host: str, port: int) -> None:
    """Serve the subscription pages (subscribe, confirm, preferences, unsubscribe)."""
    import uvicorn

    from worker.web.app import create_app

    app = create_app(ctx.runtime(), ctx.clock if ctx.now else lambda: datetime.now(UTC))
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")


@cli.command()
@click.option("--beat-only", is_flag=True,
              help="Only check that a beat holds the scheduler lock (for a healthcheck).")
@pass_context
def status(ctx: _Context, beat_only: bool) -> None:
    """Sources, digests, queue and scheduler; exit 1 when something is unhealthy."""
    import redis

    from worker import status as health_check

    rt = ctx.runtime(migrate_schema=False)  # a health check reads; the worker migrates
    client = redis.Redis.from_url(rt.settings.service.redis_url, socket_timeout=3,
                                  socket_connect_timeout=3)
    health = health_check.gather(rt, client, ctx.clock())
    found = health_check.problems(health, rt.settings.service, beat_only)
    click.echo(health_check.render(health, found))
    sys.exit(1 if found else 0)


@cli.group()
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
@click.option("--item", "item_selector", help="html: each item's container.")
@click.option("--title", "title_selector", default="a", show_default=True)
@click.option("--link", "link_selector", default="a", show_default=True)
@click.option("--date", "date_selector")
@click.option("--summary", "summary_selector")
@click.option("--detail-body", "detail_selector")
@click.option("--next-page", "next_selector")
@click.option("--max-pages", type=click.IntRange(1, 50), default=1, show_default=True)
@pass_context
def sources_test(ctx: _Context, source_id: str | None, url: str | None, kind: str,
                 category: str, district: str | None, item_selector: str | None,
                 title_selector: str, link_selector: str, date_selector: str | None,
                 summary_selector: str | None, detail_selector: str | None,
                 next_selector: str | None, max_pages: int) -> None:
    """Fetch a source once and print the items it would give; nothing is stored."""
    from worker.sources.collect import try_source

    settings = ctx.settings()
    gazetteer = Gazetteer.tianjin()
    if source_id:
        source = next((s for s in load_sources(settings.sources_file, gazetteer)
                       if s.id == source_id), None)
        if source is None:
            _fail(f"no source {source_id} in {settings.sources_file}")
    elif url:
        selectors = None
        if kind == "html":
            if not item_selector:
                _fail("--kind html needs --item (each item's container)")
            selectors = HtmlSelectors(item_selector, title_selector, link_selector,
                                      date=date_selector, summary=summary_selector,
                                      detail_body=detail_selector, next_page=next_selector,
                                      max_pages=max_pages)
            problem = check_selectors(selectors)
            if problem:
                _fail(problem)
        resolved = gazetteer.resolve(district) if district else None
        if district and resolved is None:
            _fail(f"{district!r} is not a Tianjin district or zone")
        source = Source("try", url, kind, url, category, resolved,  # type: ignore[arg-type]
                        html=selectors)
    else:
        _fail("name a SOURCE_ID from the sources file, or give --url")
    items = asyncio.run(try_source(source, settings.fetch, gazetteer, ctx.clock()))
    for item in items:
        click.echo(_describe_item(item))
    click.echo(f"{len(items)} item(s) from {source.url}", err=True)
    if not items:
        _fail("no items: check the selectors (html) or that the URL is a feed")


def _describe_item(item: Item) -> str:
    tags = ", ".join(f"{t.district} ({'+'.join(t.origins)})" for t in item.districts)
    lines = [f"* {item.title}", f"  {item.url}",
             f"  {item.published:%Y-%m-%d %H:%M %Z} · {CATEGORY_LABELS[item.category]}"
             f" · {tags or '未标注区'}"]
    policy = " · ".join(v for v in (item.issuer, item.doc_number, "、".join(item.doc_types)) if v)
    if policy:
        lines.append(f"  {policy}")
    if item.summary:
        lines.append(f"  {item.summary[:80]}")
    return "\n".join(lines)


@cli.group()
def digest() -> None:
    """Digests."""


@digest.command("send")
@click.option("--now", "force", is_flag=True, required=True,
              help="Send what is waiting regardless of each subscriber's schedule.")
@click.option("--subscriber", "email", metavar="EMAIL", help="Only this subscriber.")
@pass_context
def digest_send(ctx: _Context, force: bool, email: str | None) -> None:
    """Send waiting digests now."""
    rt = ctx.runtime()
    now = ctx.clock()
    if email and _subscriber(rt, email) is None:
        _fail(f"no subscriber {email}")
    open_due_digests(rt, now, force=force, email=email)
    report = asyncio.run(send_pending(rt, now, email))
    _print_sent(report.count("sent"), report.count("deferred", "unreachable"),
                report.count("failed"))
    if report.count("deferred", "unreachable", "failed"):
        sys.exit(1)


@cli.command()
@click.argument("email")
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the HTML version to this file.")
@pass_context
def preview(ctx: _Context, email: str, html_file: Path | None) -> None:
    """Show what EMAIL's next digest would contain (nothing is sent or changed)."""
    rt = ctx.runtime()
    subscriber = _subscriber(rt, email)
    if subscriber is None or subscriber.id is None:
        _fail(f"no subscriber {email}")
    with rt.engine.connect() as conn:
        entries = digest_rows.undelivered(conn, subscriber.id)
    if not entries:
        click.echo(f"{subscriber.email}: nothing waiting; the next digest would be empty "
                   "(empty digests are not sent)")
        return
    rendered = render_digest(digest_for(subscriber, entries, rt.settings, rt.gazetteer,
                                        rt.source_names, ctx.clock()))
    click.echo(f"Subject: {rendered.subject}\n")
    click.echo(rendered.text)
    if html_file is not None:
        html_file.write_text(rendered.html, encoding="utf-8")
        click.echo(f"HTML written to {html_file}", err=True)


@cli.group()
def subscribers() -> None:
    """Subscribers: import, list, remove."""


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_context
def subscribers_import(ctx: _Context, file: Path) -> None:
    """Add or update subscribers from a YAML or CSV file; bad rows are reported."""
    rt = ctx.runtime()
    created, updated, rejected = import_subscribers(rt, file, ctx.clock())
    click.echo(f"{created} added, {updated} updated, {rejected} rejected")
    if rejected:
        sys.exit(1)


IMPORT_BATCH = 1000


def import_subscribers(rt: Runtime, file: Path, now: datetime) -> tuple[int, int, int]:
    """Import a file; prints each rejected row. Returns (added, updated, rejected)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise RadarError(f"{file}: cannot read: {e}") from e
    good, bad = read_subscribers(text, str(file), rt.gazetteer)
    for error in bad[:100]:
        click.echo(f"rejected: {error}", err=True)
    if len(bad) > 100:
        click.echo(f"rejected: … and {len(bad) - 100} more rows", err=True)
    created = updated = 0
    show = len(good) > 5 * IMPORT_BATCH and sys.stderr.isatty()
    with rt.engine.begin() as conn, click.progressbar(
        length=len(good), label="importing", file=sys.stderr, hidden=not show
    ) as progress:
        for start in range(0, len(good), IMPORT_BATCH):
            batch = good[start:start + IMPORT_BATCH]
            added, changed = subscriber_rows.save_many(conn, batch, now)
            created, updated = created + added, updated + changed
            progress.update(len(batch))
    return created, updated, len(bad)


@subscribers.command("list")
@pass_context
def subscribers_list(ctx: _Context) -> None:
    """List subscribers with their rules."""
    rt = ctx.runtime()
    with rt.engine.connect() as conn:
        rows = subscriber_rows.listing(conn)
    for s in rows:
        rules = " ".join(filter(None, [
            "districts=" + ",".join(s.districts) if s.districts else "",
            "categories=" + ",".join(s.categories) if s.categories else "",
            "keywords=" + ",".join(s.keywords) if s.keywords else "",
            "exclude=" + ",".join(s.exclude) if s.exclude else "",
        ]))
        click.echo(f"{s.email}\t{s.status}\t{s.schedule.frequency}\t{rules or 'everything'}")
    click.echo(f"{len(rows)} subscriber(s)", err=True)


@subscribers.command("export")
@click.option("--format", "form", type=click.Choice(["csv", "yaml"]), default="csv",
              show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write here instead of standard output.")
@pass_context
def subscribers_export(ctx: _Context, form: str, output: Path | None) -> None:
    """Every subscriber with rules, schedule and status, in the import file format."""
    from worker.subscribers_io import write_subscribers

    rt = ctx.runtime()
    with rt.engine.connect() as conn:
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
def subscribers_remove(ctx: _Context, email: str) -> None:
    """Delete a subscriber and whatever was waiting for them."""
    rt = ctx.runtime()
    with rt.engine.begin() as conn:
        removed = subscriber_rows.remove(conn, email)
    if not removed:
        _fail(f"no subscriber {email}")
    click.echo(f"removed {email}")


@cli.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False),
              default=Path("var/demo"), show_default=True,
              help="Where the demo keeps its database and outbox.")
@pass_context
def demo(ctx: _Context, folder: Path) -> None:
    """Serve the bundled sample site, load sample subscribers, run one cycle into an outbox."""
    from worker.demo import sample_subscribers, serve_sample_site, write_demo_sources

    outbox = folder / "outbox"
    settings = Settings(database_url=f"sqlite:///{folder / 'radar.db'}",
                        mail=MailSettings(backend="folder", outbox=outbox))
    with serve_sample_site() as base_url:
        settings = settings.model_copy(
            update={"sources_file": write_demo_sources(base_url, folder)}
        )
        rt = build_runtime(settings)
        click.echo(f"sample site:  {base_url} ({len(rt.sources)} sources)")
        click.echo(f"database:     {folder / 'radar.db'}")
        added, updated, _ = import_subscribers(rt, sample_subscribers(), ctx.clock())
        click.echo(f"subscribers:  {added + updated} sample investors")
        before = set(outbox.glob("*.eml"))
        report = asyncio.run(run_cycle(rt, ctx.clock(), force_send=True))
    _print_cycle(report)
    written = sorted(set(outbox.glob("*.eml")) - before)
    if report.new_items == 0 and not written:
        click.echo("Nothing new since the last run: no items, no digests written.")
        return
    click.echo(f"\nDigests are in {outbox}/ (open the .html in a browser, the .eml in a "
               "mail client):")
    for path in written:
        click.echo(f"  {path.with_suffix('.html')}")


def _print_cycle(report: CycleReport) -> None:
    failed = [p for p in report.polls if p.error]
    unchanged = sum(1 for p in report.polls if p.not_modified)
    click.echo(f"Polled {len(report.polls)} sources: {len(report.polls) - len(failed)} ok "
               f"({unchanged} unchanged), {len(failed)} failed")
    for poll in failed:
        click.echo(f"  {poll.source_id}: {poll.error}")
    click.echo(f"New items:    {report.new_items}")
    click.echo(f"Matches:      {report.matches}")
    sent = report.sent
    _print_sent(sent.count("sent"), sent.count("deferred", "unreachable"), sent.count("failed"))


def _print_sent(sent: int, deferred: int, failed: int) -> None:
    extra = f" ({deferred} deferred to retry, {failed} failed)" if deferred or failed else ""
    click.echo(f"Digests sent: {sent}{extra}")


def _subscriber(rt: Runtime, email: str) -> Subscriber | None:
    with rt.engine.connect() as conn:
        return subscriber_rows.by_email(conn, email)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def main() -> None:
    """Entry point: user mistakes become one clear line and an exit status, no traceback."""
    try:
        cli(standalone_mode=True)
    except ConfigError as e:
        click.echo(f"configuration error: {e}", err=True)
        sys.exit(2)
    except RadarError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except sa.exc.OperationalError as e:
        click.echo(f"error: cannot use the database: {e.orig}", err=True)
        sys.exit(1)




if __name__ == "__main__":
    main()
