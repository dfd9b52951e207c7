"""Reading and changing the agenda: the booking rules live here, the free-time arithmetic in availability."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import localtime
from ..audit import services as audit
from ..availability import (
    Block, GridRow, Interval, WeeklyHours, day_blocks, fits_within, free_times, grid_rows, subtract, working_intervals,
)
from ..errors import FieldError
from ..extensions import db
from ..messages import planning
from ..enums import AppointmentStatus, AuditAction, Channels, MessageKind, MessageStatus
from ..models import (
    Appointment, AppointmentType, Client, Location, OnlineCancellation, OnlineMove, Practice, Practitioner, TimeOff,
    WorkingHours, utcnow,
)
from ..signals import messages_planned


@dataclass(frozen=True)
class Booking:
    """What the appointment form asks for, checked by the form; `start` is aware."""

    client_id: int
    practitioner_id: int
    appointment_type_id: int
    location_id: int
    start: datetime
    notes: str = ""
    confirmation_channels: Channels | None = None  # None: copy the client's preference
    reminder_channels: Channels | None = None
    outside_hours: bool = False  # booked outside working hours on purpose: only an owner may (by_owner)
    by_owner: bool = False


class OutsideHours(FieldError):
    """Outside the practitioner's working hours or during time off. `owner_may`: the person booking is an owner,
    who may book it anyway by ticking the explicit choice."""

    def __init__(self, message, field: str, owner_may: bool):
        super().__init__(message, field)
        self.owner_may = owner_may


def load_appointments(start: datetime, end: datetime, *, practitioner_id=None, location_id=None):
    """The appointments in [start, end) that are not cancelled, as light rows with what the day list shows (rows
    instead of ORM objects keep it fast): one query. The grid reads its own leaner rows (load_grid)."""
    query = (
        select(Appointment.id, Appointment.start, Appointment.end, Appointment.status, Appointment.notes,
               Appointment.appointment_type_id, Appointment.practitioner_id, Client.first_name.label("client_first_name"),
               Client.last_name.label("client_last_name"), Client.mobile.label("client_mobile"),
               AppointmentType.name.label("type_name"),
               Practitioner.name.label("practitioner_name"), Location.name.label("location_name"))
        .join(Appointment.client).join(Appointment.appointment_type).join(Appointment.practitioner)
        .join(Appointment.location)
    )
    return db.session.execute(_shown_in(query, start, end, practitioner_id, location_id)).all()


def _shown_in(query, start: datetime, end: datetime, practitioner_id, location_id):
    """`query` narrowed to what the agenda shows: not cancelled, in [start, end), of the chosen practitioner and
    location, in the order of their start."""
    query = (query.where(Appointment.overlapping(start, end)).where(Appointment.status != AppointmentStatus.CANCELLED)
             .order_by(Appointment.start, Appointment.practitioner_id))
    if practitioner_id:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    if location_id:
        query = query.where(Appointment.location_id == location_id)
    return query


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
    status: AppointmentStatus
    client_name: str
    type_name: str
    moment: str  # the start in ISO 8601, for <time datetime>
    times: str  # "09:00–09:30" on the practice's wall clock


@dataclass(frozen=True)
class Lane:
    """One practitioner's day in the agenda's time grid."""

    practitioner: Practitioner
    day: date
    blocks: list[Block]


@dataclass(frozen=True)
class Grid:
    """The agenda's time grid: the wall-clock rows every day shares, and a lane per practitioner and day."""

    rows: tuple[GridRow, ...]
    lanes: list[Lane]
    practitioners: list[Practitioner]  # whose lanes, in the order of each day's lanes

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


_INSTANT = timedelta(microseconds=1)
DEFAULT_OPENING = (8 * 60, 18 * 60)  # the grid shows at least 08:00 to 18:00 (minutes of the day)


