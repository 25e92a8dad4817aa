"""Mail: MIME building (pure) and interchangeable senders (smtp, folder)."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from worker.mail.message import Outgoing


class Sender(Protocol):
    """Sends messages over one session: `async with sender: await sender.send(m)`."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def send(self, mail: Outgoing) -> None:
        """Deliver or raise TransientMailError / PermanentMailError."""
        ...
