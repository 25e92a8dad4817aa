"""What a process works with: settings, sources, the store, the gazetteer, the senders.

`build_runtime` is the one place that wires the real parts from settings. The fetcher,
the SMTP client and the near-duplicate index are loaded when first used, so the web app
and `radar status`, which need none of them, start without them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

from worker.config import Settings
from worker.districts import Gazetteer
from worker.mail import Sender
from worker.models import Source
from worker.sources_config import load_sources
from worker.store import items as item_rows
from worker.store.db import connect, migrate

if TYPE_CHECKING:
    import httpx

    from worker.matching import MatchIndex
    from worker.neardup import Known, NearDuplicates
    from worker.sources.fetch import Fetcher

NEAR_DUPLICATE_WINDOW = timedelta(days=30)  # how far back a republished story is recognised


class RecentTitles:
    """The near-duplicate index of recent titles, loaded once per process and then topped
    up with newer items: reloading it for every poll cost O(recent items) per source."""

    def __init__(self) -> None:
        self._index: NearDuplicates | None = None
        self._newest_id = 0
        self._loaded_at: datetime | None = None

    def index(self, conn: Connection, now: datetime) -> NearDuplicates:
        from worker.neardup import Known, NearDuplicates, from_bytes, signature

        if self._index is None or self._loaded_at is None or \
                now - self._loaded_at > timedelta(days=1):  # let old titles age out
            self._index, self._newest_id, self._loaded_at = NearDuplicates(), 0, now
        for row in item_rows.recent(conn, now - NEAR_DUPLICATE_WINDOW, self._newest_id):
            minhash = from_bytes(row.minhash) if row.minhash else signature(row.item.title)
            self.add(Known(row.id, row.item, minhash))
        return self._index

    def add(self, known: Known) -> None:
        if self._index is not None:
            self._index.add(known)
            self._newest_id = max(self._newest_id, known.id)

    def forget(self) -> None:
        """After a failed transaction: what it added may not exist."""
        self._index = None


class SubscriberIndex:
    """The matching index of the active subscribers, kept between polls while the
    subscribers' version (bumped by the database on every write to them) is the one it
    was built at: rebuilding it took 1.8 s at 100,000 subscribers for every poll that
    found something."""

    def __init__(self) -> None:
        self._index: MatchIndex | None = None
        self._version: int | None = None
        self.builds = 0  # how many times it was built, for tests and benchmarks

    def index(self, conn: Connection, gazetteer: Gazetteer) -> MatchIndex:
        from worker.matching import MatchIndex, compile_rule
        from worker.store import subscribers as subscriber_rows

        version = subscriber_rows.version(conn)  # read first: the listing is never older
        if self._index is None or version != self._version:
            self._index = None  # the old one goes before the new one is built
            self._index = MatchIndex(compile_rule(s, gazetteer)
                                     for s in subscriber_rows.each_active(conn))
            self._version, self.builds = version, self.builds + 1
        return self._index


class RecentItems:
    """Items read in the last minute, by id, with the other sources that published them,
    for the senders: a batch of 20 weekly digests carries ~500 of the same 1,000 items, and
    reading them for every batch was an eighth of a sender's CPU (py-spy, 10,000
    subscribers). Stored items change when `radar facts refresh` reads their facts again,
    and another source may publish one meanwhile: a mail composed within a minute of it
    may show the facts, or the 另见 line, as they were."""

    SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[int, item_rows.Published] = {}
        self._until = 0.0

    def by_ids(self, conn: Connection, item_ids: Iterable[int]
               ) -> dict[int, item_rows.Published]:
        if (now := self._clock()) >= self._until:
            self._items, self._until = {}, now + self.SECONDS
        wanted = set(item_ids)
        if missing := wanted - self._items.keys():
            self._items.update(item_rows.with_others(conn, missing))
        return {i: self._items[i] for i in wanted if i in self._items}


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sources: tuple[Source, ...]
    engine: Engine
    gazetteer: Gazetteer
    make_fetcher: Callable[[], Fetcher]
    make_sender: Callable[[], Sender]
    recent_titles: RecentTitles = field(default_factory=RecentTitles)
    subscriber_index: SubscriberIndex = field(default_factory=SubscriberIndex)
    recent_items: RecentItems = field(default_factory=RecentItems)

    @property
    def source_names(self) -> dict[str, str]:
        return {s.id: s.name for s in self.sources}

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(f"no source {source_id!r} in {self.settings.sources_file}")


def build_runtime(
    settings: Settings,
    sources: Sequence[Source] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate_schema: bool = True,
) -> Runtime:
    """Open (and migrate) the store, load the sources, choose the mail backend."""
    gazetteer = Gazetteer.tianjin()
    if sources is None:
        sources = load_sources(settings.sources_file, gazetteer, settings.facts.usd_rate)
    engine = connect(settings.database_url)
    if migrate_schema:
        migrate(engine)

    def make_fetcher() -> Fetcher:
        from worker.sources.fetch import Fetcher

        return Fetcher(settings.fetch, transport)

    return Runtime(
        settings=settings,
        sources=tuple(sources),
        engine=engine,
        gazetteer=gazetteer,
        make_fetcher=make_fetcher,
        make_sender=sender_factory(settings),
    )


def sender_factory(settings: Settings) -> Callable[[], Sender]:
    """A new sender of the configured backend per call (one SMTP session each)."""
    if settings.mail.backend == "smtp":
        from worker.mail.smtp import SmtpSender

        return lambda: SmtpSender(settings.mail.smtp,
                                  settings.service.smtp_messages_per_connection)
    from worker.mail.folder import FolderSender

    return lambda: FolderSender(settings.mail.outbox)
