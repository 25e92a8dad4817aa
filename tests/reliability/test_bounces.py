"""Bounces after acceptance: real DSNs (tests/fixtures/dsn, provenance in its README) read
as labelled, and `radar bounces import` counting hard bounces once, on SQLite and
PostgreSQL, as a 5xx at RCPT counts them."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.processes import environment_without_settings, run_radar
from tests.reliability.report import Outcome, record
from worker.mail import dsn, inbox
from worker.mail.message import message_id
from worker.store.db import connect
from worker.store.tables import digests, subscribers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dsn"
SENDER = "district-radar <radar@radar.test>"

# Labelled before the parser was run: (Original-Recipient or Final-Recipient, Status, kind).
LABELS: dict[str, list[tuple[str, str, str]] | type[Exception]] = {
    "postfix-5.1.1-unknown-user.eml": [("kijitora@2jo.example.jp", "5.1.1", "hard")],
    "postfix-two-recipients.eml": [("filtered@example.co.jp", "5.2.1", "hard"),
                                   ("userunknown@example.co.jp", "5.1.1", "hard")],
    "exim-5.0.0-bad-spf.eml": [("kijitora@example.co.jp", "5.0.0", "policy")],
    "gmail-5.1.1-no-such-user.eml": [("libsisimai-2@googlegroups.com", "5.1.1", "hard")],
    "gmail-5.0.0-spam.eml": [("kijitora@example.com", "5.0.0", "policy")],
    "gmail-delayed-4.4.1.eml": [("sotoneko@nora.nyaan.jp", "4.4.1", "temporary")],
    "gmail-no-recipient-fields.eml": [],
    "office365-5.1.10.eml": [("kijitora-nyaan@neko.kyoto.example.jp", "5.1.10", "hard")],
    "exchange2007-5.1.1.eml": [("mikeneko@example.co.jp", "5.1.1", "hard")],
    "outlook-delayed-4.4.7.eml": [("kijitora@example.com", "4.4.7", "temporary")],
    "outlook-5.2.2-cr-line-ends.eml": [("kijitora@example.jp", "5.2.2", "hard")],
    "postfix-5.7.1-policy.eml": [("kijitora@gmail.example.com", "5.7.1", "policy")],
    "postfix-5.7.26-google-spf.eml": [("neko@example.co.jp", "5.7.26", "policy")],
    "postfix-5.7.9-yahoo-policy.eml": [("kijitora@aol.example.jp", "5.7.9", "policy")],
    "postfix-failed-4.4.1.eml": [("kijitora@example.com", "4.4.1", "temporary")],
    "cox-5.1.0-sender-rejected-crlf.eml": [("recipient55@cox.net", "5.1.0", "policy")],
    "qmail-not-rfc3464.eml": dsn.NotADsnError,
    "sendmail-5.1.1.mbox": [("kijitora@libsisimai.org", "5.1.1", "hard")],
}


def mails(name: str) -> list[inbox.Mail]:
    read = list(inbox.read(FIXTURES / name))
    assert all(isinstance(m, inbox.Mail) for m in read)
    return [m for m in read if isinstance(m, inbox.Mail)]


@pytest.mark.parametrize("name", sorted(LABELS))
def test_each_real_dsn_reads_as_labelled(name: str) -> None:
    (mail,) = mails(name)  # one mail each, the .eml with a `From ` line inside included
    expected = LABELS[name]
    if not isinstance(expected, list):
        with pytest.raises(expected):
            dsn.parse(mail.data)
        return
    report = dsn.parse(mail.data)
    assert [(r.address, r.status, r.kind) for r in report.recipients] == expected


def test_an_mbox_of_37_real_reports() -> None:
    kinds: Counter[str] = Counter()
    for mail in mails("sisimai-37-reports.mbox"):
        try:
            report = dsn.parse(mail.data)
        except dsn.NotADsnError:
            kinds["not a DSN"] += 1
            continue
        kinds.update(r.kind for r in report.recipients)
        kinds["no recipient"] += not report.recipients
    assert kinds == {"hard": 23, "message": 5, "policy": 2, "temporary": 2, "unclear": 2,
                     "not a DSN": 2, "no recipient": 1}


@pytest.mark.parametrize(("data", "why"), [
    (bytes(range(256)) * 20, "binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(4000), "binary"),
    ((FIXTURES / "gmail-5.1.1-no-such-user.eml").read_bytes()[:700], "header never ends"),
    ((FIXTURES / "postfix-5.1.1-unknown-user.eml").read_bytes()[:1200], "cut off"),
    (b"just some words\nand more words\n", "no mail header"),
])
def test_what_is_not_a_mail_says_so(data: bytes, why: str) -> None:
    with pytest.raises(dsn.NotMailError, match=why):
        dsn.parse(data)


def test_a_maildir_reads_new_and_cur(tmp_path: Path) -> None:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "new" / "1.host").write_bytes((FIXTURES / "exchange2007-5.1.1.eml").read_bytes())
    (tmp_path / "cur" / "2.host:2,S").write_bytes((FIXTURES / "qmail-not-rfc3464.eml").read_bytes())
    (tmp_path / "tmp" / "3.host").write_bytes(b"being written")
    assert [Path(m.name).parent.name for m in inbox.read(tmp_path)] == ["new", "cur"]


@pytest.mark.parametrize(("status", "diagnostic", "kind"), [
    ("5.1.1", "550 5.1.1 <a@b>: Recipient address rejected: User unknown", "hard"),
    ("5.0.0", "550 : User unknown", "hard"),
    ("5.2.2", "552 5.2.2 Mailbox full", "hard"),  # as the SMTP session counts it
    ("5.7.1", "550 5.7.1 Message rejected as spam", "policy"),
    ("5.1.8", "501 5.1.8 Sender address rejected", "policy"),
    ("5.3.4", "552 5.3.4 Message too big", "message"),
    ("5.0.0", "", "unclear"),
    ("4.4.7", "Delivery expired", "temporary"),
    ("2.0.0", "250 OK", "other"),
])
def test_judge_failed(status: str, diagnostic: str, kind: str) -> None:
    assert dsn.judge("failed", status, diagnostic) == kind


def test_delayed_and_delivered_never_count() -> None:
    assert dsn.judge("delayed", "5.1.1", "user unknown") == "temporary"
    assert dsn.judge("relayed", "2.0.0", "") == "other"


# ---- the real command ------------------------------------------------------------------

SUBSCRIBERS = """\
subscribers:
  - email: Kijitora@2jo.example.jp
  - email: mikeneko@example.co.jp
  - email: kijitora@gmail.example.com
  - email: kijitora@example.com
