"""`radar demo`: the bundled sample site on loopback, sample subscribers, one full cycle."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from worker.resources import demo_dir

PREFERRED_PORT = 8711


class _SiteHandler(SimpleHTTPRequestHandler):
    _FEED_TYPES: ClassVar[dict[str, str]] = {
        ".xml": "application/rss+xml; charset=utf-8",
        ".atom": "application/atom+xml; charset=utf-8",
        ".html": "text/html",  # like many government servers: the charset only in <meta>
    }

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return self._FEED_TYPES.get(Path(path).suffix) or super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints its own summary


@contextmanager
def serve_sample_site() -> Iterator[str]:
    """Serve the bundled feeds on 127.0.0.1 (a free port); yields the base URL."""
    handler = partial(_SiteHandler, directory=str(demo_dir() / "site"))
    try:
        # A stable port keeps the feed URLs stable, so a second run gets 304 Not Modified.
        server = ThreadingHTTPServer(("127.0.0.1", PREFERRED_PORT), handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_demo_sources(base_url: str, folder: Path) -> Path:
    """The bundled sources file pointed at the running sample site."""
    text = (demo_dir() / "sources.yaml").read_text(encoding="utf-8")
    path = folder / "sources.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("{base}", base_url), encoding="utf-8")
    return path


def sample_subscribers() -> Path:
    return demo_dir() / "subscribers.yaml"
