"""Feed parsing on the other cores during a run that polls many feeds.

feedparser is pure Python: a first poll of hundreds of feeds is bound by one core while
the network waits are all overlapped (`python -m bench.polling`: 25,000 items, ~9 s of
parsing in a 17 s poll). `FeedParsers` sends each body to a pool of processes; if the
pool breaks (a worker process killed), parsing goes on in this process.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from types import TracebackType

from worker.districts import Gazetteer
from worker.models import Item, Source
from worker.sources.feed import parse_feed

log = logging.getLogger("radar.sources")
POOL_FROM_FEEDS = 16  # fewer feeds than this parse faster than a pool starts


def processes_for(feeds: int, configured: int) -> int:
    """Parser processes for a run over `feeds` feeds: `configured`, or with 0 (auto) one
    per core but one when there are enough feeds to repay starting them; 0 means
    in-process. The spare core is for this process, which fetches and stores: on 2 cores
    one parser process polled 500 feeds in 11.1 s, two in 12.4 s (`bench.polling`)."""
    if configured:
        return configured if configured > 1 else 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return cores - 1 if cores > 1 and feeds >= POOL_FROM_FEEDS else 0


_process_gazetteer: Gazetteer | None = None  # in a parser process: the parent's, sent once


def _adopt(gazetteer: Gazetteer) -> None:
    global _process_gazetteer
    _process_gazetteer = gazetteer


def _parse(source: Source, body: bytes, url: str, content_type: str, now: datetime
           ) -> list[Item]:
    assert _process_gazetteer is not None, "parser process started without its gazetteer"
    return parse_feed(source, body, url, content_type, _process_gazetteer, now)


class FeedParsers:
    """`parse_feed` in `processes` worker processes (none: in this process), all tagging
    with the same gazetteer."""

    def __init__(self, processes: int, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        # spawn, not fork: the parent has an event loop, open connections, maybe threads
        self._pool: Executor | None = ProcessPoolExecutor(
            processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_adopt, initargs=(gazetteer,),
        ) if processes else None

    async def __aenter__(self) -> FeedParsers:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    async def parse(self, source: Source, body: bytes, url: str, content_type: str,
                    now: datetime) -> list[Item]:
        if self._pool is not None:
            try:  # submitting starts the processes, which can fail
                parsed = asyncio.get_running_loop().run_in_executor(
                    self._pool, _parse, source, body, url, content_type, now)
            except (RuntimeError, OSError) as e:
                self._in_process(f"{type(e).__name__}: {e}")
            else:
                try:
                    return await parsed
                except BrokenProcessPool as e:  # every parse waiting on it gets this too
                    self._in_process(str(e))
        return parse_feed(source, body, url, content_type, self._gazetteer, now)

    def _in_process(self, why: str) -> None:
        if self._pool is not None:
            log.warning("feed parser processes unavailable (%s); parsing in this process",
                        why.strip().splitlines()[0] if why.strip() else "stopped")
            self._pool.shutdown(wait=False)
            self._pool = None
