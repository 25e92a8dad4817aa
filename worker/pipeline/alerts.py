"""Mail to ops about a source that needs a person (when `ops_email` is set)."""

from __future__ import annotations

import logging
from datetime import datetime

from worker.errors import MailError
from worker.mail.message import build_ops_alert
from worker.runtime import Runtime

log = logging.getLogger("radar.pipeline")


async def alert_ops(rt: Runtime, about: str, subject: str, body: str, now: datetime) -> None:
    """Send one alert; a failure to send it is logged, never raised."""
    if not rt.settings.ops_email:
        return
    message = build_ops_alert(rt.settings.mail.sender, rt.settings.ops_email, subject, body, now)
    try:
        async with rt.make_sender() as sender:
            await sender.send(message)
    except MailError as e:
        log.error("could not tell ops (%s) about %s: %s", rt.settings.ops_email, about, e)
