"""The `radar` command: a thin shell over functions of the layer each command belongs to.

Each command imports what it runs when it runs, so `radar status` (a healthcheck) does
not load the feed parser and `radar sources test` does not load the mail stack.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from worker import clock
from worker.cli import bounces, facts, mail, service, sources, subscribers
from worker.cli.context import Context
from worker.errors import ConfigError, RadarError


def _set_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        clock.parse_time(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time") from None
    os.environ[clock.VARIABLE] = value  # the worker and beat this starts inherit it


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False),
              help="Settings file (default: $RADAR_CONFIG, else config/radar.yaml).")
@click.option("--now", callback=_set_now, expose_value=False, metavar="ISO-TIME",
              help="Act as if it were this time (ISO 8601; UTC if no offset); the same as "
                   f"${clock.VARIABLE}. For testing.")
@click.option("-v", "--verbose", count=True, help="-v: progress, -vv: debug.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """district-radar: Tianjin district investment projects and policies, by email."""
    ctx.obj = Context(config, verbose)  # logging starts with the command, not for --help


for module in (service, sources, mail, subscribers, bounces, facts):
    for command in module.COMMANDS:
        cli.add_command(command)


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
    except Exception as e:
        # Looked up only now: most commands start without the database layer loaded.
        from sqlalchemy.exc import OperationalError

        if not isinstance(e, OperationalError):
            raise
        click.echo(f"error: cannot use the database: {e.orig}", err=True)
        sys.exit(1)


