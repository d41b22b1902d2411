"""Inline SVG charts.

The charts go into pages under a Content-Security-Policy without inline styles, are
read on 360 px phones over 2G and are printed in black and white, so these tests pin
the contract: well-formed SVG, accessible name and description, no style anywhere,
escaped labels, geometry that matches the data, deterministic and small output.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from lms.core.charts import Bar, LevelRow, bar_chart, level_chart

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Co'


def _level(rows: list[LevelRow], chart_id: str = "levels", **kwargs) -> Markup:
    return level_chart(
        rows,
        chart_id=chart_id,
        title=kwargs.pop("title", "Competency profile"),
        desc=kwargs.pop("desc", "Current level against the position's standard."),
        legend_current=kwargs.pop("legend_current", "Current level"),
        legend_required=kwargs.pop("legend_required", "Required level"),
        **kwargs,
    )


def _bars(bars: list[Bar], chart_id: str = "hours", **kwargs) -> Markup:
    return bar_chart(
        bars,
        chart_id=chart_id,
        title=kwargs.pop("title", "Learning hours"),
        desc=kwargs.pop("desc", "Hours per person this year."),
        max_value=kwargs.pop("max_value", 40),
        **kwargs,
    )


def _parse(svg: Markup) -> ET.Element:
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{NS}svg"
    return root


def _group(root: ET.Element, cls: str) -> ET.Element:
    found = root.find(f".//{NS}g[@class='{cls}']")
    assert found is not None, f"no <g class={cls!r}>"
    return found


def _rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return list(_group(root, cls).iter(f"{NS}rect"))


def _axis_x(root: ET.Element) -> dict[int, float]:
    return {int(t.text or ""): float(t.get("x", "0")) for t in _group(root, "axis").iter(f"{NS}text")}


def _label_ys(root: ET.Element) -> list[float]:
    return [float(t.get("y", "0")) for t in _group(root, "labels").iter(f"{NS}text")]


def _row_of(y: float, label_ys: list[float]) -> int:
    """Which band a y coordinate belongs to: the last label at or above it."""
    return max(i for i, ly in enumerate(label_ys) if ly <= y + 0.5)


def _gap_rows(root: ET.Element) -> list[int]:
    gap = root.find(f".//{NS}g[@class='gap']")
    if gap is None:
        return []
    path = gap.find(f"{NS}path")
    assert path is not None
    ys = [float(y) for y in re.findall(r"M[\d.]+ ([\d.]+)", path.get("d", ""))]
    return [_row_of(y, _label_ys(root)) for y in ys]


def _tick_positions(root: ET.Element) -> list[tuple[float, float]]:
    ticks = [p for p in root.iter(f"{NS}path") if p.get("class") == "tick" and p.get("stroke") == "#000"]
    if not ticks:
        return []
    assert len(ticks) == 1
    return [(float(x), float(y)) for x, y in re.findall(r"M([\d.]+) ([\d.]+)", ticks[0].get("d", ""))]


ROWS = [
    LevelRow("M.01", "Integritas", 3, 4),
    LevelRow("M.02", "Kerja sama", 2, 2),
    LevelRow("M.03", "Komunikasi", 5, 3),
    LevelRow("M.04", "Orientasi pada hasil", 0, 2),
    LevelRow("M.05", "Pelayanan publik", 4, None),
]
BARS = [Bar("Budi", 20, "20 JP"), Bar("Siti", 10, "10 JP"), Bar("Agus", 5, "5 JP")]


def _both() -> list[Markup]:
    return [_level(ROWS), _bars(BARS, target=20, target_label="Duty 20 JP")]


# --- common contract -------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1], ids=["level", "bar"])
def test_is_accessible_svg_image(index: int) -> None:
    svg = _both()[index]
    assert isinstance(svg, Markup)
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert title.text and desc.text
    assert (root.get("aria-labelledby") or "").split() == [title.get("id"), desc.get("id")]
    # Title and desc must come first so assistive technology finds them.
    assert [child.tag for child in root][:2] == [f"{NS}title", f"{NS}desc"]


@pytest.mark.parametrize("index", [0, 1], ids=["level", "bar"])
def test_no_inline_style_anywhere(index: int) -> None:
    svg = _both()[index]
    root = _parse(svg)
    for element in root.iter():
        assert "style" not in element.attrib, element.tag
        assert element.tag != f"{NS}style"
    assert "style" not in str(svg)


@pytest.mark.parametrize("index", [0, 1], ids=["level", "bar"])
def test_text_is_readable_on_a_phone(index: int) -> None:
    root = _parse(_both()[index])
    view_width = float((root.get("viewBox") or "").split()[2])
    sizes = [float(e.get("font-size", "0")) for e in root.iter() if e.get("font-size")]
    assert sizes
    # Rendered at 360 px wide, every font size must come out at 11 px or more.
    assert min(sizes) * 360 / view_width >= 11


@pytest.mark.parametrize("index", [0, 1], ids=["level", "bar"])
def test_coordinates_have_at_most_one_decimal(index: int) -> None:
    text = str(_both()[index])
    assert not re.search(r"\d\.\d{2,}", text)
    assert not re.search(r"\d\.0\b", text)


def test_chart_id_is_sanitised() -> None:
    root = _parse(_level(ROWS, chart_id='Bad "id"> <x>'))
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == 2
    for element_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", element_id or ""), element_id
    assert ids[0] != ids[1]
    digit = _parse(_bars(BARS, chart_id="2024"))
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", e.get("id") or "") for e in digit.iter() if e.get("id"))


def test_hostile_labels_are_escaped() -> None:
    level = _level(
        [LevelRow("<b>", HOSTILE, 1, 2)],
        title=HOSTILE,
        desc=HOSTILE,
        legend_current=HOSTILE,
        legend_required="A & B",
    )
    bars = _bars(
        [Bar(HOSTILE, 3, "<i>3</i> & more")],
        title=HOSTILE,
        desc=HOSTILE,
        target=2,
        target_label="<script>",
    )
    for svg in (level, bars):
        text = str(svg)
        assert "<script" not in text
        assert "<b>" not in text and "<i>" not in text
        assert "&lt;script&gt;" in text
        assert re.search(r"&(?!(amp|lt|gt|#34|#39|quot);)", text) is None
        root = _parse(svg)  # raises if an unescaped & or < slipped through
        title = root.find(f"{NS}title")
        assert title is not None and title.text == HOSTILE
    # A Markup label is still escaped: the chart must not trust what it is given.
    marked = _bars([Bar(Markup("<script>x</script>"), 1, Markup("<b>1</b>"))])
    assert "<script" not in str(marked) and "<b>" not in str(marked)


def test_long_labels_are_truncated() -> None:
    row = LevelRow("M.06", "Pengembangan diri dan orang lain secara berkelanjutan", 1, 3)
    root = _parse(_level([row]))
    label = next(_group(root, "labels").iter(f"{NS}text")).text or ""
    assert label.startswith("M.06 Pengembangan")
    assert label.endswith("…")
    assert len(label) <= 28
    short = _parse(_level([LevelRow("M.01", "Integritas", 1, 1)]))
    assert next(_group(short, "labels").iter(f"{NS}text")).text == "M.01 Integritas"


def test_output_is_deterministic() -> None:
    assert [str(s) for s in _both()] == [str(s) for s in _both()]


def test_empty_input_gives_empty_markup() -> None:
    assert _level([]) == Markup("")
    assert isinstance(_level([]), Markup)
    assert _bars([]) == Markup("")
    assert isinstance(_bars([]), Markup)


def test_fifteen_rows_stay_small() -> None:
    rows = [LevelRow(f"M.{i:02}", f"Kompetensi manajerial nomor {i}", i % 6, 1 + i % 5) for i in range(15)]
    level = _level(rows)
    assert len(str(level).encode()) < 6 * 1024
    bars = [Bar(f"Pegawai dengan nama panjang {i}", i * 2.75, f"{i * 2.75:.1f} JP") for i in range(15)]
    chart = _bars(bars, target=20, target_label="Kewajiban 20 JP")
    assert len(str(chart).encode()) < 6 * 1024


# --- bar chart ------------------------------------------------------------------------


def _widths(svg: Markup) -> list[float]:
    return [float(r.get("width", "nan")) for r in _rects(_parse(svg), "bars")]


def test_bar_widths_are_proportional() -> None:
    widths = _widths(_bars(BARS, max_value=20))
    assert len(widths) == 3
    assert widths[0] > 0
    assert widths[1] / widths[0] == pytest.approx(0.5, abs=0.01)
    assert widths[2] / widths[0] == pytest.approx(0.25, abs=0.01)
    # Bars scale to max_value, not to the largest bar: doubling max_value halves them.
    halved = _widths(_bars(BARS, max_value=40))
    assert halved[0] == pytest.approx(widths[0] / 2, abs=0.1)


def test_bar_values_are_clamped() -> None:
    widths = _widths(
        _bars([Bar("full", 40, "40"), Bar("over", 400, "400"), Bar("neg", -5, "-5")], max_value=40)
    )
    assert widths[1] == widths[0] > 0
    assert widths[2] == 0


@pytest.mark.parametrize("max_value", [0, -10, float("nan")])
def test_bar_non_positive_max_draws_zero_bars(max_value: float) -> None:
    svg = _bars(BARS, max_value=max_value, target=20, target_label="Target")
    assert _widths(svg) == [0, 0, 0]
    texts = [t.text for t in _group(_parse(svg), "values").iter(f"{NS}text")]
    assert texts == ["20 JP", "10 JP", "5 JP"]


def test_bar_display_text_sits_at_bar_end() -> None:
    root = _parse(_bars(BARS, max_value=20))
    rects = _rects(root, "bars")
    texts = list(_group(root, "values").iter(f"{NS}text"))
    for rect, text in zip(rects, texts, strict=True):
        gap = float(text.get("x", "0")) - float(rect.get("width", "0"))
        assert 0 < gap < 15


def test_bar_target_line_and_label() -> None:
    svg = _bars([*BARS, Bar("full", 40, "40 JP")], max_value=40, target=20, target_label="Duty 20 JP")
    root = _parse(svg)
    full = _widths(svg)[-1]
    lines = [p for p in root.iter(f"{NS}path") if p.get("class") == "target"]
    assert lines
    for line in lines:
        assert line.get("stroke-dasharray")
        match = re.fullmatch(r"M([\d.]+) [\d.]+v[\d.]+", line.get("d", ""))
        assert match is not None
        assert float(match.group(1)) == pytest.approx(full / 2, abs=0.1)
    labels = [t for t in root.iter(f"{NS}text") if t.get("class") == "target"]
    assert [t.text for t in labels] == ["Duty 20 JP"]
    without = _parse(_bars(BARS))
    assert not [p for p in without.iter() if p.get("class") == "target"]


def test_bar_number_is_moved_off_a_target_just_past_the_bar() -> None:
    svg = _bars([Bar("a", 19, "19 JP")], max_value=40, target=20)
    root = _parse(svg)
    target_x = _widths(svg)[0] * 20 / 19
    text_x = float(next(_group(root, "values").iter(f"{NS}text")).get("x", "0"))
    assert text_x > target_x


# --- level chart ----------------------------------------------------------------------


def test_level_current_bar_width_matches_level() -> None:
    root = _parse(_level([LevelRow("M.01", "Integritas", 3, 4)]))
    axis = _axis_x(root)
    assert sorted(axis) == [0, 1, 2, 3, 4, 5]
    full = axis[5] - axis[0]
    (bar,) = _rects(root, "cur")
    assert float(bar.get("x", "0")) == axis[0]
    assert float(bar.get("width", "0")) == pytest.approx(full * 3 / 5, abs=0.1)


def test_level_required_marker_is_at_required_level() -> None:
    root = _parse(_level([LevelRow("M.01", "Integritas", 3, 4)]))
    axis = _axis_x(root)
    (outline,) = _rects(root, "req")
    assert outline.get("fill") is None  # inherited "none" from the group: hollow
    assert _group(root, "req").get("fill") == "none"
    assert _group(root, "req").get("stroke-dasharray")
    assert float(outline.get("width", "0")) == pytest.approx(axis[4] - axis[0], abs=0.1)
    ((tick_x, _),) = _tick_positions(root)
    assert tick_x == pytest.approx(axis[4], abs=0.1)


def test_level_gap_marker_only_where_current_is_short() -> None:
    root = _parse(_level(ROWS))
    # Rows 0 (3 < 4) and 3 (0 < 2) fall short; equal, above and no-standard rows do not.
    assert _gap_rows(root) == [0, 3]
    texts = [t.text for t in _group(root, "gap").iter(f"{NS}text")]
    assert texts == ["−1", "−2"]
    assert _gap_rows(_parse(_level([LevelRow("M.02", "Kerja sama", 3, 3)]))) == []


def test_level_required_none_draws_no_marker() -> None:
    only_none = _parse(_level([LevelRow("M.05", "Pelayanan publik", 4, None)]))
    assert only_none.find(f".//{NS}g[@class='req']") is None
    assert _tick_positions(only_none) == []
    assert _gap_rows(only_none) == []
    root = _parse(_level(ROWS))
    label_ys = _label_ys(root)
    tick_rows = [_row_of(y, label_ys) for _, y in _tick_positions(root)]
    assert tick_rows == [0, 1, 2, 3]
    assert len(_rects(root, "req")) == 4
    values = [t.text for t in _group(root, "values").iter(f"{NS}text")]
    assert values == ["3 / 4", "2 / 2", "5 / 3", "0 / 2", "4 / –"]


def test_level_zero_current_draws_no_bar() -> None:
    root = _parse(_level([LevelRow("M.04", "Orientasi", 0, 2), LevelRow("M.05", "Pelayanan", 2, 2)]))
    assert len(_rects(root, "cur")) == 1


def test_level_legend_shows_both_encodings() -> None:
    root = _parse(_level(ROWS, legend_current="Saat ini", legend_required="Standar"))
    legend = _group(root, "legend")
    assert [t.text for t in legend.iter(f"{NS}text")] == ["Saat ini", "Standar"]
    swatches = list(legend.iter(f"{NS}rect"))
    assert swatches[0].get("fill") not in (None, "none")
    assert swatches[1].get("fill") == "none" and swatches[1].get("stroke-dasharray")
