import re
from pathlib import Path

import pytest

from worker.config import load_settings
from worker.districts import Gazetteer
from worker.errors import ConfigError
from worker.sources_config import load_sources


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_defaults_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config here: the packaged default is used
    settings = load_settings(None, {})
    assert settings.mail.backend == "folder"
    assert settings.config_file is not None and settings.config_file.name == "radar.yaml"
    assert load_sources(settings.sources_file, Gazetteer.tianjin())


def test_a_trial_may_send_with_local_links(tmp_path: Path) -> None:
    path = write(tmp_path, "radar.yaml", "mail:\n  backend: smtp\n  trial: true\n")
    settings = load_settings(path, {"RADAR_SECRET_KEY": "k" * 32})
    assert settings.web.base_url == "http://localhost:8000" and settings.mail.trial


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "radar.yaml", "mail:\n  smtp:\n    port: 25\n")
    settings = load_settings(path, {
        "DATABASE_URL": "postgresql://radar@db/radar", "SMTP_HOST": "mail.test",
        "SMTP_PORT": "2525", "SMTP_STARTTLS": "true", "SMTP_PASSWORD": "s3cret",
        "MAIL_BACKEND": "smtp", "MAIL_FROM": "Radar <r@t.test>", "RADAR_SECRET_KEY": "k" * 32,
        "RADAR_BASE_URL": "https://radar.t.test",
    })
    assert settings.database_url == "postgresql://radar@db/radar"
    assert (settings.mail.smtp.host, settings.mail.smtp.port) == ("mail.test", 2525)
    assert settings.mail.smtp.starttls is True
    assert settings.mail.smtp.password is not None
    assert settings.mail.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.mail.sender == "Radar <r@t.test>"


@pytest.mark.parametrize(("text", "env", "message"), [
    ("mail:\n  smtp:\n    port: lots\n", {},
     "radar.yaml: mail.smtp.port: Input should be a valid integer"),
    ("", {"SMTP_PORT": "lots"}, "environment variable SMTP_PORT: mail.smtp.port"),
    ("mail:\n  backend: pigeon\n", {}, "mail.backend: Input should be 'smtp' or 'folder'"),
    ("mial: {}\n", {}, "radar.yaml: mial: unknown key"),
    ("mail:\n  smtp: {starttls: true, ssl: true}\n", {}, "starttls and ssl are exclusive"),
    ("mail: [\n", {}, "radar.yaml: line 2, column 1: YAML syntax error"),
    ("- a list\n", {}, "expected a mapping of settings"),
    ("mail:\n  backend: smtp\n", {}, "secret_key: set RADAR_SECRET_KEY"),
    ("mail:\n  smtp:\n    password: 123\n", {},
     "mail.smtp.password: Input should be a valid string\n"),
    # real mail with links nobody can open, or from a domain nobody accepts
    ("mail:\n  backend: smtp\n  from: r@radar.example.org\n", {"RADAR_SECRET_KEY": "k" * 32},
     "radar.yaml: web.base_url: 'http://localhost:8000' must be the public https address"),
    ("mail:\n  backend: smtp\n  from: r@radar.example.org\n",
     {"RADAR_SECRET_KEY": "k" * 32, "RADAR_BASE_URL": "http://radar.example.org"},
     "environment variable RADAR_BASE_URL: web.base_url: 'http://radar.example.org' must be"),
    ("web: {base_url: 'https://radar.example.org'}\nmail:\n  backend: smtp\n",
     {"RADAR_SECRET_KEY": "k" * 32},
     "radar.yaml: mail.from: 'district-radar <radar@localhost>': mail from localhost"),
])
def test_bad_settings_name_file_key_and_expectation(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, "radar.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env)
    assert message.rstrip("\n") in str(raised.value) + "\n"
    assert "123" not in str(raised.value)  # secrets are never echoed


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_settings(tmp_path / "nope.yaml", {})


@pytest.mark.parametrize(("text", "message"), [
    ("sources:\n  - {id: a, name: A, kind: rss, url: 'http://a.test/f', category: news}\n",
     "sources[0].category: Input should be 'project' or 'policy'"),
    ("sources:\n  - {id: a, name: A, kind: rss, url: 'ftp://a.test/f', category: project}\n",
     "sources[0].url: String should match pattern"),
    ("sources:\n  - {id: a, name: A, kind: rss, url: 'http://a.test/f', category: project,"
     " district: 上海}\n", "sources[0].district: '上海' is not a Tianjin district"),
    ("sources:\n  - {id: a, name: A, kind: rss, url: 'http://a.test/f', category: project}\n"
     "  - {id: a, name: B, kind: rss, url: 'http://b.test/f', category: project}\n",
     "sources[1].id: duplicate source id 'a'"),
    ("sources:\n  - {id: a, name: A, kind: rss, category: project}\n",
     "sources[0].url: Field required"),
])
def test_bad_sources_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "sources.yaml", text)
    with pytest.raises(ConfigError) as raised:
        load_sources(path, Gazetteer.tianjin())
    assert f"sources.yaml: {message}" in str(raised.value)


HTML = "sources:\n  - {id: h, name: H, kind: html, url: 'http://h.test/list', category: policy"


@pytest.mark.parametrize(("entry", "message"), [
    (HTML + ", html: {item: 'div[['}}\n", "sources[0].html: bad selector 'div[['"),
    (HTML + ", html: {item: 'li', date: 'xpath://span[@'}}\n", "bad selector 'xpath://span[@'"),
    (HTML + ", html: {item: 'li', page_url: 'index.html'}}\n",  # no {page} or {index}
     "sources[0].html.page_url: String should match pattern"),
    (HTML + ", html: {item: 'li', max_pages: 0}}\n", "sources[0].html.max_pages"),
    ("sources:\n  - {id: r, name: R, kind: rss, url: 'http://r.test/f', category: project,"
     " html: {item: li}}\n", "sources[0].html: selectors are for kind: html only"),
])
def test_bad_html_sources(tmp_path: Path, entry: str, message: str) -> None:
    path = write(tmp_path, "sources.yaml", entry)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_sources(path, Gazetteer.tianjin())


def test_html_source_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "sources.yaml", HTML + ", district: 西青, empty_alert_after: 5, "
                 "html: {item: 'ul.list li', date: 'span', next_page: 'a.next', max_pages: 3}}\n")
    [source] = load_sources(path, Gazetteer.tianjin())
    assert source.html is not None and source.html.item == "ul.list li"
    assert (source.html.max_pages, source.empty_alert_after, source.district) == (3, 5, "西青区")


def test_the_example_sources_file_is_valid() -> None:
    example = Path(__file__).parent.parent / "config" / "sources.example.yaml"
    sources = load_sources(example, Gazetteer.tianjin())
    assert {s.kind for s in sources} >= {"html"}


def test_source_district_short_form_resolves(tmp_path: Path) -> None:
    path = write(tmp_path, "sources.yaml", "sources:\n  - {id: w, name: W, kind: rss, "
                 "url: 'http://w.test/f', category: project, district: 武清, interval: 30}\n")
    [source] = load_sources(path, Gazetteer.tianjin())
    assert (source.district, source.interval_minutes) == ("武清区", 30)


def test_an_html_source_without_selectors_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "sources.yaml", "sources:\n  - {id: h, name: H, kind: html, "
                 "url: 'http://h.test/list', category: policy}\n")
    [source] = load_sources(path, Gazetteer.tianjin())
    assert source.html is not None and source.html.item is None
