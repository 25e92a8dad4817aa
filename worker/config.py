"""Settings: YAML files plus environment overrides (read in `settings_file.py`), validated
once into frozen objects.

Errors name the file (or environment variable), the key and what was expected.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from worker.errors import ConfigError
from worker.settings_file import (
    REDIS_URL,
    REDIS_URL_PATTERN,
    apply_overrides,
    config_path,
    read_yaml,
)

DEV_SECRET = "district-radar-development-key-not-secret"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SmtpSettings(Frozen):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    timeout_seconds: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.starttls and self.ssl:
            raise ValueError("starttls and ssl are exclusive: choose one")
        return self


class MailSettings(Frozen):
    backend: Literal["smtp", "folder"] = "folder"
    sender: str = Field("district-radar <radar@localhost>", alias="from")
    outbox: Path = Path("var/outbox")
    list_id: str = "tianjin-digest.district-radar"
    unsubscribe_mailto: str | None = None
    suspend_after_bounces: int = Field(3, ge=1)
    send_lease_minutes: float = Field(15, gt=0)
    connections: int = Field(4, ge=1, le=100)  # SMTP sessions one run sends over at once
    # true while mail goes to a test server or catcher (mailpit): allows http / localhost
    # links and a localhost From, which real mail cannot have
    trial: bool = False
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    # Reply-To of digests (e.g. the ops address); none: replies go to `from`
    reply_to: str | None = None
    # the sender id closing Gmail's Feedback-ID ("weekly:digest:ID"); null: no header
    feedback_id: str | None = Field("district-radar", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # who the footer of every digest names as its sender, and how to reach them
    operator_name: str = Field("district-radar", min_length=1, max_length=80)
    operator_contact: str = Field("", max_length=200)

    @field_validator("reply_to")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        address = parseaddr(value or "")[1]
        if value is not None and not (address.isascii() and "@" in address.strip("@")
                                      and " " not in address):
            raise ValueError(f"{value!r} is not a mail address (name <local@domain>)")
        return value

    @field_validator("operator_name", "operator_contact")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        return value

    @property
    def send_lease(self) -> timedelta:
        """How long a claimed digest is its sender's before another may take it."""
        return timedelta(minutes=self.send_lease_minutes)


class FetchSettings(Frozen):
    timeout_seconds: float = Field(20.0, gt=0)
    max_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    per_host: int = Field(2, ge=1)
    # processes parsing feeds in a run (`radar run`); 0: cores - 1, from 16 feeds on
    parse_processes: int = Field(0, ge=0, le=64)
    user_agent: str = "district-radar/0.1 (+https://github.com/district-radar)"


class DigestSettings(Frozen):
    max_items: int = Field(50, ge=1)
    summary_chars: int = Field(120, ge=20)


class FactsSettings(Frozen):
    # yuan per US dollar: 美元 / 亿美元 sums in items and in subscribers' min_amount
    usd_rate: float = Field(7.2, gt=0, le=100)


class ServiceSettings(Frozen):
    """Service mode: Celery on Redis."""

    redis_url: str = Field(REDIS_URL, pattern=REDIS_URL_PATTERN)  # read alone: settings_file
    dispatch_every_seconds: float = Field(120.0, gt=0)  # how often due digests are looked for
    beat_lock_timeout_seconds: int = Field(60, ge=5)  # a dead beat's lock expires after this
    visibility_timeout_seconds: int = Field(3600, ge=10)  # > the longest task
    poll_retries: int = Field(3, ge=0)
    retry_base_seconds: float = Field(30.0, gt=0)  # transient send failures back off from here
    retry_max_seconds: float = Field(3600.0, gt=0)
    smtp_messages_per_connection: int = Field(100, ge=1)
    send_batch: int = Field(20, ge=1, le=1000)  # digests per send task
    rate_per_second: int = Field(0, ge=0)  # 0 = unlimited; shared by all workers
    rate_per_day: int = Field(0, ge=0)
    stale_pending_minutes: int = Field(60, ge=1)  # `radar status` alarm
    failing_source_streak: int = Field(3, ge=1)  # `radar status` alarm


class WebSettings(Frozen):
    base_url: str = Field("http://localhost:8000", pattern=r"^https?://\S+$")


class Settings(Frozen):
    """Everything a run needs; built by `load_settings`, never read from globals."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    database_url: str = "sqlite:///var/radar.db"
    sources_file: Path = Path("sources.yaml")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    mail: MailSettings = Field(default_factory=MailSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    facts: FactsSettings = Field(default_factory=FactsSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    ops_email: str | None = None  # told when a source breaks (e.g. a list page yields nothing)
    config_file: Path | None = None  # where these came from, for messages


def _not_for_real_mail(settings: Settings) -> list[tuple[tuple[str, ...], str]]:
    """What would break every mail sent for real: dead links, a From nobody accepts."""
    problems: list[tuple[tuple[str, ...], str]] = []
    base = urlsplit(settings.web.base_url)
    if base.scheme != "https" or _is_local(base.hostname or ""):
        problems.append((("web", "base_url"), (
            f"{settings.web.base_url!r} must be the public https address of the "
            "subscription pages: every mail links there to unsubscribe, and one-click "
            "unsubscribe (RFC 8058) needs https. Set RADAR_BASE_URL (or mail.trial: true "
            "while mail goes to a test server)")))
    domain = parseaddr(settings.mail.sender)[1].rpartition("@")[2]
    if _is_local(domain):
        problems.append((("mail", "from"), (
            f"{settings.mail.sender!r}: mail from {domain or 'no domain'} is refused or "
            "junked by real mail servers. Set MAIL_FROM to an address of your domain (or "
            "mail.trial: true while mail goes to a test server)")))
    return problems


def _is_local(host: str) -> bool:
    host = host.lower().strip("[]")
    if host in ("", "localhost", "localhost.localdomain") or \
            host.endswith((".localhost", ".local")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return "." not in host  # a bare host name only this network knows


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file and apply environment overrides; ConfigError if wrong."""
    env = os.environ if env is None else env
    path = config_path(path, env)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    origin = apply_overrides(raw, env)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(describe(e, path, origin)) from e
    sources_file = settings.sources_file
    if not sources_file.is_absolute():
        sources_file = path.parent / sources_file
    if settings.mail.backend == "smtp" and settings.secret_key.get_secret_value() == DEV_SECRET:
        raise ConfigError(
            f"{path}: secret_key: set RADAR_SECRET_KEY before sending real mail "
            "(it signs the unsubscribe links)"
        )
    if settings.mail.backend == "smtp" and not settings.mail.trial:
        problems = _not_for_real_mail(settings)
        if problems:
            raise ConfigError("\n".join(
                f"{origin.get(keys, str(path))}: {'.'.join(keys)}: {problem}"
                for keys, problem in problems))
    return settings.model_copy(update={"sources_file": sources_file, "config_file": path})


def describe(error: ValidationError, path: Path, origin: Mapping[tuple[str, ...], str]) -> str:
    lines = []
    for problem in error.errors():
        loc = tuple(str(p) for p in problem["loc"])
        key = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc).lstrip(".")
        where = origin.get(loc, str(path))
        shown = "" if problem["type"] == "missing" else f" (got {problem['input']!r})"
        message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
        if "password" in key or "secret" in key:
            shown = ""  # never echo secrets
        lines.append(f"{where}: {key or '(top level)'}: {message}{shown}")
    return "\n".join(lines)
