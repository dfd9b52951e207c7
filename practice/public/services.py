"""Online rescheduling: whether a client may still move their appointment, the free times they may choose
from (same practitioner, location and duration), and the move itself."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from .. import links, localtime
from ..i18n import lazy_gettext as _l
from ..rescheduling import why_not_cancellable, why_not_movable
from ..agenda import services as agenda
from ..agenda.free import load_free_times
from ..errors import FieldError
from ..extensions import db
from ..models import Appointment, OnlineMove, Practice


def find_by_token(token: str) -> Appointment | None:
    """The appointment a client's link names, or None (a wrong, broken or withdrawn link)."""
    if not links.looks_like_a_token(token):
        return None
    return db.session.scalar(select(Appointment).where(Appointment.link_hash == links.token_hash(token)))


BETWEEN_MOVES = timedelta(minutes=5)  # one link never moves an appointment twice within this


def _moved_enough(appointment: Appointment, practice: Practice, now: datetime):
    """A link moves its appointment a limited number of times, and never twice in a row within minutes: each move
    sends the client and the practice a message (some of them paid SMS). None, or the reason to show."""
    moves, last = db.session.execute(select(func.count(OnlineMove.id), func.max(OnlineMove.moved_at))
                                     .where(OnlineMove.appointment_id == appointment.id)).one()
    if moves >= practice.reschedule_moves_per_link:
        return _l("This appointment has been moved online %(count)d times already, which is as often as it can be. "
                  "Please call us to change it.", count=practice.reschedule_moves_per_link)
    if last is not None and now - last.replace(tzinfo=last.tzinfo or UTC) < BETWEEN_MOVES:
        return _l("This appointment was moved a moment ago. Please wait a few minutes before moving it again.")
    return None


def bookable_days(practice: Practice, now: datetime) -> tuple[date, date]:
    """The first and last local day a client may move to."""
    tz = practice.timezone
    first = localtime.local_date(now + timedelta(hours=practice.reschedule_cutoff_hours), tz)
    return first, localtime.local_date(now, tz) + timedelta(days=practice.reschedule_horizon_days)


def free_times_for(appointment: Appointment, day: date, practice: Practice, now: datetime) -> list[datetime]:
    """The starts the client may choose on `day`: the practitioner's working hours at the same location,
    minus their other appointments and time off, not within the cutoff, on the practice's time grid."""
    first, last = bookable_days(practice, now)
    if not first <= day <= last:
        return []
    times = load_free_times(appointment.practitioner_id, appointment.location_id,
                                   appointment.appointment_type_id, day, practice, exclude_id=appointment.id,
                                   not_before=now + timedelta(hours=practice.reschedule_cutoff_hours))
    return [moment for moment in times if moment != appointment.start]


def move_online(appointment: Appointment, new_start: datetime, practice: Practice, now: datetime) -> None:
    """Move the appointment to `new_start` for the client, or MoveRefused and nothing changed.

    The agenda's own change path does the rest in one transaction: the practitioner's agenda locked against a
    second booking at the same moment, the overlap check, the notices, the reminders and the online-activity
    record. Two clients racing for one time: exactly one gets it.
    """
    reason = why_not_movable(appointment, practice, now) or _moved_enough(appointment, practice, now)
    if reason:
        raise FieldError(reason)
    local_day = localtime.local_date(new_start, practice.timezone)
    if new_start not in free_times_for(appointment, local_day, practice, now):
        raise FieldError(_l("Sorry, that time is no longer free. Please choose another one."))
    booking = agenda.Booking(client_id=appointment.client_id, practitioner_id=appointment.practitioner_id,
                             appointment_type_id=appointment.appointment_type_id,
                             location_id=appointment.location_id, start=new_start,
                             notes=appointment.notes)
    try:
        agenda.change(appointment, booking, practice.timezone, online=True)
    except FieldError:
        db.session.rollback()
        raise FieldError(_l("Sorry, that time is no longer free. Please choose another one.")) from None


REASON_LENGTH = 500  # characters of the reason a client may give for cancelling


def checked_reason(text: str) -> str:
    """The reason a client gives for cancelling, on one line and without control characters; FieldError (on
    "reason") when it is too long."""
    reason = " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())
    if len(reason) > REASON_LENGTH:
        raise FieldError(_l("Please keep the reason under %(count)d characters.", count=REASON_LENGTH), "reason")
    return reason


def cancel_online(appointment: Appointment, reason: str, practice: Practice, now: datetime) -> None:
    """Cancel the appointment for the client, with their reason (may be empty), or FieldError and nothing changed.
    The agenda's own cancel does the rest in one transaction: the client's notice, the practice's notice with the
    reason, the reminders withdrawn and the online-activity record; of two at once exactly one goes through."""
    refusal = why_not_cancellable(appointment, practice, now)
    if refusal:
        raise FieldError(refusal)
    agenda.cancel(appointment, online_reason=checked_reason(reason))
