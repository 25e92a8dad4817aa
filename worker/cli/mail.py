"""`radar digest send` and `radar preview`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from worker.cli.context import Context, fail, pass_context
from worker.cli.report import print_sent


@click.group()
def digest() -> None:
    """Digests."""


@digest.command("send")
@click.option("--force", is_flag=True,
              help="Send what is waiting regardless of each subscriber's schedule.")
@click.option("--subscriber", "email", metavar="EMAIL", help="Only this subscriber.")
@pass_context
def digest_send(ctx: Context, force: bool, email: str | None) -> None:
    """Send the digests that are due (with --force: everything waiting) now."""
    from worker.pipeline.deliver import send_pending
    from worker.pipeline.opening import open_due_digests
    from worker.store import subscribers as subscriber_rows

    rt = ctx.runtime()
    now = ctx.now()
    if email:
        with rt.engine.connect() as conn:
            if subscriber_rows.by_email(conn, email) is None:
                fail(f"no subscriber {email}")
    open_due_digests(rt, now, force=force, email=email)
    import asyncio

    report = asyncio.run(send_pending(rt, now, email))
    print_sent(report)
    if report.count("deferred", "unreachable", "refused", "failed"):
        sys.exit(1)


@click.command()
@click.argument("email")
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the HTML version to this file.")
@pass_context
def preview(ctx: Context, email: str, html_file: Path | None) -> None:
    """Show what EMAIL's next digest would contain (nothing is sent or changed)."""
    from worker.digest.render import render_digest
    from worker.preview import next_digest
    from worker.store import subscribers as subscriber_rows

    rt = ctx.reader()  # it promises to change nothing
    with rt.engine.connect() as conn:
        subscriber = subscriber_rows.by_email(conn, email)
        if subscriber is None:
            fail(f"no subscriber {email}")
        digest = next_digest(conn, subscriber, rt.settings, rt.gazetteer, rt.source_names,
                             ctx.now())
    if digest is None:
        click.echo(f"{subscriber.email}: nothing waiting; the next digest would be empty "
                   "(empty digests are not sent)")
        return
    rendered = render_digest(digest)
    click.echo(f"Subject: {rendered.subject}\n")
    click.echo(rendered.text)
    if html_file is not None:
        html_file.write_text(rendered.html, encoding="utf-8")
        click.echo(f"HTML written to {html_file}", err=True)


COMMANDS = (digest, preview)
