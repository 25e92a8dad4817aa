"""Build a pipeline Runtime from settings: the one place that wires the real parts."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from worker.config import Settings, load_sources
from worker.districts import Gazetteer
from worker.mail import Sender
from worker.mail.folder import FolderSender
from worker.mail.smtp import SmtpSender
from worker.models import Source
from worker.pipeline import Runtime
from worker.sources.fetch import Fetcher
from worker.store.db import connect, migrate


def build_runtime(
    settings: Settings,
    sources: Sequence[Source] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate_schema: bool = True,
) -> Runtime:
    """Open (and migrate) the store, load the sources, choose the mail backend."""
    gazetteer = Gazetteer.tianjin()
    if sources is None:
        sources = load_sources(settings.sources_file, gazetteer)
    engine = connect(settings.database_url)
    if migrate_schema:
        migrate(engine)

    def make_sender() -> Sender:
        if settings.mail.backend == "smtp":
            return SmtpSender(settings.mail.smtp,
                              settings.service.smtp_messages_per_connection)
        return FolderSender(settings.mail.outbox)

    return Runtime(
        settings=settings,
        sources=tuple(sources),
        engine=engine,
        gazetteer=gazetteer,
        make_fetcher=lambda: Fetcher(settings.fetch, transport),
        make_sender=make_sender,
    )
