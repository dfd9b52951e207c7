"""The practice's own settings and its catalogue: locations, appointment types, practitioners with
their weekly working hours and time off."""
from datetime import date, datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import FieldError, existing_moment
from ..extensions import db
from ..models import AppointmentType, Location, Practice, Practitioner, TimeOff, WorkingHours
from ..signals import reminder_rules_changed


def store_practice(practice: Practice, *, name, email, phone, timezone, country, subdivision) -> None:
    practice.name, practice.email, practice.phone = name.strip(), email.strip(), phone.strip()
    practice.timezone, practice.country = timezone, country
    practice.subdivision = subdivision or None
    db.session.commit()


def store_messaging(practice: Practice, *, confirmation_email: bool, confirmation_sms: bool, sms_enabled: bool,
                    sms_sender_id: str, sms_price_cents: int, reminder_rules: str) -> None:
    practice.confirmation_email, practice.confirmation_sms = confirmation_email, confirmation_sms
    practice.reminder_rules = reminder_rules
    practice.sms_enabled, practice.sms_sender_id = sms_enabled, sms_sender_id.strip()
    practice.sms_price_cents = sms_price_cents
    db.session.commit()
    reminder_rules_changed.send(current_app._get_current_object())  # upcoming reminders follow the rules


def store_location(location: Location | None, *, name: str, address: str, sms_note: str, active: bool) -> Location:
    """Create (`location` None) or change a location."""
    if location is None:
        location = Location()
        db.session.add(location)
    location.name, location.address, location.sms_note = name.strip(), address.strip(), sms_note.strip()
    location.active = active
    db.session.commit()
    return location


def store_appointment_type(appointment_type: AppointmentType | None, *, name: str, duration_minutes: int,
                           colour: str, active: bool) -> AppointmentType:
    if appointment_type is None:
        appointment_type = AppointmentType()
        db.session.add(appointment_type)
    appointment_type.name, appointment_type.duration_minutes = name.strip(), duration_minutes
    appointment_type.colour, appointment_type.active = colour.lower(), active
    db.session.commit()
    return appointment_type


def store_online_rescheduling(practice: Practice, *, online_rescheduling: bool, reschedule_cutoff_hours: int,
                               reschedule_horizon_days: int, reschedule_step_minutes: int) -> None:
    practice.online_rescheduling = online_rescheduling
    practice.reschedule_cutoff_hours, practice.reschedule_horizon_days = reschedule_cutoff_hours, reschedule_horizon_days
    practice.reschedule_step_minutes = reschedule_step_minutes
    db.session.commit()


def store_type_reminders(appointment_type: AppointmentType, reminder_rules: str | None) -> None:
    appointment_type.reminder_rules = reminder_rules
    db.session.commit()
    reminder_rules_changed.send(current_app._get_current_object())


def store_practitioner(practitioner: Practitioner | None, *, name: str, active: bool) -> Practitioner:
    if practitioner is None:
        practitioner = Practitioner()
        db.session.add(practitioner)
    practitioner.name, practitioner.active = name.strip(), active
    db.session.commit()
    return practitioner


def load_working_hours(practitioner: Practitioner) -> list[WorkingHours]:
    return list(db.session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == practitioner.id)
                                   .order_by(WorkingHours.weekday, WorkingHours.start_time)))


def add_working_hours(practitioner: Practitioner, *, weekday: int, location_id: int, start: time,
                      end: time) -> WorkingHours:
    """A weekly block; refused when it ends before it starts or overlaps another block on that weekday
    (at any location: a practitioner works in one place at a time)."""
    if not start < end:
        raise FieldError(_l("The end time must be after the start time."), "end_time")
    for other in load_working_hours(practitioner):
        # Half-open blocks: one ending at 12:00 and the next starting at 12:00 do not overlap.
        if other.weekday == weekday and other.start_time < end and start < other.end_time:
            raise FieldError(_l(
                "This overlaps the block from %(start)s to %(end)s on the same day; nothing was stored.",
                start=other.start_time.strftime("%H:%M"), end=other.end_time.strftime("%H:%M")), "start_time")
    hours = WorkingHours(practitioner_id=practitioner.id, location_id=location_id, weekday=weekday,
                         start_time=start, end_time=end)
    db.session.add(hours)
    db.session.commit()
    return hours


def remove_entry(entry: WorkingHours | TimeOff) -> None:
    """A practitioner's block of working hours or time off goes."""
    db.session.delete(entry)
    db.session.commit()


def load_upcoming_time_off(practitioner: Practitioner, now: datetime) -> list[TimeOff]:
    """Time off that has not ended yet, soonest first."""
    return list(db.session.scalars(select(TimeOff).where(TimeOff.practitioner_id == practitioner.id,
                                                         TimeOff.end > now).order_by(TimeOff.start)))


def add_time_off(practitioner: Practitioner, *, start_day: date, start_at: time, end_day: date, end_at: time,
                 reason: str, tz: str) -> TimeOff:
    """Time off entered in the practice's wall-clock time, stored as UTC moments."""
    start = existing_moment(start_day, start_at, tz, "start_at")
    end = existing_moment(end_day, end_at, tz, "end_at")
    if not start < end:
        raise FieldError(_l("The end must be after the start."), "end_at")
    time_off = TimeOff(practitioner_id=practitioner.id, start=start, end=end, reason=reason.strip())
    db.session.add(time_off)
    db.session.commit()
    return time_off

