"""The `radar` command: a thin shell over functions of the layer each command belongs to.

Each command imports what it runs when it runs, so `radar status` (a healthcheck) does
not load the feed parser and `radar sources test` does not load the mail stack. The
modules defining the commands load only when their command is asked for, too.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from worker import clock
from worker.cli.context import Context
from worker.errors import ConfigError, RadarError

if TYPE_CHECKING:
    from pathlib import Path


def _set_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        clock.parse_time(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time") from None
    os.environ[clock.VARIABLE] = value  # the worker and beat this starts inherit it


def _config_file(_ctx: click.Context, _param: click.Parameter, value: str | None
                 ) -> Path | None:
    if value is None:
        return None
    from pathlib import Path  # only now: `--help` loads no pathlib (~6 ms)

    return Path(value)


# command → the module of worker.cli defining it (in that module's COMMANDS)
COMMAND_MODULES = {
    "migrate": "service", "run": "service", "worker": "service", "beat": "service",
    "web": "service", "status": "service", "demo": "service", "sources": "sources",
    "digest": "mail", "preview": "mail", "subscribers": "subscribers",
    "bounces": "bounces", "facts": "facts",
}


class _Commands(click.Group):
    """A group whose commands are imported when named (`radar --help` names them all)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name) if cmd_name in COMMAND_MODULES else None

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in COMMAND_MODULES:  # click's "Did you mean" looks at those loaded
            self.commands.update((name, self._load(name)) for name in COMMAND_MODULES)
        return super().resolve_command(ctx, args)

    @staticmethod
    def _load(name: str) -> click.Command:
        # __import__, which `-X importtime` reports (bench.startup), not importlib's
        module = __import__(f"worker.cli.{COMMAND_MODULES[name]}", fromlist=["COMMANDS"])
        commands: tuple[click.Command, ...] = module.COMMANDS
        return next(c for c in commands if c.name == name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), callback=_config_file,
              help="Settings file (default: $RADAR_CONFIG, else config/radar.yaml).")
@click.option("--now", callback=_set_now, expose_value=False, metavar="ISO-TIME",
              help="Act as if it were this time (ISO 8601; UTC if no offset); the same as "
                   f"${clock.VARIABLE}. For testing.")
@click.option("-v", "--verbose", count=True, help="-v: progress, -vv: debug.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """district-radar: Tianjin district investment projects and policies, by email."""
    ctx.obj = Context(config, verbose)  # logging starts with the command, not for --help


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


