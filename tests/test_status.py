from dataclasses import replace
from datetime import UTC, datetime

import pytest

from worker.config import ServiceSettings
from worker.status import Health, beat_problems, problems, render
from worker.store.sources import SourceStatus

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def health(streak: int = 0, stale: int = 0, ttl: int | None = 40,
           redis_error: str | None = None, gone: bool = False) -> Health:
    error = ("HTTP 410 Gone" if gone else "HTTP 500") if streak else None
    source = SourceStatus("tj", "http://tj.test/f", NOW, error, streak, 12,
                          gone_since=NOW if gone else None)
    return Health([source], {"sent": 3}, stale, None if redis_error else 0, ttl, redis_error)


@pytest.mark.parametrize(("state", "beat_only", "found"), [
    (health(), False, []),
    (health(streak=2), False, []),
    (health(streak=3), False, ["source tj failed 3 times in a row: HTTP 500"]),
    (health(streak=4, gone=True), False,  # one line saying what to do, not two
     ["source tj is gone since 2026-11-24 00:00 UTC: HTTP 410 Gone; fix its url in "
      "sources.yaml"]),
    (health(stale=2), False, ["2 digest(s) waiting longer than 60 min: are the workers running?"]),
    (health(ttl=None), False, ["no beat holds the scheduler lock: nothing is being scheduled"]),
    (health(redis_error="ConnectionError: refused"), False,
     ["Redis unreachable: ConnectionError: refused"]),
    (health(streak=5, stale=1), True, []),  # the beat's healthcheck looks at the beat only
    (health(ttl=None), True, ["no beat holds the scheduler lock: nothing is being scheduled"]),
    # `radar run --once` from cron: no beat ever ran here, so none is missing
    (replace(health(ttl=None), beat_ever=False), False, []),
    (replace(health(ttl=None), beat_ever=False), True,
     ["no beat holds the scheduler lock: nothing is being scheduled"]),
])
def test_problems(state: Health, beat_only: bool, found: list[str]) -> None:
    assert (beat_problems(state) if beat_only else problems(state, ServiceSettings())) == found


def test_render_names_every_part() -> None:
    text = render(health(streak=3), ["x"])
    for part in ("tj", "streak 3", "items 12", "last error: HTTP 500", "digests (24 h): sent 3",
                 "queue length: 0", "beat lock: held (expires in 40s)", "status: UNHEALTHY"):
        assert part in text
