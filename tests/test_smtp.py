"""The SMTP sender against a real aiosmtpd server on loopback."""

import asyncio
import re
from email.message import EmailMessage

import aiosmtplib.protocol
import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from tests.smtpserver import SmtpServer
from worker.config import SmtpSettings
from worker.errors import PermanentMailError, RecipientRejected, TransientMailError
from worker.mail import dataprep
from worker.mail.message import Outgoing, outgoing
from worker.mail.smtp import SmtpSender


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


ORIGINAL_LINES = re.compile(dataprep.LINE_ENDINGS)
ORIGINAL_PERIODS = re.compile(dataprep.LEADING_PERIOD)
MAIL_BYTES = st.lists(st.sampled_from([b"\r\n", b"\n", b"\r", b".", b"..", b"a", b"\xe4"]),
                      max_size=40).map(b"".join)


@settings_(max_examples=500, derandomize=True)
@given(MAIL_BYTES)
def test_the_data_fast_path_rewrites_exactly_as_aiosmtplib_would(data: bytes) -> None:
    lines = dataprep.LineEndingsToCRLF(ORIGINAL_LINES)
    periods = dataprep.DoubleLeadingPeriods(ORIGINAL_PERIODS)
    assert lines.sub(b"\r\n", data) == ORIGINAL_LINES.sub(b"\r\n", data)
    assert periods.sub(b"..", data) == ORIGINAL_PERIODS.sub(b"..", data)


def test_the_fast_path_is_installed_and_odd_messages_still_arrive_intact(
    smtp_server: SmtpServer
) -> None:
    SmtpSender(settings(smtp_server))  # installs it (a second install is a no-op)
    assert isinstance(aiosmtplib.protocol.PERIOD_REGEX, dataprep.DoubleLeadingPeriods)
    assert dataprep.install()
    body = b"Subject: odd\r\n\r\n.leading\n..two\rlone CR\r\n.\r\nend"
    mail = Outgoing("radar@radar.test", "odd@example.com", "<odd@radar.test>", body)

    async def go() -> None:
        async with SmtpSender(settings(smtp_server)) as sender:
            await sender.send(mail)
    asyncio.run(go())
    [received] = smtp_server.handler.messages
    assert received.message.get_payload() == ".leading\r\n..two\r\nlone CR\r\n.\r\nend\r\n"
