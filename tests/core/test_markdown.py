"""Course Markdown to safe HTML.

``render`` turns a module's Markdown into HTML plus a table of contents (``##`` and ``###``
headings); ``render_inline`` renders short text such as a quiz question without a
wrapping paragraph. Course text travels between agencies, so the output is sanitised:
no scripts, no event handlers, no inline styles, no embedded frames or forms and only
http, https and mailto links, however the payload is spelled. Harmless text around a
payload is kept. Relative image paths stay as written: the module page resolves them.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from lms.core.markdown import render, render_inline

FORBIDDEN = (
    "<script",
    "onerror",
    "onload",
    "onclick",
    "javascript:",
    "<iframe",
    "<style",
    "<object",
    "<embed",
    "<form",
    "style=",
    "data:text/html",
    "vbscript:",
)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Start tags with their attributes (the sanitiser does not keep attribute order)."""
    parser = _Tags()
    parser.feed(html)
    return parser.found


# --- Markdown features ----------------------------------------------------------------


def test_tables_become_html_tables():
    html = render("| Nilai | Arti |\n|---|---|\n| A | Akuntabel |\n").html

    assert "<table>" in html
    assert "<th>Nilai</th>" in html
    assert "<th>Arti</th>" in html
    assert "<td>A</td>" in html
    assert "<td>Akuntabel</td>" in html


def test_fenced_code_keeps_its_language_class_and_escapes_its_content():
    html = render("```python\nif a < b:\n    print('<b>')\n```\n").html

    assert '<pre><code class="language-python">' in html
    assert "if a &lt; b:" in html
    assert "print('&lt;b&gt;')" in html
    assert "<b>" not in html


def test_headings_get_ids_and_the_toc_lists_levels_two_and_three():
    rendered = render("# Modul\n\n## Bagian Satu\n\nTeks.\n\n### Sub Bagian\n\n#### Terlalu Dalam\n")

    assert '<h1 id="m-modul">Modul</h1>' in rendered.html
    assert '<h2 id="m-bagian-satu">Bagian Satu</h2>' in rendered.html
    assert '<h3 id="m-sub-bagian">Sub Bagian</h3>' in rendered.html
    assert 'href="#m-bagian-satu"' in rendered.toc_html
    assert 'href="#m-sub-bagian"' in rendered.toc_html
    assert "Modul" not in rendered.toc_html
    assert "Terlalu Dalam" not in rendered.toc_html


def test_repeated_headings_get_distinct_ids():
    html = render("## Contoh\n\nA\n\n## Contoh\n\nB\n").html

    assert '<h2 id="m-contoh">' in html
    assert '<h2 id="m-contoh_1">' in html


def test_a_text_without_headings_has_an_empty_toc():
    assert "<li>" not in render("Hanya teks.").toc_html


def test_attr_list_sets_image_width_and_height():
    html = render("![Diagram](media/a.svg){width=320 height=160}").html

    assert tags(html) == [
        ("p", {}),
        (
            "img",
            {
                "alt": "Diagram",
                "src": "media/a.svg",
                "width": "320",
                "height": "160",
                "loading": "lazy",
                "decoding": "async",
            },
        ),
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("![Diagram](media/a.svg)", id="markdown-image"),
        pytest.param('<img src="https://example.org/a.png" alt="x">', id="html-image"),
    ],
)
def test_images_load_lazily(text):
    html = render(text).html

    assert 'loading="lazy"' in html
    assert 'decoding="async"' in html


def test_definition_lists_and_abbreviations_are_supported():
    html = render("Term\n:   Definisi\n\n*[JP]: Jam Pelajaran\n\nTiga JP.\n").html

    assert "<dt>Term</dt>" in html
    assert "<dd>Definisi</dd>" in html
    assert '<abbr title="Jam Pelajaran">JP</abbr>' in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Apa **ibu kota** NTT?", "Apa <strong>ibu kota</strong> NTT?", id="bold"),
        pytest.param("Pilih `JP`", "Pilih <code>JP</code>", id="code"),
        pytest.param("Teks biasa", "Teks biasa", id="plain"),
    ],
)
def test_render_inline_has_no_paragraph_wrapper(text, expected):
    assert render_inline(text) == expected


