"""`radar bounces import`: delivery-status notifications → hard bounces, counted once."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from worker.cli.context import Context, pass_context

if TYPE_CHECKING:
    from worker.mail.dsn import Recipient, Report
    from worker.runtime import Runtime
    from worker.store.bounces import Recorded

WHY = {
    "hard": "bad mailbox",
    "policy": "refused by the receiving side's policy (spam, SPF/DKIM/DMARC, reputation, "
              "our sender): ours to fix, not the address's",
    "message": "this message was refused (size, content), not the address",
    "unclear": "a permanent failure that does not say the address is bad",
    "temporary": "temporary (4.x.x: still retrying, or gave up retrying), not a bad address",
}


@dataclass
class Tally:
    mails: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    policy_domains: Counter[str] = field(default_factory=Counter)
    suspended: set[str] = field(default_factory=set)


@click.group()
def bounces() -> None:
    """Bounces that come back later as delivery-status notifications (RFC 3464)."""


@bounces.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|MAILDIR|MBOX…",
                type=click.Path(path_type=Path))
@pass_context
def bounces_import(ctx: Context, paths: tuple[Path, ...]) -> None:
    """Count hard bounces from DSN mails, as a 5xx at RCPT counts; each DSN once."""
    tally = import_paths(ctx.runtime(), paths, ctx.now())
    click.echo(summary(tally))
    if tally.policy_domains:
        domains = ", ".join(f"{d} {n}" for d, n in tally.policy_domains.most_common(10))
        click.echo(f"policy rejections by recipient domain: {domains} (check SPF, DKIM, "
                   "DMARC and blocklists for the From domain; no subscriber was counted)")
    if tally.kinds["unreadable"]:
        sys.exit(1)


def import_paths(rt: Runtime, paths: tuple[Path, ...], now: datetime) -> Tally:
    """Read every mail under the paths, print one line per recipient, count."""
    from worker.mail import dsn, inbox

    tally = Tally()
    for path in paths:
        for mail in inbox.read(path):
            if isinstance(mail, inbox.Unreadable):
                _error(tally, mail.name, f"cannot be read: {mail.reason}")
                continue
            tally.mails += 1
            try:
                report = dsn.parse(mail.data)
            except dsn.NotMailError as e:
                _error(tally, mail.name, f"not a mail: {e}")
                continue
            except dsn.NotADsnError as e:
                tally.kinds["not a DSN"] += 1
                click.echo(f"{mail.name}: {e}; nothing counted")
                continue
            _import_report(rt, mail.name, report, now, tally)
    return tally


def _error(tally: Tally, name: str, message: str) -> None:
    tally.kinds["unreadable"] += 1
    click.echo(f"error: {name}: {message}", err=True)


def _import_report(rt: Runtime, name: str, report: Report, now: datetime,
                   tally: Tally) -> None:
    tally.kinds["reports"] += 1
    if not report.recipients:
        tally.kinds["no recipient"] += 1
        click.echo(f"{name}: a delivery report that names no recipient; nothing counted")
        return
    for recipient in report.recipients:
        if recipient.kind in ("temporary", "other"):
            tally.kinds[recipient.kind] += 1
            why = WHY.get(recipient.kind, f"{recipient.action or 'no action'}: not a failure")
            click.echo(_line(name, recipient, f"ignored: {why}"))
            continue
        recorded = _record(rt, report, recipient, now)
        click.echo(_line(name, recipient, _verdict(rt, recipient, recorded, tally)))


def _record(rt: Runtime, report: Report, recipient: Recipient, now: datetime) -> Recorded:
    from worker.mail.message import message_id
    from worker.store import bounces as bounce_rows

    bounce = bounce_rows.Bounce(
        key=recipient.key, addresses=recipient.addresses, status=recipient.status,
        kind=recipient.kind, hard=recipient.kind == "hard", diagnostic=recipient.diagnostic,
        dsn_message_id=report.message_id, original_message_id=report.original_message_id)
    sender = rt.settings.mail.sender
    with rt.engine.begin() as conn:
        return bounce_rows.record(conn, bounce, rt.settings.mail.suspend_after_bounces, now,
                                  lambda key: message_id(key, sender))


def _verdict(rt: Runtime, recipient: Recipient, recorded: Recorded, tally: Tally) -> str:
    if recorded.state == "duplicate":
        tally.kinds["already imported"] += 1
        return "ignored: already imported"
    tally.kinds[recipient.kind] += 1
    if recipient.kind == "policy":
        tally.policy_domains[recipient.address.rpartition("@")[2]] += 1
    if recorded.state == "unknown":
        tally.kinds["unknown address"] += 1
        return f"ignored: {WHY[recipient.kind]}; no subscriber has this address"
    if recorded.state == "noted":
        return f"ignored: {WHY[recipient.kind]}"
    tally.kinds["counted"] += 1
    limit = rt.settings.mail.suspend_after_bounces
    text = f"counted: bad mailbox, hard bounce {recorded.hard_bounces} of {limit}"
    if recorded.suspended:
        tally.suspended.add(recorded.subscriber or recipient.address)
        text += f"; {recorded.subscriber} is suspended"
    if recorded.digest_id is not None:
        text += f"; digest {recorded.digest_id}"
    return text


def _line(name: str, recipient: Recipient, verdict: str) -> str:
    return f"{name}: {recipient.address} {recipient.status or '-'} {verdict}"


def summary(tally: Tally) -> str:
    """One line: what was read and what it did."""
    k = tally.kinds
    return (f"{tally.mails} mail(s), {k['reports']} delivery report(s): "
            f"{k['counted']} hard bounce(s) counted, "
            f"{len(tally.suspended)} subscriber(s) suspended; not counted: "
            f"{k['policy']} policy, {k['message']} message, {k['unclear']} unclear, "
            f"{k['temporary']} temporary, {k['other']} delivered or relayed, "
            f"{k['unknown address']} unknown address(es), "
            f"{k['already imported']} already imported, {k['not a DSN']} not a DSN, "
            f"{k['no recipient']} without recipients; {k['unreadable']} unreadable")


COMMANDS = (bounces,)
