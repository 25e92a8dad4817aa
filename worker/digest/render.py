"""Digest → text and email-safe HTML through the Jinja2 templates in templates/ (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, partial
from pathlib import Path

import css_inline
import jinja2
from markupsafe import Markup, escape

from worker.digest.build import Digest
from worker.digest.inlining import element_styles, preinline
from worker.digest.marks import Fragment, padded
from worker.models import Rendered
from worker.resources import templates_dir


def render_digest(digest: Digest, templates: Path | None = None) -> Rendered:
    """Both bodies of the mail; every text from a feed is escaped in the HTML, and the
    HTML's CSS is inlined (its template was inlined when loaded)."""
    env = jinja_environment(templates or templates_dir())
    text = env.get_template("digest.txt").render(digest=digest)
    html = env.get_template("digest.html").render(digest=digest)
    return Rendered(digest.subject, text, html)


# Mail clients drop <style>: the rules are inlined and minified (Gmail clips the HTML after
# ~102 KB); only the @media rules (dark mode, phones) stay in <style>: they cannot be
# inlined, and the clients that honour them read <style>. Nothing is fetched.
INLINER = css_inline.CSSInliner(keep_at_rules=True, minify_css=True,
                                load_remote_stylesheets=False)
NOWRAP_CHARS = 16  # a longer meta piece may be wider than a phone: let it wrap
# The tags the filters write, as the digest's rules style them (classes kept for @media)
_FILTER_TAGS = {"mark": "<mark>", "nw": '<span class="nw">', "old": '<span class="old">',
                "nw old": '<span class="nw old">'}


class _InliningLoader(jinja2.FileSystemLoader):
    """HTML templates with their CSS inlined as they are loaded."""

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".html"):
            source = preinline(source, INLINER, filename)
        return source, filename, uptodate


@lru_cache(maxsize=4)
def jinja_environment(folder: Path, inlined: bool = True) -> jinja2.Environment:
    """The mail templates' environment (cached): escaping for .html, filters for marks;
    `inlined`: HTML templates and filter markup carry their CSS (False: as written, for
    the rendering benchmark's baseline and the tests' reference, INLINER after rendering)."""
    tags = _filter_tags(folder / "digest.html") if inlined else _FILTER_TAGS
    loader = _InliningLoader(folder) if inlined else jinja2.FileSystemLoader(folder)
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # packaged templates do not change under a running process
    )
    env.filters["marked"] = partial(_marked, mark=tags["mark"])
    env.filters["plain"] = _plain
    env.filters["together"] = partial(_together, tags=tags)
    return env


def _filter_tags(template: Path) -> dict[str, str]:
    """The filters' opening tags with the style the template's rules give them."""
    styles = element_styles(template.read_text(encoding="utf-8"), INLINER, _FILTER_TAGS)
    return {key: tag[:-1] + (f' style="{escape(styles[key])}">' if styles[key] else ">")
            for key, tag in _FILTER_TAGS.items()}


def _marked(fragments: Sequence[Fragment], mark: str) -> Markup:
    """Escaped text with the matched keywords in <mark>, padded so no tag splits a word
    (digest/marks.py)."""
    # f-strings of escaped parts: Markup.format goes through string.Formatter, 3× slower,
    # and these two filters ran for every item of every digest (py-spy, 10,000 subscribers)
    return Markup("".join(
        f"{mark}{before}{escape(text)}{after}</mark>" if fragment.highlight else escape(text)
        for fragment, (before, text, after) in zip(fragments, padded(fragments), strict=True)
    ))


def _together(text: str, tone: str = "", *, tags: dict[str, str]) -> Markup:
    """A short meta piece ("命中：人工智能") kept on one line (Chinese breaks anywhere), in a
    span of class `tone` too if given."""
    classes = " ".join(c for c in ("" if len(text) > NOWRAP_CHARS else "nw", tone) if c)
    if not classes:
        return escape(text)
    opening = tags.get(classes) or f'<span class="{escape(classes)}">'
    return Markup(f"{opening}{escape(text)}</span>")


def _plain(fragments: Iterable[Fragment]) -> str:
    return "".join(f.text for f in fragments)
