"""Shared fixtures: the store on SQLite and PostgreSQL, loopback HTTP and SMTP servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, serve_feeds
from tests.services import fresh_postgres_database
from tests.smtpserver import SmtpServer, serve_smtp
from tests.webclient import Web, web_client
from worker.districts import Gazetteer

NOW = datetime(2025, 7, 28, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.tianjin()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'radar.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (service mode runs on PostgreSQL)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with serve_feeds() as server:
        yield server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with serve_smtp() as server:
        yield server


@pytest.fixture
def web(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Web]:
    """The web app under Starlette's test client (SQLite store, loopback SMTP)."""
    with web_client(tmp_path, smtp_server) as client:
        yield client
