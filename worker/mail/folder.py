"""Sender that writes each message to an outbox folder: NAME.eml plus NAME.html to open."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import TracebackType
from typing import Self

from worker.errors import PermanentMailError
from worker.mail.message import Outgoing

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


class FolderSender:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.written: list[Path] = []

    async def __aenter__(self) -> Self:
        self.outbox.mkdir(parents=True, exist_ok=True)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def send(self, mail: Outgoing) -> None:
        """Write atomically; the same Message-ID overwrites its own file, never doubles."""
        stem = _UNSAFE.sub("_", f"{mail.recipient}-{mail.message_id.strip('<>').split('@')[0]}")
        eml = self.outbox / f"{stem}.eml"
        try:
            _write(eml, mail.data)
            if mail.html is not None:
                _write(eml.with_suffix(".html"), mail.html.encode("utf-8"))
        except OSError as e:
            raise PermanentMailError(f"cannot write to outbox {self.outbox}: {e}") from e
        self.written.append(eml)


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
