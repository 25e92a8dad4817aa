"""What happens to a claimed digest, decided from data alone (pure, table-tested).

    claimed ─► triage ─► cancel   the subscriber left or paused meanwhile
                     ├─► discard  nothing in it (its period stays open)
                     └─► send ─► sent
                                 failure ─► on_failure ─► deferred     back to pending, retry later
                                                     ├─► unreachable  same, and the round stops
                                                     ├─► refused      the server refuses us:
                                                     │                handed back untried, the
                                                     │                round stops, ops are told
                                                     └─► failed       for good (+ hard bounce
                                                                      if the address was refused)
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
    SenderRejected,
    TransientMailError,
)
from worker.store.digests import DigestContents

# "unreachable": deferred because no SMTP session could be opened; "refused": the server
# refuses to send for us (login, sender, relay). Either stops the round there.
SendOutcome = Literal["sent", "deferred", "unreachable", "refused", "failed", "empty",
                      "taken", "cancelled"]
STOPS_THE_ROUND: tuple[SendOutcome, ...] = ("unreachable", "refused")
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
    retry_at: datetime | None = None  # back to pending until then
    hard_bounce: bool = False  # counts towards suspending the subscriber


def on_failure(error: MailError, attempts: int, service: ServiceSettings, now: datetime
               ) -> Failure:
    """Transient errors are retried with backoff; a refusal of us fails nothing (the
    operator must act); a permanent one fails the digest, and a rejected recipient also
    counts as a hard bounce."""
    if isinstance(error, SenderRejected):
        return Failure("refused")
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
