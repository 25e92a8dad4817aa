"""The shape of the code: imports run down the layers, each process loads only what it
uses, modules and functions stay small, and the README's code map names every module."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "worker"
MIGRATIONS = WORKER / "store" / "migrations"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40


def modules() -> list[Path]:
    return sorted(p for p in WORKER.rglob("*.py") if MIGRATIONS not in p.parents)


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every worker module this one imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {name for name in found if name.startswith("worker.")}


# (importer, what it must never import): each layer only looks down.
FORBIDDEN = [
    ("worker.models", "worker."),
    ("worker.errors", "worker."),
    ("worker.config", ("worker.sources", "worker.pipeline", "worker.mail", "worker.digest",
                       "worker.store", "worker.web", "worker.runtime")),
    ("worker.selectors", ("worker.sources", "worker.config")),
    ("worker.mail", ("worker.digest", "worker.pipeline", "worker.store", "worker.web",
                     "worker.config.Settings")),
    ("worker.digest", ("worker.pipeline", "worker.store", "worker.web", "worker.sources")),
    ("worker.store", ("worker.pipeline", "worker.sources", "worker.mail", "worker.digest",
                      "worker.web", "worker.runtime", "worker.neardup")),
    ("worker.sources", ("worker.pipeline", "worker.store", "worker.mail", "worker.digest",
                        "worker.web", "worker.runtime")),
    ("worker.runtime", ("worker.pipeline", "worker.web", "worker.cli", "worker.tasks")),
    ("worker.pipeline", ("worker.web", "worker.cli", "worker.tasks", "worker.status")),
    ("worker.web", ("worker.pipeline", "worker.cli", "worker.tasks", "worker.sources")),
    ("worker.status", ("worker.pipeline", "worker.runtime", "worker.sources")),
]


def test_imports_only_run_down() -> None:
    wrong = []
    for path in modules():
        name = dotted(path)
        for importer, banned in FORBIDDEN:
            if name == importer or name.startswith(importer + "."):
                wrong += [f"{name} imports {target}" for target in sorted(imported(path))
                          if target.startswith(banned) and not target.startswith(importer)]
    assert wrong == []


def loaded_after(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `statement`."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT, timeout=60)
    return set(result.stdout.split())


HEAVY = ("feedparser", "lxml", "numpy", "datasketch", "scipy", "worker.pipeline")
# What a command that only starts, answers --help or checks the beat must not pay for
# (issue 18: each is imported where it is used).
STACK = ("pydantic", "sqlalchemy", "psycopg", "jinja2", "celery", "httpx", "starlette",
         "css_inline", "redis", "aiosmtplib", "ahocorasick_rs", "yaml")


def _run_cli(*args: str) -> str:
    """A `radar` command run in the interpreter whose modules are listed afterwards."""
    return ("import contextlib, io\nfrom worker.cli import cli\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    cli({list(args)!r})")


def heavy_in(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if m.split(".")[0] in names or m in names
                  or m.startswith("worker.pipeline"))


@pytest.mark.parametrize("statement", [
    "import worker.web.app",
    "import worker.status",
    "import worker.cli",
])
def test_the_web_app_the_healthcheck_and_the_cli_load_no_parser_or_pipeline(
    statement: str,
) -> None:
    assert heavy_in(loaded_after(statement), HEAVY) == []


@pytest.mark.parametrize(("statement", "allowed"), [
    ("import worker.web.app", ()),
    ("import worker.status", ()),
    ("import worker.cli", ()),
    (_run_cli("sources", "test", "--help"), ()),
    (_run_cli("--help"), ()),
    (_run_cli("status", "--beat-only"), ("yaml",)),  # the settings file: no pydantic, no redis-py
])
def test_start_up_loads_only_what_it_uses(statement: str, allowed: tuple[str, ...]) -> None:
    banned = tuple(name for name in STACK if name not in allowed)
    assert heavy_in(loaded_after(statement), HEAVY + banned) == []


def test_a_command_loads_its_own_module_of_commands_only() -> None:
    loaded = loaded_after(_run_cli("sources", "test", "--help"))
    assert sorted(m for m in loaded if m.startswith("worker.cli.")) == [
        "worker.cli.context", "worker.cli.report", "worker.cli.sources"]


def test_the_cli_knows_where_every_command_is() -> None:
    from worker.cli import COMMAND_MODULES

    defining = sorted(p.stem for p in (WORKER / "cli").glob("*.py")
                      if "\nCOMMANDS = " in p.read_text(encoding="utf-8"))
    assert defining == sorted(set(COMMAND_MODULES.values()))
    for module in defining:
        commands = __import__(f"worker.cli.{module}", fromlist=["COMMANDS"]).COMMANDS
        assert sorted(c.name for c in commands) == sorted(
            name for name, where in COMMAND_MODULES.items() if where == module)


def test_building_mime_loads_no_template_engine() -> None:
    loaded = loaded_after("import worker.mail.message")
    assert {"jinja2", "css_inline"} & loaded == set()


def test_modules_and_functions_stay_small() -> None:
    """Migrations are exempt from the function limit: each is one long list of columns."""
    too_big = []
    for path in modules():
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{dotted(path)}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{dotted(path)}.{node.name}: {length} lines")
    assert too_big == []


def test_the_readme_code_map_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code_map = readme.split("## Code map", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(worker/[\w/]+\.py)`", code_map))
    on_disk = {str(p.relative_to(ROOT)) for p in modules()
               if p.name not in ("__init__.py", "__main__.py")}
    assert sorted(on_disk - named) == []  # modules the map does not mention
    assert sorted(named - on_disk) == []  # modules the map names that do not exist
