"""CSRF tokens, request rate limits, safe response headers and the guard in front of the app.

`RequestGuard` is the outermost layer of `radar web` (plain ASGI, before Starlette):

- a body over `MAX_BODY` is refused with 413 before it is read when Content-Length says
  so, else as soon as that many bytes have arrived (chunked bodies);
- a body that has not fully arrived `BODY_SECONDS` after the request began is refused
  with 408: a client trickling a body (slowloris) holds one coroutine, briefly, never the
  app (uvicorn has no timeout of its own for a request's body or headers);
- a POST that a browser says comes from another site (`Sec-Fetch-Site` other than
  same-origin / none; sibling subdomains too) is refused with 403, whatever its cookies:
  double-submit CSRF cookies can be planted by a sibling subdomain. Without that header
  (older clients) the Origin (or Referer) decides; `Origin: null` is then let through (our
  pages send `Referrer-Policy: no-referrer`, which makes browsers send exactly that). The
  one-click unsubscribe (RFC 8058, sent by mail providers) is exempt: its signed token is
  its authority;
- every response, Starlette's own 404 / 405 too, carries `SAFE_HEADERS`.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

CSRF_COOKIE = "radar_csrf"
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
                               "object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the URLs carry tokens
    "Cache-Control": "no-store",
}
# The largest legitimate form is a few kB; 512 KiB still lets an absurd one (10,000
# keywords: 220 kB) reach validation and get its error shown next to the field.
MAX_BODY = 512 * 1024
BODY_SECONDS = 10.0  # the whole body, from the start of the request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, field: str | None) -> bool:
    """Double submit: the form field must equal the cookie only this site can set."""
    if not cookie or not field:
        return False  # bytes: compare_digest refuses non-ASCII str (was a 500, found by wapiti)
    return hmac.compare_digest(str(cookie).encode(), str(field).encode())


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
        if not events:
            del self._events[key]  # keys of the past do not pile up
            events = self._events[key]
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True


class RequestGuard:
    """Body size and time limits, cross-origin POSTs, safe headers (module docstring)."""

    def __init__(self, app: App, base_url: str, max_body: int = MAX_BODY,
                 body_seconds: float = BODY_SECONDS) -> None:
        self.app, self.max_body, self.body_seconds = app, max_body, body_seconds
        self.base_host = urlsplit(base_url).netloc.lower()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        refusal = self.refuse_at_once(scope, headers)
        if refusal is None:
            body, refusal = await self.read_body(receive)
        if refusal is not None:
            return await _plain(send, *refusal)
        await self.app(scope, _replay(body, receive),
                       _with_safe_headers(send, https=scope.get("scheme") == "https"))

    def refuse_at_once(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return 413, "Request body too large"
        if scope["method"] == "POST" and not scope["path"].startswith("/unsubscribe/") \
                and not self.same_site(headers):
            return 403, "Cross-site form submission refused"
        return None

    def same_site(self, headers: dict[str, str]) -> bool:
        # Browsers say where a request comes from (Fetch Metadata); with our no-referrer
        # policy their Origin is "null", which an attacker's page can send as well.
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "none")
        source = headers.get("origin") or headers.get("referer")
        if source is None or source == "null":
            return True
        claimed = urlsplit(source).netloc.lower()
        return claimed in (self.base_host, headers.get("host", "").lower())

    async def read_body(self, receive: Receive) -> tuple[bytes, tuple[int, str] | None]:
        """The whole body, or why not: too large (413) or too slow (408)."""
        import asyncio  # loaded by then (uvicorn); not for importing the app's module

        loop = asyncio.get_running_loop()
        deadline, chunks, size = loop.time() + self.body_seconds, [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                return b"", (408, "Request body too slow")
            if message["type"] != "http.request":
                return b"", (400, "Client went away")
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return b"", (413, "Request body too large")
            if not message.get("more_body", False):
                return b"".join(chunks), None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, once; then the real channel (for http.disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()
    return replay


def _with_safe_headers(send: Send, https: bool) -> Send:
    wanted = {**SAFE_HEADERS, **({"Strict-Transport-Security": "max-age=31536000"}
                                 if https else {})}

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k.lower().encode(), v.encode()) for k, v in wanted.items()
                     if k.lower().encode() not in present]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)
    return sending


async def _plain(send: Send, status: int, text: str) -> None:
    headers = [(k.lower().encode(), v.encode()) for k, v in SAFE_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
        (b"content-length", str(len(text)).encode()), *headers]})
    await send({"type": "http.response.body", "body": text.encode()})
