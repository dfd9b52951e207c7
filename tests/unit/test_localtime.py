"""One rule for local time: wall clock to UTC across the changes of the clocks, and the bounds of days, weeks and
months that every part of the app (agenda, reminders, free times, log, usage, dashboard) takes from here."""
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from babel import Locale
from babel.dates import parse_pattern
from hypothesis import example, given, strategies as st

from practice import localtime
from practice.availability import WeeklyHours, working_intervals
from practice.schedule import ReminderRule, send_moment

TZ = "Europe/Amsterdam"
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # the clocks go forward at 02:00, back at 03:00


def test_a_wall_time_in_the_spring_gap_is_the_changeover():
    assert localtime.utc_moment(SPRING, time(2, 30), TZ) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert not localtime.exists(SPRING, time(2, 30), TZ) and localtime.exists(SPRING, time(3, 0), TZ)


def test_a_wall_time_in_the_repeated_autumn_hour_is_its_first_occurrence():
    assert localtime.utc_moment(AUTUMN, time(2, 30), TZ) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST
    assert localtime.exists(AUTUMN, time(2, 30), TZ)


def test_days_are_23_or_25_hours_long_when_the_clocks_change():
    for day, hours in ((SPRING, 23), (AUTUMN, 25), (date(2026, 6, 1), 24)):
        start, end = localtime.day_bounds(day, TZ)
        assert end - start == timedelta(hours=hours)
        assert localtime.local(start, TZ).time() == time(0)


def test_reminders_and_working_hours_read_a_skipped_time_the_same_way():
    """Both ask localtime: a reminder at 02:30 on the spring day and a block starting 02:30 begin at the jump."""
    monday_after = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    reminder = send_moment(monday_after, ReminderRule("days_before", days=1, at=time(2, 30)), tz=TZ, country="NL")
    [block] = working_intervals(SPRING, [WeeklyHours(SPRING.weekday(), time(2, 30), time(4))], TZ)
    assert reminder == block.start == localtime.utc_moment(SPRING, time(2, 30), TZ)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-2400, 2400))
def test_adding_months_lands_on_the_first_of_the_right_month(day, count):
    result = localtime.add_months(day, count)
    assert result.day == 1
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == count


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 40))
def test_month_starts_cover_every_month_once(first, months):
    last = localtime.add_months(first, months) + timedelta(days=3)
    starts = localtime.month_starts(first, last)
    assert len(starts) == months + 1 and starts[0] == first.replace(day=1)
    assert all(localtime.add_months(a, 1) == b for a, b in zip(starts, starts[1:]))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_moment_falls_inside_its_local_day(naive):
    moment = naive.replace(tzinfo=UTC)
    start, end = localtime.day_bounds(localtime.local_date(moment, TZ), TZ)
    assert start <= moment < end


# Every pattern the pages write moments with: the named formats in each language, and the templates' own (the test
# below checks that this list has them all).
PATTERNS = sorted({localtime.datetime_pattern(name, Locale.parse(language)) for language in ("nl", "de", "fr", "en")
                   for name in localtime.NAMED_FORMATS}
                  | {localtime.date_pattern(name, Locale.parse(language)) for language in ("nl", "de", "fr", "en")
                     for name in localtime.NAMED_FORMATS}
                  | {"EEE d MMM, HH:mm", "d MMM, HH:mm", "EEEE d MMMM y", "EEEE d MMMM", "EEE d MMM",
                     "h:mm a 'on' EEEE", "{y}", "EEE d MMM y", "LLL", "LLLL yyyy", "d MMM", "d MMMM yyyy"})


def test_the_patterns_tested_are_every_pattern_a_template_writes_with():
    templates = Path(__file__).parents[2] / "templates"
    used = {match for path in templates.rglob("*.html")
            for match in re.findall(r"\|(?:datetime|date)\('([^']*)'\)", path.read_text())}
    assert used - set(localtime.NAMED_FORMATS) <= set(PATTERNS)


@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
       language=st.sampled_from(["nl", "de", "fr", "en"]), pattern=st.sampled_from(PATTERNS))
@example(moment=datetime(2026, 12, 7, 0, 5), language="en", pattern="h:mm a 'on' EEEE")  # 12:05 AM
@example(moment=datetime(2026, 12, 7, 12, 5), language="en", pattern="h:mm a 'on' EEEE")  # 12:05 PM
def test_a_moment_is_written_exactly_as_babel_writes_it(moment, language, pattern):
    locale = Locale.parse(language)
    write = localtime.moment_writer(pattern, locale)
    if write is None:  # a field it leaves to Babel: the long and full formats' time zone
        assert "z" in pattern
    else:
        assert write(moment) == parse_pattern(pattern).apply(moment, locale)