def test_render_inline_keeps_paragraphs_when_there_are_several():
    assert render_inline("Satu\n\nDua") == "<p>Satu</p>\n<p>Dua</p>"


# --- links and media --------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    ["[situs](https://example.org/a)", "[situs](http://example.org/a)", "<https://example.org/a>"],
)
def test_external_links_get_noopener_noreferrer(link):
    html = render(link).html

    assert 'href="http' in html
    assert 'rel="noopener noreferrer"' in html


def test_a_mailto_link_is_kept():
    assert 'href="mailto:bkpsdm@example.go.id"' in render("[surel](mailto:bkpsdm@example.go.id)").html


def test_a_link_target_is_dropped():
    html = render('<a href="https://example.org" target="_blank">x</a>').html

    assert "target" not in html
    assert 'href="https://example.org"' in html


def test_relative_image_paths_stay_as_written_for_the_page_to_resolve():
    assert 'src="media/a.svg"' in render("![x](media/a.svg)").html


def test_table_column_alignment_survives_as_align_attributes():
    html = render("| a | b |\n|:--|--:|\n| 1 | 2 |").html
    assert '<th align="left">a</th>' in html and '<td align="right">2</td>' in html
    assert "style=" not in html


# --- sanitising -------------------------------------------------------------------------

XSS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param('<img src="x" alt="a" onerror="alert(1)">', id="img-onerror-quoted"),
    pytest.param("[x](javascript:alert(1))", id="markdown-link-javascript"),
    pytest.param("[x](<javascript:alert(1)>)", id="markdown-link-angle-javascript"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', id="mixed-case-javascript"),
    pytest.param('<a href=" javascript:alert(1)">x</a>', id="leading-space-javascript"),
    pytest.param('<a href="java&#9;script:alert(1)">x</a>', id="tab-entity-javascript"),
    pytest.param('<a href="&#106;avascript:alert(1)">x</a>', id="decimal-entity-javascript"),
    pytest.param("[x](&#106;avascript:alert(1))", id="markdown-entity-javascript"),
    pytest.param(
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
        id="hex-entity-javascript",
    ),
    pytest.param('<a href="javascript&colon;alert(1)">x</a>', id="named-entity-colon"),
    pytest.param("[x](vbscript:msgbox(1))", id="vbscript"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param('<iframe src="https://evil.example"></iframe>', id="iframe"),
    pytest.param("<style>body{display:none}</style>", id="style-element"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="data-html-link"),
    pytest.param('<a href="data:text/html,<script>alert(1)</script>">x</a>', id="data-html-anchor"),
    pytest.param('<div style="background:url(javascript:alert(1))">x</div>', id="style-attribute"),
    pytest.param('<span class="x" style="color:red" onmouseover="a()">t</span>', id="span-style-handler"),
    pytest.param("![x](javascript:alert(1))", id="markdown-image-javascript"),
    pytest.param('<IMG SRC="jav&#x09;ascript:alert(1);">', id="img-tab-entity-javascript"),
    pytest.param('<object data="x.swf"></object>', id="object"),
    pytest.param('<embed src="x.swf">', id="embed"),
    pytest.param('<form action="https://evil.example"><input name=a></form>', id="form"),
    pytest.param('<p onclick="alert(1)">x</p>', id="onclick"),
    pytest.param("<details open ontoggle=alert(1)>x</details>", id="details-ontoggle"),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"),
    pytest.param('<base href="https://evil.example/">', id="base"),
    pytest.param("<link rel=stylesheet href=https://evil.example/a.css>", id="link-stylesheet"),
    pytest.param("<!-- <script>alert(1)</script> -->", id="comment"),
]


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize("renderer", [lambda t: render(t).html, render_inline], ids=["render", "inline"])
def test_dangerous_markup_is_removed_and_the_text_around_it_kept(renderer, payload):
    html = renderer(f"Sebelum {payload} sesudah")

    lowered = html.lower()
    for forbidden in FORBIDDEN:
        assert forbidden not in lowered, f"{forbidden!r} survived in {html!r}"
    assert "Sebelum" in html
    assert "sesudah" in html


@pytest.mark.parametrize("payload", XSS)
def test_the_table_of_contents_is_sanitised_too(payload):
    toc = render(f"## Judul {payload}\n\nTeks.").toc_html.lower()

    for forbidden in FORBIDDEN:
        assert forbidden not in toc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '![a](media/a.svg){onerror=alert(1) style="x" width=10}',
            [
                ("p", {}),
                (
                    "img",
                    {"alt": "a", "src": "media/a.svg", "width": "10", "loading": "lazy", "decoding": "async"},
                ),
            ],
            id="image",
        ),
        pytest.param('Teks\n{: onclick="alert(1)" style="color:red" }', [("p", {})], id="paragraph"),
        pytest.param('## Judul {: onclick="alert(1)" #bagian }', [("h2", {"id": "m-bagian"})], id="heading"),
    ],
)
def test_attr_list_cannot_add_event_handlers_or_styles(text, expected):
    assert tags(render(text).html) == expected


