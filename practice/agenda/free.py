"""The free time of a practitioner on a day: what the booking panel, the public page and the waiting list offer."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import localtime
from ..availability import Interval, WeeklyHours, free_times
from ..enums import AppointmentStatus
from ..extensions import db
from ..models import Appointment, AppointmentType, Practice, TimeOff, WorkingHours


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
