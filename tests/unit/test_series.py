"""The days of a treatment series and the nearest alternative: the rhythm's arithmetic, examples and properties."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from practice.series import MOST, Rhythm, nearest, series_days

MONDAY = date(2026, 12, 7)


def test_nine_treatments_twice_a_week_on_monday_and_thursday():
    days = series_days(MONDAY, Rhythm(every=1, weekly=True, weekdays=frozenset({0, 3}), count=9))
    assert [day.isoformat() for day in days] == [
        "2026-12-07", "2026-12-10", "2026-12-14", "2026-12-17", "2026-12-21", "2026-12-24", "2026-12-28",
        "2026-12-31", "2027-01-04"]


def test_a_first_day_after_a_chosen_weekday_starts_with_the_next_one():
    days = series_days(MONDAY + timedelta(days=1), Rhythm(every=2, weekly=True, weekdays=frozenset({0, 1}), count=3))
    assert days == [date(2026, 12, 8), date(2026, 12, 21), date(2026, 12, 22)]


def test_every_ten_days_up_to_an_end_date_includes_the_end_date():
    assert series_days(MONDAY, Rhythm(every=10, weekly=False, until=date(2026, 12, 27))) == [
        MONDAY, date(2026, 12, 17), date(2026, 12, 27)]


def test_a_rhythm_needs_a_count_or_an_end_date_and_a_step():
    with pytest.raises(ValueError):
        Rhythm(every=1, weekly=True)
    with pytest.raises(ValueError):
        Rhythm(every=0, weekly=False, count=3)


def test_the_nearest_day_first_then_the_nearest_time_of_day_and_the_later_of_two_as_near():
    wanted = datetime(2026, 12, 7, 10)
    assert nearest(wanted, [wanted - timedelta(hours=1), wanted + timedelta(hours=1)]) == wanted + timedelta(hours=1)
    the_day_before = [wanted - timedelta(hours=17, minutes=30), wanted - timedelta(days=1)]  # 16:30 or 10:00
    assert nearest(wanted, the_day_before) == wanted - timedelta(days=1)
    assert nearest(wanted, [wanted + timedelta(days=2), wanted - timedelta(days=1, hours=3)]) == wanted - timedelta(
        days=1, hours=3)
    assert nearest(wanted, []) is None


@given(first=st.dates(date(2024, 1, 1), date(2030, 12, 31)), every=st.integers(1, 6), weekly=st.booleans(),
       weekdays=st.frozensets(st.integers(0, 6), max_size=7), count=st.integers(1, 80))
def test_a_series_has_its_count_on_its_weekdays_in_order_from_the_first_day(first, every, weekly, weekdays, count):
    days = series_days(first, Rhythm(every=every, weekly=weekly, weekdays=weekdays, count=count))
    assert len(days) == min(count, MOST)
    assert days == sorted(set(days)) and days[0] >= first
    if weekly:
        assert {day.weekday() for day in days} <= (weekdays or {first.weekday()})
        weeks = {(day - first + timedelta(days=first.weekday())).days // 7 for day in days}
        assert all(week % every == 0 for week in weeks)
    else:
        assert days[0] == first and all((b - a).days == every for a, b in zip(days, days[1:]))


@given(first=st.dates(date(2024, 1, 1), date(2030, 12, 31)), every=st.integers(1, 6), length=st.integers(0, 400))
def test_a_series_up_to_a_day_never_passes_it(first, every, length):
    until = first + timedelta(days=length)
    days = series_days(first, Rhythm(every=every, weekly=False, until=until))
    assert days and all(first <= day <= until for day in days)
    assert len(days) == min(length // every + 1, MOST)
