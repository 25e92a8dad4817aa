"""Digest → text and email-safe HTML through the Jinja2 templates in templates/ (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2
from markupsafe import Markup, escape

from worker.digest.build import Digest, Fragment
from worker.models import Rendered
from worker.resources import templates_dir


def render_digest(digest: Digest, templates: Path | None = None) -> Rendered:
    """Both bodies of the mail; every text from a feed is escaped in the HTML."""
    env = jinja_environment(templates or templates_dir())
    text = env.get_template("digest.txt").render(digest=digest)
    html = env.get_template("digest.html").render(digest=digest)
    # Mail clients drop <style>; inline it (and keep nothing the client would ignore).
    return Rendered(digest.subject, text, css_inline.inline(html))


@lru_cache(maxsize=4)
def jinja_environment(folder: Path) -> jinja2.Environment:
    """The digest templates' environment (cached): escaping for .html, filters for marks."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # packaged templates do not change under a running process
    )
    env.filters["marked"] = _marked
    env.filters["plain"] = _plain
    return env


def _marked(fragments: Iterable[Fragment]) -> Markup:
    """Escaped text with the matched keywords in <mark>."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(f.text) if f.highlight else escape(f.text)
        for f in fragments
    )


def _plain(fragments: Iterable[Fragment]) -> str:
    return "".join(f.text for f in fragments)
