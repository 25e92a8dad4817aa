"""The `radar` command as a user runs it: clear errors, the demo, preview, remove."""

import subprocess
from pathlib import Path

import pytest

from tests.processes import environment_without_settings, run_radar


def radar(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_radar(*args, cwd=cwd, env={**environment_without_settings(), **env})


@pytest.mark.parametrize(("settings", "env", "message"), [
    ("mail:\n  smtp:\n    port: many\n", {},
     "radar.yaml: mail.smtp.port: Input should be a valid integer"),
    ("mail: [\n", {}, "radar.yaml: line 2, column 1: YAML syntax error"),
    ("", {"SMTP_PORT": "x"}, "environment variable SMTP_PORT: mail.smtp.port"),
    ("sources_file: missing.yaml\n", {}, "missing.yaml: file not found"),
])
def test_configuration_errors_are_one_clear_message(
    tmp_path: Path, settings: str, env: dict[str, str], message: str
) -> None:
    (tmp_path / "radar.yaml").write_text(settings, encoding="utf-8")
    result = radar(tmp_path, "--config", "radar.yaml", "run", "--once", **env)
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_reported_without_traceback(tmp_path: Path) -> None:
    result = radar(tmp_path, "subscribers", "list",
                   DATABASE_URL="postgresql://radar@127.0.0.1:1/radar")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot use the database")
    assert "Traceback" not in result.stderr


def test_demo_twice(tmp_path: Path) -> None:
    first = radar(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "Polled 4 sources: 4 ok" in first.stdout
    assert "New items:    23" in first.stdout and "Digests sent: 4" in first.stdout
    outbox = tmp_path / "var" / "demo" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 4 and len(list(outbox.glob("*.html"))) == 4
    wang = next(outbox.glob("wang@example.com-*.html")).read_text(encoding="utf-8")
    assert "武清区" in wang and "<mark" in wang and "退订" in wang

    second = radar(tmp_path, "demo")
    assert second.returncode == 0, second.stderr
    assert "New items:    0" in second.stdout
    assert "Nothing new since the last run" in second.stdout
    assert len(list(outbox.glob("*.eml"))) == 4


def test_preview_and_remove(tmp_path: Path) -> None:
    demo = radar(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    db = f"sqlite:///{tmp_path / 'var' / 'demo' / 'radar.db'}"
    nothing = radar(tmp_path, "preview", "wang@example.com", DATABASE_URL=db)
    assert "nothing waiting" in nothing.stdout  # the demo sent everything

    # A new subscriber with rules that match stored items has nothing yet: matching
    # happens when items arrive. Preview shows what is waiting, nothing is changed.
    subs = tmp_path / "subs.csv"
    subs.write_text("email,districts\nnew@example.com,武清\n", encoding="utf-8")
    imported = radar(tmp_path, "subscribers", "import", str(subs), DATABASE_URL=db)
    assert imported.returncode == 0 and "1 added" in imported.stdout
    listing = radar(tmp_path, "subscribers", "list", DATABASE_URL=db)
    assert "new@example.com\tactive\tweekly\tdistricts=武清区" in listing.stdout

    removed = radar(tmp_path, "subscribers", "remove", "NEW@example.com", DATABASE_URL=db)
    assert removed.returncode == 0
    again = radar(tmp_path, "subscribers", "remove", "new@example.com", DATABASE_URL=db)
    assert again.returncode == 1 and "no subscriber new@example.com" in again.stderr
    missing = radar(tmp_path, "preview", "ghost@example.com", DATABASE_URL=db)
    assert missing.returncode == 1 and "no subscriber ghost@example.com" in missing.stderr


def test_export_is_importable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    source = tmp_path / "in.yaml"
    source.write_text("subscribers:\n  - {email: a@example.com, name: 王, districts: [武清], "
                      "keywords: [AI, 新能源], frequency: weekly, send_at: 'fri 17:00', "
                      "timezone: Europe/Berlin}\n  - {email: b@example.com, frequency: daily, "
                      "send_at: '08:30'}\n", encoding="utf-8")
    assert radar(tmp_path, "subscribers", "import", str(source), DATABASE_URL=db).returncode == 0
    for form in ("csv", "yaml"):
        out = tmp_path / f"out.{form}"
        exported = radar(tmp_path, "subscribers", "export", "--format", form, "--output",
                         str(out), DATABASE_URL=db)
        assert exported.returncode == 0 and "2 subscriber(s)" in exported.stderr
        text = out.read_text(encoding="utf-8")
        assert "fri 17:00" in text and "Europe/Berlin" in text and "active" in text
        again = radar(tmp_path, "subscribers", "import", str(out), DATABASE_URL=db)
        assert again.returncode == 0 and "0 added, 2 updated, 0 rejected" in again.stdout
    listing = radar(tmp_path, "subscribers", "list", DATABASE_URL=db).stdout
    assert "a@example.com\tactive\tweekly\tdistricts=武清区 keywords=AI,新能源" in listing
