"""The one clock, and faking it with RADAR_NOW."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker import clock
from worker.errors import ConfigError


def test_the_real_time_without_radar_now() -> None:
    assert abs(clock.now({}) - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-07-28T09:00:00+08:00", datetime(2025, 7, 28, 1, 0, tzinfo=UTC)),
    ("2025-07-28T01:00", datetime(2025, 7, 28, 1, 0, tzinfo=UTC)),  # no offset: UTC
])
def test_radar_now_starts_the_clock_there(value: str, expected: datetime) -> None:
    faked = clock.now({"RADAR_NOW": value})
    assert expected <= faked < expected + timedelta(hours=1)  # and runs on from there


def test_a_bad_radar_now_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="RADAR_NOW: 'next monday'"):
        clock.now({"RADAR_NOW": "next monday"})


def test_the_first_reading_is_exactly_radar_now() -> None:
    """A command reads the clock once: `radar --now 09:00 …` must act at 09:00 sharp, or an
    item stored "at" the send time would miss that send."""
    import importlib

    fresh = importlib.reload(clock)
    assert fresh.now({"RADAR_NOW": "2025-07-28T01:00:00+00:00"}) == datetime(
        2025, 7, 28, 1, 0, tzinfo=UTC)
