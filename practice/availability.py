"""Free times of one practitioner: weekly working hours minus appointments and time off, as start moments (the
public page, the booking panel) or as the blocks of the agenda's time grid.

Pure: plain data in, plain data out (no Flask, no ORM), so the agenda and the public page can share it.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from . import localtime

__all__ = [
    "Block",
    "GridRow",
    "Interval",
    "WeeklyHours",
    "day_blocks",
    "fits_within",
    "free_times",
    "grid_rows",
    "overlaps",
    "subtract",
    "working_intervals",
]


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open stretch of real time [start, end) between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if _is_naive(self.start) or _is_naive(self.end):
            raise ValueError("an interval needs aware datetimes")
        if not self.start < self.end:
            raise ValueError(f"an interval must start before it ends: {self.start} .. {self.end}")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """A weekly block of working time in local wall-clock time (weekday 0 = Monday)."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours are wall-clock times without a time zone")
        if not self.start < self.end:
            raise ValueError(f"working hours must start before they end: {self.start} .. {self.end}")


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two intervals share some time; one ending exactly when the other starts does not."""
    return a.start < b.end and b.start < a.end


def fits_within(candidate: Interval, intervals: Iterable[Interval]) -> bool:
    """Whether the candidate lies entirely inside one of the intervals.

    Pass merged intervals (as `working_intervals` and `subtract` return them) when adjacent blocks
    should count as one.
    """
    return any(iv.start <= candidate.start and candidate.end <= iv.end for iv in intervals)


def working_intervals(day: date, hours: Iterable[WeeklyHours], tz: str) -> list[Interval]:
    """The working time on a local day as merged UTC intervals, sorted.

    Wall-clock hours stay wall-clock hours across a daylight-saving change: each time becomes the
    first moment at which the local clock reads at least that time. So a time inside the spring-forward
    gap starts at the changeover, and a time in the repeated autumn hour means its first occurrence.
    """
    weekday = day.weekday()
    blocks = []
    for block in hours:
        if block.weekday != weekday:
            continue
        start = localtime.first_moment_at(datetime.combine(day, block.start), tz)
        end = localtime.first_moment_at(datetime.combine(day, block.end), tz)
        if start < end:  # both inside one spring-forward gap: nothing left of it
            blocks.append(Interval(start, end))
    return _merged(blocks)


def subtract(intervals: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """The parts of `intervals` not covered by any busy interval, merged and sorted.

    Either input may be unsorted and overlap itself. Sorts once and sweeps: O((n + m) log(n + m)).
    """
    blocks = _merged(intervals)
    taken = _merged(busy)
    free: list[Interval] = []
    i = 0  # first busy interval that may still matter for the current block
    for block in blocks:
        cursor = block.start
        while i < len(taken) and taken[i].end <= cursor:
            i += 1
        j = i
        while j < len(taken) and taken[j].start < block.end:
            if cursor < taken[j].start:
                free.append(Interval(cursor, taken[j].start))
            cursor = max(cursor, taken[j].end)
            j += 1
        if cursor < block.end:
            free.append(Interval(cursor, block.end))
        # The last busy interval seen may reach into the next block; the ones before it cannot.
        i = max(i, j - 1)
    return free


def free_times(
    day: date,
    *,
    hours: Iterable[WeeklyHours],
    busy: Iterable[Interval],
    duration: timedelta,
    tz: str,
    step: timedelta = timedelta(minutes=15),
    not_before: datetime | None = None,
) -> list[datetime]:
    """Start moments (aware UTC, sorted) on a local day where `duration` fits in free working time.

    Starts lie on the local wall-clock grid of `step` counted from local midnight (08:00, 08:15, ...),
    also on a daylight-saving day, and not before `not_before` (for "now + cutoff").
    """
    if duration <= timedelta(0):
        raise ValueError("the duration must be positive")
    if step <= timedelta(0):
        raise ValueError("the step must be positive")
    if not_before is not None and _is_naive(not_before):
        raise ValueError("not_before must be an aware datetime")

    grid = _grid(day, tz, step)
    starts: list[datetime] = []
    # Free intervals are disjoint and sorted, and so is the grid: the result comes out sorted and unique.
    for interval in subtract(working_intervals(day, hours, tz), busy):
        earliest = interval.start if not_before is None else max(interval.start, not_before)
        latest = interval.end - duration
        if earliest > latest:
            continue
        starts.extend(grid[bisect_left(grid, earliest) : bisect_right(grid, latest)])
    return starts


FREE, BOOKED, TIME_OFF, CLOSED = "free", "booked", "time_off", "closed"
ROW = timedelta(minutes=5)  # the agenda grid's resolution: every appointment time the panel accepts lies on it


@dataclass(frozen=True, slots=True)
class GridRow:
    """A row of the agenda's time grid: five minutes of a local day, from `start` (aware UTC)."""

    start: datetime
    minute: int  # wall-clock minutes since local midnight

    @property
    def label(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"


@dataclass(slots=True)
class Block:
    """A cell of one practitioner's day on the grid: `rows` rows from `row` on, of one kind. A free block is one
    time to click (it never crosses the booking grid of `step` minutes); a booked one is one appointment."""

    kind: str
    row: GridRow
    rows: int
    what: object = None  # free: the location the practitioner works at then; booked: the appointment as shown

    @property
    def location_id(self) -> int | None:
        return self.what if self.kind == FREE else None

    @property
    def appointment(self):
        return self.what if self.kind == BOOKED else None


@lru_cache(maxsize=512)
def grid_rows(day: date, first: int, last: int, tz: str) -> tuple[GridRow, ...]:
    """The rows of a local day from wall-clock minute `first` up to `last` (minutes since midnight). Counted on the
    wall clock, so every day of a week has the same rows (the spring-forward gap's rows all start at the change)."""
    midnight = datetime.combine(day, time(0))
    minutes = range(first, last, ROW // timedelta(minutes=1))
    start, end = (localtime.first_moment_at(midnight + timedelta(minutes=minute), tz) for minute in (first, last))
    if end - start == timedelta(minutes=last - first):  # no change of the clocks in between: plain steps
        return tuple(GridRow(start + timedelta(minutes=minute - first), minute) for minute in minutes)
    return tuple(GridRow(localtime.first_moment_at(midnight + timedelta(minutes=minute), tz), minute)
                 for minute in minutes)


def day_blocks(rows: tuple[GridRow, ...], *, working: Iterable[tuple[Interval, int]], time_off: Iterable[Interval],
               appointments: Iterable[tuple[datetime, datetime, object]], step: timedelta) -> list[Block]:
    """One practitioner's day on the grid, from the first row to the last: their appointments, time off, free
    working time (`working`: intervals with their location) and the closed rest, in row order, covering every row.
    `appointments`: start, end and what to show of each (plain tuples: the week has hundreds).

    A row is free when it lies wholly in working time; time off touching a row takes it, and an appointment
    touching a row takes it from anything else (the earlier appointment, if two touch it). The week view has
    hundreds of these: the layers are laid in slices of rows, and the blocks read off between the slices' ends."""
    starts = [row.start for row in rows]
    # (kind, location or appointment) per row; later layers win. Between two edges every row holds the same cell.
    cells: list[tuple[str, object]] = [(CLOSED, None)] * len(rows)
    edges = {0, len(rows)}

    def lay(first: int, last: int, cell: tuple[str, object]) -> None:
        if first < last:
            cells[first:last] = [cell] * (last - first)
            edges.update((first, last))

    for hours, location in working:  # rows wholly inside
        lay(bisect_left(starts, hours.start), bisect_right(starts, hours.end - ROW), (FREE, location))
    for off in time_off:  # rows touching it
        lay(bisect_right(starts, off.start - ROW), bisect_left(starts, off.end), (TIME_OFF, None))
    for start, end, appointment in sorted(appointments, key=lambda booked: booked[0], reverse=True):
        lay(bisect_right(starts, start - ROW), bisect_left(starts, end), (BOOKED, appointment))
    step_minutes = step // timedelta(minutes=1)
    blocks: list[Block] = []
    block = previous = None
    edges = sorted(edges)
    for first, last in zip(edges, edges[1:]):
        cell = cells[first]
        kind = cell[0]
        # A free time starts anew on each row of the step grid; an appointment goes by identity only (comparing
        # two by value would compare every field of the row).
        cuts = [first]
        if kind == FREE:
            cuts += [n for n in range(first + 1, last) if rows[n].minute % step_minutes == 0]
        goes_on = cell is previous or (kind != BOOKED and cell == previous)
        if goes_on and not (kind == FREE and rows[first].minute % step_minutes == 0):
            block.rows += (cuts[1] if len(cuts) > 1 else last) - first
            cuts = cuts[1:]
        for begin, until in zip(cuts, [*cuts[1:], last]):
            block = Block(kind, rows[begin], until - begin, cell[1])
            blocks.append(block)
        previous = cell
    return blocks


def _is_naive(moment: datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda iv: iv.start):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


@lru_cache(maxsize=512)
def _grid(day: date, tz: str, step: timedelta) -> tuple[datetime, ...]:
    """Every UTC moment of the local day whose wall-clock time is a whole number of steps after midnight.

    A time in the spring-forward gap does not exist and is left out; one in the repeated autumn hour
    exists twice and is in twice.
    """
    zone = localtime.zone(tz)
    midnight = datetime.combine(day, time(0))
    next_midnight = midnight + timedelta(days=1)
    moments = []
    wall = midnight
    while wall < next_midnight:
        first = zone.utcoffset(wall.replace(fold=0))
        second = zone.utcoffset(wall.replace(fold=1))
        if first == second:
            moments.append((wall - first).replace(tzinfo=UTC))
        elif first > second:  # repeated hour: both moments show this wall-clock time
            moments.append((wall - first).replace(tzinfo=UTC))
            moments.append((wall - second).replace(tzinfo=UTC))
        wall += step
    moments.sort()
    return tuple(moments)
