"""What the agenda shows: the appointments of a day or a week as a time grid with working hours, time off and free
time per practitioner, and the printable day list. Read only; the changes are in services."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, select, type_coerce

from .. import catalogue, localtime
from ..availability import Block, GridRow, Interval, WeeklyHours, day_blocks, grid_rows, working_intervals
from ..enums import AppointmentStatus
from ..extensions import db
from ..models import Appointment, AppointmentType, Client, Location, Practitioner, TimeOff, WorkingHours, reach_back


def load_appointments(start: datetime, end: datetime, *, practitioner_id=None, location_id=None):
    """The appointments in [start, end) that are not cancelled, as light rows with what the day list shows (rows
    instead of ORM objects keep it fast): one query. The grid reads its own leaner rows (_load_shown)."""
    return db.session.execute(_day_list_statement(practitioner_id is not None, location_id is not None),
                              _bounds(start, end, practitioner_id, location_id)).all()


@cache
def _day_list_statement(by_practitioner: bool, by_location: bool):
    query = (
        select(Appointment.id, Appointment.start, Appointment.end, Appointment.status, Appointment.notes,
               Appointment.appointment_type_id, Appointment.practitioner_id, Client.first_name.label("client_first_name"),
               Client.last_name.label("client_last_name"), Client.mobile.label("client_mobile"),
               AppointmentType.name.label("type_name"),
               Practitioner.name.label("practitioner_name"), Location.name.label("location_name"))
        .join(Appointment.client).join(Appointment.appointment_type).join(Appointment.practitioner)
        .join(Appointment.location)
    )
    return _shown_in(query, by_practitioner, by_location)


def _shown_in(query, by_practitioner: bool, by_location: bool):
    """`query` narrowed to what the agenda shows, in the order of their start: not cancelled, in [start, end), of
    the practitioner and the location if chosen. Bound parameters (_bounds): each statement is built once, which
    costs SQLAlchemy more than running it."""
    query = (query.where(Appointment.overlapping(bindparam("start"), bindparam("end"), bindparam("earliest")))
             .where(Appointment.status != AppointmentStatus.CANCELLED)
             .order_by(Appointment.start, Appointment.practitioner_id, Appointment.id))
    if by_practitioner:
        query = query.where(Appointment.practitioner_id == bindparam("practitioner_id"))
    if by_location:
        query = query.where(Appointment.location_id == bindparam("location_id"))
    return query


def _bounds(start: datetime, end: datetime, practitioner_id, location_id) -> dict:
    return {"start": start, "end": end, "earliest": reach_back(start), "practitioner_id": practitioner_id,
            "location_id": location_id}


def load_day_list(day: date, tz: str, *, practitioner_id=None, location_id=None) -> list[tuple[Practitioner, list]]:
    """The day's appointments per practitioner who has any (as load_appointments gives them), for the day list."""
    appointments = load_appointments(*localtime.day_bounds(day, tz), practitioner_id=practitioner_id,
                                     location_id=location_id)
    people = db.session.scalars(select(Practitioner).where(
        Practitioner.id.in_({a.practitioner_id for a in appointments})).order_by(Practitioner.name))
    return [(person, [a for a in appointments if a.practitioner_id == person.id]) for person in people]


class ShownAppointment(NamedTuple):
    """An appointment as the grid shows it: its local times written once here, not per cell by a template filter
    (the day view shows hundreds; a named tuple is made in a third of a frozen dataclass's time)."""

    id: int
    appointment_type_id: int
    status: str  # an AppointmentStatus value, read as text: the grid only writes it, hundreds a day
    client_name: str
    type_name: str
    moment: str  # the start in ISO 8601, for <time datetime>
    times: str  # "09:00–09:30" on the practice's wall clock
    confirmed: bool  # the client replied yes to an SMS


class Person(NamedTuple):
    """A practitioner as the grid shows them: plain data, so a grid remembered (_laid_out) outlives its session."""

    id: int
    name: str


@dataclass(frozen=True)
class Lane:
    """One practitioner's day in the agenda's time grid."""

    practitioner: Person
    day: date
    blocks: list[Block]


