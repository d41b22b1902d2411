"""Server-rendered inline SVG charts.

The pages that show these charts must stay tiny for people on slow 2G phones and must
print well, so the charts are plain SVG text with no script, no web font and no CSS:
the Content-Security-Policy forbids inline styles, so only SVG presentation attributes
are used. Series are told apart by shape (solid bar versus dashed outline and tick),
never by colour alone, so a black-and-white printout still reads.

Every chart uses a 400-unit-wide viewBox with 14-unit text: on a 360 px phone screen
that is about 12.6 px, and still 11 px or more inside a page with modest side padding.
Output is deterministic (same input, same bytes) so pages can be cached and compared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "LevelRow", "bar_chart", "level_chart"]

SVG_NS = "http://www.w3.org/2000/svg"

# The viewBox starts at x=-PAD so labels, bars and axes can sit at x=0 and omit the
# attribute entirely, which saves bytes on every row.
PAD = 10
VIEW_W = 400
RIGHT = VIEW_W - PAD - 4  # right edge for end-anchored text, inside the viewBox

FONT = 14
BAND = 44  # one row: a label line, then the bar
LABEL_DY = 15  # label baseline, from the top of the band
BAR_DY = 21  # bar top, from the top of the band
BAR_H = 16
VALUE_DY = 34  # baseline of the number beside the bar
# Grid and target lines are drawn as one dashed path per x; the dash covers the bar
# (plus a little above and below) and the gap covers the label line, so lines never
# cross label text and the whole grid costs a handful of bytes.
LINE_DY = BAR_DY - 3
LINE_DASH = BAR_H + 6
LINE_GAP = BAND - LINE_DASH

LABEL_MAX = 28
LEGEND_MAX = 44

BAR_FILL = "#1f5fa8"  # dark enough to stay distinct from white on a greyscale print
GAP_STROKE = "#c00000"
GRID_STROKE = "#bbb"
REQ_DASH = "4 3"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_ID_BAD = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class LevelRow:
    code: str  # "M.01"
    label: str  # "Integritas"
    current: int  # 0..5 (0 = no evidence)
    required: int | None  # 1..5, or None when the position sets no standard for it


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # raw value
    display: str  # already-formatted text shown at the bar end, e.g. "72,5%"


def _num(value: float) -> str:
    """Coordinates with at most one decimal and no trailing ".0": every byte counts on 2G."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))  # also turns -0.0 into "0"
    return f"{rounded:.1f}"


def _clean(text: object) -> str:
    # str() first so a Markup passed in by mistake is escaped too rather than trusted;
    # control characters would make the SVG invalid XML when the page is parsed strictly.
    plain = _CONTROL.sub("", str(text))
    return _SPACE.sub(" ", plain).strip()


def _truncate(text: str, limit: int) -> str:
    # Truncate before escaping so an entity such as "&amp;" is never cut in half.
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _esc(text: object, limit: int | None = None) -> str:
    cleaned = _clean(text)
    if limit is not None:
        cleaned = _truncate(cleaned, limit)
    return str(escape(cleaned))


def _safe_id(chart_id: str) -> str:
    cid = _ID_BAD.sub("-", str(chart_id).lower()).strip("-")
    if not cid:
        return "chart"
    # An id that starts with a digit is legal in HTML but not as an XML name.
    return cid if cid[0].isalpha() else f"c-{cid}"


def _open(cid: str, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="{SVG_NS}" viewBox="-{PAD} 0 {VIEW_W} {_num(height)}" width="100%" '
        f'role="img" aria-labelledby="{cid}-t {cid}-d" font-family="sans-serif" font-size="{FONT}">',
        f'<title id="{cid}-t">{_esc(title)}</title>',
        f'<desc id="{cid}-d">{_esc(desc)}</desc>',
    ]


def _band_lines(xs: Sequence[float], top: float, count: int) -> str:
    """Path data for vertical lines at each x, spanning every bar band."""
    y0 = top + LINE_DY
    length = count * BAND - LINE_GAP
    return "".join(f"M{_num(x)} {_num(y0)}v{_num(length)}" for x in xs)


def _clamp(value: float, low: float, high: float) -> float:
    if math.isnan(value):
        return low
    return max(low, min(high, value))


