"""Free times from working hours, appointments and time off (the agenda's booking check and the public page), by hand and by property."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.availability import (
    BOOKED,
    CLOSED,
    FREE,
    ROW,
    TIME_OFF,
    Interval,
    WeeklyHours,
    fits_within,
    free_times,
    overlaps,
    subtract,
    day_blocks,
    grid_rows,
    working_intervals,
)

AMSTERDAM = "Europe/Amsterdam"
MONDAY = date(2026, 3, 2)
SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: 02:00 does not exist in Amsterdam
FALL_BACK = date(2026, 10, 25)  # a Sunday: 02:00-03:00 happens twice in Amsterdam
MINUTES = timedelta(minutes=1)


def at(day: date, hhmm: str, tz: str = AMSTERDAM, fold: int = 0) -> datetime:
    """A local wall-clock time as an aware UTC datetime."""
    wall = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=ZoneInfo(tz)).replace(fold=fold)
    return wall.astimezone(UTC)


def block(day: date, start: str, end: str, tz: str = AMSTERDAM) -> Interval:
    return Interval(at(day, start, tz), at(day, end, tz))


def hours(day: date, *blocks: tuple[str, str]) -> list[WeeklyHours]:
    return [
        WeeklyHours(day.weekday(), time.fromisoformat(start), time.fromisoformat(end))
        for start, end in blocks
    ]


def clock(moments: list[datetime], tz: str = AMSTERDAM) -> list[str]:
    return [m.astimezone(ZoneInfo(tz)).strftime("%H:%M") for m in moments]


# --- by hand ---------------------------------------------------------------------------------------


def test_free_times_skip_an_existing_appointment():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("09:00", "12:00")),
        busy=[block(MONDAY, "10:00", "10:30")],
        duration=30 * MINUTES,
        tz=AMSTERDAM,
        step=15 * MINUTES,
    )
    assert clock(times) == ["09:00", "09:15", "09:30", "10:30", "10:45", "11:00", "11:15", "11:30"]
    assert all(t.tzinfo is UTC for t in times)


def test_free_times_leave_out_the_lunch_break_between_two_blocks():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("13:00", "17:00"), ("08:00", "12:00")),
        busy=[],
        duration=60 * MINUTES,
        tz=AMSTERDAM,
        step=30 * MINUTES,
    )
    assert clock(times) == [
        "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00",
        "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00",
    ]  # fmt: skip


def test_time_off_for_the_whole_day_leaves_no_free_times():
    time_off = Interval(at(MONDAY, "00:00"), at(MONDAY + timedelta(days=1), "00:00"))
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("08:00", "12:00"), ("13:00", "17:00")),
        busy=[time_off],
        duration=30 * MINUTES,
        tz=AMSTERDAM,
    )
    assert times == []


def test_not_before_cuts_the_morning():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("09:00", "12:00")),
        busy=[],
        duration=30 * MINUTES,
        tz=AMSTERDAM,
        not_before=at(MONDAY, "10:10"),
    )
    assert clock(times) == ["10:15", "10:30", "10:45", "11:00", "11:15", "11:30"]


def test_not_before_on_a_slot_keeps_that_slot():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("09:00", "10:00")),
        busy=[],
        duration=30 * MINUTES,
        tz=AMSTERDAM,
        not_before=at(MONDAY, "09:15"),
    )
    assert clock(times) == ["09:15", "09:30"]


def test_a_duration_longer_than_any_gap_gives_no_times():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("09:00", "12:00")),
        busy=[block(MONDAY, "09:50", "10:10"), block(MONDAY, "11:00", "11:15")],
        duration=60 * MINUTES,
        tz=AMSTERDAM,
    )
    assert times == []


def test_an_appointment_ending_when_the_next_slot_starts_leaves_that_slot_free():
    times = free_times(
        MONDAY,
        hours=hours(MONDAY, ("09:00", "12:00")),
        busy=[block(MONDAY, "09:00", "10:00"), block(MONDAY, "11:00", "12:00")],
        duration=30 * MINUTES,
        tz=AMSTERDAM,
        step=30 * MINUTES,
    )
    assert clock(times) == ["10:00", "10:30"]


def test_working_hours_elsewhere_in_the_week_do_not_count():
    other_day = [WeeklyHours((MONDAY.weekday() + 1) % 7, time(9), time(12))]
    assert working_intervals(MONDAY, other_day, AMSTERDAM) == []
    times = free_times(MONDAY, hours=other_day, busy=[], duration=30 * MINUTES, tz=AMSTERDAM)
    assert times == []


def test_a_day_of_wall_clock_hours_is_nine_real_hours_on_the_spring_forward_sunday():
    (day,) = working_intervals(SPRING_FORWARD, hours(SPRING_FORWARD, ("08:00", "17:00")), AMSTERDAM)
    assert day.end - day.start == timedelta(hours=9)
    assert day.start == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 summer time
    times = free_times(
        SPRING_FORWARD,
        hours=hours(SPRING_FORWARD, ("08:00", "17:00")),
        busy=[],
        duration=60 * MINUTES,
        tz=AMSTERDAM,
        step=60 * MINUTES,
    )
    assert clock(times) == [f"{h:02}:00" for h in range(8, 17)]


def test_free_times_across_the_spring_forward_change_stay_on_the_wall_clock():
    rule = hours(SPRING_FORWARD, ("00:00", "06:00"))
    (night,) = working_intervals(SPRING_FORWARD, rule, AMSTERDAM)
    assert night.end - night.start == timedelta(hours=5)  # the clock skips 02:00-03:00
    times = free_times(
        SPRING_FORWARD, hours=rule, busy=[], duration=60 * MINUTES, tz=AMSTERDAM, step=60 * MINUTES
    )
    assert clock(times) == ["00:00", "01:00", "03:00", "04:00", "05:00"]


def test_free_times_across_the_fall_back_change_offer_the_repeated_hour_twice():
    rule = hours(FALL_BACK, ("00:00", "06:00"))
    (night,) = working_intervals(FALL_BACK, rule, AMSTERDAM)
    assert night.end - night.start == timedelta(hours=7)
    times = free_times(
        FALL_BACK, hours=rule, busy=[], duration=60 * MINUTES, tz=AMSTERDAM, step=60 * MINUTES
    )
    assert clock(times) == ["00:00", "01:00", "02:00", "02:00", "03:00", "04:00", "05:00"]
    assert times[2] == at(FALL_BACK, "02:00", fold=0)
    assert times[3] == at(FALL_BACK, "02:00", fold=1)


def test_working_hours_starting_inside_the_spring_forward_gap_start_at_the_changeover():
    (night,) = working_intervals(SPRING_FORWARD, hours(SPRING_FORWARD, ("02:30", "04:00")), AMSTERDAM)
    assert night == Interval(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), at(SPRING_FORWARD, "04:00"))


def test_working_intervals_merge_overlapping_and_touching_blocks():
    rule = hours(MONDAY, ("13:00", "15:00"), ("08:00", "10:00"), ("10:00", "12:00"), ("09:00", "11:00"))
    assert working_intervals(MONDAY, rule, AMSTERDAM) == [
        block(MONDAY, "08:00", "12:00"),
        block(MONDAY, "13:00", "15:00"),
    ]


def test_subtract_takes_unsorted_overlapping_busy_times():
    work = [block(MONDAY, "13:00", "17:00"), block(MONDAY, "08:00", "12:00")]
    busy = [
        block(MONDAY, "14:00", "15:00"),
        block(MONDAY, "11:30", "13:30"),
        block(MONDAY, "09:00", "10:00"),
        block(MONDAY, "09:30", "10:30"),
        block(MONDAY, "18:00", "19:00"),
    ]
    assert subtract(work, busy) == [
        block(MONDAY, "08:00", "09:00"),
        block(MONDAY, "10:30", "11:30"),
        block(MONDAY, "13:30", "14:00"),
        block(MONDAY, "15:00", "17:00"),
    ]


def test_touching_appointments_do_not_overlap():
    first = block(MONDAY, "09:00", "10:00")
    assert not overlaps(first, block(MONDAY, "10:00", "10:30"))
    assert not overlaps(block(MONDAY, "08:00", "09:00"), first)
    assert overlaps(first, block(MONDAY, "09:59", "10:30"))
    assert overlaps(first, block(MONDAY, "09:15", "09:30"))
    assert overlaps(block(MONDAY, "08:00", "11:00"), first)


def test_a_booking_fits_only_inside_one_block_of_working_hours():
    work = working_intervals(MONDAY, hours(MONDAY, ("08:00", "12:00"), ("13:00", "17:00")), AMSTERDAM)
    assert fits_within(block(MONDAY, "08:00", "12:00"), work)
    assert fits_within(block(MONDAY, "13:30", "14:00"), work)
    assert not fits_within(block(MONDAY, "11:30", "13:30"), work)
    assert not fits_within(block(MONDAY, "07:45", "08:15"), work)
    assert not fits_within(block(MONDAY, "16:45", "17:15"), work)
    assert not fits_within(block(MONDAY, "09:00", "09:30"), [])


def test_an_interval_needs_aware_times_in_order():
    with pytest.raises(ValueError):
        Interval(datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 10))
    with pytest.raises(ValueError):
        Interval(at(MONDAY, "10:00"), at(MONDAY, "10:00"))
    with pytest.raises(ValueError):
        Interval(at(MONDAY, "10:00"), at(MONDAY, "09:00"))


def test_weekly_hours_need_a_weekday_and_times_in_order():
    with pytest.raises(ValueError):
        WeeklyHours(7, time(9), time(12))
    with pytest.raises(ValueError):
        WeeklyHours(0, time(12), time(9))


def test_free_times_refuse_a_naive_not_before_and_empty_durations():
    rule = hours(MONDAY, ("09:00", "12:00"))
    with pytest.raises(ValueError):
        free_times(MONDAY, hours=rule, busy=[], duration=30 * MINUTES, tz=AMSTERDAM,
                   not_before=datetime(2026, 3, 2, 9))  # fmt: skip
    with pytest.raises(ValueError):
        free_times(MONDAY, hours=rule, busy=[], duration=timedelta(0), tz=AMSTERDAM)
    with pytest.raises(ValueError):
        free_times(MONDAY, hours=rule, busy=[], duration=30 * MINUTES, tz=AMSTERDAM, step=timedelta(0))


# --- properties ------------------------------------------------------------------------------------
# Every boundary below is a whole number of 5 minutes in UTC (the zones' offsets and changeovers are
# too), so checking every 5 minutes is exact for the brute-force comparison.

TICK = 5 * MINUTES
ZONES = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
CHANGEOVER_DAYS = [
    date(2026, 3, 29), date(2026, 10, 25),  # Europe
    date(2026, 3, 8), date(2026, 11, 1),  # United States
    date(2026, 4, 5), date(2026, 10, 4),  # Lord Howe Island, a half-hour shift
]  # fmt: skip
PROPERTIES = settings(max_examples=200)


def day_start(day: date, tz: str) -> datetime:
    """Some UTC moment safely before the local day starts, on the 5-minute grid."""
    return at(day, "00:00", tz) - timedelta(hours=2)


@st.composite
def agenda_days(draw):
    tz = draw(st.sampled_from(ZONES))
    day = draw(st.sampled_from(CHANGEOVER_DAYS) | st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    weekday = st.sampled_from([day.weekday()] * 4 + [(day.weekday() + 1) % 7])
    rule = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(0, 24 * 12 - 2))
        end = draw(st.integers(start + 1, 24 * 12 - 1))
        to_time = lambda ticks: time(ticks // 12, ticks % 12 * 5)  # noqa: E731
        rule.append(WeeklyHours(draw(weekday), to_time(start), to_time(end)))
    base = day_start(day, tz)
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        start = base + draw(st.integers(0, 30 * 12)) * TICK
        busy.append(Interval(start, start + draw(st.integers(1, 60)) * TICK))
    not_before = draw(st.none() | st.integers(0, 30 * 60).map(lambda m: base + m * MINUTES))
    return dict(
        day=day,
        hours=rule,
        busy=busy,
        duration=draw(st.integers(1, 36)) * TICK,
        tz=tz,
        step=draw(st.sampled_from([5, 10, 15, 20, 25, 30, 45, 60])) * MINUTES,
        not_before=not_before,
    )


@PROPERTIES
@given(agenda_days())
def test_every_free_time_lies_in_working_hours_and_overlaps_nothing_busy(agenda):
    work = working_intervals(agenda["day"], agenda["hours"], agenda["tz"])
    for start in free_times(**agenda):
        appointment = Interval(start, start + agenda["duration"])
        assert fits_within(appointment, work)
        assert not any(overlaps(appointment, other) for other in agenda["busy"])
        assert start.astimezone(ZoneInfo(agenda["tz"])).date() == agenda["day"]


@PROPERTIES
@given(agenda_days())
def test_no_free_time_starts_before_not_before(agenda):
    if agenda["not_before"] is not None:
        assert all(start >= agenda["not_before"] for start in free_times(**agenda))


@PROPERTIES
@given(agenda_days())
def test_free_times_are_sorted_and_unique(agenda):
    times = free_times(**agenda)
    assert times == sorted(set(times))


def free_times_by_brute_force(day, *, hours, busy, duration, tz, step, not_before):
    """Try every 5 minutes of the day: a start counts when its wall-clock time is on the step grid and
    every 5 minutes of the appointment is working time and not busy."""
    zone = ZoneInfo(tz)
    ticks = [day_start(day, tz) + i * TICK for i in range(30 * 12)]
    local = [tick.astimezone(zone) for tick in ticks]

    def first_tick_at(wall: time) -> datetime:  # when the clock first reads `wall` or later that day
        return next(t for t, lt in zip(ticks, local) if lt.date() == day and lt.time() >= wall)

    work = [(first_tick_at(h.start), first_tick_at(h.end)) for h in hours if h.weekday == day.weekday()]
    free = [
        any(start <= t < end for start, end in work) and not any(b.start <= t < b.end for b in busy)
        for t in ticks
    ]
    length = duration // TICK
    starts = []
    for i, (t, lt) in enumerate(zip(ticks, local)):
        on_grid = lt.date() == day and timedelta(hours=lt.hour, minutes=lt.minute) % step == timedelta(0)
        if on_grid and (not_before is None or t >= not_before) and all(free[i : i + length]):
            if i + length <= len(ticks):
                starts.append(t)
    return starts


@PROPERTIES
@given(agenda_days())
def test_free_times_match_trying_every_grid_point(agenda):
    assert free_times(**agenda) == free_times_by_brute_force(**agenda)


@PROPERTIES
@given(agenda_days())
def test_subtract_leaves_only_working_time_that_is_not_busy(agenda):
    work = working_intervals(agenda["day"], agenda["hours"], agenda["tz"])
    free = subtract(work, agenda["busy"])
    for piece in free:
        assert fits_within(piece, work)
        assert not any(overlaps(piece, other) for other in agenda["busy"])
    for earlier, later in zip(free, free[1:]):
        assert earlier.end < later.start


# --- the agenda's time grid --------------------------------------------------------------------------


def test_the_grid_shows_a_day_as_closed_free_booked_and_time_off_blocks():
    rows = grid_rows(MONDAY, 8 * 60, 12 * 60, AMSTERDAM)  # 08:00-12:00, five minutes a row
    assert len(rows) == 48 and rows[0].label == "08:00" and rows[-1].label == "11:55"
    blocks = day_blocks(rows, working=[(block(MONDAY, "09:00", "11:30"), 7)], time_off=[block(MONDAY, "10:30", "11:00")],
                        appointments=[(at(MONDAY, "09:20"), at(MONDAY, "09:40"), "Anna")], step=15 * MINUTES)
    shown = [(b.kind, b.row.label, b.rows * 5, b.what) for b in blocks]
    assert shown == [
        (CLOSED, "08:00", 60, None),
        (FREE, "09:00", 15, 7), (FREE, "09:15", 5, 7),  # a free time never crosses the 15-minute grid
        (BOOKED, "09:20", 20, "Anna"),
        (FREE, "09:40", 5, 7), (FREE, "09:45", 15, 7), (FREE, "10:00", 15, 7), (FREE, "10:15", 15, 7),
        (TIME_OFF, "10:30", 30, None),
        (FREE, "11:00", 15, 7), (FREE, "11:15", 15, 7),
        (CLOSED, "11:30", 30, None),
    ]
    assert [b.location_id for b in blocks[1:3]] == [7, 7] and blocks[3].appointment == "Anna"


def test_a_grid_day_keeps_its_wall_clock_rows_when_the_clocks_change():
    for day in (SPRING_FORWARD, FALL_BACK, MONDAY):
        rows = grid_rows(day, 0, 24 * 60, AMSTERDAM)
        assert len(rows) == 24 * 12 and rows[30].label == "02:30"
    spring = grid_rows(SPRING_FORWARD, 0, 24 * 60, AMSTERDAM)
    assert spring[30].start == spring[36].start == at(SPRING_FORWARD, "03:00")  # 02:30 does not exist


@PROPERTIES
@given(agenda_days(), st.integers(0, 6))
def test_grid_blocks_cover_every_row_as_its_own_time_says(agenda, time_off_count):
    """Each row is booked if an appointment touches it (the earliest such), else time off if time off touches it,
    else free if it lies wholly in working time, else closed; free blocks are cut on the step grid, and blocks
    are otherwise as long as they can be."""
    day, tz, step = agenda["day"], agenda["tz"], agenda["step"]
    rows = grid_rows(day, 0, 24 * 60, tz)
    working = [(interval, n % 2) for n, interval in enumerate(working_intervals(day, agenda["hours"], tz))]
    busy = agenda["busy"]
    time_off, appointments = busy[:time_off_count], list(enumerate(busy[time_off_count:]))
    blocks = day_blocks(rows, working=working, time_off=time_off, step=step,
                        appointments=[(interval.start, interval.end, n) for n, interval in appointments])
    assert sum(b.rows for b in blocks) == len(rows)
    per_row = [(b.kind, b.what) for b in blocks for _ in range(b.rows)]
    for row, (kind, what) in zip(rows, per_row):
        here = Interval(row.start, row.start + ROW)
        touching = [(interval.start, n) for n, interval in appointments if overlaps(interval, here)]
        if touching:
            assert kind == BOOKED and (busy[time_off_count + what].start, what) in touching
            assert busy[time_off_count + what].start == min(touching)[0]
        elif any(overlaps(off, here) for off in time_off):
            assert kind == TIME_OFF
        elif any(fits_within(here, [interval]) for interval, _ in working):
            assert kind == FREE and fits_within(here, [i for i, place in working if place == what])
        else:
            assert kind == CLOSED
    step_minutes = step // MINUTES
    for before, after in zip(blocks, blocks[1:]):
        if (before.kind, before.what) == (after.kind, after.what):
            assert after.kind == FREE and after.row.minute % step_minutes == 0
    for free in (b for b in blocks if b.kind == FREE):
        first = rows.index(free.row)
        assert all(row.minute % step_minutes for row in rows[first + 1:first + free.rows])
