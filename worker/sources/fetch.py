"""The only HTTP code: conditional GET, timeouts, a size cap, a per-host limit."""

from __future__ import annotations

import asyncio
import email.utils
import ssl
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from worker.config import FetchSettings
from worker.errors import PermanentFetchError, SourceGoneError, TransientFetchError
from worker.models import Validators

NO_VALIDATORS = Validators()  # a plain GET: pages after the first, detail pages


@dataclass(frozen=True)
class FetchResult:
    """A 200 with its body, or a 304 (body None) meaning nothing changed."""

    url: str
    status: int
    body: bytes | None
    content_type: str
    validators: Validators = field(default_factory=Validators)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@cache
def _tls_context() -> ssl.SSLContext:
    """One per process: loading the CA bundle took 51 ms, paid by every poll task (a
    Fetcher each) while digests were being sent (profiled at 30,000 subscribers)."""
    return httpx.create_ssl_context()


class Fetcher:
    """HTTP clients for a poll cycle; use as `async with Fetcher(settings) as f`."""

    def __init__(
        self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport
        # One client per site, each keeping its few connections open between the site's
        # feeds: one pool for hundreds of sites scanned all its connections per request.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._tls = _tls_context()
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.aclose() for c in clients))

    def _client(self, host: str) -> httpx.AsyncClient:
        client = self._clients.get(host)
        if client is None:
            s = self._settings
            client = self._clients[host] = httpx.AsyncClient(
                timeout=httpx.Timeout(s.timeout_seconds),
                follow_redirects=True,
                max_redirects=s.max_redirects,
                headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
                limits=httpx.Limits(max_keepalive_connections=s.per_host),
                verify=self._tls,
                transport=self._transport,
            )
        return client

    async def fetch(self, url: str, validators: Validators = NO_VALIDATORS, *,
                    source_id: str = "") -> FetchResult:
        """GET `url` (conditionally, given validators); TransientFetchError or
        PermanentFetchError naming the URL (and `source_id`, if given) if it fails."""
        host = urlsplit(url).hostname or ""
        async with self._per_host[host]:
            try:
                # The whole exchange is bounded, so a slow-drip body cannot hold us.
                async with asyncio.timeout(self._settings.timeout_seconds * 2):
                    return await self._get(self._client(host), url, validators, source_id)
            except (TimeoutError, httpx.TimeoutException):
                raise TransientFetchError(
                    source_id, url, f"timed out after {self._settings.timeout_seconds:g}s",
                ) from None
            except httpx.TooManyRedirects as e:
                raise PermanentFetchError(source_id, url, f"redirect loop: {e}") from e
            except httpx.TransportError as e:
                reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                raise TransientFetchError(source_id, url, reason) from e

    async def _get(self, client: httpx.AsyncClient, url: str, validators: Validators,
                   source_id: str) -> FetchResult:
        request = client.build_request("GET", url, headers=conditional_headers(validators))
        response = await client.send(request, stream=True)
        body: bytes | None
        try:
            if response.status_code in (403, 412, 200):  # a firewall answers these too
                body = await self._read_capped(source_id, url, response)
                _refuse_firewall(source_id, url, response.status_code, body)
                _raise_for_status(source_id, url, response)
            else:
                _raise_for_status(source_id, url, response)
                body = None if response.status_code == 304 else await self._read_capped(
                    source_id, url, response)
        finally:
            await response.aclose()
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            body=body,
            content_type=response.headers.get("content-type", ""),
            validators=Validators(
                response.headers.get("etag") or validators.etag,
                response.headers.get("last-modified") or validators.last_modified,
            ),
        )

    async def _read_capped(self, source_id: str, url: str, response: httpx.Response
                           ) -> bytes:
        cap = self._settings.max_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise PermanentFetchError(source_id, url, f"body larger than the {cap}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)


def conditional_headers(validators: Validators) -> dict[str, str]:
    out = {}
    if validators.etag:
        out["If-None-Match"] = validators.etag
    if validators.last_modified:
        out["If-Modified-Since"] = validators.last_modified
    return out


# What web-application firewalls and JavaScript cookie challenges put in the page they
# answer robots with (瑞数 "$_ts", 知道创宇/创宇云防御, 安全狗, 云锁, jsl clearance, …).
_FIREWALL_MARKS = (b"$_ts", b"__jsl_clearance", b"yunsuo_session", b"safedog", b"jiasule",
                   "创宇云防御".encode(), "创宇盾".encode(), "安全狗".encode(),
                   "云防护".encode(), "您的访问被拦截".encode(), "访问被阻断".encode(),
                   b"Please enable JavaScript and cookies", b"cf-browser-verification")


def _refuse_firewall(source_id: str, url: str, status: int, body: bytes) -> None:
    """A firewall's page is not the list: say so, instead of "no items" or a parse error."""
    head = body[:20000]
    refusal = status in (403, 412) or (len(body) < 20000 and b"<a " not in body.lower())
    if refusal and any(mark in head for mark in _FIREWALL_MARKS):
        raise PermanentFetchError(
                source_id, url, f"blocked by the site's firewall (HTTP {status}: a JavaScript "
                "cookie challenge or WAF page, not the list). Robots are refused; ask the "
                "site for a feed or to allow district-radar's User-Agent, or poll less often")


def _raise_for_status(source_id: str, url: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400 or status == 304:
        return
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status == 429 or status >= 500:
        raise TransientFetchError(
            source_id, url, reason, retry_after(response.headers.get("retry-after"))
        )
    if status in (404, 410):
        raise SourceGoneError(source_id, url, reason)
    raise PermanentFetchError(source_id, url, reason)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
