"""The SMTP sender against a real aiosmtpd server on loopback."""

import asyncio
from email.message import EmailMessage

import pytest

from tests.smtpserver import SmtpServer
from worker.config import SmtpSettings
from worker.errors import PermanentMailError, TransientMailError
from worker.mail.message import Outgoing, outgoing
from worker.mail.smtp import RecipientRejected, SmtpSender


def message(to: str, n: int) -> Outgoing:
    m = EmailMessage()
    m["From"] = "radar@radar.test"
    m["To"] = to
    m["Subject"] = f"测试 {n}"
    m["Message-ID"] = f"<t{n}@radar.test>"
    m.set_content(f"正文 {n}")
    return outgoing(m)


def settings(server: SmtpServer) -> SmtpSettings:
    return SmtpSettings(host=server.host, port=server.port, timeout_seconds=5)


def test_a_batch_goes_over_one_connection(smtp_server: SmtpServer) -> None:
    async def go() -> None:
        async with SmtpSender(settings(smtp_server)) as sender:
            for n in range(5):
                await sender.send(message(f"user{n}@example.com", n))
    asyncio.run(go())
    received = smtp_server.handler.messages
    assert [r.recipients for r in received] == [[f"user{n}@example.com"] for n in range(5)]
    assert received[0].message["Subject"] == "测试 0"
    assert len(smtp_server.handler.sessions) == 1


def test_rejections_are_classified_and_the_batch_goes_on(smtp_server: SmtpServer) -> None:
    outcomes: list[str] = []

    async def go() -> None:
        async with SmtpSender(settings(smtp_server)) as sender:
            for n, to in enumerate(["reject@example.com", "defer@example.com",
                                    "ok@example.com"]):
                try:
                    await sender.send(message(to, n))
                    outcomes.append("sent")
                except RecipientRejected as e:
                    outcomes.append(f"rejected: {e}")
                except TransientMailError as e:
                    outcomes.append(f"deferred: {e}")
    asyncio.run(go())
    assert outcomes[0].startswith("rejected: ") and "550" in outcomes[0]
    assert outcomes[1].startswith("deferred: ") and "451" in outcomes[1]
    assert outcomes[2] == "sent"
    assert [r.recipients for r in smtp_server.handler.messages] == [["ok@example.com"]]


def test_server_down_is_transient() -> None:
    async def go() -> None:
        async with SmtpSender(SmtpSettings(host="127.0.0.1", port=9, timeout_seconds=2)) as s:
            await s.send(message("a@example.com", 1))
    with pytest.raises(TransientMailError, match=r"127\.0\.0\.1:9"):
        asyncio.run(go())


def test_rejected_is_permanent() -> None:
    assert issubclass(RecipientRejected, PermanentMailError)
    assert not issubclass(RecipientRejected, TransientMailError)
