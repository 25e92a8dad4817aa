"""What an attacker tries first against the subscription app, beyond what wapiti and sqlmap
try (`make scan`): old links after unsubscribing, cross-site POSTs, a forged Host header,
redirects, huge and trickled bodies (against a real `radar web`), odd methods and bytes.

Rows: "expected" = attempts, "delivered" = attempts handled as they must be (refused, or
harmless), "duplicated" = attempts that changed or revealed something they must not.
"""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from tests.reliability.report import Outcome, record
from tests.reliability.webserver import radar_web, subscribe
from tests.smtpserver import SmtpServer
from tests.webclient import SECRET, T0, Web
from worker.store import subscribers as subscriber_rows
from worker.tokens import make_token
from worker.web.security import BODY_SECONDS, MAX_BODY


def confirmed(web: Web, email: str) -> int:
    """A subscriber signed up and confirmed through the pages; their id."""
    assert web.subscribe(email=email).status_code == 200  # type: ignore[attr-defined]
    link = web.link_in_last_mail()
    assert web.client.post(link, data={"csrf": web.csrf(link)}).status_code == 200
    return web.subscriber(email).id  # type: ignore[attr-defined,no-any-return]


def row(attempts: dict[str, bool], scenario: str, injected: str, note: str = "") -> None:
    wrong = [name for name, ok in attempts.items() if not ok]
    record(Outcome("security", scenario, injected, len(attempts),
                   len(attempts) - len(wrong), len(wrong), others_carried_on=not wrong,
                   note=note or ("all refused or harmless" if not wrong
                                 else f"WRONG: {', '.join(wrong)}")))
    assert wrong == []


def test_links_after_unsubscribing_do_not_reactivate_or_reveal(web: Web) -> None:
    sid = confirmed(web, "gone@example.com")
    manage, unsub, confirm = (make_token(SECRET, sid, p, T0)  # type: ignore[arg-type]
                              for p in ("manage", "unsubscribe", "confirm"))
    assert web.client.post(f"/unsubscribe/{unsub}").status_code == 200
    csrf = web.csrf()
    prefs = web.client.get(f"/preferences/{manage}")
    resume = web.client.post(f"/preferences/{manage}", data={"csrf": csrf, "action": "resume"})
    save = web.client.post(f"/preferences/{manage}", data={
        "csrf": csrf, "action": "save", "keywords": "换掉", "frequency": "instant"})
    again = web.client.post(f"/confirm/{confirm}", data={"csrf": csrf})
    after = web.subscriber("gone@example.com")
    row({"preferences page shows no address": prefs.status_code == 410
         and "gone@example.com" not in prefs.text,
         "resume refused": resume.status_code == 410,
         "rules not changed": save.status_code == 410 and "换掉" not in str(after),
         "old confirm link does not re-activate": again.status_code < 500
         and after.status == "unsubscribed",  # type: ignore[attr-defined]
         "unsubscribe link again: still unsubscribed":
             web.client.post(f"/unsubscribe/{unsub}").status_code == 200},
        "links replayed after unsubscribing",
        "preferences GET/resume/save, confirm and unsubscribe with the old tokens")


def test_a_deleted_subscribers_links_do_not_open_the_next_ones(web: Web) -> None:
    """SQLite gives a deleted row's id (the highest) to the next row: the links of the
    deleted subscriber must not open the newcomer's preferences."""
    sid = confirmed(web, "old@example.com")
    manage = make_token(SECRET, sid, "manage", T0)
    unsub = make_token(SECRET, sid, "unsubscribe", T0)
    with web.rt.engine.begin() as conn:
        subscriber_rows.remove(conn, "old@example.com")
    web.clock[0] = T0 + timedelta(minutes=5)
    newcomer = confirmed(web, "new@example.com")
    prefs = web.client.get(f"/preferences/{manage}")
    unsubscribed = web.client.post(f"/unsubscribe/{unsub}")
    row({"old preferences link refused": prefs.status_code == 400
         and "new@example.com" not in prefs.text,
         "old unsubscribe link refused": unsubscribed.status_code == 400,
         "newcomer still active":
             web.subscriber("new@example.com").status == "active"},  # type: ignore[attr-defined]
        "links of a deleted subscriber, id given again",
        f"subscriber {sid} removed, the next sign-up got id {newcomer}",
        note=f"id reused: {'yes' if newcomer == sid else 'no'}; tokens older than the row "
             "are refused")


