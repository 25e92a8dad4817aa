"""Commands that run the service: migrate, run, worker, beat, web, status, demo."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from worker.cli.context import Context, pass_context
from worker.cli.report import print_cycle


@click.command()
@pass_context
def migrate(ctx: Context) -> None:
    """Create or upgrade the database schema."""
    ctx.runtime()  # building the runtime migrates
    click.echo("database schema is up to date")


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit.")
@click.option("--every", type=click.IntRange(min=1), default=15, show_default=True,
              help="Minutes between cycles when not --once.")
@pass_context
def run(ctx: Context, once: bool, every: int) -> None:
    """Poll sources, store and match new items, send instant alerts and due digests."""
    import asyncio

    from worker.pipeline.cycle import run_cycle

    rt = ctx.runtime()
    while True:
        report = asyncio.run(run_cycle(rt, ctx.now()))
        print_cycle(report)
        if once:
            sys.exit(1 if any(p.error for p in report.polls) else 0)
        time.sleep(every * 60)


_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.command("worker", context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def worker_command(ctx: Context, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (migrates first); other arguments go to `celery worker`."""
    ctx.runtime()  # validates the settings and sources, migrates the schema
    _exec_celery(ctx, "worker", "--loglevel", "INFO", *celery_args)


@click.command("beat", context_settings=_PASS_THROUGH)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def beat_command(ctx: Context, celery_args: tuple[str, ...]) -> None:
    """Run the Celery beat scheduler; a second one waits for the first's lock."""
    ctx.runtime()
    _exec_celery(ctx, "beat", "--loglevel", "INFO", *celery_args)


def _exec_celery(ctx: Context, *args: str) -> NoReturn:
    if ctx.config is not None:
        os.environ["RADAR_CONFIG"] = str(ctx.config.resolve())
    command = [sys.executable, "-m", "celery", "-A", "worker.tasks", *args]
    sys.stdout.flush()
    os.execv(sys.executable, command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@pass_context
def web(ctx: Context, host: str, port: int) -> None:
    """Serve the subscription pages (subscribe, confirm, preferences, unsubscribe)."""
    import uvicorn

    from worker.web.app import create_app

    uvicorn.run(create_app(ctx.runtime(), ctx.now), host=host, port=port, proxy_headers=True,
                log_level="info")


@click.command()
@click.option("--beat-only", is_flag=True,
              help="Only check that a beat holds the scheduler lock (for a healthcheck).")
@pass_context
def status(ctx: Context, beat_only: bool) -> None:
    """Sources, digests, queue and scheduler; exit 1 when something is unhealthy."""
    from worker import status as health_check

    if beat_only:  # the beat's healthcheck: the Redis URL is all it reads of the settings
        health = health_check.gather_beat(ctx.redis_url())
        found = health_check.beat_problems(health)
    else:
        settings = ctx.settings()
        health = health_check.gather(settings, ctx.now())
        found = health_check.problems(health, settings.service)
    click.echo(health_check.render(health, found))
    sys.exit(1 if found else 0)


@click.command()
@click.option("--dir", "folder", type=click.Path(path_type=Path, file_okay=False),
              default=Path("var/demo"), show_default=True,
              help="Where the demo keeps its database and outbox.")
@pass_context
def demo(ctx: Context, folder: Path) -> None:
    """Serve the bundled sample site, load sample subscribers, run one cycle into an outbox."""
    from worker.demo.run import run_demo

    outbox = folder / "outbox"
    before = set(outbox.glob("*.eml"))
    report = run_demo(folder, ctx.now(), click.echo)
    print_cycle(report)
    written = sorted(set(outbox.glob("*.eml")) - before)
    if report.new_items == 0 and not written:
        click.echo("Nothing new since the last run: no items, no digests written.")
        return
    click.echo(f"\nDigests are in {outbox}/ (open the .html in a browser, the .eml in a "
               "mail client):")
    for path in written:
        click.echo(f"  {path.with_suffix('.html')}")


COMMANDS = (migrate, run, worker_command, beat_command, web, status, demo)