def test_code_showing_a_script_is_escaped_not_removed():
    html = render("Contoh: `<script>alert(1)</script>`").html

    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html


def test_allowed_markup_keeps_its_safe_attributes():
    html = render(
        '<abbr title="Jam Pelajaran" id="x">JP</abbr> <a href="https://example.org" title="Situs">x</a>'
    ).html

    assert tags(html) == [
        ("p", {}),
        ("abbr", {"title": "Jam Pelajaran"}),
        ("a", {"href": "https://example.org", "title": "Situs", "rel": "noopener noreferrer"}),
    ]


# --- the page's own classes and ids -------------------------------------------------------
# Content sits inside the site's pages, so it may not borrow their classes (a trainer could
# fake a system alert with class="flash flash-error") or their ids (main, quiz, timer).


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('<div class="flash flash-error">Sesi Anda berakhir</div>', id="div"),
        pytest.param('<span class="btn primary">Masuk</span>', id="span"),
        pytest.param("Teks\n{: .flash .flash-error }", id="attr-list-paragraph"),
        pytest.param('<a class="btn" href="https://example.org">Masuk</a>', id="link"),
    ],
)
def test_content_cannot_use_the_sites_classes(text):
    html = render(text).html

    assert "class=" not in html
    assert "flash" not in html and "btn" not in html


def test_code_keeps_only_its_language_class():
    html = render('<code class="language-python flash flash-error">x</code>').html

    assert tags(html) == [("p", {}), ("code", {"class": "language-python"})]


def test_code_without_a_language_class_has_no_class():
    assert tags(render('<code class="flash">x</code>').html) == [("p", {}), ("code", {})]


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        pytest.param("## Timer\n\nTeks.", "h2", "m-timer", id="toc-heading"),
        pytest.param("## Bagian {#main}\n\nTeks.", "h2", "m-main", id="attr-list-heading"),
        pytest.param('<a id="quiz" href="https://example.org">x</a>', "a", "m-quiz", id="raw-html"),
        pytest.param("## m-x\n\nTeks.", "h2", "m-m-x", id="already-prefixed"),
    ],
)
def test_ids_in_content_are_prefixed_so_they_cannot_collide_with_the_pages(text, tag, expected):
    [found] = [attrs for name, attrs in tags(render(text).html) if name == tag]

    assert found["id"] == expected


def test_in_page_links_follow_the_prefixed_ids():
    html = render("Lihat [rangkuman](#rangkuman) dan [situs](https://example.org/#a).\n\n## Rangkuman\n").html

    assert 'href="#m-rangkuman"' in html
    assert 'id="m-rangkuman"' in html
    assert 'href="https://example.org/#a"' in html


def test_every_table_of_contents_link_points_at_a_heading_of_the_module():
    rendered = render("## Satu\n\nA\n\n### Dua {#kedua}\n\nB\n\n## Satu\n\nC\n")

    links = [attrs["href"] for name, attrs in tags(rendered.toc_html) if name == "a"]
    ids = {attrs["id"] for _name, attrs in tags(rendered.html) if "id" in attrs}
    assert links == ["#m-satu", "#m-kedua", "#m-satu_1"]
    assert {link[1:] for link in links} <= ids
    assert "class=" not in rendered.toc_html
