"""Whose problem an SMTP refusal is (replies.whose), on the replies real servers give."""

from __future__ import annotations

import pytest

from worker.mail.replies import Stage, Whose, whose


@pytest.mark.parametrize(("stage", "code", "message", "expected"), [
    # temporary, anywhere
    ("rcpt", 451, "4.3.0 try again later", "transient"),
    ("mail", 421, "4.3.2 shutting down", "transient"),
    ("auth", 454, "4.7.0 Temporary authentication failure", "transient"),
    # the recipient's: the mailbox does not exist or cannot take mail
    ("rcpt", 550, "5.1.1 <x@example.com>: Recipient address rejected: User unknown in "
                  "virtual mailbox table", "recipient"),
    ("rcpt", 550, "5.1.1 mailbox unavailable", "recipient"),
    ("rcpt", 553, "5.1.3 bad address", "recipient"),
    ("rcpt", 550, "5.2.1 The email account that you tried to reach is disabled", "recipient"),
    ("rcpt", 550, "5.4.1 Recipient address rejected: Access denied. AS(201806281)",
     "recipient"),
    ("rcpt", 550, "No such user here", "recipient"),
    # the operator's, although it came at RCPT
    ("rcpt", 554, "5.7.1 <radar@localhost>: Sender address rejected: Access denied",
     "operator"),
    ("rcpt", 554, "5.7.1 <s0@example.com>: Relay access denied", "operator"),
    ("rcpt", 550, "5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org", "operator"),
    ("rcpt", 553, "5.1.8 <radar@localhost>: Sender address rejected: Domain not found",
     "operator"),
    ("rcpt", 530, "5.7.0 Authentication required", "operator"),
    ("rcpt", 550, "Administrative prohibition", "operator"),  # nothing says whose: stop
    # before any recipient: always the operator's
    ("auth", 535, "5.7.8 Authentication credentials invalid", "operator"),
    ("mail", 530, "5.7.0 Authentication required", "operator"),
    ("mail", 553, "5.7.1 <radar@localhost>: Sender address rejected: not owned by user",
     "operator"),
    ("connect", 554, "5.7.1 Service unavailable; Client host blocked", "operator"),
    # at DATA: the message's, unless it is about who we are
    ("data", 552, "5.3.4 Message size exceeds fixed limit", "message"),
    ("data", 554, "5.6.0 Message rejected: bad content", "message"),
    ("data", 550, "5.7.26 Unauthenticated email from radar.test is not accepted due to "
                  "domain's DMARC policy", "operator"),
    ("data", 554, "5.7.1 Message rejected", "operator"),
])
def test_whose_problem(stage: Stage, code: int, message: str, expected: Whose) -> None:
    assert whose(stage, code, message) == expected
