"""CSRF tokens, request rate limits and safe response headers for the web app."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque

CSRF_COOKIE = "radar_csrf"
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the URLs carry tokens
    "Cache-Control": "no-store",
}


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, field: str | None) -> bool:
    """Double submit: the form field must equal the cookie only this site can set."""
    return bool(cookie) and bool(field) and hmac.compare_digest(str(cookie), str(field))


class RateLimit:
    """At most `limit` events per `window` seconds per key, in this process."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True
