"""Whether a client may still move an appointment online: the one place the rule is written. The public page
refuses a move by it, and a message leaves the reschedule link out by it (no link the page would then refuse)."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from .enums import AppointmentStatus
from .models import Appointment, Practice


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
