"""Geometry of the tracker's server-rendered SVG charts (templates draw them: tracker/_charts.html).

Every chart is drawn from data also shown in a table; series differ by shape or dash pattern as well
as colour, so no information is carried by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720
LABEL_WIDTH = 230
BAR_HEIGHT = 22
GAP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    text: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    plot_x: int
    plot_width: int


def bar_chart(items: Sequence[tuple[str, int, str]]) -> BarChart:
    """Horizontal bars: (label, value, text shown at the end of the bar)."""
    plot_width = WIDTH - LABEL_WIDTH - 90
    top = max((value for _l, value, _t in items), default=0) or 1
    bars = [
        Bar(label, value, 10 + i * (BAR_HEIGHT + GAP), plot_width * value / top, text)
        for i, (label, value, text) in enumerate(items)
    ]
    return BarChart(bars, 20 + len(items) * (BAR_HEIGHT + GAP), LABEL_WIDTH, plot_width)


@dataclass(frozen=True)
class Segment:
    level: int
    count: int
    x: float
    width: float
    share: float


@dataclass(frozen=True)
class StackedRow:
    code: str
    title: str
    y: int
    segments: list[Segment]


@dataclass(frozen=True)
class StackedChart:
    rows: list[StackedRow]
    height: int
    plot_x: int
    plot_width: int
    levels: list[int]


def stacked_levels(counts: dict[str, list[int]], titles: dict[str, str], level_cap: int) -> StackedChart:
    """One 100% bar per competence, a segment per level (labelled with the level when wide enough)."""
    plot_width = WIDTH - LABEL_WIDTH - 10
    rows: list[StackedRow] = []
    for i, (code, per_level) in enumerate(counts.items()):
        total = sum(per_level)
        x = float(LABEL_WIDTH)
        segments: list[Segment] = []
        for level, count in enumerate(per_level):
            share = count / total if total else 0.0
            width = plot_width * share
            segments.append(Segment(level, count, x, width, share))
            x += width
        rows.append(StackedRow(code, titles.get(code, code), 40 + i * (BAR_HEIGHT + GAP), segments))
    height = 50 + len(rows) * (BAR_HEIGHT + GAP)
    return StackedChart(rows, height, LABEL_WIDTH, plot_width, list(range(level_cap + 1)))


@dataclass(frozen=True)
class Series:
    name: str
    label: str
    points: str  # SVG polyline "x,y x,y"
    markers: list[tuple[float, float]]
    last: tuple[float, float]


@dataclass(frozen=True)
class LineChart:
    series: list[Series]
    height: int
    plot_x: int
    plot_y: int
    plot_width: int
    plot_height: int
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]


def line_chart(days: Sequence[date], series: Sequence[tuple[str, str, Sequence[int]]]) -> LineChart:
    """Lines over time: series = (name, label, values per day)."""
    plot_x, plot_y, plot_width, plot_height = 60, 60, WIDTH - 60 - 20, 240
    top = max((max(values, default=0) for _n, _l, values in series), default=0) or 1
    magnitude = 10 ** max(0, len(str(top)) - 1)
    top = ((top + magnitude - 1) // magnitude) * magnitude
    n = max(len(days) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return round(plot_x + plot_width * i / n, 1), round(plot_y + plot_height * (1 - value / top), 1)

    drawn: list[Series] = []
    for name, label, values in series:
        coords = [xy(i, v) for i, v in enumerate(values)]
        markers = coords if len(coords) <= 40 else coords[:: max(1, len(coords) // 20)]
        drawn.append(
            Series(
                name,
                label,
                " ".join(f"{x},{y}" for x, y in coords),
                markers,
                coords[-1] if coords else (0, 0),
            )
        )
    y_ticks = [(plot_y + plot_height * (1 - k / 4), top * k // 4) for k in range(5)]
    every = max(1, len(days) // 6)
    x_ticks = [(xy(i, 0)[0], d.strftime("%d/%m")) for i, d in enumerate(days) if i % every == 0]
    return LineChart(
        drawn, plot_y + plot_height + 40, plot_x, plot_y, plot_width, plot_height, y_ticks, x_ticks
    )


@dataclass(frozen=True)
class Dumbbell:
    code: str
    title: str
    y: int
    x_before: float
    x_after: float


@dataclass(frozen=True)
class DumbbellChart:
    rows: list[Dumbbell]
    height: int
    plot_x: int
    plot_width: int
    ticks: list[tuple[float, int]]


def dumbbell_chart(rows: Sequence[tuple[str, str, float, float]], level_cap: int) -> DumbbellChart:
    """Mean level before (circle) and after (square) per competence, joined by a line."""
    plot_width = WIDTH - LABEL_WIDTH - 20
    cap = max(level_cap, 1)

    def x(level: float) -> float:
        return round(LABEL_WIDTH + plot_width * level / cap, 1)

    drawn = [
        Dumbbell(code, title, 40 + i * (BAR_HEIGHT + GAP), x(before), x(after))
        for i, (code, title, before, after) in enumerate(rows)
    ]
    ticks = [(x(level), level) for level in range(cap + 1)]
    return DumbbellChart(drawn, 50 + len(rows) * (BAR_HEIGHT + GAP), LABEL_WIDTH, plot_width, ticks)