def test_cross_site_posts_are_refused(web: Web) -> None:
    sid = confirmed(web, "victim@example.com")
    manage = make_token(SECRET, sid, "manage", T0)
    csrf = web.csrf()
    form = {"csrf": csrf, "email": "forged@example.com", "frequency": "weekly",
            "weekday": "mon", "time": "09:00", "timezone": "Asia/Shanghai"}
    evil = "https://evil.example"
    mails = len(web.smtp.handler.messages)
    codes = {
        "subscribe, foreign Origin": web.client.post(
            "/subscribe", data=form, headers={"Origin": evil}).status_code,
        "subscribe, foreign Referer": web.client.post(
            "/subscribe", data=form, headers={"Referer": f"{evil}/x"}).status_code,
        "preferences pause, foreign Origin": web.client.post(
            f"/preferences/{manage}", data={"csrf": csrf, "action": "pause"},
            headers={"Origin": evil}).status_code,
        "subscribe, look-alike Origin": web.client.post(
            "/subscribe", data=form,
            headers={"Origin": "https://radar.test.evil.example"}).status_code,
    }
    ours = web.client.post("/subscribe", data=form, headers={"Origin": "null"}).status_code
    row({**{name: code == 403 for name, code in codes.items()},
         "nothing mailed": len(web.smtp.handler.messages) == mails + (ours == 200),
         "victim not paused": web.subscriber("victim@example.com").status  # type: ignore[attr-defined]
         == "active",
         "our own form (Origin: null, no-referrer) still works": ours == 200},
        "cross-site POSTs with a valid CSRF cookie and field",
        "Origin / Referer https://evil.example (as after cookie tossing from a subdomain)")


def test_mailed_links_ignore_the_request_host(web: Web) -> None:
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example",
              "X-Forwarded-Proto": "http", "X-Original-URL": "//evil.example/",
              "Forwarded": "host=evil.example"}
    csrf = web.csrf()
    fields = {"csrf": csrf, "districts": "武清区", "frequency": "weekly", "weekday": "mon",
              "time": "09:00", "timezone": "Asia/Shanghai"}
    confirmed(web, "known@example.com")
    before = len(web.smtp.handler.messages)
    for email in ("newhost@example.com", "known@example.com"):  # confirm, then 'exists'
        web.client.post("/subscribe", data={**fields, "email": email}, headers=forged)
    bodies = [m.message.get_content() + str(m.message)
              for m in web.smtp.handler.messages[before:]]
    links = [link for body in bodies for link in re.findall(r"https?://[^\s\"<>]+", body)]
    row({"two mails sent": len(bodies) == 2,
         "no link to the forged host": not any("evil" in body for body in bodies),
         "every link on web.base_url": bool(links)
         and all(link.startswith("https://radar.test/") for link in links)},
        "Host header injection into mailed links",
        "Host, X-Forwarded-Host, Forwarded, X-Original-URL: evil.example",
        note=f"{len(links)} links in 2 mails, all https://radar.test/…")


def test_no_redirect_leaves_the_site(web: Web) -> None:
    token = make_token(SECRET, confirmed(web, "r@example.com"), "manage", T0)
    targets = ["https://evil.example", "//evil.example", "/\\evil.example", "%2F%2Fevil.example"]
    paths = [f"/?{p}={t}" for p in ("next", "redirect", "url", "return_to") for t in targets]
    paths += ["//evil.example", "//evil.example/", "/\\evil.example", "/%2F%2Fevil.example",
              f"/preferences/{token}/", "/subscribe/", "/healthz/", f"/confirm/{token}/"]
    client = TestClient(web.client.app, base_url="https://testserver", follow_redirects=False)
    answers = {path: client.get(path) for path in paths}
    answers["POST /subscribe?next=…"] = client.post(
        "/subscribe?next=https://evil.example", data={"next": "https://evil.example"})
    locations = {path: r.headers.get("location", "") for path, r in answers.items()}
    offsite = {path: where for path, where in locations.items() if "evil" in where
               or (where and not where.startswith(("https://testserver/", "/")))}
    redirects = sum(1 for r in answers.values() if r.is_redirect)
    row({"no Location off the site": not offsite, "no 5xx": all(
        r.status_code < 500 for r in answers.values())},
        "open redirect", f"{len(answers)} requests with redirect parameters and paths",
        note=f"{redirects} redirects, all on the site (Starlette's trailing-slash ones); "
             f"off-site: {offsite or 'none'}")


def test_odd_methods_bytes_and_sizes_are_answered_cleanly(web: Web) -> None:
    client = web.client
    csrf = web.csrf()
    answers = {
        "TRACE /": client.request("TRACE", "/").status_code,
        "PUT /subscribe": client.put("/subscribe", content=b"x").status_code,
        "DELETE /preferences/x": client.delete("/preferences/x").status_code,
        "10 kB token": client.get("/preferences/" + "A" * 10_000).status_code,
        "bad percent-encoding": client.post("/subscribe", content=b"csrf=%ZZ&email=%",
                                            headers={"Content-Type":
                                                     "application/x-www-form-urlencoded"}
                                            ).status_code,
        "invalid UTF-8": client.post("/subscribe", content=b"csrf=\xff\xfe&email=\xc3",
                                     headers={"Content-Type":
                                              "application/x-www-form-urlencoded"}).status_code,
        "NUL in the address": web.subscribe(email="a\x00@example.com").status_code,  # type: ignore[attr-defined]
        "non-ASCII CSRF field": client.post("/subscribe", data={"csrf": "¿'\"("}).status_code,
        "multipart with a file": client.post("/subscribe", data={"csrf": csrf},
                                             files={"f": ("x.txt", b"x" * 1000)}).status_code,
        "2,000 fields": client.post("/subscribe", content="&".join(
            f"f{n}=1" for n in range(2000)).encode(), headers={
                "Content-Type": "application/x-www-form-urlencoded"}).status_code,
    }
    missing_headers = client.get("/no-such-page").headers.get("X-Frame-Options") is None
    cors = client.options("/subscribe", headers={"Origin": "https://evil.example"})
    row({**{name: 400 <= code < 500 for name, code in answers.items()},
         "404 carries the safe headers": not missing_headers,
         "no CORS grant": "access-control-allow-origin" not in cors.headers},
        "odd methods, bytes and sizes", ", ".join(answers),
        note="; ".join(f"{n}: {c}" for n, c in answers.items()))


