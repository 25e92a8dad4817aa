"""Secrets come from the environment and never show up in what radar prints or logs,
even at debug level and when the thing they unlock fails."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.feedserver import FeedServer
from tests.processes import environment_without_settings, run_radar
from tests.reliability.report import Outcome, record
from tests.smtpserver import SmtpServer

SECRETS = {"SMTP_PASSWORD": "smtp-pw-7f3a9c", "RADAR_SECRET_KEY": "hmac-key-81c2e5",
           "database password": "db-pw-44d1b0"}


def test_secrets_are_never_printed_or_logged(tmp_path: Path, postgres_url: str,
                                             feed_server: FeedServer,
                                             smtp_server: SmtpServer) -> None:
    url = sa.engine.make_url(postgres_url).set(password=SECRETS["database password"])
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - {{id: projects, name: 项目, kind: rss, "
        f"url: '{feed_server.url('/feeds/projects.rss')}', category: project}}\n",
        encoding="utf-8")
    (tmp_path / "radar.yaml").write_text(f"sources_file: {tmp_path / 'sources.yaml'}\n",
                                         encoding="utf-8")
    (tmp_path / "subs.yaml").write_text(
        "subscribers:\n  - {email: a@example.com, frequency: instant}\n", encoding="utf-8")
    env = {**environment_without_settings(), "RADAR_CONFIG": str(tmp_path / "radar.yaml"),
           "DATABASE_URL": url.render_as_string(hide_password=False),
           "MAIL_BACKEND": "smtp", "MAIL_TRIAL": "true", "SMTP_HOST": smtp_server.host,
           "SMTP_PORT": str(smtp_server.port), "SMTP_USERNAME": "radar",
           "SMTP_PASSWORD": SECRETS["SMTP_PASSWORD"],
           "RADAR_SECRET_KEY": SECRETS["RADAR_SECRET_KEY"],
           "REDIS_URL": "redis://:redis-pw-0a1b2c@127.0.0.1:1/0"}  # unreachable on purpose
    runs = [run_radar("subscribers", "import", str(tmp_path / "subs.yaml"), cwd=tmp_path,
                      env=env),
            run_radar("-vv", "run", "--once", cwd=tmp_path, env=env),  # the login fails
            run_radar("status", cwd=tmp_path, env=env),  # Redis cannot be reached
            run_radar("-vv", "sources", "test", "projects", cwd=tmp_path, env=env)]
    output = "\n".join(r.stdout + r.stderr for r in runs)
    leaked = [name for name, value in {**SECRETS, "redis": "redis-pw-0a1b2c"}.items()
              if value in output]
    record(Outcome("security", "secrets in output and logs (-vv)",
                   "SMTP login refused, Redis unreachable, DB URL with a password", 0, 0, 0,
                   others_carried_on=not leaked,
                   note=f"{len(output.splitlines())} lines printed by 4 commands; "
                        + (f"LEAKED: {leaked}" if leaked else "no secret in any of them")))
    assert "login" in output.lower() or "auth" in output.lower()  # the failure was logged
    assert "Redis unreachable" in output
    assert not leaked, output