def load_grid(days: list[date], practitioners: list[Practitioner], tz: str, *, practitioner_id: int | None,
              location_id: int | None, step: timedelta) -> Grid:
    """Working hours, time off, appointments and free time on `days`, in whole hours from the earliest start to the
    latest end: a lane per day and practitioner (`practitioner_id`, or every active one and an inactive one who
    still has appointments then). Three queries: appointments, hours and time off."""
    start, end = localtime.days_bounds(days[0], days[-1], tz)
    booked = {}  # by practitioner and local day; one over midnight on both days
    starts, ends = [DEFAULT_OPENING[0]], [DEFAULT_OPENING[1]]  # minutes of the day, widened to all that is shown
    for appointment_id, begins_at, ends_at, status, type_id, type_name, person, client_name in _load_shown(
            start, end, practitioner_id=practitioner_id, location_id=location_id):
        placed = _placed(begins_at, ends_at, tz)
        starts.append(placed.first_minute)
        ends.append(placed.end_minute)
        shown = ShownAppointment(appointment_id, type_id, status, client_name, type_name, placed.moment, placed.times)
        for day in placed.days:
            booked.setdefault((person, day), []).append((begins_at, ends_at, shown))
    shown_people = {person for person, _ in booked}
    practitioners = [p for p in practitioners if practitioner_id in (None, p.id)
                     and (p.active or p.id in shown_people)]  # an inactive one only for their appointments
    ids = [p.id for p in practitioners]
    hours_query = select(WorkingHours.practitioner_id, WorkingHours.weekday, WorkingHours.start_time,
                         WorkingHours.end_time, WorkingHours.location_id).where(WorkingHours.practitioner_id.in_(ids))
    if location_id:
        hours_query = hours_query.where(WorkingHours.location_id == location_id)
    weekly, away = {}, {}
    for person, weekday, opens, closes, location in db.session.execute(hours_query):
        starts.append(_minute(opens))
        ends.append(_minute(closes))
        weekly.setdefault((person, weekday), []).append((WeeklyHours(weekday, opens, closes), location))
    time_off = select(TimeOff.practitioner_id, TimeOff.start, TimeOff.end).where(
        TimeOff.practitioner_id.in_(ids), TimeOff.start < end, TimeOff.end > start)
    for person, off_start, off_end in db.session.execute(time_off):
        away.setdefault(person, []).append(Interval(off_start, off_end))
    first, last = min(starts) // 60 * 60, min(24 * 60, -(-max(ends) // 60) * 60)  # whole hours
    lanes = []
    for day in days:
        rows = grid_rows(day, first, last, tz)
        for practitioner in practitioners:
            working = [(interval, location) for block, location in weekly.get((practitioner.id, day.weekday()), [])
                       for interval in working_intervals(day, [block], tz)]
            lanes.append(Lane(practitioner, day, day_blocks(
                rows, working=working, step=step, appointments=booked.get((practitioner.id, day), []),
                time_off=away.get(practitioner.id, []))))
    return Grid(grid_rows(days[0], first, last, tz), lanes, practitioners)


def _load_shown(start: datetime, end: datetime, *, practitioner_id=None, location_id=None):
    """What the grid shows of the appointments in [start, end) that are not cancelled, as plain tuples in the order
    load_grid unpacks them (a day of fifteen practitioners holds hundreds)."""
    query = (
        select(Appointment.id, Appointment.start, Appointment.end, Appointment.status, Appointment.appointment_type_id,
               AppointmentType.name, Appointment.practitioner_id, Client.first_name + " " + Client.last_name)
        .join(Appointment.client).join(Appointment.appointment_type)
    )
    # All at once through the session's connection: the ORM's row processing cost more than the query.
    return db.session.connection().execute(_shown_in(query, start, end, practitioner_id, location_id)).all()


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


def load_free_times(practitioner_id: int | None, location_id: int | None, appointment_type_id: int | None,
                    day: date | None, practice: Practice, *, exclude_id: int | None = None,
                    not_before: datetime | None = None) -> list[datetime]:
    """The starts on `day` where an appointment of this type fits the practitioner's free working time at the
    location, on the practice's time grid: what the booking panel offers and the public page too. `exclude_id`:
    the appointment being moved, whose own time counts as free."""
    kind = db.session.get(AppointmentType, appointment_type_id) if appointment_type_id else None
    if kind is None or not practitioner_id or not location_id or day is None:
        return []
    tz = practice.timezone
    start, end = localtime.day_bounds(day, tz)
    hours, time_off = load_working_day(practitioner_id, location_id, day, tz)
    query = select(Appointment.start, Appointment.end).where(
        Appointment.practitioner_id == practitioner_id, Appointment.status != AppointmentStatus.CANCELLED,
        Appointment.overlapping(start, end))
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    busy = [Interval(a_start, a_end) for a_start, a_end in db.session.execute(query)] + time_off
    return free_times(day, hours=hours, busy=busy, duration=timedelta(minutes=kind.duration_minutes), tz=tz,
                      step=timedelta(minutes=practice.reschedule_step_minutes), not_before=not_before)


