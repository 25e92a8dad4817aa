"""The Redis URL read without pydantic (`radar status --beat-only`) is the one the validated
settings give, on the same file and environment; when it cannot tell, the validated
settings decide, with their usual message."""

from pathlib import Path

import pytest

from tests.processes import environment_without_settings, run_radar
from worker.config import load_settings
from worker.errors import ConfigError
from worker.settings_file import redis_url

FILE_URL = "service:\n  redis_url: redis://cache.internal:6380/2\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "radar.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "env"), [
    ("", {}),  # the default
    ("service:\n  beat_lock_timeout_seconds: 30\n", {}),  # the default, other keys set
    (FILE_URL, {}),
    (FILE_URL, {"REDIS_URL": "redis://:pw%40x@redis:6379/0"}),  # the variable wins
    (FILE_URL, {"REDIS_URL": ""}),  # an empty variable overrides nothing
    ("service: 5\n", {"REDIS_URL": "redis://redis/1"}),  # the variable replaces the key
    ("service:\n  redis_url: 'rediss://u:p@h:6380/1?ssl_cert_reqs=required'\n", {}),
    ("database_url: sqlite:///x.db\nmail: {backend: folder}\n",
     {"DATABASE_URL": "sqlite:///y.db", "SMTP_PORT": "2525"}),
])
def test_the_redis_url_read_alone_is_the_validated_one(
    tmp_path: Path, text: str, env: dict[str, str]
) -> None:
    path = write(tmp_path, text)
    assert redis_url(path, env) == load_settings(path, env).service.redis_url


def test_the_packaged_settings_give_the_same_url(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config here: the packaged default is used
    for env in ({}, {"REDIS_URL": "redis://redis:6379/0"}):
        assert redis_url(None, env) == load_settings(None, env).service.redis_url


@pytest.mark.parametrize(("text", "env", "message"), [
    ("service:\n  redis_url: http://cache/0\n", {},
     "radar.yaml: service.redis_url: String should match pattern"),
    ("", {"REDIS_URL": "cache:6379"},
     "environment variable REDIS_URL: service.redis_url: String should match pattern"),
    ("service:\n  redis_url: 6379\n", {}, "service.redis_url: Input should be a valid string"),
    ("service:\n  redis_url:\n", {}, "service.redis_url: Input should be a valid string"),
    ("service:\n", {}, "service: Input should be a valid dictionary"),
    ("- a list\n", {}, "expected a mapping of settings"),
    ("service:\n  redis_url: \"redis://cache/0\\n\"\n", {}, "String should match pattern"),
])
def test_a_url_it_cannot_vouch_for_is_left_to_the_validated_settings(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)
    assert redis_url(path, env) is None
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env)
    assert message in str(raised.value)


def test_where_python_and_pydantic_differ_the_validated_settings_answer(tmp_path: Path) -> None:
    # pydantic's regex does not count \x1c as white space; Python's does
    path = write(tmp_path, "service:\n  redis_url: \"redis://cache/0\\x1c\"\n")
    assert redis_url(path, {}) is None
    assert load_settings(path, {}).service.redis_url == "redis://cache/0\x1c"


@pytest.mark.parametrize(("text", "env"), [
    ("", {"REDIS_URL": "cache:6379"}),
    ("service:\n  redis_url: http://cache/0\n", {}),
    ("service: [\n", {}),  # YAML syntax error: raised by the reader itself
    ("- a list\n", {}),
])
def test_status_beat_only_fails_as_status_does(tmp_path: Path, text: str,
                                               env: dict[str, str]) -> None:
    write(tmp_path, text)
    env = {**environment_without_settings(), "RADAR_CONFIG": str(tmp_path / "radar.yaml"),
           **env}
    full = run_radar("status", cwd=tmp_path, env=env)
    beat = run_radar("status", "--beat-only", cwd=tmp_path, env=env)
    assert beat.returncode == full.returncode == 2
    assert beat.stderr == full.stderr
    assert beat.stderr.startswith("configuration error: ") and "Traceback" not in beat.stderr


def test_a_missing_settings_file_fails_as_before(tmp_path: Path) -> None:
    beat = run_radar("--config", "nope.yaml", "status", "--beat-only", cwd=tmp_path,
                     env=environment_without_settings())
    assert beat.returncode == 2
    assert beat.stderr == "configuration error: nope.yaml: file not found\n"


def test_mistakes_elsewhere_are_left_to_the_beat_itself(tmp_path: Path) -> None:
    """The beat validated everything when it started; its healthcheck reads one URL."""
    path = write(tmp_path, "mail:\n  smtp:\n    port: many\n")
    assert redis_url(path, {}) == "redis://127.0.0.1:6379/0"
    with pytest.raises(ConfigError, match=r"mail\.smtp\.port"):
        load_settings(path, {})
