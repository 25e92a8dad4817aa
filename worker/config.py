"""Settings: YAML files plus environment overrides, validated once into frozen objects.

Errors name the file (or environment variable), the key and what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from worker.districts import Gazetteer
from worker.errors import ConfigError
from worker.models import HtmlSelectors, Source
from worker.resources import default_config_dir
from worker.selectors import check_selectors

DEV_SECRET = "district-radar-development-key-not-secret"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SmtpSettings(_Frozen):
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


class MailSettings(_Frozen):
    backend: Literal["smtp", "folder"] = "folder"
    sender: str = Field("district-radar <radar@localhost>", alias="from")
    outbox: Path = Path("var/outbox")
    list_id: str = "tianjin-digest.district-radar"
    unsubscribe_mailto: str | None = None
    suspend_after_bounces: int = Field(3, ge=1)
    send_lease_minutes: float = Field(15, gt=0)
    connections: int = Field(4, ge=1, le=100)  # SMTP sessions one run sends over at once
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)

    @property
    def send_lease(self) -> timedelta:
        """How long a claimed digest is its sender's before another may take it."""
        return timedelta(minutes=self.send_lease_minutes)


class FetchSettings(_Frozen):
    timeout_seconds: float = Field(20.0, gt=0)
    max_bytes: int = Field(5_000_000, gt=0)
    max_redirects: int = Field(5, ge=0)
    per_host: int = Field(2, ge=1)
    # processes parsing feeds in a run (`radar run`); 0: cores - 1, from 16 feeds on
    parse_processes: int = Field(0, ge=0, le=64)
    user_agent: str = "district-radar/0.1 (+https://github.com/district-radar)"


class DigestSettings(_Frozen):
    max_items: int = Field(50, ge=1)
    summary_chars: int = Field(120, ge=20)


class ServiceSettings(_Frozen):
    """Service mode: Celery on Redis."""

    redis_url: str = Field("redis://127.0.0.1:6379/0", pattern=r"^rediss?://\S+$")
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


class WebSettings(_Frozen):
    base_url: str = Field("http://localhost:8000", pattern=r"^https?://\S+$")


class Settings(_Frozen):
    """Everything a run needs; built by `load_settings`, never read from globals."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    database_url: str = "sqlite:///var/radar.db"
    sources_file: Path = Path("sources.yaml")
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    mail: MailSettings = Field(default_factory=MailSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    ops_email: str | None = None  # told when a source breaks (e.g. a list page yields nothing)
    config_file: Path | None = None  # where these came from, for messages


# environment variable → path of the key it overrides
ENV_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database_url",),
    "RADAR_SECRET_KEY": ("secret_key",),
    "RADAR_BASE_URL": ("web", "base_url"),
    "REDIS_URL": ("service", "redis_url"),
    "OPS_EMAIL": ("ops_email",),
    "MAIL_BACKEND": ("mail", "backend"),
    "MAIL_FROM": ("mail", "from"),
    "MAIL_OUTBOX": ("mail", "outbox"),
    "SMTP_HOST": ("mail", "smtp", "host"),
    "SMTP_PORT": ("mail", "smtp", "port"),
    "SMTP_USERNAME": ("mail", "smtp", "username"),
    "SMTP_PASSWORD": ("mail", "smtp", "password"),
    "SMTP_STARTTLS": ("mail", "smtp", "starttls"),
    "SMTP_SSL": ("mail", "smtp", "ssl"),
}


def config_path(explicit: Path | None, env: Mapping[str, str]) -> Path:
    """--config, else $RADAR_CONFIG, else ./config/radar.yaml, else the packaged default."""
    if explicit is not None:
        return explicit
    if env.get("RADAR_CONFIG"):
        return Path(env["RADAR_CONFIG"])
    local = Path("config/radar.yaml")
    return local if local.is_file() else default_config_dir() / "radar.yaml"


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file and apply environment overrides; ConfigError if wrong."""
    env = os.environ if env is None else env
    path = config_path(path, env)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    origin: dict[tuple[str, ...], str] = {}
    for var, keys in ENV_OVERRIDES.items():
        if env.get(var, "") != "":
            _set(raw, keys, env[var])
            origin[keys] = f"environment variable {var}"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, path, origin)) from e
    sources_file = settings.sources_file
    if not sources_file.is_absolute():
        sources_file = path.parent / sources_file
    if settings.mail.backend == "smtp" and settings.secret_key.get_secret_value() == DEV_SECRET:
        raise ConfigError(
            f"{path}: secret_key: set RADAR_SECRET_KEY before sending real mail "
            "(it signs the unsubscribe links)"
        )
    return settings.model_copy(update={"sources_file": sources_file, "config_file": path})