def book(booking: Booking, tz: str) -> Appointment:
    """A new appointment, or FieldError and nothing stored."""
    client = db.session.get(Client, booking.client_id)
    if client is None:
        raise FieldError(_l("Choose a client."), "client_id")
    appointment = Appointment(client=client, status=AppointmentStatus.BOOKED)
    _apply(appointment, booking, tz)
    appointment.confirmation_channels = booking.confirmation_channels or client.confirmation_channels
    appointment.reminder_channels = booking.reminder_channels or client.reminder_channels
    db.session.add(appointment)
    db.session.flush()  # the messages need its id
    audit.record(AuditAction.APPOINTMENT_BOOKED, appointment.id, _described(appointment, tz))
    _commit_with_messages(appointment, MessageKind.CONFIRMATION)
    return appointment


def change(appointment: Appointment, booking: Booking, tz: str, *, online: bool = False) -> Appointment:
    """Edit or move an appointment, or FieldError and nothing changed. `online`: the client moved it on the
    public page, which is recorded as online activity and told to the practice."""
    refuse_unless_changeable(appointment)
    before = (appointment.start, appointment.practitioner_id, appointment.location_id)
    _apply(appointment, booking, tz)
    if booking.confirmation_channels:
        appointment.confirmation_channels = booking.confirmation_channels
    if booking.reminder_channels:
        appointment.reminder_channels = booking.reminder_channels
    moved = before != (appointment.start, appointment.practitioner_id, appointment.location_id)
    if moved:
        action = AuditAction.APPOINTMENT_MOVED_ONLINE if online else AuditAction.APPOINTMENT_MOVED
        audit.record(action, appointment.id, f"{_when(before[0], tz)} → {_described(appointment, tz)}")
    else:
        audit.record(AuditAction.APPOINTMENT_CHANGED, appointment.id, _described(appointment, tz))
    _commit_with_messages(appointment, MessageKind.RESCHEDULED if moved else None,
                          moved_from=before[0] if moved else None, online=online)
    return appointment


