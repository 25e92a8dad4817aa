"""Benchmark 2: polling many feeds on loopback servers that add latency to every request,
as remote government sites do; a first poll, then a second with nothing changed.

Run as `python -m bench.polling FEEDS ITEMS_PER_FEED LATENCY_MS`; prints one JSON line.
The feeds are spread over HOSTS loopback addresses (127.0.0.x), as sources are spread over
district sites; district-radar keeps its politeness limit of fetch.per_host connections
per site. The sites run in a process of their own (a remote site does not take our CPU;
here they still share the machine's cores). Ours: `poll_sources` (fetch, parse, tag,
dedupe, store in SQLite; feeds parsed on every core). Baseline: rss2email (`r2e run
--no-send`, its own config and data file) if installed, else the sequential
`feedparser.parse(url)` it is built on, with the ETag kept between polls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median
from typing import Any
from xml.sax.saxutils import escape

import feedparser

from bench.data import items
from worker.config import MailSettings, Settings
from worker.models import Source
from worker.pipeline.poll import poll_sources
from worker.runtime import build_runtime

HOSTS = 50
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def feeds(count: int, per_feed: int) -> list[bytes]:
    news = items(count * per_feed)
    out = []
    for f in range(count):
        entries = "".join(
            f"<item><title>{escape(i.title)}</title><link>{i.url}</link>"
            f"<guid>{i.url}</guid><description>{escape(i.summary)}</description>"
            f"<pubDate>{i.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
            for i in news[f * per_feed:(f + 1) * per_feed])
        out.append(('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                    f"<title>site {f}</title><link>https://site{f}.test/</link>{entries}"
                    "</channel></rss>").encode())
    return out


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_status: dict[int, int] = {}

    def add(self, status: int) -> None:
        with self.lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1


def serve(count: int, per_feed: int, latency_ms: int) -> None:
    """The sites, in their own process (remote sites do not share our CPU): one server per
    loopback address, all on one port; every answer waits the latency. Prints the port;
    GET /counts answers how many of each status were served."""
    bodies = feeds(count, per_feed)
    latency = latency_ms / 1000
    counts = Counts()
    etags = ['"' + hashlib.sha256(b).hexdigest()[:16] + '"' for b in bodies]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/counts":
                self.answer(200, json.dumps(counts.by_status).encode(), "")
                return
            time.sleep(latency)
            n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            if self.headers.get("If-None-Match") == etags[n]:
                self.answer(304, b"", etags[n])
            else:
                self.answer(200, bodies[n], etags[n])

        def answer(self, status: int, body: bytes, etag: str) -> None:
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
                counts.add(status)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    port = 0
    for h in range(HOSTS):
        server = ThreadingHTTPServer((f"127.0.0.{10 + h}", port), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(port, flush=True)
    threading.Event().wait()


@contextmanager
def sites(count: int, per_feed: int, latency_ms: int
          ) -> Iterator[tuple[list[str], Callable[[], dict[int, int]]]]:
    """The feeds' URLs, and how to read the statuses served so far."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.polling", "serve", str(count), str(per_feed),
         str(latency_ms)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        urls = [f"http://127.0.0.{10 + n % HOSTS}:{port}/feed/{n}.xml" for n in range(count)]

        def statuses() -> dict[int, int]:
            with urllib.request.urlopen(f"http://127.0.0.10:{port}/counts") as answer:
                return {int(k): v for k, v in json.load(answer).items()}

        yield urls, statuses
    finally:
        child.terminate()
        child.wait(timeout=10)


def ours(urls: list[str], folder: Path) -> dict[str, float]:
    settings = Settings(database_url=f"sqlite:///{folder / 'radar.db'}",
                        mail=MailSettings(backend="folder", outbox=folder / "out"))
    sources = [Source(f"s{n}", f"site {n}", "rss", url, "project")
               for n, url in enumerate(urls)]
    rt = build_runtime(settings, sources)
    started = time.perf_counter()
    first, stored = asyncio.run(poll_sources(rt, NOW))
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second, again = asyncio.run(poll_sources(rt, NOW))
    second_s = time.perf_counter() - started
    return {"first_s": first_s, "second_s": second_s, "stored": len(stored),
            "failed": sum(1 for p in first if p.error),
            "reparsed": sum(1 for p in second if not p.not_modified), "new_second": len(again)}


def rss2email(urls: list[str], folder: Path) -> dict[str, float] | None:
    r2e = shutil.which("r2e", path=str(Path(sys.executable).parent))
    if r2e is None:
        return None
    config, data = folder / "r2e.cfg", folder / "r2e.json"
    # what `r2e new` and `r2e add` write, for every feed at once
    config.write_text("[DEFAULT]\nto = bench@example.com\nfrom = r2e@example.com\n"
                      "email-protocol = sendmail\nsendmail = /bin/true\n" + "".join(
                          f"\n[feed.s{n}]\nurl = {url}\n" for n, url in enumerate(urls)),
                      encoding="utf-8")
    data.write_text(json.dumps({"version": 2, "feeds": [
        {"name": f"s{n}", "etag": None, "modified": None, "seen": {}}
        for n in range(len(urls))]}), encoding="utf-8")
    times = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run([r2e, "-c", str(config), "-d", str(data), "run", "--no-send"],
                       check=True, capture_output=True, timeout=7200)
        times.append(time.perf_counter() - started)
    return {"first_s": times[0], "second_s": times[1]}


def sequential_feedparser(urls: list[str]) -> dict[str, float]:
    etags: dict[str, str | None] = {}
    times = []
    for _ in range(2):
        started = time.perf_counter()
        for url in urls:
            parsed = feedparser.parse(url, etag=etags.get(url))
            etags[url] = parsed.get("etag")
        times.append(time.perf_counter() - started)
    return {"first_s": times[0], "second_s": times[1]}


OUR_RUNS = 3  # ours is cheap enough to take a median; the baseline runs once


def run(count: int, per_feed: int, latency_ms: int) -> dict[str, Any]:
    with sites(count, per_feed, latency_ms) as (urls, statuses), \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = []
        for n in range(OUR_RUNS):  # each from an empty database
            (folder / f"ours{n}").mkdir()
            runs.append(ours(urls, folder / f"ours{n}"))
        result: dict[str, Any] = {
            "feeds": count, "items": count * per_feed, "latency_ms": latency_ms,
            "ours": {**runs[0], "first_s": median(r["first_s"] for r in runs),
                     "second_s": median(r["second_s"] for r in runs),
                     "failed": max(r["failed"] for r in runs),
                     "reparsed": max(r["reparsed"] for r in runs)},
            "ours_runs": runs, "statuses_ours": statuses()}
        baseline = rss2email(urls, folder)
        result["baseline"] = "rss2email" if baseline else "feedparser.parse"
        result["base"] = baseline or sequential_feedparser(urls)
    return result


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*(int(a) for a in sys.argv[2:5]))
    else:
        print(json.dumps(run(*(int(a) for a in sys.argv[1:4]))))
