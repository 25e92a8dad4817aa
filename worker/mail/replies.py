"""Whose problem an SMTP refusal is (pure; RFC 5321 §4.2, enhanced codes RFC 3463).

    4xx anywhere                            transient: send again later
    5xx at RCPT about the mailbox           the recipient's: that digest fails, a hard bounce
    5xx at DATA about this message          the message's: that digest fails, no bounce
    every other 5xx                         the operator's: login refused, authentication
                                            required, sender or domain refused, relaying
                                            denied, our host blocklisted, DMARC

Most relays check the sender and the client at RCPT (Postfix delays its restrictions to
RCPT by default), so a 5xx at RCPT is the recipient's only when it is about the mailbox:
an addressing or mailbox status (5.1.x but 5.1.7/5.1.8, 5.2.x, 5.4.x) or, without an
enhanced code, words about the user or mailbox and none about the sender side.
"""

from __future__ import annotations

import re
from typing import Literal

Stage = Literal["connect", "auth", "mail", "rcpt", "data"]
Whose = Literal["transient", "recipient", "message", "operator"]

_ENHANCED = re.compile(r"^\s*5\.(\d{1,3})\.(\d{1,3})\b")
_SENDER_SIDE = re.compile(
    r"sender|relay|auth|login|credential|spf|dkim|dmarc|unauthenticated|blocklist|"
    r"blacklist|spamhaus|\brbl\b|client host|helo|ehlo|reverse dns|\bptr\b|starttls|"
    r"\btls\b|not permitted to send|quota exceeded for|rate limit|too many",
    re.IGNORECASE)
_MAILBOX = re.compile(r"user|mailbox|recipient|no such|unknown|does not exist|not exist|"
                      r"disabled|inactive|invalid address|address rejected|not found",
                      re.IGNORECASE)
_RECIPIENT_SUBJECTS = {1, 2, 4}  # addressing, mailbox, network/routing of the destination
_SENDER_ADDRESSING = {7, 8}  # 5.1.7 bad sender's mailbox syntax, 5.1.8 bad sender's system


def whose(stage: Stage, code: int, message: str) -> Whose:
    """Who must act on a refusal with this code and text at this stage."""
    if code < 500:
        return "transient"
    enhanced = _ENHANCED.match(message)
    about_us = bool(_SENDER_SIDE.search(message))
    if stage == "rcpt":
        if enhanced:
            subject, detail = int(enhanced[1]), int(enhanced[2])
            if subject == 1 and detail in _SENDER_ADDRESSING:
                return "operator"
            if subject in _RECIPIENT_SUBJECTS and not about_us:
                return "recipient"
        if not about_us and _MAILBOX.search(message):
            return "recipient"
        return "operator"
    if stage == "data":
        security = enhanced is not None and enhanced[1] == "7"
        return "operator" if security or about_us else "message"
    return "operator"  # connect, login, MAIL FROM: it is about us