@dataclass(frozen=True)
class Grid:
    """The agenda's time grid: the wall-clock rows every day shares, and a lane per practitioner and day."""

    rows: tuple[GridRow, ...]
    lanes: list[Lane]
    practitioners: tuple[Person, ...]  # whose lanes, in the order of each day's lanes
    written: dict = field(default_factory=dict, compare=False)  # its HTML, by how it was written (grid_html)

    @property
    def table(self) -> list[tuple[GridRow, list[tuple[Lane, Block]]]]:
        """Each row with the cells that begin in it, lane by lane: what an HTML table with rowspans needs."""
        starting = [[] for _ in self.rows]
        for lane in self.lanes:
            index = 0
            for block in lane.blocks:
                starting[index].append((lane, block))
                index += block.rows
        return list(zip(self.rows, starting))


# Built once: the working hours of practitioners (`ids`) on `weekdays`, anywhere or at one location, and their
# time off touching [start, end). In a fixed order, like the appointments: the same rows read twice are the same
# tuple, which _laid_out remembers.
_HOURS = (select(WorkingHours.practitioner_id, WorkingHours.weekday, WorkingHours.start_time, WorkingHours.end_time,
                 WorkingHours.location_id).where(WorkingHours.practitioner_id.in_(bindparam("ids", expanding=True)),
                                                 WorkingHours.weekday.in_(bindparam("weekdays", expanding=True)))
          .order_by(WorkingHours.id))
_HOURS_AT = _HOURS.where(WorkingHours.location_id == bindparam("location_id"))
_TIME_OFF = select(TimeOff.practitioner_id, TimeOff.start, TimeOff.end).where(
    TimeOff.practitioner_id.in_(bindparam("ids", expanding=True)), TimeOff.start < bindparam("end"),
    TimeOff.end > bindparam("start")).order_by(TimeOff.id)
_INSTANT = timedelta(microseconds=1)
DEFAULT_OPENING = (8 * 60, 18 * 60)  # the grid shows at least 08:00 to 18:00 (minutes of the day)


def load_grid(days: list[date], practitioners: list[catalogue.Entry], tz: str, *, practitioner_id: int | None,
              location_id: int | None, step: timedelta) -> Grid:
    """Working hours, time off, appointments and free time on `days`, in whole hours from the earliest start to the
    latest end: a lane per day and practitioner (`practitioner_id`, or every active one and an inactive one who
    still has appointments then). Appointments and time off are read on every call, working hours when the
    catalogue changed (catalogue.remembered); laying them out is _laid_out's."""
    start, end = localtime.days_bounds(days[0], days[-1], tz)
    appointments = _load_shown(start, end, practitioner_id=practitioner_id, location_id=location_id)
    booked = {person for _, _, _, _, _, _, person, _, _ in appointments}  # who has appointments then
    people = tuple(Person(p.id, p.name) for p in practitioners if practitioner_id in (None, p.id)
                   and (p.active or p.id in booked))  # an inactive one only for their appointments
    ids = [person.id for person in people]
    weekdays = sorted({day.weekday() for day in days})
    hours = catalogue.remembered(("hours", tuple(ids), tuple(weekdays), location_id), lambda: _rows(
        _HOURS if location_id is None else _HOURS_AT, {"ids": ids, "weekdays": weekdays, "location_id": location_id}))
    time_off = _rows(_TIME_OFF, {"ids": ids, "start": start, "end": end})
    return _laid_out(tuple(days), tz, step, people, appointments, hours, time_off)


