"""Treatment series at the desk: the times a rhythm proposes, with what collides (a public holiday, time off, outside
working hours, another appointment) and the nearest free alternative; booking them all in one transaction, or none;
and cancelling this one, this and the following ones, or the whole series, with one notice."""
import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update

from .. import localtime, schedule
from ..audit import services as audit
from ..availability import Interval, fits_within, overlaps, working_intervals
from ..enums import AppointmentStatus, AuditAction, MessageKind
from ..errors import FieldError, bookable
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages import planning
from ..models import Appointment, AppointmentSeries, AppointmentType, Client, Practice, utcnow
from ..series import Rhythm, nearest, series_days
from . import services
from .free import load_free_times, load_working_day

SEARCH_DAYS = 7  # an alternative is looked for up to a week before and after the day it replaces


class Scope(enum.StrEnum):
    """Which appointments of a series a cancellation is for."""

    ONE = "one"
    FOLLOWING = "following"
    ALL = "all"


@dataclass(frozen=True)
class Proposal:
    """One time of a series: the rhythm's (`wanted`), why it cannot be booked as it is, and the nearest free time
    instead (None when there is none near)."""

    wanted: datetime
    problem: str | None = None
    alternative: datetime | None = None

    @property
    def start(self) -> datetime | None:
        return self.alternative if self.problem else self.wanted


def propose(booking: services.Booking, rhythm: Rhythm, practice: Practice, now: datetime) -> list[Proposal]:
    """The series' times from the booking's: each checked, a colliding one with its nearest alternative (never on
    another day of the series, never overlapping another of its times)."""
    tz = practice.timezone
    wall = localtime.local(booking.start, tz)
    length = timedelta(minutes=db.session.get(AppointmentType, booking.appointment_type_id).duration_minutes)
    days = series_days(wall.date(), rhythm)
    taken: list[Interval] = []
    proposals = []
    for day in days:
        wanted = localtime.utc_moment(day, wall.time().replace(tzinfo=None), tz)
        problem = collision(booking, wanted, length, practice, taken)
        proposal = Proposal(wanted)
        if problem:
            proposal = Proposal(wanted, problem, _alternative(booking, wanted, length, practice, taken,
                                                              set(days) - {day}, now))
        if proposal.start is not None:
            taken.append(Interval(proposal.start, proposal.start + length))
        proposals.append(proposal)
    return proposals


def collision(booking: services.Booking, start: datetime, length: timedelta, practice: Practice,
              taken: list[Interval] = ()) -> str | None:
    """Why the booking cannot be at `start` (a label), or None."""
    tz = practice.timezone
    day, slot = localtime.local_date(start, tz), Interval(start, start + length)
    if schedule.is_public_holiday(day, country=practice.country, subdivision=practice.subdivision):
        return _l("public holiday")
    hours, time_off = load_working_day(booking.practitioner_id, booking.location_id, day, tz)
    if any(overlaps(slot, off) for off in time_off):
        return _l("time off")
    if not fits_within(slot, working_intervals(day, hours, tz)):
        return _l("outside working hours")
    if services.first_overlap(booking.practitioner_id, start, slot.end, exclude_id=None) is not None or any(
            overlaps(slot, other) for other in taken):
        return _l("another appointment")
    return None


def _alternative(booking, wanted: datetime, length: timedelta, practice: Practice, taken: list[Interval],
                 series_days: set, now: datetime) -> datetime | None:
    tz = practice.timezone
    home = localtime.local_date(wanted, tz)
    free = []
    for offset in range(-SEARCH_DAYS, SEARCH_DAYS + 1):
        day = home + timedelta(days=offset)
        if (day != home and day in series_days) or schedule.is_public_holiday(
                day, country=practice.country, subdivision=practice.subdivision):
            continue
        free += [start for start in load_free_times(booking.practitioner_id, booking.location_id,
                                                    booking.appointment_type_id, day, practice, not_before=now)
                 if not any(overlaps(Interval(start, start + length), other) for other in taken)]
    found = nearest(localtime.local(wanted, tz), [localtime.local(start, tz) for start in free])
    return found.astimezone(wanted.tzinfo) if found else None


def book_series(booking: services.Booking, starts: list[datetime], tz: str) -> list[Appointment]:
    """An appointment at each start, all in one transaction, or FieldError (naming the time) and none stored. The
    client gets one confirmation with every date; reminders stay per appointment."""
    client = bookable(db.session.get(Client, booking.client_id))
    if len(starts) < 2:
        raise FieldError(_l("A series has two appointments or more."))
    series = AppointmentSeries()
    booked = []
    for start in sorted(starts):
        appointment = Appointment(client=client, status=AppointmentStatus.BOOKED, series=series)
        try:
            services.apply_booking(appointment, replace(booking, start=start), tz)
        except FieldError as problem:
            db.session.rollback()
            raise FieldError(_l("%(moment)s: %(problem)s", moment=f"{localtime.local(start, tz):%d-%m-%Y %H:%M}",
                                problem=problem.message)) from None
        appointment.confirmation_channels = booking.confirmation_channels or client.confirmation_channels
        appointment.reminder_channels = booking.reminder_channels or client.reminder_channels
        db.session.add(appointment)
        db.session.flush()  # the next one's overlap check sees it
        booked.append(appointment)
    for appointment in booked:
        audit.record(AuditAction.APPOINTMENT_BOOKED, appointment.id,
                     f"{len(booked)}× · {services.described(appointment, tz)}")
    _commit_with_notice(booked[0], MessageKind.SERIES_CONFIRMATION, booked, freed=[])
    return booked


