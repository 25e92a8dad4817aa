"""What every `radar` command shares: the settings file, the clock, failing cleanly."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from worker import clock
from worker.errors import RadarError

if TYPE_CHECKING:
    from pathlib import Path

    from worker.config import Settings
    from worker.runtime import Runtime


R = TypeVar("R")


class Context:
    def __init__(self, config: Path | None, verbose: int = 0) -> None:
        # a plain class: importing dataclasses is ~1.5 ms of `radar sources test --help`
        self.config, self.verbose = config, verbose

    def start_logging(self) -> None:
        """When a command runs (not for `--help`, which should answer at once)."""
        import logging

        level = [logging.WARNING, logging.INFO, logging.DEBUG][min(self.verbose, 2)]
        logging.basicConfig(level=level,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def now(self) -> datetime:
        return clock.now()

    def settings(self) -> Settings:
        from worker.config import load_settings  # pydantic: 0.1 s, not for `--help`

        return load_settings(self.config)

    def redis_url(self) -> str:
        """`service.redis_url` without validating the whole settings when nothing on the
        way to it is wrong (pydantic is most of `status --beat-only`'s start-up); else
        validated, to fail with the usual message."""
        from worker.settings_file import redis_url

        return redis_url(self.config) or self.settings().service.redis_url

    def runtime(self, migrate_schema: bool = True) -> Runtime:
        """Commands that write migrate first; those that only read do not (`radar status`
        runs every 30 s as a healthcheck)."""
        from worker.runtime import build_runtime

        return build_runtime(self.settings(), migrate_schema=migrate_schema)

    def reader(self) -> Runtime:
        """The runtime of a command that only reads: the schema must already be there."""
        from worker.store.db import has_schema

        rt = self.runtime(migrate_schema=False)
        if not has_schema(rt.engine):
            raise RadarError(f"the database ({rt.engine.url.render_as_string()}) has no "
                             "tables yet: run `radar migrate` first")
        return rt


def pass_context(command: Callable[..., R]) -> Callable[..., R]:
    """Hand the command its Context, logging configured."""
    def run(*args: Any, **kwargs: Any) -> R:
        ctx = click.get_current_context().find_object(Context)
        if ctx is None:
            raise RuntimeError("no radar Context: run commands through the `radar` group")
        ctx.start_logging()
        return command(ctx, *args, **kwargs)

    return update_wrapper(run, command)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
