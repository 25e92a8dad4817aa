"""The HTTP edge against a real server on loopback."""

import asyncio
import time

import pytest

from tests.feedserver import FeedServer
from worker.config import FetchSettings
from worker.errors import PermanentFetchError, TransientFetchError, is_transient
from worker.models import Validators
from worker.sources.fetch import Fetcher, retry_after

SETTINGS = FetchSettings(timeout_seconds=1.0, max_bytes=100_000, max_redirects=3,
                         user_agent="radar-test/1")


NO_VALIDATORS = Validators()


def fetch(url: str, validators: Validators = NO_VALIDATORS):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(SETTINGS) as fetcher:
            return await fetcher.fetch(url, validators, source_id="t")
    return asyncio.run(go())


def test_conditional_get_gets_304_the_second_time(feed_server: FeedServer) -> None:
    first = fetch(feed_server.url("/feeds/projects.rss"))
    assert first.status == 200 and first.body and first.validators.etag
    assert first.validators.last_modified == "Fri, 25 Jul 2025 04:00:00 GMT"
    second = fetch(feed_server.url("/feeds/projects.rss"), first.validators)
    assert second.not_modified and second.body is None
    assert second.validators == first.validators
    [_, again] = feed_server.hits("/feeds/projects.rss")
    assert again.headers["If-None-Match"] == first.validators.etag
    assert again.headers["User-Agent"] == "radar-test/1"


def test_redirect_is_followed_and_final_url_kept(feed_server: FeedServer) -> None:
    result = fetch(feed_server.url("/alias/policies.atom"))
    assert result.status == 200 and result.url.endswith("/feeds/policies.atom")


@pytest.mark.parametrize(("path", "error", "reason"), [
    ("/status/500", TransientFetchError, "HTTP 500"),
    ("/status/503", TransientFetchError, "HTTP 503"),
    ("/status/429", TransientFetchError, "HTTP 429"),
    ("/status/404", PermanentFetchError, "HTTP 404"),
    ("/status/410", PermanentFetchError, "HTTP 410"),
    ("/hang", TransientFetchError, "timed out after 1s"),
    ("/big", PermanentFetchError, "larger than the 100000-byte cap"),
    ("/loop", PermanentFetchError, "redirect loop"),
])
def test_failures_are_classified_and_name_the_source(
    feed_server: FeedServer, path: str, error: type[Exception], reason: str
) -> None:
    url = feed_server.url(path)
    started = time.monotonic()
    with pytest.raises(error) as raised:
        fetch(url)
    assert f"source t ({url}): " in str(raised.value) and reason in str(raised.value)
    assert is_transient(raised.value) == (error is TransientFetchError)
    assert time.monotonic() - started < 4  # bounded by our timeout, not the server
    if path in ("/status/429", "/status/503"):
        assert raised.value.retry_after == 7.0  # type: ignore[attr-defined]


def test_connection_refused_is_transient() -> None:
    with pytest.raises(TransientFetchError, match="ConnectError"):
        fetch("http://127.0.0.1:9/feed")


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime
    now = datetime(2025, 7, 25, 4, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after("Fri, 25 Jul 2025 04:01:00 GMT", now) == 60.0
    assert retry_after("soon") is None and retry_after(None) is None
