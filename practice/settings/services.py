"""The practice's own settings and its catalogue: locations, appointment types, practitioners with
their weekly working hours and time off."""
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import select

from ..audit import services as audit
from ..enums import AuditAction
from ..errors import FieldError, existing_moment
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import AppointmentType, Location, Practice, Practitioner, TimeOff, WorkingHours
from ..signals import reminder_rules_changed


# What the settings forms hand the services (checked by the forms; web.values_of builds them).

@dataclass(frozen=True)
class PracticeDetails:
    name: str
    email: str
    phone: str
    timezone: str
    country: str
    subdivision: str
    feed_client_names: bool


@dataclass(frozen=True)
class MessagingSettings:
    confirmation_email: bool
    confirmation_sms: bool
    notice_delay_minutes: int
    sms_enabled: bool
    sms_sender_id: str
    sms_sender_number: str
    sms_replies: bool
    sms_reply_keywords: str  # replies.Meaning values, comma-separated
    sms_price_cents: int
    sms_budget_cents: int | None  # None: no budget
    reminder_rules: str  # schedule.rules_to_text
    retention_months: int | None  # None: message texts and recipients are kept


@dataclass(frozen=True)
class OnlineRescheduling:
    online_rescheduling: bool
    reschedule_cutoff_hours: int
    reschedule_horizon_days: int
    reschedule_moves_per_link: int
    reschedule_step_minutes: int
    online_cancelling: bool
    cancel_cutoff_hours: int | None  # None: the same as for moving
    offer_hours: int  # how long a waiting list offer stays open


@dataclass(frozen=True)
class SecuritySettings:
    two_step_required: bool
    session_idle_minutes: int
    session_hours: int


@dataclass(frozen=True)
class LocationDetails:
    name: str
    address: str
    sms_note: str
    active: bool


@dataclass(frozen=True)
class AppointmentTypeDetails:
    name: str
    duration_minutes: int
    colour: str
    active: bool


@dataclass(frozen=True)
class PractitionerDetails:
    name: str
    active: bool


@dataclass(frozen=True)
class HoursBlock:
    weekday: int
    location_id: int
    start_time: time
    end_time: time


@dataclass(frozen=True)
class Absence:
    """Time off in the practice's wall-clock time."""
    start_day: date
    start_at: time
    end_day: date
    end_at: time
    reason: str


def store_practice(practice: Practice, details: PracticeDetails) -> None:
    practice.name, practice.email, practice.phone = details.name.strip(), details.email.strip(), details.phone.strip()
    practice.timezone, practice.country = details.timezone, details.country
    practice.subdivision = details.subdivision or None
    practice.feed_client_names = details.feed_client_names
    audit.record(AuditAction.SETTINGS_CHANGED, None, "the practice")
    db.session.commit()


def store_messaging(practice: Practice, settings: MessagingSettings) -> None:
    practice.confirmation_email, practice.confirmation_sms = settings.confirmation_email, settings.confirmation_sms
    practice.notice_delay_minutes = settings.notice_delay_minutes
    practice.reminder_rules = settings.reminder_rules
    practice.sms_enabled, practice.sms_sender_id = settings.sms_enabled, settings.sms_sender_id.strip()
    practice.sms_sender_number, practice.sms_replies = settings.sms_sender_number, settings.sms_replies
    practice.sms_reply_keywords = settings.sms_reply_keywords
    practice.sms_price_cents = settings.sms_price_cents
    practice.sms_budget_cents = settings.sms_budget_cents
    practice.retention_months = settings.retention_months
    audit.record(AuditAction.SETTINGS_CHANGED, None, "messages and reminders")
    db.session.commit()
    reminder_rules_changed.send(current_app._get_current_object())  # upcoming reminders follow the rules


def store_security(practice: Practice, settings: SecuritySettings) -> None:
    practice.two_step_required = settings.two_step_required
    practice.session_idle_minutes, practice.session_hours = settings.session_idle_minutes, settings.session_hours
    two_step = "required" if settings.two_step_required else "optional"
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"security: two-step {two_step}, idle "
                 f"{settings.session_idle_minutes} min, at most {settings.session_hours} h")
    db.session.commit()


def store_location(location: Location | None, details: LocationDetails) -> Location:
    """Create (`location` None) or change a location."""
    if location is None:
        location = Location()
        db.session.add(location)
    location.name, location.address = details.name.strip(), details.address.strip()
    location.sms_note, location.active = details.sms_note.strip(), details.active
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"location {location.name}")
    db.session.commit()
    return location


