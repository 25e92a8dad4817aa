"""The subscription web app (Starlette): server-rendered pages that work without JavaScript.

    GET  /                      subscribe form          POST /subscribe
    GET  /confirm/{token}       confirm button          POST /confirm/{token}
    GET  /preferences/{token}   settings + preview      POST /preferences/{token}
    GET  /unsubscribe/{token}   confirm button          POST /unsubscribe/{token}  (RFC 8058)

Token pages act only on POST: mail scanners open links, they must not confirm or
unsubscribe anyone. The one-click unsubscribe POST needs no cookie: the signed token
authorises it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from worker.errors import MailError
from worker.resources import templates_dir
from worker.tokens import BadToken, Purpose, issued_at, make_token, read_token
from worker.web.forms import DAYS, Form, validate
from worker.web.i18n import TEXT, pick_language
from worker.web.security import CSRF_COOKIE, SAFE_HEADERS, csrf_ok, new_csrf_token

if TYPE_CHECKING:  # Starlette, the store and the digest stack load when the app is built
    from email.message import EmailMessage

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from worker.digest.build import Digest
    from worker.models import Subscriber
    from worker.runtime import Runtime
    from worker.web.limits import WebLimits

log = logging.getLogger("radar.web")
MAX_AGE: dict[Purpose, timedelta] = {
    "confirm": timedelta(days=3),
    "manage": timedelta(days=60),
    "unsubscribe": timedelta(days=400),  # links in old mails must keep working
}
TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Singapore",
             "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")


def create_app(rt: Runtime, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
               limits: WebLimits | None = None) -> Starlette:
    """The app; rate limits shared through Redis when it answers (`web/limits.py`)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from worker.web.limits import web_limits
    from worker.web.security import RequestGuard

    if limits is None:
        limits = web_limits(rt.settings.service.redis_url, rt.settings.database_url)
    web = _Web(rt, clock, limits)
    guard = Middleware(RequestGuard, base_url=rt.settings.web.base_url)
    return Starlette(middleware=[guard], routes=[
        Route("/", web.subscribe_form, methods=["GET"]),
        Route("/subscribe", web.subscribe, methods=["POST"]),
        Route("/confirm/{token}", web.confirm, methods=["GET", "POST"]),
        Route("/preferences/{token}", web.preferences, methods=["GET", "POST"]),
        Route("/unsubscribe/{token}", web.unsubscribe, methods=["GET", "POST"]),
        Route("/healthz", lambda _: PlainTextResponse("ok"), methods=["GET"]),
    ])


