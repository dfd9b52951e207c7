"""When reminders go out (practice.schedule), by hand-checked dates and by property."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.schedule import (
    DEFAULT_RULES,
    ReminderRule,
    is_working_day,
    reminder_moments,
    send_moment,
)

AMSTERDAM = "Europe/Amsterdam"
BERLIN = "Europe/Berlin"
LAST_WORKING_DAY_9 = ReminderRule(kind="last_working_day", at=time(9, 0))
TWO_DAYS_BEFORE_7 = ReminderRule(kind="days_before", days=2, at=time(7, 0))
THREE_HOURS_BEFORE = ReminderRule(kind="hours_before", hours=3)


def local(day: date, hhmm: str, tz: str = AMSTERDAM, fold: int = 0) -> datetime:
    """A local wall-clock time as an aware datetime in that zone."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=ZoneInfo(tz)).replace(fold=fold)


def utc(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=UTC)


def nl(start: datetime, rule: ReminderRule) -> datetime:
    return send_moment(start, rule, tz=AMSTERDAM, country="NL")


def holiday_name(day: date, country: str, subdivision: str | None = None) -> str | None:
    """Straight from the library, so each example below states the holidays it relies on."""
    return holidays.country_holidays(country, subdiv=subdivision, years=day.year).get(day)


# --- last working day -------------------------------------------------------------------------


def test_a_monday_appointment_is_reminded_on_the_friday_before():
    moment = nl(local(date(2026, 11, 30), "10:00"), LAST_WORKING_DAY_9)
    assert moment == local(date(2026, 11, 27), "09:00")
    assert moment == utc(date(2026, 11, 27), "08:00")


@pytest.mark.parametrize("appointment_day", [date(2026, 11, 28), date(2026, 11, 29)], ids=["saturday", "sunday"])
def test_weekend_appointments_are_reminded_on_the_same_friday(appointment_day):
    assert nl(local(appointment_day, "10:00"), LAST_WORKING_DAY_9) == local(date(2026, 11, 27), "09:00")


def test_an_appointment_after_kings_day_is_reminded_on_the_friday_before_it():
    assert holiday_name(date(2026, 4, 27), "NL") == "King's Day"  # a Monday
    assert nl(local(date(2026, 4, 28), "10:00"), LAST_WORKING_DAY_9) == local(date(2026, 4, 24), "09:00")


def test_an_appointment_after_christmas_is_reminded_on_christmas_eve():
    assert holiday_name(date(2026, 12, 25), "NL") is not None  # Friday
    assert holiday_name(date(2026, 12, 26), "NL") is not None  # Saturday
    assert holiday_name(date(2026, 12, 24), "NL") is None
    assert nl(local(date(2026, 12, 28), "10:00"), LAST_WORKING_DAY_9) == local(date(2026, 12, 24), "09:00")


def test_the_last_working_day_can_be_in_the_previous_year():
    assert holiday_name(date(2027, 1, 1), "NL") is not None  # a Friday
    assert nl(local(date(2027, 1, 2), "10:00"), LAST_WORKING_DAY_9) == local(date(2026, 12, 31), "09:00")


def test_a_holiday_of_one_german_land_only_moves_the_reminder_there_only():
    corpus_christi = date(2026, 6, 4)  # a Thursday
    assert holiday_name(corpus_christi, "DE", "BY") == "Corpus Christi"
    assert holiday_name(corpus_christi, "DE", "HH") is None
    friday = local(date(2026, 6, 5), "10:00", BERLIN)

    bavaria = send_moment(friday, LAST_WORKING_DAY_9, tz=BERLIN, country="DE", subdivision="BY")
    hamburg = send_moment(friday, LAST_WORKING_DAY_9, tz=BERLIN, country="DE", subdivision="HH")

    assert bavaria == local(date(2026, 6, 3), "09:00", BERLIN)
    assert hamburg == local(date(2026, 6, 4), "09:00", BERLIN)


