"""The tables of the waiting list: who waits for what, and each freed time offered to one of them."""
import secrets
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import EnumText, UTCDateTime, utcnow
from ..enums import OfferOutcome, WaitingStatus
from ..extensions import db
from ..models import Appointment, AppointmentType, Client, Location, Message, Practitioner


class WaitingEntry(db.Model):
    """A client waiting for a time: with a practitioner (None: any), for an appointment type at a location, on
    preferred weekdays (a bit per weekday, Monday first; 0: any day) and between preferred times of day (the
    start, on the practice's wall clock; None: any), until the end of `expires_on`."""

    __table_args__ = (Index("ix_waiting_entry_waiting", "status", "location_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    weekdays: Mapped[int] = mapped_column(default=0)
    earliest: Mapped[time | None] = mapped_column()
    latest: Mapped[time | None] = mapped_column()
    expires_on: Mapped[date] = mapped_column()
    notes: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[WaitingStatus] = mapped_column(EnumText(WaitingStatus, 10), default=WaitingStatus.WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the order of waiting

    client: Mapped[Client] = relationship()
    practitioner: Mapped[Practitioner | None] = relationship()
    appointment_type: Mapped[AppointmentType] = relationship()
    location: Mapped[Location] = relationship()

    def on_weekday(self, weekday: int) -> bool:
        return not self.weekdays or bool(self.weekdays & (1 << weekday))


class WaitingOffer(db.Model):
    """A freed time offered to a client on the list, with a link of its own (found by its hash, like the public
    page's). Open until taken, gone to someone else, or past `expires_at`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waiting_entry.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[OfferOutcome] = mapped_column(EnumText(OfferOutcome, 10), default=OfferOutcome.OPEN)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))  # the one taken
    by_hand: Mapped[bool] = mapped_column(default=False)  # offered by the practice rather than on a freed time

    entry: Mapped[WaitingEntry] = relationship()
    practitioner: Mapped[Practitioner] = relationship()
    location: Mapped[Location] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    messages: Mapped[list[Message]] = relationship(back_populates="offer")

    def outcome_at(self, now: datetime) -> OfferOutcome:
        if self.outcome == OfferOutcome.OPEN and self.expires_at <= now:
            return OfferOutcome.EXPIRED
        return self.outcome
