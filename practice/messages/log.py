"""Reading the message log: filters by status, channel and period."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import localtime
from ..extensions import db
from ..enums import Channel, MessageStatus, NotSentReason
from ..models import Appointment, Message, Practice
from .planning import reason_not_to_send


@dataclass(frozen=True)
class Filters:
    status: MessageStatus | None
    channel: Channel | None
    first_day: date
    last_day: date
    tz: str

    @classmethod
    def chosen(cls, status: str, channel: str, first: date | None, last: date | None, tz: str) -> "Filters":
        """What the log shows; an unknown status or channel means all, and no dates the recent weeks."""
        today = localtime.today(datetime.now(UTC), tz)
        first, last = first or today - timedelta(days=30), last or today + timedelta(days=14)
        return cls(MessageStatus(status) if status in set(MessageStatus) else None,
                   Channel(channel) if channel in set(Channel) else None, min(first, last), max(first, last), tz)

    def bounds(self) -> tuple[datetime, datetime]:
        return localtime.days_bounds(self.first_day, self.last_day, self.tz)


def load_messages(filters: Filters, limit: int = 500) -> list[Message]:
    start, end = filters.bounds()
    query = (select(Message).where(Message.due_at >= start, Message.due_at < end)
             .options(joinedload(Message.appointment).joinedload(Appointment.client))
             .order_by(Message.due_at.desc(), Message.id.desc()).limit(limit))
    if filters.status:
        query = query.where(Message.status == filters.status)
    if filters.channel:
        query = query.where(Message.channel == filters.channel)
    return list(db.session.scalars(query))


def load_for_appointment(appointment_id: int, practice: Practice) -> list[tuple[Message, NotSentReason | None]]:
    """The appointment's messages, each with the reason a planned one would not go out as things stand now."""
    messages = db.session.scalars(select(Message).where(Message.appointment_id == appointment_id,
                                                        Message.status != MessageStatus.WITHDRAWN)
                                  .options(joinedload(Message.events)).order_by(Message.due_at, Message.id)).unique()
    return [(message, reason_not_to_send(message, practice) if message.status == MessageStatus.PLANNED else None)
            for message in messages]


def load_message(message_id: int) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id)
                             .options(joinedload(Message.events), joinedload(Message.appointment)))
