"""A real SMTP server on loopback (aiosmtpd) that records every message it accepts.

Recipients starting with "reject" get 550, with "defer" get 451, so tests can see how
permanent and temporary refusals are handled. For fault injection a test scripts the
server's next answers (`Faults`), or stops it and starts it again on the same port.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.processes import free_port

DROP = "drop"  # close the connection instead of answering (message not accepted)


@dataclass
class Faults:
    """Scripted misbehaviour: each queue is consumed one answer per attempt.

    An answer is an SMTP reply line ("451 4.3.0 try later"), DROP, or ("slow", seconds)
    to answer normally only after that delay.
    """

    mail: deque[Any] = field(default_factory=deque)  # per MAIL FROM, whoever the recipient
    rcpt: dict[str, deque[Any]] = field(default_factory=lambda: defaultdict(deque))
    data: dict[str, deque[Any]] = field(default_factory=lambda: defaultdict(deque))

    def script(self, stage: str, recipient: str, *answers: Any) -> None:
        """The next answers at RCPT or DATA for this recipient."""
        getattr(self, stage)[recipient].extend(answers)


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.time)  # when the server accepted it


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    sessions: set[Any] = field(default_factory=set)
    rcpt_delay: float = 0.0  # a slow server: each recipient takes this long to accept
    faults: Faults = field(default_factory=Faults)
    refusals: list[str] = field(default_factory=list)  # every scripted answer given

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: Any) -> str:
        if self.faults.mail:
            reply = await self._apply(server, self.faults.mail.popleft(), "MAIL")
            if reply is not None:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        scripted = self.faults.rcpt.get(address)
        if scripted:
            reply = await self._apply(server, scripted.popleft(), f"RCPT {address}")
            if reply is not None:
                return reply
        local = address.split("@")[0]
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("defer"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        scripted = next((self.faults.data[r] for r in envelope.rcpt_tos
                         if self.faults.data.get(r)), None)
        answer = scripted.popleft() if scripted else None
        if isinstance(answer, tuple):  # accepted, but the 250 comes too late
            self._record(session, envelope)
            await self._apply(server, answer, "DATA")
            return "250 Message accepted"
        if answer is not None:
            reply = await self._apply(server, answer, "DATA")
            return reply or "250 Message accepted"
        self._record(session, envelope)
        return "250 Message accepted"

    def _record(self, session: Any, envelope: Any) -> None:
        self.sessions.add(session.peer)  # a new TCP connection has a new client port
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))

    async def _apply(self, server: Any, answer: Any, where: str) -> str | None:
        """Carry out one scripted answer; the reply to give, or None to go on normally."""
        self.refusals.append(f"{where}: {answer}")
        if isinstance(answer, tuple):
            await asyncio.sleep(answer[1])
            return None
        if answer == DROP:
            server.transport.close()
            return "421 4.4.2 connection dropped"  # never reaches the client
        return str(answer)

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.messages if address in r.recipients]

    def recipients(self) -> list[str]:
        return [r for m in self.messages for r in m.recipients]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler
    controller: Controller | None = None
    login: tuple[str, str] | None = None  # AUTH required, with these credentials

    def start(self) -> None:
        auth: dict[str, Any] = {}
        if self.login is not None:  # a relay that demands AUTH (plain text on loopback)
            auth = {"authenticator": self._authenticate, "auth_required": True,
                    "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **auth)
        self.controller.start()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        given = (auth_data.login.decode(), auth_data.password.decode()) \
            if isinstance(auth_data, LoginPassword) else None
        return AuthResult(success=given == self.login, handled=False)

    def stop(self) -> None:
        """Down: connections are refused until start() (same port, same records)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def serve_smtp(login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port(), RecordingHandler(), login=login)
    server.start()
    try:
        yield server
    finally:
        server.stop()
