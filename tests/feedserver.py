"""A real HTTP server on loopback serving fixture feeds, with the misbehaviours we handle.

Routes:
  /feeds/NAME          a file from tests/fixtures/feeds, with ETag and Last-Modified;
                       answers 304 to a matching If-None-Match / If-Modified-Since
  /pages/NAME          a file from tests/fixtures/pages as text/html, no validators
  /lying/NAME          the same, claiming charset=utf-8 whatever the bytes are
  /status/CODE         that status code (Retry-After: 7 on 429/503)
  /hang                waits longer than any test timeout before answering
  /big                 a body larger than the test size cap
  /loop                redirects to itself
  /drip                a feed trickled out a few bytes every half second (slow drip)
  /huge                a 50 MB body, streamed until the client hangs up
  /alias/NAME          302 to /feeds/NAME
  /waf/CODE            a web-application firewall's JavaScript cookie challenge, with CODE
Every request is recorded (path, headers, status) for the tests to inspect.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PAGES = Path(__file__).parent / "fixtures" / "pages"
LAST_MODIFIED = "Fri, 25 Jul 2025 04:00:00 GMT"
# The shape of a 瑞数-style challenge: a script setting a cookie, then reloading the page.
WAF_PAGE = (b"<!DOCTYPE html><html><head><meta charset='utf-8'><script>$_ts=window['$_ts'];"
            b"if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd='qxxrrqWr';</script>"
            b"<script src='/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js'></script></head>"
            b"<body></body></html>")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class FeedServer:
    base_url: str
    requests: list[Recorded] = field(default_factory=list)
    overrides: dict[str, bytes] = field(default_factory=dict)  # path → body to serve instead
    content_types: dict[str, str] = field(default_factory=dict)  # path → Content-Type to claim

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def hits(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


def _handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            with suppress(BrokenPipeError, ConnectionResetError):  # the client hung up first
                self._route()

        def _record(self, status: int) -> None:
            # Before answering: a test asserting on hits right after its request returns
            # must find it (recording afterwards raced the client).
            state.requests.append(Recorded(self.path, dict(self.headers.items()), status))

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
                  ) -> int:
            self._record(status)
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return status

        def _route(self) -> int:
            path = self.path
            if path.startswith("/feeds/"):
                return self._feed(path)
            if path.startswith(("/pages/", "/lying/")):
                return self._page(path)
            if path.startswith("/alias/"):
                return self._send(302, headers={"Location": "/feeds/" + path[len("/alias/"):]})
            if path.startswith("/waf/"):
                return self._send(int(path.rsplit("/", 1)[1]), WAF_PAGE,
                                  {"Content-Type": "text/html; charset=utf-8"})
            if path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                extra = {"Retry-After": "7"} if code in (429, 503) else {}
                return self._send(code, b"error", extra)
            if path == "/hang":
                time.sleep(5)
                return self._send(200, b"too late")
            if path == "/big":
                return self._send(200, b"<rss>" + b"x" * 300_000 + b"</rss>",
                                  {"Content-Type": "application/rss+xml"})
            if path == "/loop":
                return self._send(302, headers={"Location": "/loop"})
            if path == "/drip":
                return self._trickle(b"<rss><channel>" + b"<item>" * 2000, 8, 0.5)
            if path == "/huge":
                return self._trickle(b"<rss>" + b"x" * (50 * 2**20), 2**16, 0)
            return self._send(404, b"not found")

        def _trickle(self, body: bytes, chunk: int, pause: float) -> int:
            self._record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for start in range(0, len(body), chunk):
                    self.wfile.write(body[start:start + chunk])
                    self.wfile.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
            return 200

        def _page(self, path: str) -> int:
            """A government-style server: no ETag, no Last-Modified, maybe a wrong charset."""
            name = path.split("/", 2)[2].split("?")[0]
            body = state.overrides.get(f"/pages/{name}")
            file = PAGES / name
            if body is None and not file.is_file():
                return self._send(404, b"not found")
            content_type = ("text/html; charset=utf-8" if path.startswith("/lying/")
                            else "text/html")
            return self._send(200, body if body is not None else file.read_bytes(),
                              {"Content-Type": content_type})

        def _feed(self, path: str) -> int:
            body = state.overrides.get(path)
            if body is None:
                file = FEEDS / path[len("/feeds/"):]
                if not file.is_file():
                    return self._send(404, b"not found")
                body = file.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, headers={"ETag": etag})
            content_type = ("application/atom+xml" if path.endswith(".atom")
                            else "application/rss+xml")
            if "gbk" in path:
                content_type = "application/rss+xml"  # charset only in the XML declaration
            content_type = state.content_types.get(path, content_type)
            return self._send(200, body, {"Content-Type": content_type, "ETag": etag,
                                          "Last-Modified": LAST_MODIFIED})

    return Handler


@contextmanager
def serve_feeds() -> Iterator[FeedServer]:
    state = FeedServer("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False  # do not wait for /hang to finish
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
