"""Hostile subscriber input (an import file through `radar subscribers import`, and the web
form) and bad configuration files (through `radar run --once`). Each bad value gets a clear
error naming where it is; every good row is kept; nobody gets a mail they did not ask for.

For these rows of the report, "expected" and "delivered" count good subscriber rows kept
(import, form) or runs refused cleanly (config); "duplicated" counts extra subscribers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.feedserver import FeedServer
from tests.processes import environment_without_settings, run_radar
from tests.reliability.inprocess import InProcess
from tests.reliability.report import Outcome, record
from tests.smtpserver import SmtpServer
from tests.webclient import Web
from worker.models import Source
from worker.store.tables import subscribers

HEADER = ["email", "name", "categories", "keywords", "frequency"]
ROWS = [  # (row, kept?)
    (["plain@example.com", "普通用户", "project", "", "instant"], True),
    (["regex@example.com", "正则", "project", "(.*)+|[招商]|.*", "instant"], True),
    (["crlf@example.com", "Evil\r\nBcc: victim@example.com", "project", "", "instant"], True),
    (["kwcrlf@example.com", "x", "project", "签约\r\nBcc: victim@example.com", "instant"],
     True),  # a line break separates two keywords; keywords never reach a header
    (["idn@例子.中国", "中文域名", "project", "", "instant"], True),
    (["not an address", "x", "project", "", "instant"], False),
    (["用户@例子.中国", "国际化", "project", "", "instant"], False),
    (["many@example.com", "x", "project", "|".join(f"词{n}" for n in range(10_000)),
      "instant"], False),
    (["Plain@Example.COM", "大小写", "project", "", "instant"], False),
]


def hostile_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(row for row, _ in ROWS)
    return out.getvalue()


def test_hostile_import_file(tmp_path: Path, postgres_url: str, feed_server: FeedServer,
                             smtp_server: SmtpServer) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(hostile_csv(), encoding="utf-8")
    (tmp_path / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "radar.yaml").write_text(f"sources_file: {tmp_path / 'sources.yaml'}\n",
                                         encoding="utf-8")
    env = {**environment_without_settings(), "DATABASE_URL": postgres_url,
           "RADAR_CONFIG": str(tmp_path / "radar.yaml")}
    result = run_radar("subscribers", "import", str(path), cwd=tmp_path, env=env)
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]

    # Then one real cycle: only subscribers who asked get mail, with clean headers.
    radar = InProcess(postgres_url, smtp_server, [
        Source("projects", "项目", "rss", feed_server.url("/feeds/projects.rss"), "project")])
    radar.cycle()
    with radar.rt.engine.connect() as conn:
        kept = sorted(conn.scalars(sa.select(subscribers.c.email)))
    radar.rt.engine.dispose()
    wanted = sorted(row[0].lower().replace("例子.中国", "xn--fsqu00a.xn--fiqs8s")
                    for row, ok in ROWS if ok)
    mails = smtp_server.handler.messages
    injected = [m for m in mails if "victim" in " ".join(m.recipients) or m.message["Bcc"]]
    record(Outcome(
        "input", "hostile subscriber import file",
        f"{len(ROWS)} CSV rows, {sum(1 for _, ok in ROWS if not ok)} bad",
        len(wanted), len(set(kept) & set(wanted)), len(kept) - len(set(kept)),
        others_carried_on=kept == wanted,
        note=f"exit {result.returncode}, {len(rejected)} rows rejected with line and field; "
             f"{len(mails)} alert(s) sent, {len(injected)} with an injected header"))
    assert "Traceback" not in result.stderr and result.returncode == 1
    assert kept == wanted, (kept, result.stderr)
    assert len(rejected) == sum(1 for _, ok in ROWS if not ok)
    for line in rejected:
        assert re.match(r"rejected: \S+subscribers\.csv: line \d+", line), line
    assert any("already appears" in line for line in rejected)
    assert any("keywords: 10000 terms, at most 100" in line for line in rejected)
    # the regex-looking keywords are plain text: they match nothing in these titles
    assert {r for m in mails for r in m.recipients} == set(wanted) - {"regex@example.com"}
    assert not injected
    [crlf] = [m.message for m in mails if m.recipients == ["crlf@example.com"]]
    assert "\r" not in str(crlf["To"]) and "\n" not in str(crlf["To"])


FORM_CASES = [
    ("CR/LF in the name", {"name": "Evil\r\nBcc: victim@example.com",
                           "email": "crlf@example.com"}, 200),
    ("CR/LF in keywords", {"keywords": "签约\r\nBcc: victim@example.com",
                           "email": "kw@example.com"}, 200),
    ("Chinese domain", {"email": "idn@例子.中国"}, 200),
    ("10,000 keywords", {"keywords": "、".join(f"词{n}" for n in range(10_000)),
                         "email": "many@example.com"}, 400),
    ("regex-looking keywords", {"keywords": "(.*)+、[招商]、.*", "email": "re@example.com"}, 200),
    ("internationalised address", {"email": "用户@例子.中国"}, 400),
    ("address differing only in case", {"email": "CRLF@Example.com"}, 200),
    ("script in the name", {"name": "<script>alert(1)</script>", "email": "xss@example.com"},
     200),
]


@pytest.mark.parametrize(("name", "fields", "status"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_hostile_web_form(name: str, fields: dict[str, str], status: int, web: Web) -> None:
    if name == "address differing only in case":
        web.subscribe(email="crlf@example.com")
    before = web.smtp.handler.messages[:]
    page = web.subscribe(**fields)
    text = page.text  # type: ignore[attr-defined]
    code = page.status_code  # type: ignore[attr-defined]
    with web.rt.engine.connect() as conn:
        rows = list(conn.execute(sa.select(subscribers.c.email, subscribers.c.name)))
    new_mails = web.smtp.handler.messages[len(before):]
    headers_ok = all(len(m.recipients) == 1 and m.message["Bcc"] is None for m in new_mails)
    kept = 1 if status == 200 else 0
    outcome = record(Outcome(
        "input", f"web form: {name}",
        ", ".join(f"{k}={v[:40]!r}" + ("…" if len(v) > 40 else "") for k, v in fields.items()),
        kept,
        len(rows) if status == 200 else 0, len(rows) - 1 if rows else 0,
        others_carried_on=headers_ok and code != 500,
        note=f"HTTP {code}; {len(rows)} subscriber row(s); "
             + ("error shown next to the field" if code == 400 else "accepted")))
    assert code == status, text[:2000]
    assert "<script>alert(1)</script>" not in text
    assert outcome.lost == 0 and outcome.duplicated == 0 and outcome.others_carried_on
    if code == 400:
        assert 'class="error"' in text or "error" in text
    for _, stored_name in rows:
        assert "\r" not in stored_name and "\n" not in stored_name


BAD_CONFIG = [
    ("missing settings file", None, "file not found"),
    ("YAML syntax error", "mail: [unclosed\n", "YAML"),
    ("unknown key", "mail:\n  backnd: smtp\n", "backnd"),
    ("wrong type", "fetch:\n  timeout_seconds: soon\n", "timeout_seconds"),
    ("unknown district", "SOURCES:  - {id: a, name: A, kind: rss, url: 'http://a.test/f', "
     "category: project, district: 上海}\n", "上海"),
    ("bad selector", "SOURCES:  - {id: a, name: A, kind: html, url: 'http://a.test/', "
     "category: policy, html: {item: 'li[[', title: a, link: a}}\n", "li[["),
]


@pytest.mark.parametrize(("name", "text", "expect"), BAD_CONFIG, ids=[c[0] for c in BAD_CONFIG])
def test_bad_configuration_stops_at_start_with_file_key_and_reason(
    name: str, text: str | None, expect: str, tmp_path: Path
) -> None:
    settings = tmp_path / "radar.yaml"
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    if text is not None and text.startswith("SOURCES:"):
        sources.write_text("sources:\n" + text.removeprefix("SOURCES:"), encoding="utf-8")
        settings.write_text(f"database_url: sqlite:///{tmp_path}/r.db\n"
                            f"sources_file: {sources}\n", encoding="utf-8")
    elif text is not None:
        settings.write_text(text, encoding="utf-8")
    env = {**environment_without_settings(), "RADAR_CONFIG": str(settings)}
    result = run_radar("run", "--once", cwd=tmp_path, env=env)
    where = sources if text is not None and text.startswith("SOURCES:") else settings
    clean = (result.returncode == 2 and "Traceback" not in result.stderr
             and str(where.name) in result.stderr and expect in result.stderr)
    said = result.stderr.strip().replace(f"{tmp_path}/", "")
    record(Outcome("config", name, (text or "(no file)").removeprefix("SOURCES:").strip()[:60],
                   1, int(clean), 0, others_carried_on=True,
                   note=f"exit {result.returncode}: " + (said.splitlines()[-1][:160] if said
                                                         else "no message")))
    assert clean, (result.returncode, result.stderr)
