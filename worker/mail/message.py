"""The MIME message for a rendered digest (pure; RFC 5322, 2047, 2369, 8058)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from worker.digest.render import Rendered


@dataclass(frozen=True)
class Envelope:
    """Who and what the message is for, beyond its bodies."""

    sender: str  # "Name <addr>" or "addr"
    recipient: str
    recipient_name: str
    digest_key: str  # "subscriber_id:period_key": the Message-ID comes from it
    list_id: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None


def message_id(digest_key: str, sender: str) -> str:
    """Same digest, same Message-ID: a re-send after a crash is recognisably the same mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "district-radar.invalid"
    return f"<digest.{hashlib.sha256(digest_key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(rendered: Rendered, envelope: Envelope, now: datetime) -> EmailMessage:
    """multipart/alternative (text, then HTML) with list and one-click unsubscribe headers."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = rendered.subject
    message["From"] = envelope.sender
    message["To"] = Address(display_name=envelope.recipient_name, addr_spec=envelope.recipient)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(envelope.digest_key, envelope.sender)
    message["List-Id"] = f"天津区域投资动态 <{envelope.list_id}>"
    unsubscribe = f"<{envelope.unsubscribe_url}>"
    if envelope.unsubscribe_mailto:
        unsubscribe += f", <mailto:{envelope.unsubscribe_mailto}?subject=unsubscribe>"
    message["List-Unsubscribe"] = unsubscribe
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
