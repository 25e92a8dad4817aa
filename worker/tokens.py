"""HMAC-signed, purpose-bound tokens for the links in emails (no login needed).

token = base64url(subscriber_id.purpose.issued) + "." + base64url(hmac-sha256)
A token made for one purpose or subscriber never verifies as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Literal

from worker.errors import BadToken

__all__ = ["BadToken", "Purpose", "issued_at", "make_token", "read_token"]

Purpose = Literal["confirm", "manage", "unsubscribe"]


def make_token(secret: str, subscriber_id: int, purpose: Purpose, issued: datetime) -> str:
    payload = f"{subscriber_id}.{purpose}.{int(issued.timestamp())}".encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, payload))}"


def read_token(
    secret: str, token: str, purpose: Purpose, now: datetime, max_age: timedelta
) -> int:
    """The subscriber id in a valid token; BadToken otherwise."""
    try:
        payload_part, signature_part = token.split(".")
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
        subscriber, token_purpose, issued = payload.decode().split(".")
        issued_at = int(issued)
        subscriber_id = int(subscriber)
    except (ValueError, UnicodeDecodeError):
        raise BadToken("malformed token") from None
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise BadToken("bad signature")
    if token_purpose != purpose:
        raise BadToken(f"token is for {token_purpose}, not {purpose}")
    if now.timestamp() - issued_at > max_age.total_seconds():
        raise BadToken("token expired")
    return subscriber_id


def issued_at(token: str) -> datetime:
    """When a token that `read_token` accepted was made (UTC, to the second)."""
    issued = _unb64(token.split(".")[0]).decode().rsplit(".", 1)[1]
    return datetime.fromtimestamp(int(issued), UTC)


def _sign(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
