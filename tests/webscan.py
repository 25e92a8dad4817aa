"""`make scan`: real, independent scanners (Debian's wapiti and sqlmap) against the web app.

    python -m tests.webscan [--quick] [--report SECURITY-SCAN.md]

Starts the app as `radar web` runs it (uvicorn, proxy headers on, a SQLite store, mail to
the loopback SMTP recorder of tests/smtpserver.py) with one active subscriber whose
confirm, preferences and unsubscribe links (tokens minted with worker/tokens.py) are given
to the scanners as start URLs. The rate limits are lifted for the scan (`serve` below):
with them, every attack after the tenth would only see 429. sqlmap fetches a fresh CSRF
token before each request (`--csrf-token csrf --csrf-url /`, keeping the cookie). After
the scan the web log is searched for 500s and tracebacks and the SMTP recorder for mails
with injected headers or extra recipients; everything goes into the report.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET = "scan-secret"
ADDRESS = "scanned@example.com"
WAPITI_MODULES = ("backup,blindsql,cookieflags,crlf,csp,csrf,exec,file,htaccess,http_headers,"
                  "methods,permanentxss,redirect,sql,xss")  # ssrf, xxe: need wapiti3.ovh
FORM = {"csrf": "x", "email": "probe@example.com", "name": "probe", "districts": "武清区",
        "keywords": "新能源", "exclude": "", "frequency": "weekly", "weekday": "mon",
        "time": "09:00", "timezone": "Asia/Shanghai"}


def serve(config: str, port: int) -> None:
    """The app of `radar web` with the rate limits lifted (see the module docstring)."""
    import uvicorn

    from worker.config import load_settings
    from worker.runtime import build_runtime
    from worker.web.app import create_app
    from worker.web.limits import WebLimits

    class Unlimited:
        def allow(self, key: str) -> bool:
            return True

    rt = build_runtime(load_settings(Path(config)))
    app = create_app(rt, limits=WebLimits(Unlimited(), Unlimited(), shared=False))
    uvicorn.run(app, host="127.0.0.1", port=port, proxy_headers=True, log_level="info")


def prepare(work: Path, smtp_port: int, base: str) -> tuple[Path, dict[str, str]]:
    """Settings, the schema, and links of three subscribers (one per link: wapiti's crawl
    presses the unsubscribe button, which must not turn the preferences page off)."""
    from worker.config import load_settings
    from worker.runtime import build_runtime
    from worker.store import subscribers as subscriber_rows
    from worker.subscribers_io import parse_row
    from worker.tokens import make_token

    config = work / "radar.yaml"
    config.write_text(f"""
database_url: "sqlite:///{work / 'radar.db'}"
sources_file: {work / 'sources.yaml'}
secret_key: {SECRET}
mail: {{backend: smtp, trial: true, from: "radar <radar@radar.test>",
        smtp: {{host: 127.0.0.1, port: {smtp_port}}}}}
