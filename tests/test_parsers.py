"""Feed parsing in worker processes: the same items as in-process, errors intact, and
parsing goes on in-process when the pool breaks."""

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.feedserver import FEEDS, FeedServer
from worker.config import FetchSettings, MailSettings, Settings
from worker.districts import Gazetteer
from worker.errors import ParseError
from worker.models import Item, Source
from worker.pipeline.poll import poll_sources
from worker.runtime import build_runtime
from worker.sources.feed import parse_feed
from worker.sources.parsers import POOL_FROM_FEEDS, FeedParsers, processes_for

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
SOURCE = Source("p", "P", "rss", "http://tianjin.test/feed", "project")
URL = "http://tianjin.test/feed"


def test_processes_for_a_run() -> None:
    assert processes_for(3, 0) == 0  # a few feeds: a pool costs more than it saves
    cores = len(os.sched_getaffinity(0))
    assert processes_for(POOL_FROM_FEEDS, 0) == cores - 1  # a core left for fetching
    assert processes_for(500, 1) == 0  # 1: in this process
    assert processes_for(500, 2) == 2
    assert processes_for(3, 4) == 4


def test_a_pool_parses_as_this_process_does_and_errors_keep_their_fields() -> None:
    body = (FEEDS / "projects.rss").read_bytes()

    async def go() -> tuple[list[Item], ParseError]:
        async with FeedParsers(2, Gazetteer.tianjin()) as parsers:
            items = await parsers.parse(SOURCE, body, URL, "application/rss+xml", NOW)
            with pytest.raises(ParseError) as refused:
                await parsers.parse(SOURCE, b"<html><body>no feed</body></html>", URL,
                                    "text/html", NOW)
            return items, refused.value

    items, error = asyncio.run(go())
    assert items == parse_feed(SOURCE, body, URL, "application/rss+xml", Gazetteer.tianjin(),
                               NOW)
    assert len(items) > 3
    assert (error.source_id, error.url) == ("p", URL) and "HTML page" in error.reason


def test_a_broken_pool_falls_back_to_this_process(caplog: pytest.LogCaptureFixture) -> None:
    body = (FEEDS / "projects.rss").read_bytes()

    async def go() -> list[Item]:
        async with FeedParsers(2, Gazetteer.tianjin()) as parsers:
            await parsers.parse(SOURCE, body, URL, "", NOW)  # the processes are up
            pool = parsers._pool
            assert pool is not None
            for pid in list(getattr(pool, "_processes", {})):
                os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.5)
            return await parsers.parse(SOURCE, body, URL, "", NOW)

    assert len(asyncio.run(go())) > 3
    assert "parsing in this process" in caplog.text


def test_a_run_parses_in_the_pool_when_configured(tmp_path: Path, feed_server: FeedServer
                                                  ) -> None:
    def titles(processes: int, name: str) -> list[str]:
        settings = Settings(database_url=f"sqlite:///{tmp_path / name}",
                            fetch=FetchSettings(parse_processes=processes),
                            mail=MailSettings(backend="folder", outbox=tmp_path / "out"))
        rt = build_runtime(settings, [
            Source("p", "P", "rss", feed_server.url("/feeds/projects.rss"), "project"),
            Source("a", "A", "atom", feed_server.url("/feeds/policies.atom"), "policy")])
        reports, items = asyncio.run(poll_sources(rt, NOW))
        assert not any(r.error for r in reports)
        return sorted(i.title for i in items)

    in_pool = titles(2, "pool.db")
    assert len(in_pool) > 5 and in_pool == titles(1, "here.db")