class _Web:
    def __init__(self, rt: Runtime, clock: Callable[[], datetime], limits: WebLimits
                 ) -> None:
        from starlette.templating import Jinja2Templates

        self.rt, self.clock = rt, clock
        self.secret = rt.settings.secret_key.get_secret_value()
        self.templates = Jinja2Templates(directory=str(templates_dir() / "web"))
        self.per_ip, self.per_address = limits.per_ip, limits.per_address

    # -- pages -------------------------------------------------------------------------

    async def subscribe_form(self, request: Request) -> Response:
        return self.page(request, "subscribe.html", form=Form(), errors={})

    async def subscribe(self, request: Request) -> Response:
        data, lists = await _form(request)
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), data.get("csrf")):
            return self.message(request, "csrf", 403)
        if not self.per_ip.allow(request.client.host if request.client else "?"):
            return self.message(request, "too_many", 429)
        form = Form.from_post(data, lists)
        subscriber, errors = validate(form, self.rt.gazetteer,
                                      usd_rate=self.rt.settings.facts.usd_rate)
        if subscriber is None:
            return self.page(request, "subscribe.html", 400, form=form, errors=errors)
        if not self.per_address.allow(subscriber.email):
            return self.message(request, "too_many", 429)
        await self.sign_up(subscriber, self.language(request))
        # The same page whether the address was known or not: nothing is revealed.
        return self.message(request, "check_mail", title="check_mail_title")

    async def confirm(self, request: Request) -> Response:
        from worker.store import subscribers as subscriber_rows

        subscriber = self.holder(request, "confirm")
        if subscriber is None or subscriber.id is None:
            return self.message(request, "bad_link", 400)
        if request.method == "GET":
            return self.page(request, "confirm.html", subscriber=subscriber)
        data, _ = await _form(request)
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), data.get("csrf")):
            return self.message(request, "csrf", 403)
        with self.rt.engine.begin() as conn:
            subscriber_rows.set_status(conn, subscriber.id, "active", self.clock(),
                                       only_from=("pending",))
        return self.message(request, "confirmed", title="confirm_title")

    async def preferences(self, request: Request) -> Response:
        from worker.store import subscribers as subscriber_rows

        subscriber = self.holder(request, "manage")
        if subscriber is None or subscriber.id is None:
            return self.message(request, "bad_link", 400)
        if subscriber.status == "unsubscribed":  # an old link: shows and changes nothing
            return self.message(request, "unsubscribed", 410, title="unsubscribe_title")
        errors: dict[str, str] = {}
        notice, form = "", Form.from_subscriber(subscriber)
        if request.method == "POST":
            data, lists = await _form(request)
            if not csrf_ok(request.cookies.get(CSRF_COOKIE), data.get("csrf")):
                return self.message(request, "csrf", 403)
            notice, errors, form = self.change(subscriber, data, lists, form)
            with self.rt.engine.connect() as conn:
                subscriber = subscriber_rows.by_id(conn, subscriber.id) or subscriber
        return self.page(request, "preferences.html", 400 if errors else 200, form=form,
                         errors=errors, notice=notice, subscriber=subscriber,
                         preview=self.preview(subscriber))

    async def unsubscribe(self, request: Request) -> Response:
        from worker.store import subscribers as subscriber_rows

        subscriber = self.holder(request, "unsubscribe")
        if subscriber is None or subscriber.id is None:
            return self.message(request, "bad_link", 400)
        if request.method == "GET":
            return self.page(request, "unsubscribe.html", subscriber=subscriber)
        with self.rt.engine.begin() as conn:  # RFC 8058 one-click, or the button
            subscriber_rows.set_status(conn, subscriber.id, "unsubscribed", self.clock())
        log.info("subscriber %d unsubscribed", subscriber.id)
        return self.message(request, "unsubscribed", title="unsubscribe_title")

    # -- actions -----------------------------------------------------------------------

    async def sign_up(self, subscriber: Subscriber, language: str) -> None:
        from worker.store import subscribers as subscriber_rows
        from worker.web.mails import web_mail

        now = self.clock()
        with self.rt.engine.begin() as conn:
            subscriber_rows.expire_pending(conn, now - MAX_AGE["confirm"])
            existing = subscriber_rows.by_email(conn, subscriber.email)
            if existing is None:
                stored = subscriber_rows.create_pending(conn, subscriber, now)
            elif existing.status in ("pending", "unsubscribed"):
                assert existing.id is not None  # a new sign-up: new rules, to be confirmed
                subscriber_rows.update_rules(conn, existing.id, subscriber, now)
                subscriber_rows.set_status(conn, existing.id, "pending", now)
                stored = existing
            else:
                stored = existing  # active, paused, suspended: change nothing, tell them
        assert stored.id is not None
        if stored.status in ("active", "paused"):
            await self.mail(web_mail("exists", language, self.sender, stored.email,
                                     self.link("preferences", stored.id, "manage"), now))
        elif stored.status != "suspended":
            await self.mail(web_mail("confirm", language, self.sender, stored.email,
                                     self.link("confirm", stored.id, "confirm"), now))

    def change(self, subscriber: Subscriber, data: dict[str, str],
               lists: dict[str, list[str]], form: Form) -> tuple[str, dict[str, str], Form]:
        from worker.store import subscribers as subscriber_rows

        assert subscriber.id is not None
        action, now = data.get("action", "save"), self.clock()
        with self.rt.engine.begin() as conn:
            if action == "pause":
                subscriber_rows.set_status(conn, subscriber.id, "paused", now, ("active",))
                return "paused", {}, form
            if action == "resume":
                subscriber_rows.set_status(conn, subscriber.id, "active", now, ("paused",))
                return "resumed", {}, form
            edited = Form.from_post({**data, "email": subscriber.email}, lists)
            rules, errors = validate(edited, self.rt.gazetteer, with_email=False,
                                     usd_rate=self.rt.settings.facts.usd_rate)
            if rules is None:
                return "", errors, edited
            subscriber_rows.update_rules(conn, subscriber.id, rules, now)
            return "saved", {}, edited

    def preview(self, subscriber: Subscriber) -> Digest | None:
        from worker.preview import next_digest  # the digest stack: on the first preview

        with self.rt.engine.connect() as conn:
            return next_digest(conn, subscriber, self.rt.settings, self.rt.gazetteer,
                               self.rt.source_names, self.clock())

    async def mail(self, message: EmailMessage) -> None:
        from worker.mail.message import outgoing

        try:
            async with self.rt.make_sender() as sender:
                await sender.send(outgoing(message))
        except MailError as e:  # the page still answers; the user can submit again
            log.error("web mail to %s not sent: %s", message["To"], e)

    # -- helpers -----------------------------------------------------------------------

    @property
    def sender(self) -> str:
        return self.rt.settings.mail.sender

    def link(self, page: str, subscriber_id: int, purpose: Purpose) -> str:
        token = make_token(self.secret, subscriber_id, purpose, self.clock())
        return f"{self.rt.settings.web.base_url.rstrip('/')}/{page}/{token}"

    def holder(self, request: Request, purpose: Purpose) -> Subscriber | None:
        """The subscriber a valid, unexpired token of this purpose belongs to."""
        from worker.store import subscribers as subscriber_rows

        token = request.path_params["token"]
        try:
            subscriber_id = read_token(self.secret, token, purpose, self.clock(),
                                       MAX_AGE[purpose])
        except BadToken:
            return None
        with self.rt.engine.connect() as conn:
            subscriber = subscriber_rows.by_id(conn, subscriber_id)
        # A token older than its row was made for a deleted subscriber whose id was
        # given again (SQLite reuses the highest rowid): it is not this one's.
        if subscriber is not None and subscriber.created_at is not None and \
                issued_at(token) < subscriber.created_at.replace(microsecond=0):
            return None
        return subscriber

    def language(self, request: Request) -> str:
        return pick_language(request.query_params.get("lang"),
                             request.headers.get("accept-language", ""))

    def message(self, request: Request, key: str, status: int = 200,
                title: str = "title") -> Response:
        return self.page(request, "message.html", status, message_key=key, title_key=title)

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        language = self.language(request)
        csrf = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        response = self.templates.TemplateResponse(request, name, {
            "t": TEXT[language], "lang": language, "csrf": csrf, "days": DAYS,
            "timezones": TIMEZONES, **_choices(),
            "other_lang": "en" if language == "zh" else "zh", **context,
        }, status_code=status)
        https = request.url.scheme == "https" or self.rt.settings.web.base_url.startswith(
            "https:")  # behind a TLS proxy that does not say so (wapiti: Secure flag)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=https)
        response.headers.update(SAFE_HEADERS)
        return response


def _choices() -> dict[str, Any]:
    # imported on the first page shown, not when the app starts
    from worker.districts import DISTRICTS, ZONES
    from worker.facts.industries import tianjin_industries
    from worker.facts.stages import STAGES

    return {"districts": DISTRICTS, "zones": ZONES, "stages": STAGES,
            "industries": tianjin_industries().names}


async def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    form = await request.form(max_files=0, max_fields=200)
    single = {k: v for k, v in form.items() if isinstance(v, str)}
    lists = {k: [v for v in form.getlist(k) if isinstance(v, str)]
             for k in ("districts", "categories", "stages", "industries")}
    return single, lists