def refuse_unless_changeable(appointment: Appointment) -> None:
    """Only a booked appointment can be edited or moved; a cancelled one or a no-show stays as it was."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise FieldError(_l("A cancelled appointment or a no-show cannot be changed."))


def cancel(appointment: Appointment, *, online_reason: str | None = None) -> None:
    """Cancel a booked appointment, or FieldError and nothing changed; `online_reason`: the client did on the public
    page (recorded as online activity, told to the practice). The status changes only from booked, in the database:
    of two cancellations at once (the client online, the receptionist) exactly one goes through, with one notice."""
    still_booked = (Appointment.id == appointment.id) & (Appointment.status == AppointmentStatus.BOOKED)
    if appointment.status != AppointmentStatus.BOOKED or not db.session.execute(update(Appointment).where(
            still_booked).values(status=AppointmentStatus.CANCELLED)).rowcount:  # updated_at: its onupdate
        db.session.rollback()
        raise FieldError(_l("This appointment is not booked, so it cannot be cancelled."))
    if online := online_reason is not None:
        db.session.add(OnlineCancellation(appointment=appointment, reason=online_reason))
    audit.record(AuditAction.APPOINTMENT_CANCELLED_ONLINE if online else AuditAction.APPOINTMENT_CANCELLED,
                 appointment.id, online_reason or "")
    _commit_with_messages(appointment, MessageKind.CANCELLED, online=online)


def mark_no_show(appointment: Appointment, now: datetime) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise FieldError(_l("Only a booked appointment can be marked as a no-show."))
    if appointment.start > now:
        raise FieldError(_l("An appointment that has not started yet cannot be a no-show."))
    appointment.status = AppointmentStatus.NO_SHOW
    audit.record(AuditAction.APPOINTMENT_NO_SHOW, appointment.id)
    db.session.commit()


def _when(moment: datetime, tz: str) -> str:
    return localtime.local(moment, tz).strftime("%Y-%m-%d %H:%M")


def _described(appointment: Appointment, tz: str) -> str:
    """The appointment in a line of the audit trail, as it was at that moment."""
    return (f"{_when(appointment.start, tz)} · {appointment.client.name} · {appointment.practitioner.name} · "
            f"{appointment.appointment_type.name} · {appointment.location.name}")


def _commit_with_messages(appointment: Appointment, kind: MessageKind | None,
                          moved_from: datetime | None = None, online: bool = False) -> None:
    """Store the change with the notice it calls for and its reminders planned anew, in one transaction; then
    have the notices sent right away (the worker's minute round would catch them too)."""
    now, practice = utcnow(), Practice.current()
    notices = planning.plan_change(appointment, kind, now, moved_from) if kind else []
    if online and moved_from is not None:
        db.session.add(OnlineMove(appointment=appointment, from_start=moved_from, to_start=appointment.start,
                                  moved_at=now))
    if online:  # a move or a cancellation
        notices.append(planning.plan_practice_notice(appointment, practice, now, moved_from))
    planning.plan_reminders(appointment, practice, now)
    db.session.commit()
    messages_planned.send(current_app._get_current_object(),
                          message_ids=[message.id for message in notices if message.status == MessageStatus.PLANNED])


def _apply(appointment: Appointment, booking: Booking, tz: str) -> None:
    """Check the booking against the rules and copy it onto the appointment (not yet committed)."""
    kind = db.session.get(AppointmentType, booking.appointment_type_id)
    practitioner = db.session.get(Practitioner, booking.practitioner_id)
    location = db.session.get(Location, booking.location_id)
    if kind is None or practitioner is None or location is None:
        raise FieldError(_l("Choose a practitioner, an appointment type and a location."))
    start = booking.start
    end = start + timedelta(minutes=kind.duration_minutes)
    _lock_agenda_of(practitioner.id)
    clash = _first_overlap(practitioner.id, start, end, exclude_id=appointment.id)
    if clash is not None:
        raise FieldError(
            _l("%(practitioner)s already has an appointment with %(client)s at that time.",
               practitioner=practitioner.name, client=clash.client.name), "time")
    within = _within_working_hours(practitioner, location.id, start, end, tz)
    anyway = booking.outside_hours and booking.by_owner  # only an owner books outside working hours
    if not within and not anyway:
        raise OutsideHours(
            _l("This is outside the working hours of %(practitioner)s at %(location)s, or during time off.",
               practitioner=practitioner.name, location=location.name), "time", owner_may=booking.by_owner)
    appointment.practitioner, appointment.appointment_type, appointment.location = practitioner, kind, location
    appointment.start, appointment.end = start, end
    appointment.notes = booking.notes.strip()
    appointment.outside_hours = not within


def _lock_agenda_of(practitioner_id: int) -> None:
    """Bookings for one practitioner take turns from here to the commit, so two at once cannot both find the
    time free: a row lock on PostgreSQL, the write lock on SQLite (waited for, thanks to its busy timeout)."""
    db.session.execute(update(Practitioner).where(Practitioner.id == practitioner_id)
                       .values(name=Practitioner.name))


def _first_overlap(practitioner_id: int, start: datetime, end: datetime, *, exclude_id: int | None):
    query = select(Appointment).where(
        Appointment.practitioner_id == practitioner_id,
        Appointment.status != AppointmentStatus.CANCELLED,
        Appointment.overlapping(start, end),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return db.session.scalar(query.limit(1))


def _within_working_hours(practitioner: Practitioner, location_id: int, start: datetime, end: datetime,
                          tz: str) -> bool:
    day = localtime.local_date(start, tz)
    hours, time_off = load_working_day(practitioner.id, location_id, day, tz)
    return fits_within(Interval(start, end), subtract(working_intervals(day, hours, tz), time_off))


def load_working_day(practitioner_id: int, location_id: int, day: date, tz: str) -> tuple[list[WeeklyHours],
                                                                                          list[Interval]]:
    """A practitioner's weekly hours at a location, and their time off touching `day`."""
    hours = [WeeklyHours(h.weekday, h.start_time, h.end_time) for h in db.session.scalars(
        select(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id,
                                   WorkingHours.location_id == location_id))]
    first, last = localtime.day_bounds(day, tz)
    time_off = [Interval(t.start, t.end) for t in db.session.scalars(
        select(TimeOff).where(TimeOff.practitioner_id == practitioner_id, TimeOff.start < last, TimeOff.end > first))]
    return hours, time_off
