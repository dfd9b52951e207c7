"""Local time for the practice: wall clock to UTC with one rule for the hours the clocks skip or repeat, the bounds
of local days, weeks and months, and a moment written in a language's pattern. Everything stored is UTC; everything
shown is local (this module is the way between). Pure: dates, wall times and aware datetimes in and out, no
framework (Babel's calendar data for the patterns and names)."""
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimeFormat, tokenize_pattern


# The days the app accepts anywhere: far enough for any appointment, birth date or report, and far from the ends of
# Python's calendar, where a time zone's offset or a week's arithmetic would overflow.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def within_calendar(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def parse_day(text: str) -> date:
    """An ISO date (2026-12-07) within the app's calendar; ValueError otherwise."""
    day = date.fromisoformat(text)
    if not within_calendar(day):
        raise ValueError(f"{day} lies outside {FIRST_DAY} to {LAST_DAY}")
    return day


def parse_moment(text: str) -> datetime:
    """An aware ISO moment (2026-12-07T10:00:00+01:00) within the app's calendar, in UTC; ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or not FIRST_DAY < moment.date() < LAST_DAY:
        raise ValueError(f"{text!r} is not an aware moment within the calendar")
    return moment.astimezone(UTC)


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def first_moment_at(wall: datetime, tz: str) -> datetime:
    """The first UTC moment at which the local clock reads `wall` (naive) or later.

    The one rule for the changes of the clocks: in the repeated autumn hour, the first occurrence (fold=0); in the
    spring gap, where the clock never shows `wall`, the changeover itself (02:30 on the spring-forward day becomes
    03:00 local). PEP 495: fold=0 reads a wall time with the offset before a change, fold=1 with the one after.
    """
    place = zone(tz)
    before, after = place.utcoffset(wall.replace(fold=0)), place.utcoffset(wall.replace(fold=1))
    if before >= after:  # normal time, or the repeated hour
        return (wall - before).replace(tzinfo=UTC)
    # In the gap: the changeover lies in (wall - after, wall - before]. The rules change on whole seconds.
    low, high = (wall - after).replace(tzinfo=UTC), (wall - before).replace(tzinfo=UTC)
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=(high - low) // timedelta(seconds=2))
        if middle.astimezone(place).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def utc_moment(day: date, at: time, tz: str) -> datetime:
    """The UTC moment a local date and wall time name, by the rule of first_moment_at."""
    return first_moment_at(datetime.combine(day, at), tz)


def exists(day: date, at: time, tz: str) -> bool:
    """Whether the local clock shows `at` on `day` at all (not in the spring gap)."""
    return local(utc_moment(day, at, tz), tz).replace(tzinfo=None) == datetime.combine(day, at)


def local(moment: datetime, tz: str) -> datetime:
    """An aware moment as the practice's wall clock shows it."""
    return moment.astimezone(zone(tz))


def clock(wall: datetime | time) -> str:
    """HH:MM of a wall-clock time: the same in every language."""
    return f"{wall.hour:02d}:{wall.minute:02d}"


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()


def today(now: datetime, tz: str) -> date:
    return local_date(now, tz)


def midnight(day: date, tz: str) -> datetime:
    """The UTC moment a local day begins."""
    return first_moment_at(datetime.combine(day, time(0)), tz)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Where a local day begins and ends in UTC (23 or 25 hours apart on the days the clocks change)."""
    return midnight(day, tz), midnight(day + timedelta(days=1), tz)


def days_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """From the start of the local day `first` to the end of `last`."""
    return midnight(first, tz), midnight(last + timedelta(days=1), tz)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> list[date]:
    """Monday to Sunday of `day`'s week."""
    monday = monday_of(day)
    return [monday + timedelta(days=n) for n in range(7)]


def add_months(day: date, count: int) -> date:
    """The first day of the month `count` months after `day`'s (before it, for a negative count)."""
    year, month = divmod(day.year * 12 + day.month - 1 + count, 12)
    return date(year, month + 1, 1)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier, or the month's last day where it is shorter (31 March -> 28 or
    29 February)."""
    first = add_months(day, -months)
    last = add_months(first, 1) - timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def month_starts(first: date, last: date) -> list[date]:
    """The first days of every month from `first`'s month to `last`'s month."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = add_months(day, 1)
    return months


def month_end(first_day: date, tz: str) -> datetime:
    """The UTC moment the local month beginning on `first_day` ends."""
    return midnight(add_months(first_day, 1), tz)


_NUMBERS = {"d": "day", "M": "month", "L": "month", "H": "hour", "m": "minute", "s": "second"}
_WEEKDAYS = (datetime.weekday, [datetime(2001, 1, 1) + timedelta(days=n) for n in range(7)])  # a Monday first
_MONTHS = (lambda moment: moment.month, [datetime(2001, month, 1) for month in range(1, 13)])
# A field written as a name: which part of the moment chooses it, and moments that show every name.
_NAMES = {"E": _WEEKDAYS, "c": _WEEKDAYS, "M": _MONTHS, "L": _MONTHS,
          "a": (lambda moment: moment.hour >= 12, [datetime(2001, 1, 1, 1), datetime(2001, 1, 1, 13)])}


NAMED_FORMATS = ("short", "medium", "long", "full")  # a locale's own patterns; any other format is a pattern


def datetime_pattern(fmt: str, locale: Locale) -> str:
    """The CLDR pattern of a date and time: a named format (short, medium, long, full) is the locale's date and time
    patterns put into its pattern for both; any other `fmt` is a pattern already."""
    if fmt not in NAMED_FORMATS:
        return fmt
    return (locale.datetime_formats[fmt].replace("{0}", locale.time_formats[fmt].pattern)
            .replace("{1}", locale.date_formats[fmt].pattern))


def date_pattern(fmt: str, locale: Locale) -> str:
    """The CLDR pattern of a date: a named format's in the locale, or `fmt` itself."""
    return locale.date_formats[fmt].pattern if fmt in NAMED_FORMATS else fmt


@lru_cache(maxsize=256)
def moment_writer(pattern: str, locale: Locale) -> Callable[[datetime], str] | None:
    """A function that writes a datetime as Babel writes it with the CLDR `pattern` in `locale`, put together once:
    the numbers go straight into one format string, and the names of weekdays, months and am/pm come from tables that
    Babel itself filled. Babel works every field of every moment out anew, and the message log and the dashboard
    write dozens per page. None for a pattern with a field this does not know (a time zone, a week number)."""
    pieces, names = [], []  # str.format fields: {0} the moment, {1} its year in two digits, {2} its 12-hour clock
    for kind, value in tokenize_pattern(pattern):
        if kind == "chars":
            pieces.append(value.replace("{", "{{").replace("}", "}}"))
            continue
        char, width = value
        if char in _NAMES and (width >= 3 or char in "Ea"):
            choose, moments = _NAMES[char]
            names.append((choose, {choose(moment): DateTimeFormat(moment, locale)[char * width] for moment in moments}))
            pieces.append(f"{{{2 + len(names)}}}")
        elif char in _NUMBERS:
            pieces.append(f"{{0.{_NUMBERS[char]}:0{width}d}}")
        elif char == "y":
            pieces.append("{1:02d}" if width == 2 else f"{{0.year:0{width}d}}")
        elif char == "h":
            pieces.append(f"{{2:0{width}d}}")
        else:
            return None
    template = "".join(pieces)

    def write(moment: datetime) -> str:
        return template.format(moment, moment.year % 100, moment.hour % 12 or 12,
                               *[table[choose(moment)] for choose, table in names])
    return write