def raw_post(port: int, body_head: bytes, length: int | None, chunked: bool = False
             ) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    headers = [b"POST /subscribe HTTP/1.1", f"Host: 127.0.0.1:{port}".encode(),
               b"Content-Type: application/x-www-form-urlencoded"]
    headers.append(b"Transfer-Encoding: chunked" if chunked
                   else f"Content-Length: {length}".encode())
    sock.sendall(b"\r\n".join(headers) + b"\r\n\r\n" + body_head)
    return sock


def status_of(sock: socket.socket) -> int:
    try:
        head = sock.recv(200)
    except OSError:
        return 0
    finally:
        sock.close()
    found = re.match(rb"HTTP/1\.1 (\d{3})", head)
    return int(found.group(1)) if found else 0


def test_huge_bodies_are_refused_early(tmp_path: Path, smtp_server: SmtpServer) -> None:
    with radar_web(tmp_path, smtp_server) as web:
        port = int(web.base.rsplit(":", 1)[1])
        started = time.monotonic()
        declared = status_of(raw_post(port, b"csrf=" + b"x" * 65536, 200_000_000))
        declared_seconds = time.monotonic() - started
        chunk = b"x" * 65536
        sock = raw_post(port, b"", None, chunked=True)
        try:
            for _ in range(MAX_BODY // len(chunk) + 4):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server answered and closed: what we want
        streamed = status_of(sock)
        client = web.client()
        still = subscribe(client, "after@example.com").status_code
        rss = _rss_kib(web.process.popen.pid)
    row({"200 MB declared: 413 at once": declared == 413 and declared_seconds < 2,
         "chunked body past the cap: 413": streamed == 413,
         "the app keeps serving": still == 200},
        "very large form bodies (real radar web)",
        f"Content-Length 200,000,000; a chunked body past {MAX_BODY // 1024} KiB",
        note=f"declared: {declared} in {declared_seconds * 1000:.0f} ms; chunked: {streamed}; "
             f"then a sign-up: {still}; web process RSS {rss} KiB")


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    found = re.search(r"VmRSS:\s+(\d+)", status)
    return int(found.group(1)) if found else 0


def trickle(port: int, seconds: float) -> int:
    """A body of 1,000 bytes announced, one byte a second: what the server answers."""
    sock = raw_post(port, b"c", 1000)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(1)
            sock.sendall(b"s")
    except OSError:
        pass
    return status_of(sock)


def test_slow_bodies_do_not_hold_the_app(tmp_path: Path, smtp_server: SmtpServer) -> None:
    slow = 40
    with radar_web(tmp_path, smtp_server) as web, ThreadPoolExecutor(slow + 2) as pool:
        port = int(web.base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        for sock in idle:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        trickling = [pool.submit(trickle, port, BODY_SECONDS + 5) for _ in range(slow)]
        time.sleep(2)
        client = web.client()
        timings = []
        for n in range(5):
            started = time.monotonic()
            code = subscribe(client, f"s{n}@example.com").status_code
            timings.append((code, time.monotonic() - started))
        answers = [f.result(timeout=60) for f in trickling]
        idle_open = sum(1 for sock in idle if _still_open(sock))
        for sock in idle:
            sock.close()
    worst = max(t for _, t in timings)
    row({"others served meanwhile": all(c == 200 for c, _ in timings) and worst < 2,
         f"every trickled body cut off with 408 after {BODY_SECONDS:.0f} s":
             answers == [408] * slow},
        "slowloris: slow bodies (real radar web)",
        f"{slow} POSTs trickling a byte a second, 20 connections with unfinished headers",
        note=f"5 sign-ups meanwhile, slowest {worst * 1000:.0f} ms; trickled bodies answered "
             f"{sorted(set(answers))}; unfinished headers: {idle_open} of 20 still open after "
             f"{BODY_SECONDS + 7:.0f} s (uvicorn has no header timeout: the HTTPS proxy's "
             "client_header_timeout closes those)")


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False

