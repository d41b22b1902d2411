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
    "div": {"class"},
    "span": {"class"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Table alignment arrives as an inline style, which the sanitiser (rightly) drops.
_ALIGN_STYLE = re.compile(r'style="text-align: (left|right|center);"')
EXTENSIONS = ["tables", "fenced_code", "toc", "attr_list", "sane_lists", "def_list", "abbr"]


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
        strip_comments=True,
    )


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
