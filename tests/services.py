"""Local servers the tests use: PostgreSQL and Redis on loopback, started if not running.

Under CI=true a service that cannot be reached fails the run; elsewhere the tests that
need it skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def listening(port: int, timeout: float = 0.5) -> bool:
    """Something accepts connections on this loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _start_postgres() -> None:
    clusters = Path("/etc/postgresql")
    if not clusters.is_dir() or not shutil.which("pg_ctlcluster"):
        return
    for version in sorted(p.name for p in clusters.iterdir()):
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                       capture_output=True, timeout=60, check=False)


def _start_redis() -> None:
    if not shutil.which("redis-server"):
        return
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                    "--port", "6379", "--save", "", "--appendonly", "no",
                    "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"],
                   capture_output=True, timeout=30, check=False)


def require(name: str, port: int) -> None:
    """Make sure the service listens on its port; start it, else fail (CI) or skip."""
    if listening(port, timeout=1):
        return
    {"postgresql": _start_postgres, "redis": _start_redis}[name]()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if listening(port, timeout=1):
            return
        time.sleep(0.3)
    message = f"{name} is not reachable on 127.0.0.1:{port} and could not be started"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    require("postgresql", 5432)
    name = f"radar_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
                  .render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
