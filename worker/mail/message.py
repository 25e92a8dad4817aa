"""The MIME message for a rendered digest (pure; RFC 5322, 2047, 2369, 8058)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, make_msgid, parseaddr

from worker.digest.render import Rendered


class _UrlListHeader(UnstructuredHeader):
    """List-Unsubscribe: URLs must reach the client as written (RFC 2369), but the SMTP
    policy turns any token longer than a line into an RFC 2047 encoded-word. Fold only
    between the URLs, never encode (lines stay under RFC 5322's 998-character limit)."""

    name: str  # HeaderRegistry mixes in BaseHeader, which sets it

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        return f"{self.name}: " + f",{linesep} ".join(str(self).split(", ")) + linesep


_REGISTRY = HeaderRegistry()
_REGISTRY.map_to_type("list-unsubscribe", _UrlListHeader)  # type: ignore[arg-type]
POLICY = SMTP.clone(header_factory=_REGISTRY)


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
    digest = hashlib.sha256(digest_key.encode()).hexdigest()[:32]
    return f"<digest.{digest}@{sender_domain(sender)}>"


def sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "district-radar.invalid"


def build_message(rendered: Rendered, envelope: Envelope, now: datetime) -> EmailMessage:
    """multipart/alternative (text, then HTML) with list and one-click unsubscribe headers."""
    message = EmailMessage(policy=POLICY)
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


def build_ops_alert(sender: str, to: str, subject: str, body: str, now: datetime
                    ) -> EmailMessage:
    """A plain-text note to ops about a source that needs a person."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = f"[district-radar] {subject}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("ops", domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return message


def empty_source_alert(source_id: str, url: str, streak: int) -> tuple[str, str]:
    """(subject, body): an HTML list page keeps giving no items."""
    return (f"source {source_id} gives no items ({streak} polls)",
            f"The list page of source {source_id} has given no items in {streak} polls in a "
            f"row:\n\n  {url}\n\nThe site was probably redesigned and its selectors in "
            "sources.yaml no longer match. Try them with:\n\n"
            f"  radar sources test {source_id}\n")


def gone_source_alert(source_id: str, url: str, reason: str) -> tuple[str, str]:
    """(subject, body): the source's address answers 404 / 410."""
    return (f"source {source_id} is gone ({reason})",
            f"Source {source_id} answered {reason}:\n\n  {url}\n\nThe site probably moved "
            "the page. Find its new address, change the url in sources.yaml and check it "
            f"with:\n\n  radar sources test {source_id}\n\nIt is still polled; this mail "
            "is not repeated until the source has worked again.\n")
