"""An SMS that came in from a phone, linked to the client and appointment it answers."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import UTCDateTime, utcnow
from ..extensions import db
from ..models import Appointment, Client, Message, User


class InboundSms(db.Model):
    """A reply. `meaning` is what replies.meaning_of made of it (stop, confirm, decline, other); `done` says what the
    app did at once (a note); the rest wait in the inbox until a person marks them handled."""

    __table_args__ = (Index("ix_inbound_sms_open", "handled_at", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64), unique=True)  # the gateway's id: a retried call is one reply
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sender: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    receiver: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    meaning: Mapped[str] = mapped_column(String(10))
    done: Mapped[str] = mapped_column(String(200), default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))

    client: Mapped[Client | None] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    handled_by: Mapped[User | None] = relationship()
    answer: Mapped[Message | None] = relationship()
