"""Changing the agenda: the booking rules live here, the free-time arithmetic in availability, what the agenda shows
in grid."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import localtime
from ..audit import services as audit
from ..availability import Interval, fits_within, subtract, working_intervals
from ..errors import FieldError, bookable
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages import planning
from .free import load_working_day
from ..enums import AppointmentStatus, AuditAction, Channels, MessageKind
from ..models import (
    Appointment, AppointmentType, Client, Location, OnlineCancellation, OnlineMove, Practice, Practitioner, utcnow,
)
from ..signals import time_freed


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


def book(booking: Booking, tz: str, *, along: Callable[[Appointment], object] | None = None) -> Appointment:
    """A new appointment, or FieldError and nothing stored. `along`: what else belongs to the same transaction,
    given the new appointment (the waiting list's offer it took)."""
    client = bookable(db.session.get(Client, booking.client_id))
    appointment = Appointment(client=client, status=AppointmentStatus.BOOKED)
    apply_booking(appointment, booking, tz)
    appointment.confirmation_channels = booking.confirmation_channels or client.confirmation_channels
    appointment.reminder_channels = booking.reminder_channels or client.reminder_channels
    db.session.add(appointment)
    db.session.flush()  # the messages need its id
    audit.record(AuditAction.APPOINTMENT_BOOKED, appointment.id, described(appointment, tz))
    if along is not None:
        along(appointment)
    _commit_with_messages(appointment, MessageKind.CONFIRMATION)
    return appointment


def change(appointment: Appointment, booking: Booking, tz: str, *, online: bool = False) -> Appointment:
    """Edit or move an appointment, or FieldError and nothing changed. `online`: the client moved it on the
    public page, which is recorded as online activity and told to the practice."""
    refuse_unless_changeable(appointment)
    before = (appointment.start, appointment.practitioner_id, appointment.location_id)
    apply_booking(appointment, booking, tz)
    if booking.confirmation_channels:
        appointment.confirmation_channels = booking.confirmation_channels
    if booking.reminder_channels:
        appointment.reminder_channels = booking.reminder_channels
    moved = before != (appointment.start, appointment.practitioner_id, appointment.location_id)
    if moved:
        action = AuditAction.APPOINTMENT_MOVED_ONLINE if online else AuditAction.APPOINTMENT_MOVED
        audit.record(action, appointment.id, f"{_when(before[0], tz)} → {described(appointment, tz)}")
    else:
        audit.record(AuditAction.APPOINTMENT_CHANGED, appointment.id, described(appointment, tz))
    _commit_with_messages(appointment, MessageKind.RESCHEDULED if moved else None,
                          moved_from=before[0] if moved else None, online=online,
                          freed=Freed(before[1], before[2], before[0]) if moved else None)
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
    _commit_with_messages(appointment, MessageKind.CANCELLED, online=online,
                          freed=Freed(appointment.practitioner_id, appointment.location_id, appointment.start))


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


def described(appointment: Appointment, tz: str) -> str:
    """The appointment in a line of the audit trail, as it was at that moment."""
    return (f"{_when(appointment.start, tz)} · {appointment.client.name} · {appointment.practitioner.name} · "
            f"{appointment.appointment_type.name} · {appointment.location.name}")


class Freed(NamedTuple):
    """A time a change left free: where an appointment was before it moved away or was cancelled."""

    practitioner_id: int
    location_id: int
    start: datetime


def _commit_with_messages(appointment: Appointment, kind: MessageKind | None, moved_from: datetime | None = None,
                          online: bool = False, freed: Freed | None = None) -> None:
    """Store the change with the notice it calls for, its reminders planned anew and the offers of the time it
    freed to the waiting list, in one transaction; then have the messages sent when due. The client's notice waits
    out the practice's undo window (never past the start); the practice's own notice and the offers go at once."""
    now, practice = utcnow(), Practice.current()
    held_until = notice_due(practice, now, appointment.start)
    notices = planning.plan_change(appointment, kind, now, moved_from, due=held_until, by_client=online) if kind else []
    if online and moved_from is not None:
        db.session.add(OnlineMove(appointment=appointment, from_start=moved_from, to_start=appointment.start,
                                  moved_at=now))
    own = [planning.plan_practice_notice(appointment, practice, now, moved_from)] if online else []  # moved, cancelled
    planning.plan_reminders(appointment, practice, now)
    own += offer_freed([freed] if freed else [], now)
    db.session.commit()
    planning.queue(notices, held_until)
    planning.queue(own)


def notice_due(practice: Practice, now: datetime, start: datetime) -> datetime:
    """When a client's notice about a change goes out: after the practice's undo window, never past the start."""
    return max(now, min(now + timedelta(minutes=practice.notice_delay_minutes), start))


def offer_freed(freed: list[Freed], now: datetime) -> list:
    """The times still ahead offered to the waiting list, in the caller's transaction (the signal's receivers add
    the offers): their messages, for the queue after the commit."""
    app = current_app._get_current_object()
    return [message for times in freed if times.start > now
            for _, messages in time_freed.send(app, **times._asdict(), now=now) for message in messages]


def apply_booking(appointment: Appointment, booking: Booking, tz: str) -> None:
    """Check the booking against the rules and copy it onto the appointment (not yet committed)."""
    kind = db.session.get(AppointmentType, booking.appointment_type_id)
    practitioner = db.session.get(Practitioner, booking.practitioner_id)
    location = db.session.get(Location, booking.location_id)
    if kind is None or practitioner is None or location is None:
        raise FieldError(_l("Choose a practitioner, an appointment type and a location."))
    start = booking.start
    end = start + timedelta(minutes=kind.duration_minutes)
    lock_agenda_of(practitioner.id)
    clash = first_overlap(practitioner.id, start, end, exclude_id=appointment.id)
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


def lock_agenda_of(practitioner_id: int) -> None:
    """Bookings for one practitioner take turns from here to the commit, so two at once cannot both find the
    time free: a row lock on PostgreSQL, the write lock on SQLite (waited for, thanks to its busy timeout)."""
    db.session.execute(update(Practitioner).where(Practitioner.id == practitioner_id)
                       .values(name=Practitioner.name))


def first_overlap(practitioner_id: int, start: datetime, end: datetime, *, exclude_id: int | None):
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
