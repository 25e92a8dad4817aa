"""Real processes for service-mode tests: a private Redis, `radar worker` and `radar beat`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import IN_CI

RADAR = [sys.executable, "-m", "worker.cli"]


def run_radar(*args: str, cwd: Path, env: Mapping[str, str],
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The `radar` command as a user runs it; output captured, exit status not checked."""
    return subprocess.run([*RADAR, *args], cwd=cwd, env=dict(env), capture_output=True,
                          text=True, timeout=timeout, check=False)


def environment_without_settings() -> dict[str, str]:
    """This process's environment minus anything that would configure radar."""
    prefixes = ("RADAR_", "SMTP_", "MAIL_", "DATABASE_URL", "REDIS_URL", "OPS_EMAIL")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if self.popen.poll() is not None and text not in self.output():
                raise AssertionError(f"{self.log.name} exited:\n{self.output()[-3000:]}")
            return text in self.output()
        wait_until(seen, timeout, f"{text!r} in {self.log.name}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the whole process group (celery's pool children too) and reap it."""
        if self.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@contextmanager
def running(args: list[str], log: Path, env: dict[str, str], cwd: Path) -> Iterator[Process]:
    with log.open("ab") as out:
        popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                 start_new_session=True)
    process = Process(popen, log)
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def supervised(args: list[str], log: Path, env: dict[str, str], cwd: Path
               ) -> Iterator[list[Process]]:
    """Restart the process whenever it exits, as compose's `restart: unless-stopped` does.
    Yields the list holding the process running now; `env` is read at each (re)start."""
    stopping = threading.Event()
    current: list[Process] = []

    def supervise() -> None:
        while not stopping.is_set():
            with log.open("ab") as out:
                popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env,
                                         cwd=cwd, start_new_session=True)
            current[:] = [Process(popen, log)]
            while popen.poll() is None and not stopping.is_set():
                time.sleep(0.2)
            stopping.wait(1)  # restart delay

    thread = threading.Thread(target=supervise, daemon=True)
    thread.start()
    try:
        yield current
    finally:
        stopping.set()
        thread.join(timeout=30)
        for process in current:
            process.stop()


@dataclass
class RedisServer:
    port: int
    workdir: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.popen = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.popen is not None:
            self.popen.terminate()
            self.popen.wait(timeout=10)
            self.popen = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def private_redis(workdir: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own on a free port, so restarting it disturbs nothing else."""
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(free_port(), workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust auth)."""

    port: int
    datadir: Path
    bindir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", "-t", "30",
                      *args])

    def start(self) -> None:
        self._pg_ctl("-l", str(self.datadir / "server.log"), "-o",
                     f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c full_page_writes=off", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")


def _as_postgres(args: list[str]) -> None:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


@contextmanager
def private_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of the test's own on a free port, so restarting it disturbs nothing else."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not bindirs:
        message = "PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    datadir = Path(tempfile.mkdtemp(prefix="radar-pg-"))  # not under root's private tmp
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres", "postgres")
    server = PostgresServer(free_port(), datadir, bindirs[-1].parent)
    _as_postgres([str(server.bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync"])
    server.start()
    try:
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(datadir, ignore_errors=True)
