"""docker-compose.yml: valid against the Compose specification, every variable documented,
and each service's command and healthcheck run natively (there is no Docker engine here)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.processes import RADAR, private_redis, running
from tests.smtpserver import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent
NOT_NATIVE = {"mailpit"}  # a development mail catcher, only as an image


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120, check=False)


def test_compose_file_is_valid_and_the_check_can_fail(tmp_path: Path) -> None:
    valid = check_jsonschema(COMPOSE)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  worker:\n    restart: sometimes\n    ports: 8000\n")
    assert check_jsonschema(broken).returncode != 0


def test_services_and_variables() -> None:
    services = compose()["services"]
    assert {"redis", "postgres", "worker", "beat", "web", "mailpit"} <= set(services)
    for name in ("redis", "postgres", "worker", "beat", "web"):
        assert "healthcheck" in services[name], name
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text(encoding="utf-8")))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(
        encoding="utf-8"), re.MULTILINE))
    assert used <= documented, f"not in .env.example: {used - documented}"


def native(command: list[str]) -> list[str]:
    """The compose command as run here: `radar` and `celery` from this environment."""
    if command[0] == "radar":
        return [*RADAR, *command[1:]]
    if command[0] == "celery":
        return [str(BIN / "celery"), *command[1:]]
    return command


def healthcheck(service: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        script = test[1].replace("$$", "$")
        return subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env,
                              timeout=60, check=False)
    return subprocess.run(native(test[1:]), capture_output=True, text=True, env=env,
                          timeout=60, check=False)


@pytest.fixture
def local_env(tmp_path: Path, postgres_url: str, smtp_server: SmtpServer
              ) -> Iterator[tuple[dict[str, str], ExitStack]]:
    """The compose environment with its service hostnames replaced by local servers."""
    with ExitStack() as stack:
        redis = stack.enter_context(private_redis(tmp_path))
        local = {
            "RADAR_CONFIG": str(ROOT / "config" / "radar.yaml"),  # compose mounts ./config
            "DATABASE_URL": postgres_url, "REDIS_URL": redis.url,
            "RADAR_SECRET_KEY": "compose-test-secret", "RADAR_BASE_URL": "http://localhost:8000",
            "MAIL_BACKEND": "smtp", "MAIL_FROM": "district-radar <radar@localhost>",
            "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port),
            "SMTP_USERNAME": "", "SMTP_PASSWORD": "", "SMTP_STARTTLS": "false",
            "SMTP_SSL": "false", "MAIL_TRIAL": "true",
        }
        assert set(local) == set(compose()["x-radar"]["environment"])
        env = {**os.environ, **local, "PYTHONPATH": str(ROOT), "HOSTNAME": socket.gethostname(),
               "POSTGRES_USER": "postgres", "PGHOST": "127.0.0.1",
               "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        yield env, stack


def test_each_service_command_comes_up_natively(tmp_path: Path, local_env: Any) -> None:
    env, stack = local_env
    services = compose()["services"]
    started = set()
    for name, service in services.items():
        if name in NOT_NATIVE:
            continue
        if name == "postgres":  # the image's own server: the local PostgreSQL here
            assert healthcheck(service, env).returncode == 0
            started.add(name)
            continue
        command = native(service["command"])
        if name == "redis":
            if shutil.which("redis-server") is None:
                pytest.fail("redis-server is not installed")
            port = str(_free_port())
            command = [*command, "--port", port, "--dir", str(tmp_path), "--save", ""]
            process = stack.enter_context(running(command, tmp_path / "redis.log", env, tmp_path))
            process.wait_for("Ready to accept connections", timeout=20)
            assert subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True,
                                  text=True, check=False).stdout.strip() == "PONG"
        else:
            process = stack.enter_context(running(command, tmp_path / f"{name}.log", env,
                                                  tmp_path))
            process.wait_for({"worker": "ready.", "beat": "beat: Starting...",
                              "web": "Uvicorn running"}[name], 60)
            result = healthcheck(service, env)
            assert result.returncode == 0, f"{name} healthcheck: {result.stdout}{result.stderr}"
        started.add(name)
    assert started == set(services) - NOT_NATIVE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