def test_the_appointment_day_is_the_practices_local_day_not_the_utc_day():
    start = utc(date(2026, 11, 30), "23:30")  # Monday in UTC, Tuesday 00:30 in Amsterdam
    assert nl(start, LAST_WORKING_DAY_9) == local(date(2026, 11, 30), "09:00")


def test_working_days_are_weekdays_that_are_not_public_holidays():
    assert is_working_day(date(2026, 11, 27), country="NL")  # Friday
    assert not is_working_day(date(2026, 11, 28), country="NL")  # Saturday
    assert not is_working_day(date(2026, 4, 27), country="NL")  # King's Day
    assert not is_working_day(date(2026, 6, 4), country="DE", subdivision="BY")
    assert is_working_day(date(2026, 6, 4), country="DE", subdivision="HH")


def test_an_unknown_country_or_region_is_refused():
    with pytest.raises(ValueError, match="holiday calendar"):
        is_working_day(date(2026, 11, 27), country="XX")
    with pytest.raises(ValueError, match="holiday calendar"):
        is_working_day(date(2026, 11, 27), country="DE", subdivision="ZZ")


def test_is_working_day_wants_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 27, 9, tzinfo=UTC), country="NL")


# --- days before -------------------------------------------------------------------------------


def test_two_days_before_a_monday_is_the_saturday_and_holidays_are_not_skipped():
    assert nl(local(date(2026, 4, 29), "10:00"), TWO_DAYS_BEFORE_7) == local(date(2026, 4, 27), "07:00")


def test_days_before_just_before_daylight_saving_time_ends_is_still_summer_time():
    # DST ends Sunday 2026-10-25: Saturday 07:00 is CEST (UTC+2).
    moment = nl(local(date(2026, 10, 26), "10:00"), TWO_DAYS_BEFORE_7)
    assert moment == utc(date(2026, 10, 24), "05:00")
    assert moment.astimezone(ZoneInfo(AMSTERDAM)).replace(tzinfo=None) == datetime(2026, 10, 24, 7, 0)


def test_days_before_on_the_day_daylight_saving_time_ends_is_winter_time():
    moment = nl(local(date(2026, 10, 27), "10:00"), TWO_DAYS_BEFORE_7)
    assert moment == utc(date(2026, 10, 25), "06:00")
    assert moment.astimezone(ZoneInfo(AMSTERDAM)).replace(tzinfo=None) == datetime(2026, 10, 25, 7, 0)


def test_days_before_across_the_start_of_daylight_saving_time():
    # DST starts Sunday 2026-03-29: Saturday 07:00 is CET (UTC+1), Sunday 07:00 is CEST (UTC+2).
    assert nl(local(date(2026, 3, 30), "10:00"), TWO_DAYS_BEFORE_7) == utc(date(2026, 3, 28), "06:00")
    assert nl(local(date(2026, 3, 31), "10:00"), TWO_DAYS_BEFORE_7) == utc(date(2026, 3, 29), "05:00")


def test_a_time_in_the_spring_forward_gap_goes_out_at_the_changeover():
    in_the_gap = ReminderRule(kind="days_before", days=2, at=time(2, 30))
    moment = nl(local(date(2026, 3, 31), "10:00"), in_the_gap)
    assert moment == utc(date(2026, 3, 29), "01:00")
    assert moment.astimezone(ZoneInfo(AMSTERDAM)).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)


def test_a_time_in_the_repeated_autumn_hour_goes_out_at_its_first_occurrence():
    repeated = ReminderRule(kind="days_before", days=1, at=time(2, 30))
    assert nl(local(date(2026, 10, 26), "10:00"), repeated) == utc(date(2026, 10, 25), "00:30")  # CEST


# --- hours before ------------------------------------------------------------------------------


