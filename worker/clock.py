"""The one place the time is read.

`RADAR_NOW` (ISO 8601; UTC when it names no offset) makes a process act as if it were
that time: the first reading is exactly that instant (a command reads the clock once) and
the time runs on from there (a worker, beat or web app keeps going). `radar --now T` sets
it, so the worker and beat it starts inherit it. For trials and tests only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from worker.errors import ConfigError

VARIABLE = "RADAR_NOW"
_first_reading: float | None = None  # monotonic time of the first faked reading


def parse_time(value: str) -> datetime:
    """An ISO 8601 time, UTC if it names no offset; ValueError if it is not one."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def now(env: Mapping[str, str] = os.environ) -> datetime:
    """The current time, or the faked one (ConfigError if RADAR_NOW is not a time)."""
    fake = env.get(VARIABLE, "")
    if not fake:
        return datetime.now(UTC)
    try:
        start = parse_time(fake)
    except ValueError:
        raise ConfigError(f"environment variable {VARIABLE}: {fake!r} is not an ISO 8601 "
                          "time") from None
    global _first_reading
    reading = time.monotonic()
    if _first_reading is None:
        _first_reading = reading
    return start + timedelta(seconds=reading - _first_reading)