def level_chart(
    rows: Sequence[LevelRow],
    *,
    chart_id: str,
    title: str,
    desc: str,
    legend_current: str,
    legend_required: str,
    max_level: int = 5,
) -> Markup:
    """Current versus required competency level, one band per row.

    The current level is a solid bar; the required level is a dashed outline ending in
    a thick tick, so a shortfall shows as the empty outlined space past the bar. Rows
    that fall short also get a red outlined triangle and the shortfall as a number.
    """
    if not rows:
        return Markup("")
    max_level = max(1, int(max_level))
    cid = _safe_id(chart_id)
    plot_w = 320  # leaves room on the right for "5 / 5"
    step = plot_w / max_level

    legend_y = 4
    axis_y = legend_y + 66
    top = axis_y + 8
    height = top + len(rows) * BAND

    def lx(level: float) -> float:
        return _clamp(level, 0, max_level) * step

    labels: list[str] = []
    current: list[str] = []
    required: list[str] = []
    ticks: list[str] = []
    values: list[str] = []
    gaps: list[str] = []
    gap_texts: list[str] = []
    for i, row in enumerate(rows):
        band = top + i * BAND
        name = f"{_clean(row.code)} {_clean(row.label)}".strip()
        labels.append(f'<text y="{_num(band + LABEL_DY)}">{_esc(name, LABEL_MAX)}</text>')
        bar_y = _num(band + BAR_DY)
        if row.current > 0:
            current.append(f'<rect y="{bar_y}" width="{_num(lx(row.current))}" height="{BAR_H}"/>')
        req_text = "–"
        if row.required is not None:
            req_text = str(row.required)
            rx = lx(row.required)
            required.append(f'<rect y="{bar_y}" width="{_num(rx)}" height="{BAR_H}"/>')
            ticks.append(f"M{_num(rx)} {_num(band + BAR_DY - 5)}v{BAR_H + 10}")
            if row.current < row.required:
                # Triangle on the label line, right-aligned, clear of a 28-character label.
                base = band + LABEL_DY
                gaps.append(f"M{RIGHT - 38} {_num(base)}l7-12 7 12z")
                gap_texts.append(f'<text x="{RIGHT}" y="{_num(base)}">−{row.required - row.current}</text>')
        values.append(f'<text x="{RIGHT}" y="{_num(band + VALUE_DY)}">{row.current} / {req_text}</text>')

    ticks_d = "".join(ticks)
    out = _open(cid, height, title, desc)
    # Legend: each encoding drawn exactly as in the chart, with its caption beside it.
    out.append(
        f'<g class="legend">'
        f'<rect y="{legend_y + 3}" width="24" height="14" fill="{BAR_FILL}"/>'
        f'<text x="32" y="{legend_y + 15}">{_esc(legend_current, LEGEND_MAX)}</text>'
        f'<rect y="{legend_y + 27}" width="24" height="14" fill="none" stroke="#000" '
        f'stroke-width="2" stroke-dasharray="{REQ_DASH}"/>'
        f'<path d="M24 {legend_y + 23}v22" stroke="#000" stroke-width="3"/>'
        f'<text x="32" y="{legend_y + 39}">{_esc(legend_required, LEGEND_MAX)}</text>'
        f"</g>"
    )
    out.append(
        '<g class="axis" text-anchor="middle">'
        + "".join(f'<text x="{_num(lx(n))}" y="{axis_y}">{n}</text>' for n in range(max_level + 1))
        + "</g>"
    )
    grid = _band_lines([lx(n) for n in range(max_level + 1)], top, len(rows))
    out.append(
        f'<path class="grid" d="{grid}" stroke="{GRID_STROKE}" stroke-dasharray="{LINE_DASH} {LINE_GAP}"/>'
    )
    out.append('<g class="labels">' + "".join(labels) + "</g>")
    if current:
        out.append(f'<g class="cur" fill="{BAR_FILL}">' + "".join(current) + "</g>")
    if required:
        out.append(
            f'<g class="req" fill="none" stroke="#000" stroke-width="2" stroke-dasharray="{REQ_DASH}">'
            + "".join(required)
            + "</g>"
        )
        # The white halo keeps the black tick visible where it crosses the dark bar.
        out.append(f'<path class="tick" d="{ticks_d}" stroke="#fff" stroke-width="7"/>')
        out.append(f'<path class="tick" d="{ticks_d}" stroke="#000" stroke-width="3"/>')
    out.append('<g class="values" text-anchor="end">' + "".join(values) + "</g>")
    if gaps:
        out.append(
            f'<g class="gap" fill="{GAP_STROKE}" text-anchor="end" font-weight="bold">'
            f'<path d="{"".join(gaps)}" fill="#fff" stroke="{GAP_STROKE}" stroke-width="2" '
            f'stroke-linejoin="round"/>' + "".join(gap_texts) + "</g>"
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text went through _esc


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    max_value: float,
    target: float | None = None,
    target_label: str | None = None,
) -> Markup:
    """Horizontal bars scaled to ``max_value``, each with its label above it.

    Values are clamped to [0, max_value]; a non-positive ``max_value`` draws every bar
    at zero width rather than dividing by zero. The optional target is a dashed black
    line across all bars with ``target_label`` above it.
    """
    if not bars:
        return Markup("")
    cid = _safe_id(chart_id)
    scale_max = max_value if (not math.isnan(max_value) and max_value > 0) else 0.0
    displays = [_esc(bar.display, 16) for bar in bars]
    # The display text sits just past the bar end, so the plot gives up as much width as
    # the longest text needs (bold digits are about 0.6 em) but never less than half.
    longest = max(len(_clean(bar.display)[:16]) for bar in bars)
    plot_w = max(190.0, min(RIGHT - 6, RIGHT - 6 - longest * 8.6))

    def bx(value: float) -> float:
        if scale_max <= 0:
            return 0.0
        if math.isinf(value):
            return plot_w if value > 0 else 0.0
        return _clamp(value, 0, scale_max) / scale_max * plot_w

    tx: float | None = None if target is None or math.isnan(target) else bx(target)
    top = 26 if tx is not None else 2
    height = top + len(bars) * BAND

    labels: list[str] = []
    rects: list[str] = []
    values: list[str] = []
    for i, (bar, display) in enumerate(zip(bars, displays, strict=True)):
        band = top + i * BAND
        width = bx(bar.value)
        labels.append(f'<text y="{_num(band + LABEL_DY)}">{_esc(bar.label, LABEL_MAX)}</text>')
        rects.append(f'<rect y="{_num(band + BAR_DY)}" width="{_num(width)}" height="{BAR_H}"/>')
        text_x = width + 6
        # A target tick just past the bar end would run through the number: move the
        # number past the tick. The plot's right margin already leaves room for it.
        if tx is not None and width < tx < text_x + len(_clean(bar.display)[:16]) * 8.6:
            text_x = tx + 6
        values.append(f'<text x="{_num(text_x)}" y="{_num(band + VALUE_DY)}">{display}</text>')

    out = _open(cid, height, title, desc)
    out.append('<g class="labels">' + "".join(labels) + "</g>")
    # A zero baseline lets a reader see that an empty bar is zero, not missing.
    base = _band_lines([0], top, len(bars))
    out.append(f'<path class="grid" d="{base}" stroke="#666" stroke-dasharray="{LINE_DASH} {LINE_GAP}"/>')
    out.append(f'<g class="bars" fill="{BAR_FILL}">' + "".join(rects) + "</g>")
    if tx is not None:
        d = _band_lines([tx], top, len(bars))
        dash = f'stroke-dasharray="{LINE_DASH} {LINE_GAP}"'
        out.append(f'<path class="target" d="{d}" stroke="#fff" stroke-width="7" {dash}/>')
        out.append(f'<path class="target" d="{d}" stroke="#000" stroke-width="3" {dash}/>')
        if target_label:
            # Keep the caption inside the viewBox whichever end the target is near.
            anchor = "start" if tx < 70 else "end" if tx > RIGHT - 70 else "middle"
            out.append(
                f'<text class="target" x="{_num(tx)}" y="16" text-anchor="{anchor}" font-weight="bold">'
                f"{_esc(target_label, LEGEND_MAX)}</text>"
            )
    # A white outline under the numbers keeps them legible where a target line passes.
    out.append(
        '<g class="values" font-weight="bold" stroke="#fff" stroke-width="4" '
        'stroke-linejoin="round" paint-order="stroke">' + "".join(values) + "</g>"
    )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text went through _esc