def test_hours_before_counts_elapsed_hours_across_the_end_of_daylight_saving_time():
    start = local(date(2026, 10, 25), "04:00")  # after falling back: CET, 03:00 UTC
    assert start.astimezone(UTC) == utc(date(2026, 10, 25), "03:00")
    moment = nl(start, THREE_HOURS_BEFORE)
    assert moment == utc(date(2026, 10, 25), "00:00")  # 02:00 CEST, not wall-clock 01:00
    assert start.astimezone(UTC) - moment == timedelta(hours=3)


def test_hours_before_counts_elapsed_hours_across_the_start_of_daylight_saving_time():
    start = local(date(2026, 3, 29), "04:00")  # CEST, 02:00 UTC
    assert nl(start, THREE_HOURS_BEFORE) == utc(date(2026, 3, 28), "23:00")  # 00:00 CET, not 01:00


# --- several rules, defaults, refusals ---------------------------------------------------------


def test_reminder_moments_gives_one_moment_per_rule_in_rule_order():
    start = local(date(2026, 11, 30), "10:00")
    rules = [THREE_HOURS_BEFORE, LAST_WORKING_DAY_9, TWO_DAYS_BEFORE_7]
    assert reminder_moments(start, rules, tz=AMSTERDAM, country="NL") == [
        local(date(2026, 11, 30), "07:00"),
        local(date(2026, 11, 27), "09:00"),
        local(date(2026, 11, 28), "07:00"),
    ]
    assert reminder_moments(start, [], tz=AMSTERDAM, country="NL") == []


def test_the_default_is_two_days_before_at_seven():
    assert DEFAULT_RULES == (ReminderRule(kind="days_before", days=2, at=time(7, 0)),)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        send_moment(datetime(2026, 11, 30, 10), LAST_WORKING_DAY_9, tz=AMSTERDAM, country="NL")


@pytest.mark.parametrize(
    "fields",
    [
        dict(kind="weeks_before", days=1, at=time(7)),
        dict(kind="days_before", days=0, at=time(7)),
        dict(kind="days_before", days=15, at=time(7)),
        dict(kind="days_before", days=2),
        dict(kind="days_before", days=2, hours=1, at=time(7)),
        dict(kind="last_working_day"),
        dict(kind="last_working_day", days=1, at=time(9)),
        dict(kind="hours_before"),
        dict(kind="hours_before", hours=73),
        dict(kind="hours_before", hours=-3),
        dict(kind="hours_before", hours=3, at=time(9)),
        dict(kind="hours_before", hours=True),
        dict(kind="days_before", days=2, at=time(7, 0, 30)),
        dict(kind="days_before", days=2, at=time(7, tzinfo=UTC)),
    ],
)
def test_bad_rules_are_refused(fields):
    with pytest.raises(ValueError):
        ReminderRule(**fields)


@pytest.mark.parametrize(
    "rule, text",
    [
        (TWO_DAYS_BEFORE_7, "days_before:2@07:00"),
        (LAST_WORKING_DAY_9, "last_working_day@09:00"),
        (THREE_HOURS_BEFORE, "hours_before:3"),
        (ReminderRule(kind="days_before", days=14, at=time(23, 59)), "days_before:14@23:59"),
    ],
)
def test_rules_round_trip_through_their_text_form(rule, text):
    assert rule.to_text() == text
    assert ReminderRule.from_text(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "",
        "days_before",
        "days_before:2",
        "days_before:02@07:00",
        "days_before:2@7:00",
        "days_before:2@24:00",
        "days_before:15@07:00",
        "days_before:2@07:00 ",
        "last_working_day",
        "last_working_day:1@09:00",
        "hours_before:0",
        "hours_before:3@09:00",
        "hours_before:-3",
        "weeks_before:1@07:00",
        "DAYS_BEFORE:2@07:00",
    ],
)
def test_malformed_text_is_refused(text):
    with pytest.raises(ValueError):
        ReminderRule.from_text(text)


# --- properties --------------------------------------------------------------------------------

