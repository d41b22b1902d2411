"""Markdown to safe HTML. Course text is written by trainers and may travel between
agencies, so everything is sanitised: no script, no event handlers, no foreign schemes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "code": {"class"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Table alignment arrives as an inline style, which the sanitiser (rightly) drops.
_ALIGN_STYLE = re.compile(r'style="text-align: (left|right|center);"')
EXTENSIONS = ["tables", "fenced_code", "toc", "attr_list", "sane_lists", "def_list", "abbr"]
# Content is shown inside the site's own pages, so it gets none of their names: its ids
# (toc headings, attr_list {#x}, raw HTML) all carry this prefix, in-page links follow
# them, and the only class kept is the language of a code block.
ID_PREFIX = "m-"
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+-]+")


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str


def _content_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute_filter: keeps content's classes and ids apart from the page's."""
    if name == "class":
        languages = [c for c in value.split() if tag == "code" and _LANGUAGE_CLASS.fullmatch(c)]
        return " ".join(languages) or None
    if name == "id":
        return ID_PREFIX + value
    if name == "href" and value.startswith("#") and len(value) > 1:
        return f"#{ID_PREFIX}{value[1:]}"
    return value


def _clean(html: str) -> str:
    # nh3 writes attributes it adds in no fixed order, and stored HTML is hashed to tell
    # versions apart: the picture attributes are added here, always the same way.
    return _IMG.sub('<img loading="lazy" decoding="async"', _sanitise(html))


_IMG = re.compile(r"<img(?=[\s>/])")


def _sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_content_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def clean_html(html: str) -> str:
    """HTML written elsewhere (a Moodle question, a pasted fragment) made as safe as ours."""
    return _clean(html)


def render(text: str) -> Rendered:
    """Render Markdown to sanitised HTML and a table of contents.

    Relative image paths (``media/a.svg``) stay as written: the page resolves them to the
    storage backend when it is shown (``lms.catalog.services.module_html``).
    """
    converter = md.Markdown(
        extensions=EXTENSIONS,
        extension_configs={"toc": {"toc_depth": "2-3", "permalink": False}},
        output_format="html",
    )
    html = _ALIGN_STYLE.sub(r'align="\1"', converter.convert(text))
    return Rendered(html=_clean(html), toc_html=_clean(getattr(converter, "toc", "")))


def render_inline(text: str) -> str:
    """Short text such as a question: Markdown without block wrappers."""
    html = md.markdown(text, extensions=["sane_lists"], output_format="html")
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return _clean(html)
