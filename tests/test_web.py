"""Every page and error path of the web app, with the real store and a loopback SMTP server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.webclient import SECRET, T0, Web
from worker.pipeline.deliver import send_pending
from worker.pipeline.opening import open_due_digests
from worker.store import digests as digest_rows
from worker.store import items as item_rows
from worker.store import sources as source_rows
from worker.store import subscribers as subscriber_rows
from worker.tokens import make_token


def test_subscribe_confirm_and_double_opt_in(web: Web) -> None:
    page = web.subscribe(name="王先生")
    assert page.status_code == 200 and "请查收确认邮件" in page.text  # type: ignore[attr-defined]
    pending = web.subscriber()
    assert pending.status == "pending" and pending.keywords == ("新能源", "氢能")  # type: ignore[attr-defined]
    [mail] = web.smtp.handler.messages
    assert mail.message["Subject"] == "请确认订阅天津区域投资动态"
    link = web.link_in_last_mail()
    assert link.startswith("/confirm/")
    shown = web.client.get(link)
    assert shown.status_code == 200 and "确认订阅" in shown.text
    assert web.subscriber().status == "pending"  # type: ignore[attr-defined]  # GET changes nothing
    done = web.client.post(link, data={"csrf": web.csrf(link)})
    assert done.status_code == 200 and "订阅已确认" in done.text
    assert web.subscriber().status == "active"  # type: ignore[attr-defined]


def test_resubscribing_reveals_nothing_and_changes_nothing(web: Web) -> None:
    web.subscribe()
    web.client.post(web.link_in_last_mail(), data={"csrf": web.csrf(web.link_in_last_mail())})
    again = web.subscribe(keywords="别的词", districts=["宝坻区"])
    assert again.status_code == 200 and "请查收确认邮件" in again.text  # type: ignore[attr-defined]
    assert web.subscriber().keywords == ("新能源", "氢能")  # type: ignore[attr-defined]
    assert web.smtp.handler.messages[-1].message["Subject"] == "您已订阅天津区域投资动态"
    assert web.link_in_last_mail().startswith("/preferences/")


def test_validation_errors_next_to_fields_with_input_kept_and_escaped(web: Web) -> None:
    page = web.subscribe(email="not-an-address", districts=["上海"],
                         name="<script>alert(1)</script>", time="25:99")
    text = page.text  # type: ignore[attr-defined]
    assert page.status_code == 400  # type: ignore[attr-defined]
    assert "请输入有效的邮箱地址" in text and "请从列表中选择天津的区" in text
    assert "请填写有效的时间" in text
    assert 'value="not-an-address"' in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    english = web.client.post("/subscribe?lang=en", data={
        "csrf": web.csrf(), "email": "bad", "frequency": "weekly"})
    assert english.status_code == 400 and "Enter a valid email address" in english.text
    assert web.smtp.handler.messages == []


@pytest.mark.parametrize("email", ["a@b", "a b@example.com", "x@-example.com", ""])
def test_invalid_addresses(web: Web, email: str) -> None:
    assert web.subscribe(email=email).status_code == 400  # type: ignore[attr-defined]


def test_csrf_is_required(web: Web) -> None:
    page = web.client.post("/subscribe", data={"email": "a@example.com"})
    assert page.status_code == 403 and "页面已过期" in page.text
    wrong = web.client.post("/subscribe", data={"csrf": "forged", "email": "a@example.com"})
    assert wrong.status_code == 403


def test_rate_limits_per_address_and_per_ip(web: Web) -> None:
    codes = [web.subscribe().status_code for _ in range(4)]  # type: ignore[attr-defined]
    assert codes == [200, 200, 200, 429]
    more = [web.subscribe(email=f"u{i}@example.com").status_code  # type: ignore[attr-defined]
            for i in range(8)]
    assert more[-1] == 429 and "请求过于频繁" in web.subscribe(email="x@example.com").text  # type: ignore[attr-defined]


def active_subscriber(web: Web) -> int:
    with web.rt.engine.begin() as conn:
        from worker.models import Subscriber
        stored, _ = subscriber_rows.save(conn, Subscriber("li@example.com", "李",
                                                          ("西青区",)), T0)
    assert stored.id is not None
    return stored.id


@pytest.mark.parametrize("case", ["garbage", "tampered", "expired", "other_purpose",
                                  "other_secret"])
def test_bad_tokens(web: Web, case: str) -> None:
    sid = active_subscriber(web)
    token = {
        "garbage": "nonsense",
        "tampered": make_token(SECRET, sid, "manage", T0)[:-2] + "AA",
        "expired": make_token(SECRET, sid, "manage", T0 - timedelta(days=61)),
        "other_purpose": make_token(SECRET, sid, "unsubscribe", T0),
        "other_secret": make_token("guessed", sid, "manage", T0),
    }[case]
    page = web.client.get(f"/preferences/{token}")
    assert page.status_code == 400 and "链接无效或已过期" in page.text


def test_preferences_edit_pause_resume_and_preview(web: Web) -> None:
    sid = active_subscriber(web)
    link = f"/preferences/{make_token(SECRET, sid, 'manage', T0)}"
    page = web.client.get(link)
    assert page.status_code == 200 and "li@example.com" in page.text
    assert 'value="西青区" checked' in page.text and "目前没有待发送的内容" in page.text
    csrf = web.csrf(link)
    saved = web.client.post(link, data={"csrf": csrf, "action": "save", "districts": ["北辰区"],
                                        "keywords": "AI", "frequency": "daily",
                                        "time": "08:30", "timezone": "Europe/Berlin"})
    assert saved.status_code == 200 and "设置已保存" in saved.text
    changed = web.subscriber("li@example.com")
    assert changed.districts == ("北辰区",) and changed.schedule.timezone == "Europe/Berlin"  # type: ignore[attr-defined]
    bad = web.client.post(link, data={"csrf": csrf, "action": "save", "timezone": "Mars/Base",
                                      "frequency": "daily"})
    assert bad.status_code == 400 and "未知的时区" in bad.text
    assert web.client.post(link, data={"csrf": csrf, "action": "pause"}).status_code == 200
    assert web.subscriber("li@example.com").status == "paused"  # type: ignore[attr-defined]
    assert web.client.post(link, data={"csrf": csrf, "action": "resume"}).status_code == 200
    assert web.subscriber("li@example.com").status == "active"  # type: ignore[attr-defined]
    assert web.client.post(link, data={"action": "pause"}).status_code == 403  # no CSRF


def test_one_click_unsubscribe_takes_effect_at_once(web: Web) -> None:
    sid = active_subscriber(web)
    from tests.test_store import an_item
    from worker.models import Match
    with web.rt.engine.begin() as conn:
        source_rows.sync(conn, web.rt.sources)
        [item] = item_rows.insert(conn, [an_item(1, source_id="p")], T0)
        digest_rows.add_matches(conn, [Match(sid, item.id or 0)], T0)
    open_due_digests(web.rt, T0, force=True)  # a digest is waiting to go out
    link = f"/unsubscribe/{make_token(SECRET, sid, 'unsubscribe', T0)}"
    web.clock[0] = T0 + timedelta(days=300)  # a link in a mail from 300 days ago
    page = web.client.get(link)
    assert page.status_code == 200 and "确认退订" in page.text
    assert web.subscriber("li@example.com").status == "active"  # type: ignore[attr-defined]  # GET: nothing
    fresh = TestClient(web.client.app, base_url="https://testserver")  # a mail client: no cookie
    done = fresh.post(link, content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    assert web.subscriber("li@example.com").status == "unsubscribed"  # type: ignore[attr-defined]
    report = asyncio.run(send_pending(web.rt, T0))
    assert list(report.outcomes.values()) == ["cancelled"]
    assert web.smtp.handler.messages == []


def test_languages_and_safe_headers(web: Web) -> None:
    chinese = web.client.get("/")
    assert '<html lang="zh-CN">' in chinese.text and "订阅" in chinese.text
    english = web.client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Subscribe" in english.text
    assert '<html lang="zh-CN">' in web.client.get("/?lang=zh",
                                                    headers={"Accept-Language": "en"}).text
    headers = chinese.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    assert "httponly" in headers["set-cookie"].lower() and "samesite=strict" in headers[
        "set-cookie"].lower()
    assert "<script" not in chinese.text  # works without JavaScript


def test_fact_rules_and_reminders_on_the_preferences_page(web: Web) -> None:
    sid = active_subscriber(web)
    link = f"/preferences/{make_token(SECRET, sid, 'manage', T0)}"
    page = web.client.get(link)
    assert 'name="industries" value="生物医药"' in page.text and 'value="签约"' in page.text
    assert 'name="reminders" value="on" checked' in page.text  # on unless turned off
    csrf = web.csrf(link)
    rules = {"csrf": csrf, "action": "save", "districts": ["西青区"], "frequency": "weekly",
             "weekday": "mon", "time": "09:00", "timezone": "Asia/Shanghai"}
    saved = web.client.post(link, data={**rules, "min_amount": "10亿", "stages": ["签约", "开工"],
                                        "industries": ["新能源", "生物医药"]})  # reminders unticked
    assert saved.status_code == 200 and "设置已保存" in saved.text
    stored = web.subscriber("li@example.com")
    assert stored.min_amount == 1e9 and stored.stages == ("签约", "开工")  # type: ignore[attr-defined]
    assert stored.industries == ("新能源", "生物医药") and not stored.reminders  # type: ignore[attr-defined]
    shown = web.client.get(link).text
    assert 'value="10亿"' in shown and 'value="生物医药" checked' in shown
    assert 'name="reminders" value="on">' in shown  # shown unticked
    bad = web.client.post(link, data={**rules, "min_amount": "很多", "industries": ["养猪"],
                                      "stages": ["<b>x</b>"]})
    assert bad.status_code == 400
    assert "请填写金额" in bad.text and "请从列表中选择产业" in bad.text
    assert "请从列表中选择阶段" in bad.text and "<b>x</b>" not in bad.text
    assert web.subscriber("li@example.com").min_amount == 1e9  # type: ignore[attr-defined]
    english = web.client.post(f"{link}?lang=en", data={**rules, "min_amount": "lots"})
    assert english.status_code == 400 and "Enter a sum such as 10亿" in english.text


def test_signing_up_again_long_after_leaving_can_be_confirmed(web: Web) -> None:
    web.subscribe()
    web.client.post(web.link_in_last_mail(), data={"csrf": web.csrf(web.link_in_last_mail())})
    with web.rt.engine.begin() as conn:
        stored = subscriber_rows.by_email(conn, "wang@example.com")
        assert stored is not None and stored.id is not None
        subscriber_rows.set_status(conn, stored.id, "unsubscribed", T0)
    web.clock[0] = T0 + timedelta(days=200)  # they come back months later
    web.subscribe()
    confirm = web.link_in_last_mail()
    web.clock[0] += timedelta(hours=1)
    web.subscribe(email="someone-else@example.com")  # a sign-up expires stale ones
    done = web.client.post(confirm, data={"csrf": web.csrf(confirm)})
    assert done.status_code == 200 and "订阅已确认" in done.text
    assert web.subscriber().status == "active"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fetch_site", "status"), [
    ("cross-site", 403), ("same-site", 403), ("same-origin", 200), ("none", 200)])
def test_the_browser_says_where_a_form_comes_from(web: Web, fetch_site: str, status: int
                                                   ) -> None:
    # An attacker's page can send Origin: null too (as our no-referrer pages make
    # browsers do); Fetch Metadata tells them apart.
    page = web.client.post("/subscribe", data={
        "csrf": web.csrf(), "email": "wang@example.com", "frequency": "weekly"},
        headers={"Origin": "null", "Sec-Fetch-Site": fetch_site})
    assert page.status_code == status
