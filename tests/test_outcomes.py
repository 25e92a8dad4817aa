"""The decisions of the delivery step, from data alone (no database, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.config import ServiceSettings
from worker.errors import (
    MailError,
    MailServerUnreachable,
    MessageRejected,
    PermanentMailError,
    RecipientRejected,
    SenderRejected,
    TransientMailError,
)
from worker.models import DistrictTag, Entry, Item, Subscriber
from worker.pipeline.outcomes import Failure, batch_size, batches, on_failure, triage
from worker.store.digests import DigestContents

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)
# No jitter below the base: the first retry waits between base/2 and base (backoff.py).
SERVICE = ServiceSettings(retry_base_seconds=30, retry_max_seconds=3600)


@pytest.mark.parametrize(("error", "outcome", "retried", "bounce"), [
    (TransientMailError("451 try later"), "deferred", True, False),
    (MailServerUnreachable("connection refused"), "unreachable", True, False),
    (RecipientRejected("550 no such user"), "failed", False, True),
    (PermanentMailError("554 message refused"), "failed", False, False),
    (MessageRejected("552 5.3.4 too big"), "failed", False, False),
    (SenderRejected("535 5.7.8 bad credentials"), "refused", False, False),
])
def test_what_a_failure_means(error: MailError, outcome: str, retried: bool, bounce: bool
                              ) -> None:
    failure = on_failure(error, attempts=1, service=SERVICE, now=NOW)
    assert failure.outcome == outcome
    assert (failure.retry_at is not None) == retried
    assert failure.hard_bounce == bounce


def test_retries_back_off_up_to_the_cap() -> None:
    waits = [on_failure(TransientMailError("451"), attempts, SERVICE, NOW).retry_at
             for attempts in (1, 3, 20)]
    assert all(w is not None and w > NOW for w in waits)
    assert waits[2] is not None and waits[2] - NOW <= timedelta(seconds=3600)
    assert on_failure(PermanentMailError("554"), 1, SERVICE, NOW) == Failure("failed")


def contents(status: str, entries: int) -> DigestContents:
    item = Item("s", "g", "http://t.test/1", "标题", "", NOW, "project",
                (DistrictTag("武清区", ("title",)),), "fp", id=1)
    return DigestContents(7, Subscriber("a@example.com", status=status, id=3),  # type: ignore[arg-type]
                          "w:2025-07-28", NOW, 0,
                          tuple(Entry(i, item, (), ()) for i in range(entries)))


@pytest.mark.parametrize(("status", "entries", "verdict"), [
    ("active", 2, "send"),
    ("active", 0, "discard"),
    ("paused", 2, "cancel"),
    ("unsubscribed", 2, "cancel"),
    ("suspended", 0, "cancel"),
])
def test_triage_of_a_claimed_digest(status: str, entries: int, verdict: str) -> None:
    assert triage(contents(status, entries)) == verdict


@pytest.mark.parametrize(("digests", "sessions", "most", "size"), [
    (0, 4, 20, 1), (3, 4, 20, 1), (80, 4, 20, 20), (100, 4, 20, 20), (30, 4, 20, 8),
])
def test_batches_spread_over_the_sessions(digests: int, sessions: int, most: int, size: int
                                          ) -> None:
    assert batch_size(digests, sessions, most) == size
    split = batches(list(range(digests)), size)
    assert [d for batch in split for d in batch] == list(range(digests))