ZONES = {  # zone -> (country, subdivisions to try)
    "Europe/Amsterdam": ("NL", [None]),
    "Europe/Berlin": ("DE", [None, "BY", "HH"]),
    "Europe/Brussels": ("BE", [None]),
    "America/New_York": ("US", [None, "NY"]),
}
minutes = st.builds(time, st.integers(0, 23), st.integers(0, 59))
rules = st.one_of(
    st.builds(ReminderRule, kind=st.just("days_before"), days=st.integers(1, 14), at=minutes),
    st.builds(ReminderRule, kind=st.just("last_working_day"), at=minutes),
    st.builds(ReminderRule, kind=st.just("hours_before"), hours=st.integers(1, 72)),
)


def dst_changes(tz: str) -> list[date]:
    """The days in 2025-2028 on which the zone changes its clocks."""
    zone, day, found = ZoneInfo(tz), date(2025, 1, 1), []
    while day.year < 2029:
        if datetime.combine(day, time(0), zone).utcoffset() != datetime.combine(day, time(23), zone).utcoffset():
            found.append(day)
        day += timedelta(days=1)
    return found


DST_CHANGES = {tz: dst_changes(tz) for tz in ZONES}


@st.composite
def places_and_starts(draw):
    """Starts anywhere in 2025-2028, a third of them up to 15 days after a clock change (gaps, folds)."""
    tz = draw(st.sampled_from(sorted(ZONES)))
    country, subdivisions = ZONES[tz]
    if draw(st.integers(0, 2)) == 0:
        change = draw(st.sampled_from(DST_CHANGES[tz]))
        day = change + timedelta(days=draw(st.integers(0, 15)))
        wall = datetime.combine(day, draw(minutes))
        start = wall.replace(tzinfo=ZoneInfo(tz), fold=draw(st.integers(0, 1)))
    else:
        start = draw(
            st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31, 23, 59), timezones=st.just(ZoneInfo(tz)))
        )
    return tz, country, draw(st.sampled_from(subdivisions)), start


def in_gap(day: date, at: time, zone: ZoneInfo) -> bool:
    wall = datetime.combine(day, at, tzinfo=zone)
    return wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None)


@settings(max_examples=400)
@given(places_and_starts(), rules)
def test_every_moment_obeys_its_rule(place_and_start, rule):
    tz, country, subdivision, start = place_and_start
    zone = ZoneInfo(tz)
    moment = send_moment(start, rule, tz=tz, country=country, subdivision=subdivision)

    assert moment.tzinfo is UTC
    # The zone the start is expressed in does not matter, only the instant.
    assert send_moment(start.astimezone(UTC), rule, tz=tz, country=country, subdivision=subdivision) == moment

    appointment_day = start.astimezone(zone).date()
    sent = moment.astimezone(zone)
    if rule.kind == "hours_before":
        assert start.astimezone(UTC) - moment == timedelta(hours=rule.hours)
        return

    assert moment < start
    if rule.kind == "days_before":
        assert sent.date() == appointment_day - timedelta(days=rule.days)
        if in_gap(sent.date(), rule.at, zone):
            assert sent.time() > rule.at
            assert (moment - timedelta(microseconds=1)).astimezone(zone).utcoffset() != sent.utcoffset()
        else:
            assert sent.time() == rule.at
            assert sent.fold == 0
    else:
        assert sent.time() == rule.at
        assert sent.date() < appointment_day
        assert is_working_day(sent.date(), country=country, subdivision=subdivision)
        assert sent.weekday() < 5 and holiday_name(sent.date(), country, subdivision) is None
        between = sent.date() + timedelta(days=1)
        while between < appointment_day:
            assert not is_working_day(between, country=country, subdivision=subdivision)
            assert between.weekday() >= 5 or holiday_name(between, country, subdivision) is not None
            between += timedelta(days=1)


@settings(max_examples=200)
@given(rules)
def test_every_rule_round_trips_through_text(rule):
    assert ReminderRule.from_text(rule.to_text()) == rule
