"""What a subscriber's next digest would hold right now: read from the store, nothing
changed (the preferences page and `radar preview`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.engine import Connection

from worker.config import Settings
from worker.digest.build import Digest
from worker.digest.compose import digest_for
from worker.districts import Gazetteer
from worker.models import Subscriber
from worker.store import digests as digest_rows


def next_digest(conn: Connection, subscriber: Subscriber, settings: Settings,
                gazetteer: Gazetteer, source_names: Mapping[str, str], now: datetime
                ) -> Digest | None:
    """The digest as it would be built now; None if nothing waits."""
    assert subscriber.id is not None
    entries = digest_rows.undelivered(conn, subscriber.id)
    if not entries:
        return None
    return digest_for(subscriber, entries, settings, gazetteer, source_names, now)
