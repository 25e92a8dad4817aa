"""Where the templates, default config and demo data live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(installed: Path, checkout: Path) -> Path:
    # A wheel carries them inside the package (pyproject force-include); a source
    # checkout or editable install has them at the repository's top level.
    return installed if installed.is_dir() else checkout


def templates_dir() -> Path:
    return _first_existing(_PACKAGE / "_templates", _PACKAGE.parent / "templates")


def default_config_dir() -> Path:
    return _first_existing(_PACKAGE / "_config", _PACKAGE.parent / "config")


def demo_dir() -> Path:
    return _PACKAGE / "demo"
