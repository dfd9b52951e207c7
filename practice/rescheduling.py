"""Whether a client may still move or cancel an appointment online: the one place the rules are written. The public
page refuses a move or a cancellation by them, and a message leaves the link out when neither is possible (no link
the page would then refuse)."""
from datetime import datetime, timedelta

from sqlalchemy import select

from .enums import AppointmentStatus
from .extensions import db
from .i18n import lazy_gettext as _l
from .models import Appointment, OnlineCancellation, Practice


def why_not_movable(appointment: Appointment, practice: Practice, now: datetime):
    """None if the client may move it online now, else the reason to show them."""
    if not practice.online_rescheduling:
        return _l("This appointment can no longer be moved online.")
    if appointment.status == AppointmentStatus.CANCELLED:
        return _l("This appointment has been cancelled, so it can no longer be moved online.")
    if appointment.status != AppointmentStatus.BOOKED or appointment.start <= now:
        return _l("This appointment has passed.")
    if appointment.start - now < timedelta(hours=practice.reschedule_cutoff_hours):
        return _l("Appointments can be moved online up to %(hours)d hours before they start; this one is too close.",
                  hours=practice.reschedule_cutoff_hours)
    return None


def cancel_cutoff_hours(practice: Practice) -> int:
    """Until how many hours before the start a client may cancel online: its own setting, else the moving one."""
    own = practice.cancel_cutoff_hours
    return practice.reschedule_cutoff_hours if own is None else own


def why_not_cancellable(appointment: Appointment, practice: Practice, now: datetime):
    """None if the client may cancel it online now, else the reason to show them."""
    if not practice.online_rescheduling or not practice.online_cancelling:
        return _l("This appointment cannot be cancelled online.")
    if appointment.status == AppointmentStatus.CANCELLED:
        return _l("This appointment has been cancelled.")
    if appointment.status != AppointmentStatus.BOOKED or appointment.start <= now:
        return _l("This appointment has passed.")
    hours = cancel_cutoff_hours(practice)
    if appointment.start - now < timedelta(hours=hours):
        return _l("Appointments can be cancelled online up to %(hours)d hours before they start; this one is too "
                  "close.", hours=hours)
    return None


def link_offered(appointment: Appointment, practice: Practice, now: datetime) -> bool:
    """Whether a message carries the client's link: the page would let them move or cancel."""
    return why_not_movable(appointment, practice, now) is None or why_not_cancellable(appointment, practice, now) is None


def online_cancellation_of(appointment: Appointment) -> OnlineCancellation | None:
    """How the client cancelled it online, if they did (the appointment panel says so)."""
    if appointment.status != AppointmentStatus.CANCELLED:
        return None
    return db.session.scalar(select(OnlineCancellation).where(OnlineCancellation.appointment_id == appointment.id))
