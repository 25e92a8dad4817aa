"""Sender over SMTP with aiosmtplib: one connection reused for a batch."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import aiosmtplib

from worker.config import SmtpSettings
from worker.errors import (
    MailError,
    MailServerUnreachable,
    PermanentMailError,
    RecipientRejected,
    TransientMailError,
)
from worker.mail import dataprep
from worker.mail.message import Outgoing


class SmtpSender:
    def __init__(self, settings: SmtpSettings, messages_per_connection: int = 100) -> None:
        dataprep.install()  # our messages need no rewriting before DATA; once per process
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._limit = messages_per_connection
        self._sent_on_connection = 0

    async def __aenter__(self) -> Self:
        return self  # connect lazily: a batch with nothing to send opens nothing

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def send(self, mail: Outgoing) -> None:
        client = await self._connected()
        try:
            await client.sendmail(mail.sender, [mail.recipient], mail.data)
        except aiosmtplib.SMTPException as e:
            await self._close()  # after any error (421 too), the next message gets a fresh session
            raise _translate(e, mail.recipient) from e
        self._sent_on_connection += 1
        if self._sent_on_connection >= self._limit:
            await self._close()  # recycle long-lived connections, as providers expect

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, timeout=s.timeout_seconds,
            use_tls=s.ssl, start_tls=s.starttls if s.starttls else False,
        )
        try:
            await client.connect()
            if s.username:
                password = s.password.get_secret_value() if s.password else ""
                await client.login(s.username, password)
        except aiosmtplib.SMTPException as e:
            raise _translate(e, f"{s.host}:{s.port}", connecting=True) from e
        self._client = client
        self._sent_on_connection = 0
        return client

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()


def _translate(error: aiosmtplib.SMTPException, what: str, connecting: bool = False
               ) -> MailError:
    """SMTP 4xx and lost connections are worth retrying; 5xx are not. A temporary failure
    while connecting means no session at all: the rest of a batch should wait too."""
    transient = MailServerUnreachable if connecting else TransientMailError
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        if codes and all(500 <= c < 600 for c in codes):
            return RecipientRejected(f"{what}: recipient rejected: {detail}")
        return TransientMailError(f"{what}: recipient deferred: {detail}")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return PermanentMailError(f"{what}: SMTP login failed: {error.code} {error.message}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        text = f"{what}: SMTP {error.code} {error.message}"
        if 400 <= error.code < 500:
            return transient(text)
        return PermanentMailError(text)
    # connect errors, timeouts, server disconnected
    return transient(f"{what}: {type(error).__name__}: {error}")
