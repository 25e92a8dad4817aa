"""Audit the installed dependencies with pip-audit and say plainly what was checked.

Fails on any known vulnerability. A dependency the vulnerability service cannot look up
(no route to it, as on machines that reach only a package mirror) is reported, and fails
the run only with AUDIT_STRICT=1, so an offline machine is not mistaken for a clean one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
         "--skip-editable"],
        capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run: {result.stderr.strip()[-2000:]}", file=sys.stderr)
        return 2
    code, lines = summarize(report, strict=os.environ.get("AUDIT_STRICT") == "1")
    print("\n".join(lines))
    return code


def summarize(report: dict[str, Any], strict: bool) -> tuple[int, list[str]]:
    """(exit status, lines to print) for pip-audit's JSON report."""
    deps = report["dependencies"]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    lines = [f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in "
             f"{', '.join(v.get('fix_versions', [])) or 'no fix yet'})"
             for d in vulnerable for v in d["vulns"]]
    lines.append(f"pip-audit: {len(deps) - len(skipped)} of {len(deps)} dependencies audited, "
                 f"{sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities")
    if skipped:
        lines.append(f"pip-audit: {len(skipped)} could not be audited, e.g. "
                     f"{skipped[0]['skip_reason']}")
    failed = bool(vulnerable) or (bool(skipped) and strict)
    return int(failed), lines


if __name__ == "__main__":
    sys.exit(main())