def cancel(appointment: Appointment, scope: Scope) -> list[Appointment]:
    """Cancel one appointment (its own notice), or with the following ones of its series or the whole series (one
    notice with their dates); FieldError and nothing changed when it is not booked."""
    if scope == Scope.ONE or appointment.series_id is None:
        services.cancel(appointment)
        return [appointment]
    if appointment.status != AppointmentStatus.BOOKED:
        raise FieldError(_l("This appointment is not booked, so it cannot be cancelled."))
    query = select(Appointment).where(Appointment.series_id == appointment.series_id,
                                      Appointment.status == AppointmentStatus.BOOKED).order_by(Appointment.start)
    if scope == Scope.FOLLOWING:
        query = query.where(Appointment.start >= appointment.start)
    cancelled = []
    for each in db.session.scalars(query).all():
        # Only from booked, in the database, like a single cancellation: a concurrent one leaves it out here.
        if db.session.execute(update(Appointment).where(Appointment.id == each.id, Appointment.status ==
                                                        AppointmentStatus.BOOKED)
                              .values(status=AppointmentStatus.CANCELLED)).rowcount:
            db.session.refresh(each)
            audit.record(AuditAction.APPOINTMENT_CANCELLED, each.id, f"series: {scope}")
            cancelled.append(each)
    if not cancelled:
        db.session.rollback()
        raise FieldError(_l("This appointment is not booked, so it cannot be cancelled."))
    _commit_with_notice(cancelled[0], MessageKind.SERIES_CANCELLED, cancelled,
                        freed=[services.Freed(a.practitioner_id, a.location_id, a.start) for a in cancelled])
    return cancelled


def move(appointment: Appointment, booking: services.Booking, scope: Scope, tz: str) -> list[Appointment]:
    """Change one appointment (its own notice), or with it the following ones of its series or the whole series:
    each moved by the same time, to the same practitioner, type and location; all checked and stored in one
    transaction, or FieldError (naming the time) and none changed. The client gets the series' confirmation anew,
    with every date as it now stands."""
    if scope == Scope.ONE or appointment.series_id is None:
        return [services.change(appointment, booking, tz)]
    services.refuse_unless_changeable(appointment)
    shift = booking.start - appointment.start
    query = select(Appointment).where(Appointment.series_id == appointment.series_id,
                                      Appointment.status == AppointmentStatus.BOOKED).order_by(Appointment.start)
    if scope == Scope.FOLLOWING:
        query = query.where(Appointment.start >= appointment.start)
    targets = db.session.scalars(query).all()
    before = [services.Freed(each.practitioner_id, each.location_id, each.start) for each in targets]
    for each in targets if shift < timedelta(0) else reversed(targets):  # none steps on one not yet moved
        moved_to = each.start + shift
        notes = booking.notes if each.id == appointment.id else each.notes
        try:
            services.apply_booking(each, replace(booking, client_id=each.client_id, start=moved_to, notes=notes), tz)
        except FieldError as problem:
            db.session.rollback()
            raise FieldError(_l("%(moment)s: %(problem)s", moment=f"{localtime.local(moved_to, tz):%d-%m-%Y %H:%M}",
                                problem=problem.message)) from None
        db.session.flush()
        audit.record(AuditAction.APPOINTMENT_MOVED, each.id, f"series: {scope} · {services.described(each, tz)}")
    _commit_with_notice(targets[0], MessageKind.SERIES_CONFIRMATION, targets, freed=before)
    return targets


def position_of(appointment: Appointment) -> tuple[int, int] | None:
    """Which of its series the appointment is (1-based) and how many the series holds, not counting cancelled ones
    other than itself; None outside a series."""
    if appointment.series_id is None:
        return None
    starts = db.session.scalars(select(Appointment.start).where(
        Appointment.series_id == appointment.series_id,
        (Appointment.status != AppointmentStatus.CANCELLED) | (Appointment.id == appointment.id))
        .order_by(Appointment.start)).all()
    return starts.index(appointment.start) + 1, len(starts)


def _commit_with_notice(anchor: Appointment, kind: MessageKind, appointments: list[Appointment],
                        freed: list) -> None:
    """One notice for the series (after the undo window), each appointment's reminders planned anew, the freed
    times offered to the waiting list, in one transaction; then the messages go to the queue."""
    now, practice = utcnow(), Practice.current()
    held_until = services.notice_due(practice, now, anchor.start)
    notices = planning.plan_series_notice(anchor, kind, now, due=held_until)
    planning.plan_reminders_for(appointments, practice, now)
    offers = services.offer_freed(freed, now)
    db.session.commit()
    planning.queue(notices, held_until)
    planning.queue(offers)
