"""Charts for the dashboard as plain geometry: numbers in, rectangles, ticks and points out. The templates
draw them as inline SVG; nothing here knows Flask, the database or a language (labels are the caller's keys)."""
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, floor, log10

NICE_STEPS = (1, 2, 2.5, 5, 10)  # a tick step is one of these times a power of ten
LABEL_ROOM = 48  # units a key's label under a column needs ("21 Sept."): closer columns label every n-th one


@dataclass(frozen=True)
class Box:
    """The plotting area inside the chart, in SVG user units (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Segment:
    """One series' part of a column or a row: a rectangle."""

    series: int
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    key: object  # what the column stands for (a week, a month): the template writes its label
    total: float
    x: float
    width: float
    segments: tuple[Segment, ...]
    labelled: bool  # whether the axis shows this column's key (every n-th when crowded)

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def top(self) -> float | None:
        """Where the column ends at the top, or None when it has nothing to draw."""
        return self.segments[-1].y if self.segments else None


@dataclass(frozen=True)
class Tick:
    value: float
    position: float  # y on a column chart's axis, x on a row chart's axis


@dataclass(frozen=True)
class Point:
    key: object
    value: float  # a share between 0 and 1
    x: float
    y: float


@dataclass(frozen=True)
class ColumnChart:
    """Stacked columns over time, with an optional line of shares (0..1) on a second axis at the right."""

    width: int
    height: int
    plot: Box
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    points: tuple[Point, ...] = ()
    share_ticks: tuple[Tick, ...] = ()
    totals_shown: bool = True  # room for the total above each column

    @property
    def empty(self) -> bool:
        return not any(column.total for column in self.columns) and not self.points

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)


@dataclass(frozen=True)
class Row:
    key: object
    total: float
    y: float
    height: float
    segments: tuple[Segment, ...]

    @property
    def middle(self) -> float:
        return round(self.y + self.height / 2, 1)

    @property
    def end(self) -> float:
        return self.segments[-1].x + self.segments[-1].width if self.segments else 0


@dataclass(frozen=True)
class RowChart:
    """Stacked horizontal bars, one row per key, with their labels at the left."""

    width: int
    height: int
    plot: Box
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]

    @property
    def empty(self) -> bool:
        return not any(row.total for row in self.rows)


def nice_scale(maximum: float, steps: int = 4) -> tuple[float, float]:
    """The top of the axis and the step between ticks: a round step, about `steps` of them, top >= maximum.
    Counts get whole steps (never a tick at 2.5 messages)."""
    if maximum <= 0:
        return 1, 1
    rough = maximum / steps
    magnitude = 10 ** floor(log10(rough))
    whole = float(maximum).is_integer()
    step = next(magnitude * nice for nice in NICE_STEPS
                if magnitude * nice >= rough and (not whole or float(magnitude * nice).is_integer()))
    step = int(step) if float(step).is_integer() else step
    return step * ceil(maximum / step - 1e-9), step


def ticks(top: float, step: float) -> list[float]:
    count = round(top / step)
    return [round(step * n, 10) for n in range(count + 1)]


def column_chart(keys: Sequence, series: Sequence[Sequence[float]], *, width: int = 640, height: int = 220,
                 shares: Sequence[float | None] | None = None) -> ColumnChart:
    """Columns for `keys`, each stacked from the values of every series at that key (series[i][j] is series i
    at key j). `shares` (0..1, None where there is nothing to share) draws a line on a 0–100 % axis."""
    if any(len(values) != len(keys) for values in series):
        raise ValueError("every series needs one value per key")
    plot = Box(44, 18, width - (44 if shares is not None else 12), height - 26)
    totals = [sum(values[index] for values in series) for index in range(len(keys))]
    top, step = nice_scale(max(totals, default=0))
    slot = plot.width / max(len(keys), 1)
    bar = min(slot * 0.7, 48)
    every = ceil(LABEL_ROOM / slot) if keys else 1
    columns = []
    for index, key in enumerate(keys):
        x = plot.left + index * slot + (slot - bar) / 2
        bottom, segments = plot.bottom, []
        for number, values in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            size = value / top * plot.height
            bottom -= size
            segments.append(Segment(number, value, round(x, 1), round(bottom, 1), round(bar, 1), round(size, 1)))
        labelled = (len(keys) - 1 - index) % every == 0  # count from the newest, which is always labelled
        columns.append(Column(key, totals[index], round(x, 1), round(bar, 1), tuple(segments), labelled))
    points: list[Point] = []
    if shares is not None:
        if len(shares) != len(keys):
            raise ValueError("one share per key")
        points = [Point(key, share, columns[index].centre, round(plot.bottom - share * plot.height, 1))
                  for index, (key, share) in enumerate(zip(keys, shares)) if share is not None]
    return ColumnChart(
        width, height, plot, tuple(columns),
        tuple(Tick(value, round(plot.bottom - value / top * plot.height, 1)) for value in ticks(top, step)),
        tuple(points),
        tuple(Tick(value, round(plot.bottom - value * plot.height, 1)) for value in (0, 0.5, 1)) if shares is not None
        else (),
        totals_shown=len(keys) <= 16 and shares is None,  # a total would sit on the line's dots
    )


def row_chart(keys: Sequence, series: Sequence[Sequence[float]], *, width: int = 720, row_height: int = 26,
              label_width: int = 280) -> RowChart:
    """Horizontal bars, one row per key, stacked from every series (series[i][j] is series i at key j)."""
    if any(len(values) != len(keys) for values in series):
        raise ValueError("every series needs one value per key")
    plot = Box(label_width, 8, width - 48, 8 + row_height * len(keys))
    totals = [sum(values[index] for values in series) for index in range(len(keys))]
    top, step = nice_scale(max(totals, default=0))
    bar = row_height * 0.7
    rows = []
    for index, key in enumerate(keys):
        y = plot.top + index * row_height + (row_height - bar) / 2
        left, segments = plot.left, []
        for number, values in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            size = value / top * plot.width
            segments.append(Segment(number, value, round(left, 1), round(y, 1), round(size, 1), round(bar, 1)))
            left += size
        rows.append(Row(key, totals[index], round(y, 1), round(bar, 1), tuple(segments)))
    return RowChart(width, int(plot.bottom + 24), plot, tuple(rows),
                    tuple(Tick(value, round(plot.left + value / top * plot.width, 1)) for value in ticks(top, step)))
