"""Treatment series: the days of a rhythm (every N days, or every N weeks on chosen weekdays) from a first day up to
a count or a last day, and the nearest free alternative for a time that collides. Pure: dates and times in, out."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

MOST = 40  # appointments in one series (their dates must fit in one SMS of ten segments)


@dataclass(frozen=True)
class Rhythm:
    """Every `every` days, or every `every` weeks on `weekdays` (Monday 0; none: the first day's), `count` times or
    up to and including `until` (at most MOST either way)."""

    every: int
    weekly: bool
    weekdays: frozenset[int] = frozenset()
    count: int | None = None
    until: date | None = None

    def __post_init__(self):
        if self.every < 1:
            raise ValueError("every must be 1 or more")
        if (self.count is None) == (self.until is None):
            raise ValueError("give a count or an end date")


def series_days(first: date, rhythm: Rhythm) -> list[date]:
    """The days of the series, the first one included, in order."""
    limit = min(rhythm.count or MOST, MOST)
    days = []
    for day in _candidates(first, rhythm):
        if len(days) == limit or (rhythm.until and day > rhythm.until):
            break
        days.append(day)
    return days


def _candidates(first: date, rhythm: Rhythm):
    if not rhythm.weekly:
        for n in range(MOST):
            yield first + timedelta(days=n * rhythm.every)
        return
    weekdays = sorted(rhythm.weekdays or {first.weekday()})
    monday = first - timedelta(days=first.weekday())
    for week in range(MOST + 1):  # the first week may hold none of the weekdays after the first day
        for weekday in weekdays:
            day = monday + timedelta(days=7 * week * rhythm.every + weekday)
            if day >= first:
                yield day


def nearest(wanted: datetime, free: list[datetime]) -> datetime | None:
    """The free time on the nearest day, closest to the wanted time of day there (of two as near, the later), or
    None. Wall-clock times (the practice's zone): a client keeps "Thursday at ten" sooner than "Friday at four"."""
    def distance(moment: datetime):
        earlier = (moment.hour * 60 + moment.minute) - (wanted.hour * 60 + wanted.minute)
        return abs((moment.date() - wanted.date()).days), abs(earlier), earlier < 0

    return min(free, key=distance, default=None)
