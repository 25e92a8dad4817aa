"""Mail: MIME building (pure) and interchangeable senders (smtp, folder)."""

from __future__ import annotations

from email.message import EmailMessage
from types import TracebackType
from typing import Protocol, Self


class Sender(Protocol):
    """Sends messages over one session: `async with sender: await sender.send(m)`."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def send(self, message: EmailMessage) -> None:
        """Deliver or raise TransientMailError / PermanentMailError."""
        ...
