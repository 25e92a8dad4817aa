"""What happens to a claimed digest, decided from data alone (pure, table-tested).

    claimed ─► triage ─► cancel   the subscriber left or paused meanwhile
                     ├─► discard  nothing in it (its period stays open)
                     └─► send ─► sent
                                 failure ─► on_failure ─► deferred     back to pending, retry later
                                                     ├─► unreachable  same, and the batch stops
                                                     └─► failed       for good (+ hard bounce)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from worker.backoff import backoff_seconds
from worker.config import ServiceSettings
from worker.errors import (
    MailError,
    MailServerUnreachable,
    RecipientRejected,
    TransientMailError,
)
from worker.store.digests import DigestContents

# "unreachable": deferred because no SMTP session could be opened; the batch stops there.
SendOutcome = Literal["sent", "deferred", "unreachable", "failed", "empty", "taken",
                      "cancelled"]
Triage = Literal["cancel", "discard", "send"]


def triage(contents: DigestContents) -> Triage:
    """Whether a digest just claimed is to be sent at all."""
    if contents.subscriber.status != "active":
        return "cancel"
    return "send" if contents.entries else "discard"


@dataclass(frozen=True)
class Failure:
    """What a failed send means for its digest and its subscriber."""

    outcome: SendOutcome
    retry_at: datetime | None = None  # back to pending until then; None: failed for good
    hard_bounce: bool = False  # counts towards suspending the subscriber


def on_failure(error: MailError, attempts: int, service: ServiceSettings, now: datetime
               ) -> Failure:
    """Transient errors are retried with backoff; a permanent one fails the digest, and
    a rejected recipient also counts as a hard bounce."""
    if isinstance(error, TransientMailError):
        outcome: SendOutcome = "unreachable" if isinstance(error, MailServerUnreachable) \
            else "deferred"
        return Failure(outcome, retry_at(attempts, service, now))
    return Failure("failed", hard_bounce=isinstance(error, RecipientRejected))


def retry_at(attempts: int, service: ServiceSettings, now: datetime) -> datetime:
    """When a digest that failed `attempts` times may be tried again."""
    wait = backoff_seconds(attempts, service.retry_base_seconds, service.retry_max_seconds)
    return now + timedelta(seconds=wait)


def batch_size(digests: int, sessions: int, most: int) -> int:
    """Digests per batch: spread over the sessions, at most `most` each."""
    return max(1, min(most, -(-digests // sessions)))


def batches(digest_ids: Sequence[int], size: int) -> list[list[int]]:
    return [list(digest_ids[i:i + size]) for i in range(0, len(digest_ids), size)]
