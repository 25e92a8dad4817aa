"""Delivery-status notifications (RFC 3464) → one verdict per recipient (pure).

Most bounces arrive after our relay accepted the mail, as a DSN to the From address. Only a
permanent failure that says the mailbox is bad counts, exactly as a 5xx at RCPT does in the
SMTP session (`worker/mail/replies.py` decides that, on the Status and Diagnostic-Code):

    Action           Status                                   kind       counted
    failed           5.x.x about the mailbox (5.1.x, 5.2.x,    hard       yes
                     5.4.x, or "user unknown" words)
    failed           5.7.x, 5.1.7/5.1.8, spam/SPF/DMARC/        policy     no: ours to fix
                     sender/blocklist words
    failed           5.3.x, 5.6.x (too big, content)           message    no
    failed           any other 5.x.x                           unclear    no
    failed, delayed  4.x.x                                     temporary  no
    delivered, relayed, expanded                               other      no

A mail that is not a delivery report (qmail's "failure notice", an auto-reply) raises
`NotADsnError`; bytes that are not a mail at all, or a report cut off before its status,
raise `NotMailError`.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email import errors
from email.message import Message
from email.parser import HeaderParser
from typing import Literal

from worker.mail.replies import whose

Kind = Literal["hard", "policy", "message", "unclear", "temporary", "other"]

STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")  # RFC 6533
HEADER_PARTS = ("message/rfc822", "message/global", "text/rfc822-headers",
                "message/global-headers")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"^\s*([45])\d\d\b")
_POLICY = re.compile(
    r"spam|junk|policy|reputation|abuse|block ?list|black ?list|blocked|spamhaus|\brbl\b|"
    r"\bspf\b|dkim|dmarc|sender|unauthenticated|reverse dns|\bptr\b", re.IGNORECASE)
_BLOCKS = re.compile(r"\r?\n[ \t]*\r?\n")


class NotMailError(ValueError):
    """Not a mail (binary, no header), or a report cut off before its status fields."""


class NotADsnError(ValueError):
    """A mail, but not an RFC 3464 delivery report (e.g. qmail's plain-text notice)."""


@dataclass(frozen=True)
class Recipient:
    original: str  # Original-Recipient (what we sent to), lower-case; "" if absent
    final: str  # Final-Recipient, lower-case
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1"; "" when the report gives none
    diagnostic: str  # Diagnostic-Code without its type, on one line
    kind: Kind
    key: str  # the same bounce imported twice has the same key

    @property
    def address(self) -> str:
        return self.original or self.final

    @property
    def addresses(self) -> tuple[str, ...]:
        """Where to look for the subscriber: the address we sent to first."""
        return tuple(dict.fromkeys(a for a in (self.original, self.final) if a))


@dataclass(frozen=True)
class Report:
    message_id: str  # the DSN's own
    original_message_id: str  # of the mail that bounced, when the report returns its headers
    recipients: tuple[Recipient, ...]


def parse(data: bytes) -> Report:
    """Read a delivery report; raise NotMailError / NotADsnError for anything else."""
    if _binary(data[:8192]):
        raise NotMailError("binary data, not a mail")
    message = email.message_from_bytes(data)
    if not message.keys() or not _looks_like_mail(message):
        raise NotMailError("no mail header fields")
    if not re.search(rb"\r?\n\r?\n|\r\r", data):
        raise NotMailError("the header never ends: cut off?")
    parts = [p for p in message.walk() if p.get_content_type() in STATUS_PARTS]
    if not parts and message.get_content_type() == "multipart/report":
        raise NotMailError("a delivery report without its status part: cut off or damaged")
    if not parts:
        raise NotADsnError(f"not a delivery report (RFC 3464): {message.get_content_type()}"
                           f", subject {_one_line(message.get('Subject', ''))!r}")
    per_message, blocks = _fields(parts[0])
    if not blocks and _truncated(message):
        raise NotMailError("a delivery report cut off before its status fields")
    own_id = _one_line(message.get("Message-ID", ""))
    original_id = _original_message_id(message) or \
        _one_line(per_message.get("X-Original-Message-ID", ""))
    anchor = original_id or own_id or hashlib.sha256(data).hexdigest()
    recipients = tuple(r for r in (_recipient(b, anchor) for b in blocks) if r is not None)
    return Report(own_id, original_id, recipients)


def judge(action: str, status: str, diagnostic: str) -> Kind:
    """What one recipient's fields mean for their address (the table above)."""
    if action not in ("failed", "error"):  # OpenSMTPD writes "error"
        return "temporary" if action == "delayed" else "other"
    found = _STATUS.search(status)
    if found is None or found[1] == "2":
        return "unclear" if found is None else "other"
    if found[1] == "4":
        return "temporary"
    subject, detail = int(found[2]), int(found[3])
    if subject == 7 or (subject == 1 and detail in (7, 8)) or _POLICY.search(diagnostic):
        return "policy"
    if whose("rcpt", 550, f"{found[0]} {diagnostic}") == "recipient":
        return "hard"
    return "message" if subject in (3, 6) else "unclear"


def _binary(sample: bytes) -> bool:
    """Control bytes other than tab, line ends and ESC (ISO-2022-JP): a real DSN here had
    one NUL in its subject, an image or archive has one in ten."""
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 27))
    return controls > max(8, len(sample) // 20)


def _looks_like_mail(message: Message) -> bool:
    """The parser takes any text for a body; a mail has a From, Date or MIME header."""
    names = {k.lower() for k in message}
    return bool(names & {"from", "date", "message-id", "content-type", "mime-version",
                         "subject", "received", "return-path"})


def _truncated(message: Message) -> bool:
    cut = (errors.CloseBoundaryNotFoundDefect, errors.StartBoundaryNotFoundDefect)
    return any(isinstance(d, cut) for part in message.walk() for d in part.defects)


def _fields(part: Message) -> tuple[Message, list[Message]]:
    """The per-message fields and the per-recipient blocks of a delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    else:  # encoded, or a parser that left it as text
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
        blocks = [HeaderParser().parsestr(b.strip() + "\n")
                  for b in _BLOCKS.split(text) if b.strip()]
    blocks = [b for b in blocks if b.keys()]
    if not blocks:
        return Message(), []
    return blocks[0], [b for b in blocks[1:] if "Final-Recipient" in b or
                       "Original-Recipient" in b]


def _recipient(block: Message, anchor: str) -> Recipient | None:
    original = _address(block.get("Original-Recipient", ""))
    final = _address(block.get("Final-Recipient", ""))
    if not (original or final):
        return None
    action = _one_line(block.get("Action", "")).lower().split(" ", 1)[0].rstrip(";")
    diagnostic = _one_line(block.get("Diagnostic-Code", "")).partition(";")[2].strip() \
        or _one_line(block.get("Diagnostic-Code", ""))
    status = _status(_one_line(block.get("Status", "")), diagnostic)
    address = original or final
    key = hashlib.sha256(f"{address}\n{anchor}\n{status}".encode()).hexdigest()
    return Recipient(original, final, action, status, diagnostic,
                     judge(action, status, diagnostic), key)


def _status(field: str, diagnostic: str) -> str:
    """The Status field's code; without one, the code the diagnostic gives."""
    found = _STATUS.search(field) or _STATUS.search(diagnostic)
    if found:
        return found[0]
    basic = _BASIC.match(diagnostic)
    return f"{basic[1]}.0.0" if basic else ""


def _address(field: str) -> str:
    """`rfc822; Someone@Example.org` → `someone@example.org` (another type: "")."""
    kind, sep, value = _one_line(field).partition(";")
    if not sep:
        kind, value = "rfc822", kind  # seen in the wild: the address alone, or <address>
    if kind.strip().lower() not in ("rfc822", "utf-8"):
        return ""
    value = value.strip().strip("<>").strip()
    return value.lower() if "@" in value else ""


def _original_message_id(message: Message) -> str:
    """The Message-ID of the returned message (whole, or its headers only)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind not in HEADER_PARTS:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            headers = payload[0]
        else:
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
            headers = HeaderParser().parsestr(text, headersonly=True)
        value = _one_line(headers.get("Message-ID", ""))
        if value:
            return value
    return ""


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
