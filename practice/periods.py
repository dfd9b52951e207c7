"""The stretches of time the owner's dashboard covers, ending now, cut into the practice's calendar weeks and
months. Pure: dates and aware datetimes in and out."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from . import localtime

SPANS = ("4w", "3m", "12m")  # the last 4 weeks, 3 months or 12 months (enums.Span names them)
DEFAULT_SPAN = "4w"


@dataclass(frozen=True)
class Period:
    """The stretch of time the figures cover, ending now, cut into the practice's calendar weeks or months."""

    name: str
    unit: str  # "week" or "month": the buckets of the message charts
    buckets: tuple[date, ...]  # first day of each bucket of the message charts
    weeks: tuple[date, ...]  # Mondays: online moves are counted per week
    months: tuple[date, ...]  # first days of the months: SMS usage and no-shows are per month
    end: datetime  # now, in UTC
    tz: str

    @property
    def first_day(self) -> date:
        return min(self.buckets[0], self.weeks[0], self.months[0])

    @property
    def today(self) -> date:
        return localtime.local_date(self.end, self.tz)


def period_of(name: str | None, now: datetime, tz: str) -> Period:
    """The period called `name` ("4w", "3m" or "12m"; anything else is the default) up to `now`."""
    name = name if name in SPANS else DEFAULT_SPAN
    today = localtime.today(now, tz)
    monday = localtime.monday_of(today)
    if name == "4w":
        weeks = tuple(monday - timedelta(weeks=n) for n in range(3, -1, -1))
        return Period(name, "week", weeks, weeks, tuple(localtime.month_starts(weeks[0], today)), now, tz)
    first_month = localtime.add_months(today, -2 if name == "3m" else -11)
    months = tuple(localtime.month_starts(first_month, today))
    first_monday = localtime.monday_of(first_month)
    weeks = tuple(first_monday + timedelta(weeks=n) for n in range((monday - first_monday).days // 7 + 1))
    return Period(name, "week" if name == "3m" else "month", weeks if name == "3m" else months, weeks, months, now, tz)
