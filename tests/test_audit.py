"""The CI audit step fails on a known vulnerability and says what it could not check."""

import runpy
from pathlib import Path
from typing import Any

AUDIT = runpy.run_path(str(Path(__file__).resolve().parent.parent / ".ci" / "audit.py"))
summarize = AUDIT["summarize"]


def report(*deps: dict[str, Any]) -> dict[str, Any]:
    return {"dependencies": list(deps), "fixes": []}


def test_a_known_vulnerability_fails() -> None:
    code, lines = summarize(report(
        {"name": "jinja2", "version": "3.1.2", "vulns": [
            {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
        {"name": "httpx", "version": "0.28.1", "vulns": []}), strict=False)
    assert code == 1
    assert lines[0] == "VULNERABLE jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"
    assert "2 of 2 dependencies audited, 1 known vulnerabilities" in lines[1]


def test_unreachable_service_is_reported_and_fails_only_when_strict() -> None:
    offline = report({"name": "httpx", "skip_reason": "Dependency not found on PyPI"})
    code, lines = summarize(offline, strict=False)
    assert code == 0 and "0 of 1 dependencies audited" in lines[0]
    assert "1 could not be audited" in lines[1]
    assert summarize(offline, strict=True)[0] == 1
