"""`radar demo`: the sample site served locally, sample subscribers, one cycle into an
outbox folder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from worker.config import MailSettings, Settings
from worker.demo import sample_subscribers, serve_sample_site, write_demo_sources
from worker.pipeline.cycle import CycleReport, run_cycle
from worker.runtime import build_runtime
from worker.store import subscribers as subscriber_rows
from worker.subscribers_io import read_subscribers_file


def run_demo(folder: Path, now: datetime, say: Callable[[str], object]) -> CycleReport:
    """One cycle over the sample site with everything kept in `folder`."""
    settings = Settings(database_url=f"sqlite:///{folder / 'radar.db'}",
                        mail=MailSettings(backend="folder", outbox=folder / "outbox"))
    with serve_sample_site() as base_url:
        settings = settings.model_copy(
            update={"sources_file": write_demo_sources(base_url, folder)}
        )
        rt = build_runtime(settings)
        say(f"sample site:  {base_url} ({len(rt.sources)} sources)")
        say(f"database:     {folder / 'radar.db'}")
        people, rejected = read_subscribers_file(sample_subscribers(), rt.gazetteer, None,
                                                 rt.settings.facts.usd_rate)
        assert not rejected, rejected  # the bundled file is ours
        with rt.engine.begin() as conn:
            added, updated = subscriber_rows.save_all(conn, people, now)
        say(f"subscribers:  {added + updated} sample investors")
        return asyncio.run(run_cycle(rt, now, force_send=True))
