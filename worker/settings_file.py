"""The settings file before validation: where it is, its YAML, the environment variables
that override its keys, and `redis_url`, the one setting `radar status --beat-only` needs.

Apart from `config.py` so that the beat's healthcheck (every 30 s) reads its Redis URL
without pydantic: importing it and building the settings models is most of what that
command would cost (issue 18).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from worker.errors import ConfigError
from worker.resources import default_config_dir

REDIS_URL = "redis://127.0.0.1:6379/0"  # service.redis_url's default
REDIS_URL_PATTERN = r"^rediss?://\S+$"
REDIS_VARIABLE = "REDIS_URL"

# environment variable → path of the key it overrides
ENV_OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database_url",),
    "RADAR_SECRET_KEY": ("secret_key",),
    "RADAR_BASE_URL": ("web", "base_url"),
    REDIS_VARIABLE: ("service", "redis_url"),
    "OPS_EMAIL": ("ops_email",),
    "MAIL_BACKEND": ("mail", "backend"),
    "MAIL_FROM": ("mail", "from"),
    "MAIL_OUTBOX": ("mail", "outbox"),
    "MAIL_TRIAL": ("mail", "trial"),
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


def redis_url(explicit: Path | None = None, env: Mapping[str, str] | None = None
              ) -> str | None:
    """`service.redis_url` as `load_settings` gives it, or None when anything on the way
    to it is not as expected: the caller then validates the whole settings, which raises
    the error with its usual message. Mistakes elsewhere in the file are not looked for.
    A missing file or a YAML syntax error raises here, with the same message."""
    env = os.environ if env is None else env
    raw = read_yaml(config_path(explicit, env))
    if not isinstance(raw, dict):
        return None
    apply_overrides(raw, env)
    service = raw.get("service", {})
    value = service.get("redis_url", REDIS_URL) if isinstance(service, dict) else None
    # fullmatch: pydantic's regex has no `$` before a final newline, Python's has
    if isinstance(value, str) and re.fullmatch(REDIS_URL_PATTERN, value):
        return value
    return None


def apply_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Put in the settings what the environment overrides (an empty variable overrides
    nothing); returns where each overridden setting came from, for error messages."""
    origin: dict[tuple[str, ...], str] = {}
    for var, keys in ENV_OVERRIDES.items():
        if env.get(var, "") != "":
            _set(raw, keys, env[var])
            origin[keys] = f"environment variable {var}"
    return origin


def _set(tree: dict[str, Any], keys: tuple[str, ...], value: str) -> None:
    for key in keys[:-1]:
        child = tree.get(key)
        if not isinstance(child, dict):
            child = tree[key] = {}
        tree = child
    tree[keys[-1]] = value
