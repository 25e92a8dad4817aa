"""What every `radar` command shares: the settings file, the clock, failing cleanly."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from worker import clock
from worker.config import Settings, load_settings
from worker.errors import RadarError

if TYPE_CHECKING:
    from worker.runtime import Runtime


@dataclass
class Context:
    config: Path | None

    def now(self) -> datetime:
        return clock.now()

    def settings(self) -> Settings:
        return load_settings(self.config)

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


pass_context = click.make_pass_decorator(Context)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)