class _HtmlEntry(_Frozen):
    item: str = Field(min_length=1)
    title: str = "a"
    link: str = "a"
    link_attr: str = "href"
    date: str | None = None
    summary: str | None = None
    detail_body: str | None = None
    next_page: str | None = None
    page_url: str | None = Field(None, pattern=r"\{(page|index)\}")
    max_pages: int = Field(1, ge=1, le=50)


class _SourceEntry(_Frozen):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1)
    kind: Literal["rss", "atom", "html"]
    url: str = Field(pattern=r"^https?://\S+$")
    category: Literal["project", "policy"]
    district: str | None = None
    interval: float = Field(15, gt=0, description="minutes between polls")
    html: _HtmlEntry | None = None
    empty_alert_after: int = Field(3, ge=1)


class _SourcesFile(_Frozen):
    sources: list[_SourceEntry]


def load_sources(path: Path, gazetteer: Gazetteer) -> tuple[Source, ...]:
    """The sources file as Source objects; ConfigError naming the entry if wrong."""
    raw = read_yaml(path)
    try:
        parsed = _SourcesFile.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, path, {})) from e
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(parsed.sources):
        where = f"{path}: sources[{i}]"
        if entry.id in seen:
            raise ConfigError(f"{where}.id: duplicate source id {entry.id!r}")
        seen.add(entry.id)
        out.append(_source(entry, where, gazetteer))
    return tuple(out)


def trial_source(url: str, kind: str, category: str, district: str | None,
                 html: Mapping[str, Any] | None, gazetteer: Gazetteer) -> Source:
    """A source given on the command line (`radar sources test --url`), checked exactly as
    an entry of the sources file; ConfigError naming the option if wrong."""
    given = None if html is None else {k: v for k, v in html.items() if v is not None}
    raw = {"id": "try", "name": url, "kind": kind, "url": url, "category": category,
           "district": district, "html": given}
    try:
        entry = _SourceEntry.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, Path("command line"), {})) from e
    return _source(entry, "command line", gazetteer)


def _source(entry: _SourceEntry, where: str, gazetteer: Gazetteer) -> Source:
    district = None
    if entry.district:
        district = gazetteer.resolve(entry.district)
        if district is None:
            raise ConfigError(
                f"{where}.district: {entry.district!r} is not a Tianjin district or zone"
            )
    return Source(entry.id, entry.name, entry.kind, entry.url, entry.category, district,
                  entry.interval, _html_selectors(entry, where), entry.empty_alert_after)


def _html_selectors(entry: _SourceEntry, where: str) -> HtmlSelectors | None:
    if entry.kind != "html":
        if entry.html is not None:
            raise ConfigError(f"{where}.html: selectors are for kind: html only")
        return None
    if entry.html is None:
        raise ConfigError(f"{where}.html: kind html needs selectors, at least html: item: …")
    selectors = HtmlSelectors(**entry.html.model_dump())
    problem = check_selectors(selectors)
    if problem:
        raise ConfigError(f"{where}.html: {problem}")
    return selectors


def read_yaml(path: Path) -> Any:
    """Parsed YAML; ConfigError with the line for a missing file or a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}:{where}: YAML syntax error: {problem}") from e


def _set(tree: dict[str, Any], keys: tuple[str, ...], value: str) -> None:
    for key in keys[:-1]:
        child = tree.get(key)
        if not isinstance(child, dict):
            child = tree[key] = {}
        tree = child
    tree[keys[-1]] = value


def _describe(error: ValidationError, path: Path, origin: Mapping[tuple[str, ...], str]) -> str:
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