"""


def radar(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**environment_without_settings(), "RADAR_CONFIG": str(tmp_path / "radar.yaml")}
    return run_radar(*args, cwd=tmp_path, env=env)


def digest_bounces(tmp_path: Path, url: str) -> list[Path]:
    """Three DSNs for digests sent to kijitora: the real Postfix report with our Message-ID
    in the returned headers, as a relay returns them."""
    engine = connect(url)
    now = datetime(2025, 7, 28, tzinfo=UTC)
    with engine.begin() as conn:
        sid = conn.scalar(sa.select(subscribers.c.id)
                          .where(subscribers.c.email == "kijitora@2jo.example.jp"))
        conn.execute(digests.insert(), [{"subscriber_id": sid, "period_key": f"w:2025-07-{d}",
                                         "state": "sent", "created_at": now} for d in (14, 21, 28)])
    engine.dispose()
    original = (FIXTURES / "postfix-5.1.1-unknown-user.eml").read_bytes()
    files = []
    for day in (14, 21, 28):
        ours = message_id(f"{sid}:w:2025-07-{day}", SENDER).encode()
        files.append(tmp_path / f"bounce-{day}.eml")
        files[-1].write_bytes(original.replace(b"<20150213024813.DE9FF20C16@2jo.example.jp>", ours))
    return files


def state(url: str) -> dict[str, tuple[str, int]]:
    engine = connect(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(subscribers.c.email, subscribers.c.status,
                                      subscribers.c.hard_bounces)).all()
        errors = conn.execute(sa.select(digests.c.last_error)).scalars().all()
    engine.dispose()
    assert sum("bounced after acceptance: 5.1.1" in (e or "") for e in errors) == 3, errors
    return {r.email: (r.status, r.hard_bounces) for r in rows}


def test_radar_bounces_import(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "radar.yaml").write_text(
        f'database_url: "{database_url}"\nmail: {{from: "{SENDER}", suspend_after_bounces: 3}}\n',
        encoding="utf-8")
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    assert radar(tmp_path, "subscribers", "import", "subscribers.yaml").returncode == 0
    files = [str(p) for p in digest_bounces(tmp_path, database_url)] + [
        str(FIXTURES / n) for n in ("exchange2007-5.1.1.eml", "postfix-5.7.1-policy.eml",
                                    "outlook-delayed-4.4.7.eml", "postfix-failed-4.4.1.eml",
                                    "qmail-not-rfc3464.eml")]
    first = radar(tmp_path, "bounces", "import", *files)
    (tmp_path / "binary.eml").write_bytes(os.urandom(3000))
    again = radar(tmp_path, "bounces", "import", *files, "binary.eml", "missing.eml")
    after = state(database_url)
    expected = {"kijitora@2jo.example.jp": ("suspended", 3),
                "mikeneko@example.co.jp": ("active", 1),
                "kijitora@gmail.example.com": ("active", 0),
                "kijitora@example.com": ("active", 0)}
    record(Outcome("SMTP", "DSN bounces imported twice (3 hard for one subscriber, "
                   "1 hard, 1 policy 5.7.1, 2 temporary, 1 qmail, a binary and a missing file)",
                   "real DSN mails after acceptance", expected=4, delivered=sum(
                       after[k] == v for k, v in expected.items()), duplicated=0,
                   others_carried_on=again.returncode == 1 and "Traceback" not in again.stderr,
                   note="counted once; suspended at mail.suspend_after_bounces; 5.7.x and 4.x.x "
                        "not counted; each bounce written on its digest"))
    assert first.returncode == 0, first.stderr
    assert "4 hard bounce(s) counted, 1 subscriber(s) suspended" in first.stdout
    assert "kijitora@2jo.example.jp is suspended; digest" in first.stdout
    assert "1 policy" in first.stdout and "2 temporary" in first.stdout
    assert "1 not a DSN" in first.stdout
    assert after == expected
    assert "0 hard bounce(s) counted" in again.stdout and "5 already imported" in again.stdout
    assert "error: binary.eml: not a mail: binary data" in again.stderr
    assert "error: missing.eml: cannot be read" in again.stderr
    assert "Traceback" not in again.stderr
