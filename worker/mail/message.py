"""Messages ready for the wire (pure; RFC 5322, 2045-2047, 2369, 2919, 8058).

Digests, the bulk of the mail, are serialized directly: a fixed multipart/alternative of
two base64 UTF-8 parts, with headers encoded by the email package's `Header` and
`formataddr`. Building and flattening an `EmailMessage` took 2.1 ms per digest, ten times
this, and was most of the rendering cost. The few other mails (ops alerts, sign-up
confirmations) are `EmailMessage`s turned into the same `Outgoing` by `outgoing()`.
"""

from __future__ import annotations

import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache

from worker.models import Rendered

# The few mails built as EmailMessage (ops alerts, web mails): CRLF, 78-column folding.
POLICY = SMTP


CRLF = "\r\n"
LIST_NAME = "天津区域投资动态"
BASE64_LINE = 76  # characters of a body line (RFC 2045)
ENCODED_LINE = 76  # a folded line of encoded-words, its leading space included


@dataclass(frozen=True)
class Outgoing:
    """One message as it goes on the wire, with its SMTP envelope."""

    sender: str  # MAIL FROM address
    recipient: str  # RCPT TO address
    message_id: str
    data: bytes  # the whole message, CRLF line ends, 7-bit
    html: str | None = None  # the HTML body, for the folder backend's browser copy


def outgoing(message: EmailMessage) -> Outgoing:
    """An EmailMessage built elsewhere (ops alert, web mail), flattened for sending."""
    html = message.get_body(("html",))
    return Outgoing(
        sender=parseaddr(str(message["From"]))[1],
        recipient=parseaddr(str(message["To"]))[1],
        message_id=str(message["Message-ID"]),
        data=message.as_bytes(policy=POLICY),
        html=html.get_content() if html is not None else None,
    )


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
    reply_to: str | None = None  # "Name <addr>" or "addr"; None: replies go to the sender
    feedback_id: str | None = None  # Gmail Postmaster's "a:b:c:SenderId"


def message_id(digest_key: str, sender: str) -> str:
    """Same digest, same Message-ID: a re-send after a crash is recognisably the same mail."""
    digest = hashlib.sha256(digest_key.encode()).hexdigest()[:32]
    return f"<digest.{digest}@{sender_domain(sender)}>"


def sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "district-radar.invalid"


def build_message(rendered: Rendered, envelope: Envelope, now: datetime) -> Outgoing:
    """multipart/alternative (text, then HTML) with list and one-click unsubscribe headers."""
    unsubscribe = [f"<{envelope.unsubscribe_url}>"]
    if envelope.unsubscribe_mailto:
        unsubscribe.append(f"<mailto:{envelope.unsubscribe_mailto}?subject=unsubscribe>")
    sender_name, sender_address = parseaddr(envelope.sender)
    boundary = f"=_radar_{secrets.token_hex(12)}"  # "_" never occurs in base64 text
    ident = message_id(envelope.digest_key, envelope.sender)
    headers = [
        ("Subject", _encoded("Subject", rendered.subject)),
        ("From", _mailbox("From", sender_name, sender_address)),
        ("To", _mailbox("To", envelope.recipient_name, envelope.recipient)),
        ("Date", format_datetime(now)),
        ("Message-ID", ident),
        ("List-Id", f"{_encoded('List-Id', LIST_NAME)}{CRLF} <{envelope.list_id}>"),
        # URLs reach the client as written (RFC 2369): folded between them, never encoded
        ("List-Unsubscribe", f",{CRLF} ".join(unsubscribe)),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),  # RFC 8058
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no vacation replies
        # what older autoresponders and Exchange heed instead (no out-of-office storms)
        ("Precedence", "bulk"),
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        *_optional_headers(envelope),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;{CRLF} boundary="{boundary}"'),
    ]
    head = CRLF.join(f"{name}: {_one_header(name, value)}" for name, value in headers)
    data = b"".join([
        f"{head}{CRLF}{CRLF}--{boundary}{CRLF}".encode("ascii"),
        _text_part("plain", rendered.text),
        f"{CRLF}--{boundary}{CRLF}".encode("ascii"),
        _text_part("html", rendered.html),
        f"{CRLF}--{boundary}--{CRLF}".encode("ascii"),
    ])
    return Outgoing(sender_address, envelope.recipient, ident, data, rendered.html)


def _optional_headers(envelope: Envelope) -> list[tuple[str, str]]:
    headers = []
    if envelope.reply_to:
        name, address = parseaddr(envelope.reply_to)
        headers.append(("Reply-To", _mailbox("Reply-To", name, address)))
    if envelope.feedback_id:
        headers.append(("Feedback-ID", envelope.feedback_id))
    return headers


def _one_header(name: str, value: str) -> str:
    """A line break may only be a fold (CRLF + space): anything else would inject headers."""
    if "\n" in value.replace(f"{CRLF} ", "") or "\r" in value.replace(f"{CRLF} ", ""):
        raise ValueError(f"{name} header would contain a line break")
    return value


@lru_cache(maxsize=4096)  # the list's name, the sender's, a week's common subjects
def _encoded(name: str, text: str) -> str:
    """RFC 2047 encoded-words (at most 75 characters each, folded) if text is not ASCII."""
    if "\n" in text or "\r" in text:
        raise ValueError(f"{name} header would contain a line break")
    if text.isascii():
        return text
    # The default (76) lets a word reach 76 characters; 76 counted with the folding space
    # keeps each word at 72 (base64 comes in 4-character steps) and each line under 78.
    return Header(text, "utf-8", header_name=name).encode(linesep=CRLF,
                                                           maxlinelen=ENCODED_LINE)


def _mailbox(header: str, name: str, address: str) -> str:
    if any(c in name + address for c in "\r\n"):
        raise ValueError(f"{header} header would contain a line break")
    if not address.isascii():
        raise ValueError(f"{header}: {address!r} is not an ASCII address")
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))  # quotes what needs quoting
    return f"{_encoded(header, name)} <{address}>"


def _text_part(subtype: str, text: str) -> bytes:
    """One base64 UTF-8 part; text lines end in CRLF on the wire (RFC 2046)."""
    # replaced as bytes (UTF-8 has no CR or LF inside a character): 3× faster than as text
    body = text.encode("utf-8")
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    body = body.replace(b"\n", b"\r\n")
    # one C call and slices: base64.encodebytes loops in Python, 57 bytes at a time
    encoded = binascii.b2a_base64(body, newline=False)
    lines = [encoded[i:i + BASE64_LINE] for i in range(0, len(encoded), BASE64_LINE)]
    lines.append(b"")  # every line ends in CRLF, the last one too
    return (f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}").encode("ascii") + \
        b"\r\n".join(lines)


def build_ops_alert(sender: str, to: str, subject: str, body: str, now: datetime
                    ) -> Outgoing:
    """A plain-text note to ops about a source that needs a person."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = f"[district-radar] {subject}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("ops", domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, charset="utf-8")
    return outgoing(message)


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
