"""When appointment reminders go out: a reminder rule plus an appointment start gives one send moment.

Pure: plain data in, plain data out (no Flask, no ORM), so the web forms and the reminder worker share it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from . import localtime

__all__ = [
    "DEFAULT_RULES",
    "KINDS",
    "MAX_RULES",
    "ReminderRule",
    "is_working_day",
    "reminder_moments",
    "rules_from_text",
    "rules_to_text",
    "send_moment",
]

KINDS = ("days_before", "last_working_day", "hours_before")
MAX_DAYS = 14
MAX_HOURS = 72

# "days_before:2@07:00", "last_working_day@09:00", "hours_before:3"
_TEXT = re.compile(r"(?P<kind>[a-z_]+)(?::(?P<number>\d+))?(?:@(?P<at>\d\d:\d\d))?")


@dataclass(frozen=True, slots=True)
class ReminderRule:
    """One reminder a practice sends before each appointment.

    Each kind uses only its own fields, so every rule has exactly one text form (see `to_text`).
    """

    kind: str
    days: int = 0
    hours: int = 0
    at: time | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown reminder kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        for name in ("days", "hours"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, not {value!r}")
        if self.at is not None:
            if not isinstance(self.at, time) or self.at.tzinfo is not None:
                raise ValueError("at must be a wall-clock time without a time zone")
            if self.at.second or self.at.microsecond:
                raise ValueError(f"at must be a whole minute, not {self.at}")

        if self.kind == "days_before":
            if not 1 <= self.days <= MAX_DAYS:
                raise ValueError(f"days_before needs days from 1 to {MAX_DAYS}, not {self.days}")
            if self.at is None:
                raise ValueError("days_before needs a time of day (at)")
            if self.hours:
                raise ValueError("days_before takes no hours")
        elif self.kind == "last_working_day":
            if self.at is None:
                raise ValueError("last_working_day needs a time of day (at)")
            if self.days or self.hours:
                raise ValueError("last_working_day takes no days or hours")
        else:  # hours_before
            if not 1 <= self.hours <= MAX_HOURS:
                raise ValueError(f"hours_before needs hours from 1 to {MAX_HOURS}, not {self.hours}")
            if self.days or self.at is not None:
                raise ValueError("hours_before takes no days or time of day")

    def to_text(self) -> str:
        """A compact, stable form for a database column, e.g. "days_before:2@07:00"."""
        number = {"days_before": f":{self.days}", "hours_before": f":{self.hours}"}.get(self.kind, "")
        at = f"@{self.at:%H:%M}" if self.at is not None else ""
        return f"{self.kind}{number}{at}"

    @classmethod
    def from_text(cls, text: str) -> ReminderRule:
        """The rule `to_text` wrote; anything else (even "days_before:02@07:00") is refused."""
        match = _TEXT.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a reminder rule: {text!r}")
        kind, number, at = match["kind"], match["number"], match["at"]
        if (number is None) != (kind == "last_working_day"):
            raise ValueError(f"not a reminder rule: {text!r}")
        try:
            rule = cls(
                kind=kind,
                days=int(number) if kind == "days_before" else 0,
                hours=int(number) if kind == "hours_before" else 0,
                at=time.fromisoformat(at) if at is not None else None,
            )
        except ValueError as error:
            raise ValueError(f"not a reminder rule: {text!r} ({error})") from None
        # Only the canonical spelling is accepted, so the column never holds two spellings of one rule.
        if rule.to_text() != text:
            raise ValueError(f"not a reminder rule: {text!r} (expected {rule.to_text()!r})")
        return rule


DEFAULT_RULES: tuple[ReminderRule, ...] = (ReminderRule(kind="days_before", days=2, at=time(7, 0)),)
MAX_RULES = 2  # one or two reminders per appointment


def rules_to_text(rules: Iterable[ReminderRule]) -> str:
    """Rules for one column: "days_before:2@07:00;hours_before:3"; no rules is the empty text."""
    return ";".join(rule.to_text() for rule in rules)


@lru_cache(maxsize=64)
def rules_from_text(text: str) -> tuple[ReminderRule, ...]:
    """What `rules_to_text` wrote; the empty text means no reminders."""
    rules = tuple(ReminderRule.from_text(part) for part in text.split(";")) if text else ()
    if len(rules) > MAX_RULES:
        raise ValueError(f"at most {MAX_RULES} reminders, not {len(rules)}")
    return rules


def send_moment(
    start: datetime, rule: ReminderRule, *, tz: str, country: str, subdivision: str | None = None
) -> datetime:
    """When the reminder for an appointment starting at `start` goes out, as an aware UTC datetime.

    `tz` is the practice's time zone: "days before" and "working day" are about its calendar, not UTC's.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("an appointment start needs a time zone (an aware datetime)")
    if rule.kind == "hours_before":
        # Elapsed time: subtract in UTC, since aware arithmetic within one zone is wall-clock arithmetic.
        return start.astimezone(UTC) - timedelta(hours=rule.hours)

    appointment_day = localtime.local_date(start, tz)
    if rule.kind == "days_before":
        # Calendar days: weekends and holidays count, so "2 days before" a Monday is the Saturday.
        day = appointment_day - timedelta(days=rule.days)
    else:
        # "Friday covers Saturday to Monday" (practices' help pages): walk back over weekends and holidays.
        day = appointment_day - timedelta(days=1)
        while not is_working_day(day, country=country, subdivision=subdivision):
            day -= timedelta(days=1)
    assert rule.at is not None  # guaranteed by ReminderRule for these kinds
    return localtime.utc_moment(day, rule.at, tz)


def reminder_moments(
    start: datetime,
    rules: Iterable[ReminderRule],
    *,
    tz: str,
    country: str,
    subdivision: str | None = None,
) -> list[datetime]:
    """The send moment of each rule, in rule order (one per rule, even if two coincide)."""
    return [send_moment(start, rule, tz=tz, country=country, subdivision=subdivision) for rule in rules]


def is_working_day(day: date, *, country: str, subdivision: str | None = None) -> bool:
    """Monday to Friday and not a public holiday of the country (and region, if given)."""
    if isinstance(day, datetime):
        raise TypeError("pass a date: a datetime's day depends on the time zone")
    return day.weekday() < 5 and day not in _holidays(country, subdivision, day.year)


def is_public_holiday(day: date, *, country: str, subdivision: str | None = None) -> bool:
    return day in _holidays(country, subdivision, day.year)


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year, cached: building them is far slower than looking one up.

    A frozenset rather than the library's dict, which adds years to itself on lookup.
    """
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as error:  # how `holidays` reports an unknown country or region
        raise ValueError(f"no holiday calendar for {country!r} / {subdivision!r}: {error}") from None
    return frozenset(found)
