"""Benchmark 3: sending digests to a fast loopback SMTP sink, with and without latency
added to every SMTP reply (as a remote provider has).

Run as `python -m bench.sending DIGESTS LATENCY_MS BASELINE_SAMPLE`; prints one JSON line.
The sink is Postfix's `smtp-sink` if installed (Debian's postfix package), else an aiosmtpd
server in its own process; latency comes from a relay process that holds each reply.
Ours: rendered digests over 20 concurrent aiosmtplib sessions, the way `send_pending`
sends (`over_sessions`); `send_pending` itself (store, render, send, mark) for context.
Baseline: smtplib with one connection per message, as rss2email does, timed on
BASELINE_SAMPLE messages and scaled. The physical
limit: Postfix's `smtp-source` against the same sink (20 sessions, same message size).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.data import items
from tests.processes import free_port, wait_until
from tests.services import listening
from worker.config import MailSettings, Settings, SmtpSettings
from worker.digest.compose import compose
from worker.districts import Gazetteer
from worker.mail import Sender
from worker.mail.message import Outgoing, build_message
from worker.mail.sessions import over_sessions
from worker.mail.smtp import SmtpSender
from worker.models import Entry, Match, Schedule, Source, Subscriber
from worker.pipeline.deliver import send_pending
from worker.pipeline.opening import open_due_digests
from worker.runtime import Runtime, build_runtime
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
CONNECTIONS = 20


@contextmanager
def process(args: list[str], port: int) -> Iterator[None]:
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: listening(port), 10, f"a server on port {port}")
        yield
    finally:
        child.terminate()
        child.wait(timeout=10)


def sink_command(port: int) -> tuple[str, list[str]]:
    smtp_sink = shutil.which("smtp-sink") or shutil.which("smtp-sink", path="/usr/sbin")
    if smtp_sink:  # -c: count sessions; 1000 at most at once; as root it must drop to a user
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        return "postfix smtp-sink", [smtp_sink, *user, "-c", f"127.0.0.1:{port}", "1000"]
    return "aiosmtpd", [sys.executable, "-m", "bench.smtp_relay", "sink", str(port)]


@contextmanager
def delayed(port: int, latency_ms: int) -> Iterator[int]:
    """The port to connect to: the sink itself, or a relay adding latency to replies."""
    if not latency_ms:
        yield port
        return
    front = free_port()
    with process([sys.executable, "-m", "bench.smtp_relay", "delay", str(front), str(port),
                  str(latency_ms)], front):
        yield front


def store_digests(folder: Path, count: int, port: int) -> Runtime:
    """`count` instant digests of 20 items each, waiting to be sent."""
    settings = Settings(
        database_url=f"sqlite:///{folder / 'radar.db'}", secret_key="bench",
        mail=MailSettings(backend="smtp", connections=CONNECTIONS,
                          smtp=SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=30)))
    rt = build_runtime(settings, [])
    news = items(20)
    with rt.engine.begin() as conn:
        source_rows.sync(conn, [Source("bench", "bench", "rss", "http://b.test/", "project")])
        stored = item_rows.insert(conn, [replace(i, id=None) for i in news], NOW)
        people = [Subscriber(f"s{n}@example.com", "王先生", schedule=Schedule("instant"))
                  for n in range(count)]
        subscriber_rows.save_many(conn, people, NOW)
        ids = [s.id for s in subscriber_rows.listing(conn) if s.id is not None]
        digest_rows.add_matches(conn, [Match(sid, i.id or 0) for sid in ids for i in stored],
                                NOW)
    open_due_digests(rt, NOW)
    return rt


def ours(count: int, port: int) -> float:
    """Seconds to send `count` rendered digests over CONNECTIONS SmtpSender sessions, the
    way send_pending does (`over_sessions`)."""
    sender, data = one_message()
    mails = [Outgoing(sender, f"s{n}@example.com", f"<{n}@bench>", data) for n in range(count)]
    settings = SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=30)

    async def send(session: Sender, mail: Outgoing) -> bool:
        await session.send(mail)
        return True

    started = time.perf_counter()
    done = asyncio.run(over_sessions(lambda: SmtpSender(settings), mails, CONNECTIONS, send))
    assert done == count
    return time.perf_counter() - started


def ours_with_store(count: int, port: int) -> float:
    """For context: send_pending itself (claim, load, render, send, mark sent in SQLite)."""
    with tempfile.TemporaryDirectory() as tmp:
        rt = store_digests(Path(tmp), count, port)
        started = time.perf_counter()
        report = asyncio.run(send_pending(rt, NOW))
        seconds = time.perf_counter() - started
        rt.engine.dispose()
    assert report.count("sent") == count, report.outcomes
    return seconds


def one_message() -> tuple[str, bytes]:
    gazetteer, settings = Gazetteer.tianjin(), Settings(secret_key="bench")
    reader = Subscriber("r@example.com", "王先生", id=1, schedule=Schedule("weekly"))
    entries = [Entry(i, item, (), ()) for i, item in enumerate(items(20))]
    rendered, envelope = compose(reader, "w:1", entries, settings, gazetteer, {}, NOW)
    mail = build_message(rendered, envelope, NOW)
    return mail.sender, mail.data


def smtplib_baseline(sample: int, port: int) -> float:
    """Seconds per message: a new connection, EHLO, MAIL, RCPT, DATA, QUIT each time."""
    sender, data = one_message()
    started = time.perf_counter()
    for n in range(sample):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail(sender, [f"s{n}@example.com"], data)
    return (time.perf_counter() - started) / sample


def smtp_source(count: int, port: int, size: int) -> float | None:
    tool = shutil.which("smtp-source") or shutil.which("smtp-source", path="/usr/sbin")
    if tool is None:
        return None
    started = time.perf_counter()
    subprocess.run([tool, "-s", str(CONNECTIONS), "-m", str(count), "-l", str(size),
                    "-f", "radar@example.com", "-t", "s@example.com", f"127.0.0.1:{port}"],
                   check=True, capture_output=True, timeout=3600)
    return time.perf_counter() - started


def run(count: int, latency_ms: int, sample: int) -> dict[str, Any]:
    port = free_port()
    sink, command = sink_command(port)
    _, data = one_message()
    with process(command, port), delayed(port, latency_ms) as front:
        result: dict[str, Any] = {"digests": count, "latency_ms": latency_ms, "sink": sink,
                                  "message_bytes": len(data), "ours_s": ours(count, front),
                                  "send_pending_s": ours_with_store(count, front)}
        result["baseline_s"] = smtplib_baseline(sample, front) * count
        result["smtp_source_s"] = smtp_source(count, front, len(data))
    return result


if __name__ == "__main__":
    print(json.dumps(run(*(int(a) for a in sys.argv[1:4]))))