def store_appointment_type(appointment_type: AppointmentType | None,
                           details: AppointmentTypeDetails) -> AppointmentType:
    if appointment_type is None:
        appointment_type = AppointmentType()
        db.session.add(appointment_type)
    appointment_type.name, appointment_type.duration_minutes = details.name.strip(), details.duration_minutes
    appointment_type.colour, appointment_type.active = details.colour.lower(), details.active
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"appointment type {appointment_type.name}")
    db.session.commit()
    return appointment_type


def store_online_rescheduling(practice: Practice, settings: OnlineRescheduling) -> None:
    practice.online_rescheduling = settings.online_rescheduling
    practice.reschedule_cutoff_hours = settings.reschedule_cutoff_hours
    practice.reschedule_horizon_days = settings.reschedule_horizon_days
    practice.reschedule_moves_per_link = settings.reschedule_moves_per_link
    practice.reschedule_step_minutes = settings.reschedule_step_minutes
    practice.online_cancelling = settings.online_cancelling
    practice.cancel_cutoff_hours = settings.cancel_cutoff_hours
    practice.offer_hours = settings.offer_hours
    audit.record(AuditAction.SETTINGS_CHANGED, None, "online rescheduling")
    db.session.commit()


def switch_online_rescheduling_on(practice: Practice) -> None:
    practice.online_rescheduling = True
    audit.record(AuditAction.SETTINGS_CHANGED, None, "online rescheduling switched on")
    db.session.commit()


def store_type_reminders(appointment_type: AppointmentType, reminder_rules: str | None) -> None:
    appointment_type.reminder_rules = reminder_rules
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"reminders of {appointment_type.name}")
    db.session.commit()
    reminder_rules_changed.send(current_app._get_current_object())


def store_practitioner(practitioner: Practitioner | None, details: PractitionerDetails) -> Practitioner:
    if practitioner is None:
        practitioner = Practitioner()
        db.session.add(practitioner)
    practitioner.name, practitioner.active = details.name.strip(), details.active
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"practitioner {practitioner.name}")
    db.session.commit()
    return practitioner


def load_working_hours(practitioner: Practitioner) -> list[WorkingHours]:
    return list(db.session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == practitioner.id)
                                   .order_by(WorkingHours.weekday, WorkingHours.start_time)))


def add_working_hours(practitioner: Practitioner, block: HoursBlock) -> WorkingHours:
    """A weekly block; refused when it ends before it starts or overlaps another block on that weekday
    (at any location: a practitioner works in one place at a time)."""
    weekday, start, end = block.weekday, block.start_time, block.end_time
    if not start < end:
        raise FieldError(_l("The end time must be after the start time."), "end_time")
    for other in load_working_hours(practitioner):
        # Half-open blocks: one ending at 12:00 and the next starting at 12:00 do not overlap.
        if other.weekday == weekday and other.start_time < end and start < other.end_time:
            raise FieldError(_l(
                "This overlaps the block from %(start)s to %(end)s on the same day; nothing was stored.",
                start=other.start_time.strftime("%H:%M"), end=other.end_time.strftime("%H:%M")), "start_time")
    hours = WorkingHours(practitioner_id=practitioner.id, location_id=block.location_id, weekday=weekday,
                         start_time=start, end_time=end)
    db.session.add(hours)
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"working hours of {practitioner.name}")
    db.session.commit()
    return hours


def remove_entry(entry: WorkingHours | TimeOff) -> None:
    """A practitioner's block of working hours or time off goes."""
    db.session.delete(entry)
    audit.record(AuditAction.SETTINGS_CHANGED, None, "working hours or time off removed")
    db.session.commit()


def load_upcoming_time_off(practitioner: Practitioner, now: datetime) -> list[TimeOff]:
    """Time off that has not ended yet, soonest first."""
    return list(db.session.scalars(select(TimeOff).where(TimeOff.practitioner_id == practitioner.id,
                                                         TimeOff.end > now).order_by(TimeOff.start)))


def add_time_off(practitioner: Practitioner, absence: Absence, tz: str) -> TimeOff:
    """Time off entered in the practice's wall-clock time, stored as UTC moments."""
    start = existing_moment(absence.start_day, absence.start_at, tz, "start_at")
    end = existing_moment(absence.end_day, absence.end_at, tz, "end_at")
    if not start < end:
        raise FieldError(_l("The end must be after the start."), "end_at")
    time_off = TimeOff(practitioner_id=practitioner.id, start=start, end=end, reason=absence.reason.strip())
    db.session.add(time_off)
    audit.record(AuditAction.SETTINGS_CHANGED, None, f"time off of {practitioner.name}")
    db.session.commit()
    return time_off

