"""A stored digest's contents → rendered bodies and envelope (pure; settings passed in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from worker.config import Settings
from worker.digest.build import Digest, Links, Operator, build_digest
from worker.digest.render import render_digest
from worker.districts import Gazetteer
from worker.mail.message import Envelope
from worker.models import Entry, Rendered, Subscriber
from worker.tokens import make_token


def links_for(settings: Settings, subscriber_id: int, now: datetime) -> Links:
    secret = settings.secret_key.get_secret_value()
    base = settings.web.base_url.rstrip("/")
    return Links(
        unsubscribe=f"{base}/unsubscribe/{make_token(secret, subscriber_id, 'unsubscribe', now)}",
        manage=f"{base}/preferences/{make_token(secret, subscriber_id, 'manage', now)}",
    )


def digest_for(
    subscriber: Subscriber, entries: Sequence[Entry], settings: Settings, gazetteer: Gazetteer,
    source_names: Mapping[str, str], now: datetime, period_key: str | None = None,
) -> Digest:
    """The digest of these entries; `period_key` names the period it covers, if any."""
    assert subscriber.id is not None
    return build_digest(
        subscriber, entries, now=now, gazetteer=gazetteer, source_names=source_names,
        links=links_for(settings, subscriber.id, now),
        max_items=settings.digest.max_items, summary_chars=settings.digest.summary_chars,
        period_key=period_key,
        operator=Operator(settings.mail.operator_name, settings.mail.operator_contact),
    )


def compose(
    subscriber: Subscriber, period_key: str, entries: Sequence[Entry], settings: Settings,
    gazetteer: Gazetteer, source_names: Mapping[str, str], now: datetime,
) -> tuple[Rendered, Envelope]:
    """The rendered bodies and the envelope of one digest mail."""
    digest = digest_for(subscriber, entries, settings, gazetteer, source_names, now, period_key)
    kind = f"{subscriber.schedule.frequency}:digest"
    return render_digest(digest), envelope_for(subscriber, period_key, kind, digest.links,
                                               settings)


def envelope_for(subscriber: Subscriber, period_key: str, kind: str, links: Links,
                 settings: Settings) -> Envelope:
    """The envelope of one mail to a subscriber; `kind` ("weekly:digest", "reminder")
    heads its Feedback-ID."""
    feedback = settings.mail.feedback_id
    return Envelope(
        sender=settings.mail.sender,
        recipient=subscriber.email,
        recipient_name=subscriber.name,
        digest_key=f"{subscriber.id}:{period_key}",
        list_id=settings.mail.list_id,
        unsubscribe_url=links.unsubscribe,
        unsubscribe_mailto=settings.mail.unsubscribe_mailto,
        reply_to=settings.mail.reply_to,
        # Gmail Postmaster reports spam rates per value: one per kind of mail, not per reader
        feedback_id=f"{kind}:{feedback}" if feedback else None,
    )