web: {{base_url: "{base}"}}
""", encoding="utf-8")
    (work / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    rt = build_runtime(load_settings(config))
    now = datetime.now(UTC)
    links = {}
    for page, purpose, status in (("confirm", "confirm", "pending"),
                                  ("preferences", "manage", "active"),
                                  ("unsubscribe", "unsubscribe", "active")):
        row = parse_row({"email": f"{page}-{ADDRESS}", "districts": "武清区"}, "scan",
                        rt.gazetteer)
        with rt.engine.begin() as conn:
            stored = subscriber_rows.create_pending(conn, row, now)
            assert stored.id is not None
            subscriber_rows.set_status(conn, stored.id, status, now)
        links[page] = f"{base}/{page}/{make_token(SECRET, stored.id, purpose, now)}"  # type: ignore[arg-type]
    rt.engine.dispose()
    return config, links


def wapiti(base: str, links: dict[str, str], work: Path, seconds: int, per_module: int
           ) -> dict[str, object]:
    out = work / "wapiti.json"
    starts = [a for url in [f"{base}/", *links.values()] for a in ("-s", url)]
    command = ["wapiti", "-u", f"{base}/", *starts, "--scope", "domain", "-m", WAPITI_MODULES,
               "--flush-session", "--store-session", str(work / "wapiti-session"),
               "--max-scan-time", str(seconds), "--max-attack-time", str(per_module),
               "-f", "json", "-o", str(out), "-v", "1"]
    log = work / "wapiti.log"
    started = time.monotonic()
    with log.open("w") as output:
        subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, check=False,
                       timeout=seconds + 16 * per_module + 600)
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {"command": " ".join(command).replace(str(work), "$WORK"), "report": report,
            "seconds": round(time.monotonic() - started), "log": log}


def sqlmap_targets(base: str, links: dict[str, str]) -> list[tuple[str, list[str]]]:
    form = urlencode(FORM)
    csrf = ["--csrf-token", "csrf", "--csrf-url", f"{base}/"]
    return [
        ("POST /subscribe (every form field)", ["-u", f"{base}/subscribe", "--data", form,
                                                *csrf]),
        ("POST /preferences/TOKEN (every form field)",
         ["-u", links["preferences"], "--data", urlencode({**FORM, "action": "save"}),
          *csrf]),
        ("GET /preferences/TOKEN* (the token in the path)", ["-u", links["preferences"] + "*"]),
        ("GET /unsubscribe/TOKEN* (the token in the path)", ["-u", links["unsubscribe"] + "*"]),
    ]


def sqlmap(base: str, links: dict[str, str], work: Path, quick: bool) -> list[dict[str, object]]:
    depth = ["--level", "1", "--risk", "1"] if quick else ["--level", "3", "--risk", "2"]
    results = []
    for n, (name, args) in enumerate(sqlmap_targets(base, links)):
        command = ["sqlmap", *args, "--batch", "--flush-session", *depth, "--dbms", "SQLite",
                   "--output-dir", str(work / "sqlmap"), "--disable-coloring"]
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                                check=False)
        (work / f"sqlmap-{n}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
        verdicts = [line.split("] ", 2)[-1] for line in result.stdout.splitlines()
                    if re.search(r"(is vulnerable|appears to be|do not appear|not "
                                 r"injectable|might be injectable|CRITICAL)", line)]
        results.append({"target": name, "seconds": round(time.monotonic() - started),
                        "command": " ".join(command).replace(str(work), "$WORK"),
                        "vulnerable": "is vulnerable" in result.stdout
                        or "sqlmap identified the following injection" in result.stdout,
                        "verdicts": verdicts[-4:]})
    return results


def aftermath(work: Path, smtp: object) -> dict[str, object]:
    """What the attacks left behind: server errors, mails with injected headers."""
    log = (work / "web.log").read_text(encoding="utf-8", errors="replace")
    statuses = re.findall(r'HTTP/1\.1" (\d{3})', log)
    messages = smtp.handler.messages  # type: ignore[attr-defined]
    injected = [m for m in messages if len(m.recipients) != 1 or m.message["Bcc"]
                or m.message["Cc"]]
    return {"requests": len(statuses), "by_status": {s: statuses.count(s)
                                                     for s in sorted(set(statuses))},
            "tracebacks": log.count("Traceback"), "mails": len(messages),
            "injected_mails": len(injected)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke version (~5 min)")
    parser.add_argument("--report", type=Path, default=ROOT / "SECURITY-SCAN.md")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "scan")
    options = parser.parse_args()
    missing = [tool for tool in ("wapiti", "sqlmap") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"not installed: {', '.join(missing)} (apt-get install -y wapiti sqlmap)")
    from tests.processes import free_port, running
    from tests.scanreport import write_report
    from tests.smtpserver import serve_smtp

    shutil.rmtree(options.work, ignore_errors=True)
    options.work.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve_smtp() as smtp:
        config, links = prepare(options.work, smtp.port, base)
        command = [sys.executable, "-m", "tests.webscan", "serve", str(config), str(port)]
        with running(command, options.work / "web.log", {"PYTHONPATH": str(ROOT),
                                                         **_env()}, ROOT) as web:
            web.wait_for("Uvicorn running", 60)
            found_w = wapiti(base, links, options.work, *((60, 10) if options.quick
                                                          else (300, 60)))
            found_s = sqlmap(base, links, options.work, options.quick)
        after = aftermath(options.work, smtp)
    write_report(options.report, found_w, found_s, after, options.quick)
    print(f"report: {options.report}")


def _env() -> dict[str, str]:
    from tests.processes import environment_without_settings
    return environment_without_settings()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
