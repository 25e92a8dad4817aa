"""Digest → text and email-safe HTML through the Jinja2 templates in templates/ (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import css_inline
import jinja2
from markupsafe import Markup, escape

from worker.digest.build import Digest
from worker.digest.marks import Fragment, padded
from worker.models import Rendered
from worker.resources import templates_dir


def render_digest(digest: Digest, templates: Path | None = None) -> Rendered:
    """Both bodies of the mail; every text from a feed is escaped in the HTML."""
    env = jinja_environment(templates or templates_dir())
    text = env.get_template("digest.txt").render(digest=digest)
    html = env.get_template("digest.html").render(digest=digest)
    return Rendered(digest.subject, text, _DIGEST_INLINER.inline(html))


def inline_css(html: str) -> str:
    """Mail clients drop <style>: inline it, minified, keeping only @media rules (as the
    digest's are)."""
    return _DIGEST_INLINER.inline(html)


# The digest's rules are inlined and minified (Gmail clips the HTML after ~102 KB); only
# its @media rules (dark mode, phones) stay in <style>: they cannot be inlined, and the
# clients that honour them read <style>. Nothing is fetched.
_DIGEST_INLINER = css_inline.CSSInliner(keep_at_rules=True, minify_css=True,
                                        load_remote_stylesheets=False)
NOWRAP_CHARS = 16  # a longer meta piece may be wider than a phone: let it wrap


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
    env.filters["together"] = _together
    return env


def _marked(fragments: Sequence[Fragment]) -> Markup:
    """Escaped text with the matched keywords in <mark>, padded so no tag splits a word
    (digest/marks.py)."""
    # f-strings of escaped parts: Markup.format goes through string.Formatter, 3× slower,
    # and these two filters ran for every item of every digest (py-spy, 10,000 subscribers)
    return Markup("".join(
        f"<mark>{before}{escape(text)}{after}</mark>" if fragment.highlight else escape(text)
        for fragment, (before, text, after) in zip(fragments, padded(fragments), strict=True)
    ))


def _together(text: str, tone: str = "") -> Markup:
    """A short meta piece ("命中：人工智能") kept on one line (Chinese breaks anywhere), in a
    span of class `tone` too if given."""
    classes = " ".join(c for c in ("" if len(text) > NOWRAP_CHARS else "nw", tone) if c)
    if not classes:
        return escape(text)
    return Markup(f'<span class="{escape(classes)}">{escape(text)}</span>')


def _plain(fragments: Iterable[Fragment]) -> str:
    return "".join(f.text for f in fragments)