@lru_cache(maxsize=8)
def _laid_out(days: tuple[date, ...], tz: str, step: timedelta, people: tuple[Person, ...],
              appointments: tuple[tuple, ...], hours: tuple[tuple, ...], time_off: tuple[tuple, ...]) -> Grid:
    """The grid of the rows load_grid read. A function of its arguments alone, so it remembers its last grids (and a
    grid the HTML written of it): the same rows give the same grid, and a busy day is looked at far more often than
    it changes. Whatever changed in the database is in the rows, and rows not seen before are laid out anew."""
    booked = {}  # by practitioner and local day; one over midnight on both days
    starts, ends = [DEFAULT_OPENING[0]], [DEFAULT_OPENING[1]]  # minutes of the day, widened to all that is shown
    for appointment_id, begins_at, ends_at, status, type_id, type_name, person, client_name, confirmed in appointments:
        placed = _placed(begins_at, ends_at, tz)
        starts.append(placed.first_minute)
        ends.append(placed.end_minute)
        shown = ShownAppointment(appointment_id, type_id, status, client_name, type_name, placed.moment, placed.times,
                                 confirmed)
        for day in placed.days:
            booked.setdefault((person, day), []).append((begins_at, ends_at, shown))
    weekly, away = {}, {}
    for person, weekday, opens, closes, location in hours:
        starts.append(_minute(opens))
        ends.append(_minute(closes))
        weekly.setdefault((person, weekday), []).append((WeeklyHours(weekday, opens, closes), location))
    for person, off_start, off_end in time_off:
        away.setdefault(person, []).append(Interval(off_start, off_end))
    first, last = min(starts) // 60 * 60, min(24 * 60, -(-max(ends) // 60) * 60)  # whole hours
    lanes = []
    for day in days:
        rows = grid_rows(day, first, last, tz)
        for person in people:
            working = [(interval, location) for block, location in weekly.get((person.id, day.weekday()), [])
                       for interval in working_intervals(day, [block], tz)]
            lanes.append(Lane(person, day, day_blocks(
                rows, working=working, step=step, appointments=booked.get((person.id, day), []),
                time_off=away.get(person.id, []))))
    return Grid(grid_rows(days[0], first, last, tz), lanes, people)


def _load_shown(start: datetime, end: datetime, *, practitioner_id=None, location_id=None):
    """What the grid shows of the appointments in [start, end) that are not cancelled, as plain tuples in the order
    load_grid unpacks them (a day of fifteen practitioners holds hundreds)."""
    return _rows(_grid_statement(practitioner_id is not None, location_id is not None),
                 _bounds(start, end, practitioner_id, location_id))


def _rows(statement, parameters: dict) -> tuple[tuple, ...]:
    """The rows as plain tuples, through the session's connection: the ORM's row processing cost more than the
    query, and plain tuples are hashed and compared in C (_laid_out's memory)."""
    return tuple(map(tuple, db.session.connection().execute(statement, parameters).all()))


@cache
def _grid_statement(by_practitioner: bool, by_location: bool):
    query = (
        select(Appointment.id, Appointment.start, Appointment.end, type_coerce(Appointment.status, String),
               Appointment.appointment_type_id, AppointmentType.name, Appointment.practitioner_id,
               Client.first_name + " " + Client.last_name, Appointment.confirmed_by_client_at.is_not(None))
        .join(Appointment.client).join(Appointment.appointment_type)
    )
    return _shown_in(query, by_practitioner, by_location)


class _Placed(NamedTuple):
    """Where an appointment falls on the practice's wall clock, and its times as the grid writes them."""

    days: tuple[date, ...]  # the local day it starts on, and the next one too if it goes on past midnight
    first_minute: int  # of the day, where it starts
    end_minute: int  # of the day, after its last minute (24 × 60 past midnight)
    moment: str  # the start in ISO 8601, for <time datetime>
    times: str  # "09:00–09:30"


@lru_cache(maxsize=4096)
def _placed(start: datetime, end: datetime, tz: str) -> _Placed:
    """An appointment from `start` to `end` (UTC, as stored) on the wall clock of `tz`. Cached: appointments keep to
    the practice's time grid, so a day of hundreds has a few dozen starts and ends."""
    zone = localtime.zone(tz)
    begins, finishes = start.astimezone(zone), (end - _INSTANT).astimezone(zone)  # its last instant
    first_day, last_day = begins.date(), finishes.date()
    if first_day == last_day:
        days, end_minute = (first_day,), _minute(finishes) + 1
    else:  # over midnight: on both days, to the end of the first
        days, end_minute = (first_day, last_day), 24 * 60
    return _Placed(days, _minute(begins), end_minute, start.isoformat(),
                   f"{localtime.clock(begins)}–{localtime.clock(end.astimezone(zone))}")


def _minute(wall: time | datetime) -> int:
    return wall.hour * 60 + wall.minute
