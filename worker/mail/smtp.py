"""Sender over SMTP with aiosmtplib: one connection reused for a batch."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import aiosmtplib

from worker.config import SmtpSettings
from worker.errors import (
    MailError,
    MailServerUnreachable,
    MessageRejected,
    RecipientRejected,
    SenderRejected,
    TransientMailError,
)
from worker.mail import dataprep
from worker.mail.message import Outgoing
from worker.mail.replies import Stage, whose


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
        where = f"{s.host}:{s.port}"
        try:
            await client.connect()
            if s.username:
                password = s.password.get_secret_value() if s.password else ""
                await _login(client, s.username, password, where)
        except aiosmtplib.SMTPException as e:
            if client.is_connected:  # connected, then refused (login): do not leak it
                client.close()
            raise _translate(e, where, connecting=True) from e
        except SenderRejected:
            client.close()
            raise
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


async def _login(client: aiosmtplib.SMTP, username: str, password: str, where: str) -> None:
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    if not client.supports_extension("auth"):
        # Many servers offer AUTH only after STARTTLS; either way, no login is possible.
        raise SenderRejected(f"{where}: the server offers no SMTP AUTH, but "
                             "mail.smtp.username is set (set mail.smtp.starttls: true if it "
                             "offers AUTH over TLS only, or remove the username)")
    await client.login(username, password)


def _translate(error: aiosmtplib.SMTPException, what: str, connecting: bool = False
               ) -> MailError:
    """Translate by whose problem it is (`replies.whose`). A temporary failure while
    connecting means no session at all: the rest of a batch should wait too."""
    transient = MailServerUnreachable if connecting else TransientMailError
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return _refused_recipient(error, what)
    if not isinstance(error, aiosmtplib.SMTPResponseException):
        # connect errors, timeouts, server disconnected
        return transient(f"{what}: {type(error).__name__}: {error}")
    stage = _stage(error, connecting)
    text = f"{what}: SMTP {error.code} {error.message}"
    verdict = whose(stage, error.code, error.message)
    if verdict == "transient":
        return transient(text)
    if verdict == "message":
        return MessageRejected(f"{text} (the server refused this message)")
    return SenderRejected(f"{text} ({_advice(stage)})")


def _refused_recipient(error: aiosmtplib.SMTPRecipientsRefused, what: str) -> MailError:
    verdicts = [whose("rcpt", r.code, r.message) for r in error.recipients]
    detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
    if verdicts and all(v == "recipient" for v in verdicts):
        return RecipientRejected(f"{what}: recipient rejected: {detail}")
    if "operator" in verdicts:
        return SenderRejected(f"{what}: SMTP server refused to relay for us: {detail} "
                              f"({_advice('rcpt')})")
    return TransientMailError(f"{what}: recipient deferred: {detail}")


def _stage(error: aiosmtplib.SMTPResponseException, connecting: bool) -> Stage:
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return "auth"
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return "mail"
    if isinstance(error, aiosmtplib.SMTPDataError):
        return "data"
    return "connect" if connecting else "mail"


def _advice(stage: Stage) -> str:
    if stage == "auth":
        return "check mail.smtp.username and SMTP_PASSWORD"
    return ("check mail.from, mail.smtp.username / SMTP_PASSWORD and that the relay "
            "accepts the From domain")
