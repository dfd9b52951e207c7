"""The reminders of the coming days: what will go out, and for every appointment that gets none, why."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..enums import AppointmentStatus, MessageKind, MessageStatus, NotSentReason
from ..models import Appointment, Message, Practice
from .planning import reason_not_to_send, reminder_rules


@dataclass
class Line:
    """One reminder of one appointment: when and how it goes out, or why it will not."""
    due_at: datetime | None
    channel: str | None
    reason: NotSentReason | None = None


@dataclass
class Entry:
    appointment: Appointment
    lines: list[Line] = field(default_factory=list)

    @property
    def goes_out(self) -> bool:
        return any(line.reason is None for line in self.lines)


def load_forecast(now: datetime, days: int, practice: Practice) -> list[Entry]:
    """Every booked appointment starting within `days` days, with its reminders as they stand now."""
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.start > now,
               Appointment.start <= now + timedelta(days=days))
        .options(joinedload(Appointment.client), joinedload(Appointment.appointment_type),
                 joinedload(Appointment.practitioner))
        .order_by(Appointment.start)).all()
    reminders: dict[int, list[Message]] = {}
    for message in db.session.scalars(select(Message).where(
            Message.kind == MessageKind.REMINDER, Message.status != MessageStatus.WITHDRAWN,
            Message.appointment_id.in_([a.id for a in appointments]))
            .options(selectinload(Message.appointment))):
        reminders.setdefault(message.appointment_id, []).append(message)
    return [_entry(appointment, reminders.get(appointment.id, []), practice) for appointment in appointments]


def _entry(appointment: Appointment, messages: list[Message], practice: Practice) -> Entry:
    entry = Entry(appointment)
    if not reminder_rules(appointment, practice):
        entry.lines.append(Line(None, None, NotSentReason.REMINDERS_OFF))
    elif appointment.reminder_channels == "none":
        entry.lines.append(Line(None, None, NotSentReason.NOT_WANTED))
    for message in sorted(messages, key=lambda m: (m.due_at, m.channel)):
        if message.status == MessageStatus.PLANNED:
            entry.lines.append(Line(message.due_at, message.channel, reason_not_to_send(message, practice)))
        elif message.status == MessageStatus.NOT_SENT:
            entry.lines.append(Line(message.due_at, message.channel, message.reason))
    return entry
