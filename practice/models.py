"""The tables of one practice. Times are stored in UTC and shown in the practice's time zone."""
import secrets
from datetime import datetime, time, timedelta

from flask import g
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, and_, event, func, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .enums import (AppointmentStatus, Channel, Channels, ConsentSource, MessageKind, MessageStatus, NotSentReason,
                    Role)
from . import search_index
from .columns import EnumText, UTCDateTime, utcnow
from .extensions import db
from .search_text import search_text_of


class Practice(db.Model):
    """The one practice this installation serves, with its settings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    country: Mapped[str] = mapped_column(String(2), default="NL")
    subdivision: Mapped[str | None] = mapped_column(String(16))
    sms_enabled: Mapped[bool] = mapped_column(default=False)
    sms_sender_id: Mapped[str] = mapped_column(String(16), default="")
    sms_sender_number: Mapped[str] = mapped_column(String(16), default="")  # where the alphanumeric one is refused
    sms_replies: Mapped[bool] = mapped_column(default=False)  # replies read: every SMS from the number
    sms_reply_keywords: Mapped[str] = mapped_column(String(40), default="stop,confirm,decline")  # replies.Meaning
    sms_price_cents: Mapped[int] = mapped_column(default=10)  # per delivered segment
    sms_budget_cents: Mapped[int | None] = mapped_column()  # a month's SMS at most (None: no budget)
    sms_budget_warned: Mapped[str] = mapped_column(String(7), default="")  # the month the owner heard of 80 %
    confirmation_email: Mapped[bool] = mapped_column(default=True)
    confirmation_sms: Mapped[bool] = mapped_column(default=True)
    offer_hours: Mapped[int] = mapped_column(default=2)  # how long a waiting list offer stays open
    notice_delay_minutes: Mapped[int] = mapped_column(default=3)  # the undo window of confirmations and notices
    reminder_rules: Mapped[str] = mapped_column(String(100), default="days_before:2@07:00")  # schedule.rules_to_text
    # Online rescheduling by clients on the public page: off until the owner switches it on.
    online_rescheduling: Mapped[bool] = mapped_column(default=False)
    reschedule_cutoff_hours: Mapped[int] = mapped_column(default=24)  # no online moves closer to the start
    reschedule_horizon_days: Mapped[int] = mapped_column(default=28)  # how far ahead a client may move it
    reschedule_step_minutes: Mapped[int] = mapped_column(default=15)  # the grid of the offered times
    reschedule_moves_per_link: Mapped[int] = mapped_column(default=3)  # one link moves an appointment so often
    online_cancelling: Mapped[bool] = mapped_column(default=True)  # on the same page, when it is on
    cancel_cutoff_hours: Mapped[int | None] = mapped_column()  # None: the same as for moving
    # Sessions end after this long unused, and this long after the login whatever happens (OWASP ASVS V7.3).
    session_idle_minutes: Mapped[int] = mapped_column(default=120)
    session_hours: Mapped[int] = mapped_column(default=10)
    two_step_required: Mapped[bool] = mapped_column(default=False)  # everyone logs in with a second step
    feed_client_names: Mapped[bool] = mapped_column(default=False)  # practitioners' calendar feeds name clients
    retention_months: Mapped[int | None] = mapped_column()  # message texts and recipients kept so long (None: ever)
    catalogue_stamp: Mapped[str] = mapped_column(String(16), default=lambda: secrets.token_hex(8))  # catalogue.py

    @property
    def sms_sender(self) -> str:
        """The sender ID clients see: the one in the settings, else the letters and digits of the name."""
        return self.sms_sender_id or "".join(c for c in self.name if c.isascii() and c.isalnum())[:11] or "Practice"

    @classmethod
    def current(cls, read: "Practice | None" = None) -> "Practice":
        """The practice, read once per app context (a request, a task), or as `read` by a statement that read it with
        more (the session's user, auth.services). Its row is made with the tables."""
        cached = g.get("practice")
        if cached is None or cached not in db.session:  # not yet, or the session was closed or emptied since
            g.practice = cached = read if read is not None else db.session.scalar(_THE_PRACTICE)
        return cached


_THE_PRACTICE = select(Practice).order_by(Practice.id).limit(1)  # built once: every page reads it (auth.services)


@event.listens_for(Practice.__table__, "after_create")
def _the_practice_row(table, connection, **_) -> None:
    """One practice per database, there from the start (migration 0008 does the same): reading the settings
    never has to write."""
    connection.execute(table.insert().values(id=1, name="Practice"))


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(EnumText(Role, 10), default=Role.STAFF)
    language: Mapped[str | None] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session id: bumping it logs the user out everywhere (OWASP ASVS V7.4.1).
    session_version: Mapped[int] = mapped_column(default=1)
    # Two-step login (RFC 6238 TOTP): the shared secret, since when it is on, and the last time step used (a code
    # is good once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_step_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class Location(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(250), default="")
    sms_note: Mapped[str] = mapped_column(String(124), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Practitioner(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    working_hours: Mapped[list["WorkingHours"]] = relationship(back_populates="practitioner", cascade="all, delete-orphan",
                                                               order_by="WorkingHours.weekday")


class WorkingHours(db.Model):
    """A weekly block of working time at one location, in the practice's wall-clock time."""

    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
                      CheckConstraint("start_time < end_time", name="order"))
    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    weekday: Mapped[int]  # 0 = Monday
    start_time: Mapped[time]
    end_time: Mapped[time]

    practitioner: Mapped[Practitioner] = relationship(back_populates="working_hours")
    location: Mapped[Location] = relationship()


class TimeOff(db.Model):
    __table_args__ = (CheckConstraint("start < \"end\"", name="order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(120), default="")

    practitioner: Mapped[Practitioner] = relationship()


class AppointmentType(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int] = mapped_column(default=30)
    colour: Mapped[str] = mapped_column(String(7), default="#4f7cac")
    active: Mapped[bool] = mapped_column(default=True)
    # None: the practice's reminders; "": no reminders for this type; else its own (schedule.rules_to_text)
    reminder_rules: Mapped[str | None] = mapped_column(String(100))


class Client(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")  # E.164, or empty
    language: Mapped[str] = mapped_column(String(2), default="nl")
    notes: Mapped[str] = mapped_column(Text, default="")
    confirmation_channels: Mapped[Channels] = mapped_column(EnumText(Channels, 5), default=Channels.EMAIL)
    reminder_channels: Mapped[Channels] = mapped_column(EnumText(Channels, 5), default=Channels.EMAIL)
    # The state after the newest ConsentEvent, kept beside the history so lists and sends need no sub-query.
    sms_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # on request: only anonymous history is left
    # What search finds the client by (search_text.py), kept right on every save (below); it orders by name too.
    search_text: Mapped[str] = mapped_column(String(600), default="", index=True)

    consent_events: Mapped[list["ConsentEvent"]] = relationship(back_populates="client", order_by="ConsentEvent.id.desc()",
                                                                cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _searchable(mapper, connection, client: Client) -> None:  # whoever saves a card: the form, the demo, an import
    client.search_text = search_text_of(client.first_name or "", client.last_name or "", client.email or "",
                                        client.mobile or "")


event.listen(Client.__table__, "after_create", search_index.with_the_table)  # as migration 0012 makes it


class ConsentEvent(db.Model):
    """One registration or withdrawal of a client's SMS consent: the audit trail, never edited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    granted: Mapped[bool]
    source: Mapped[ConsentSource] = mapped_column(EnumText(ConsentSource, 10))
    note: Mapped[str] = mapped_column(String(250), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    client: Mapped[Client] = relationship(back_populates="consent_events")
    recorded_by: Mapped[User | None] = relationship()


LONGEST_APPOINTMENT_MINUTES = 480  # an appointment type lasts 5 minutes to a working day


class AppointmentSeries(db.Model):
    """Appointments booked together in a rhythm (a treatment series): one confirmation for all, one notice when
    several change together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appointment(db.Model):
    __table_args__ = (
        CheckConstraint("start < \"end\"", name="order"),
        Index("ix_appointment_practitioner_start", "practitioner_id", "start"),
        Index("ix_appointment_location_start", "location_id", "start"),
        Index("ix_appointment_start", "start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        EnumText(AppointmentStatus, 10), default=AppointmentStatus.BOOKED
    )
    confirmation_channels: Mapped[Channels] = mapped_column(EnumText(Channels, 5), default=Channels.EMAIL)
    reminder_channels: Mapped[Channels] = mapped_column(EnumText(Channels, 5), default=Channels.EMAIL)
    notes: Mapped[str] = mapped_column(Text, default="")
    # An owner booked it outside the practitioner's working hours on purpose.
    outside_hours: Mapped[bool] = mapped_column(default=False)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"), index=True)
    confirmed_by_client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # they replied yes to an SMS
    # The client's link to the public page: derived from this random nonce with the secret key, and found again
    # by its SHA-256, so the database never holds a usable link (links.py).
    link_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    client: Mapped[Client] = relationship()
    practitioner: Mapped[Practitioner] = relationship()
    appointment_type: Mapped[AppointmentType] = relationship()
    location: Mapped[Location] = relationship()
    series: Mapped[AppointmentSeries | None] = relationship()

    @classmethod
    def overlapping(cls, start, end, earliest=None):
        """The condition for appointments that overlap [start, end). The lower bound on `start` lets the index on start
        read just that stretch of the agenda; `earliest`: for bound parameters, the value `reach_back(start)`."""
        return and_(cls.start < end, cls.end > start, cls.start > (reach_back(start) if earliest is None else earliest))


def reach_back(start: datetime) -> datetime:  # the earliest start of an appointment still going on at `start`
    return start - timedelta(minutes=LONGEST_APPOINTMENT_MINUTES)


class MessageTemplate(db.Model):
    """An owner's version of a message; without one the default that ships with the app is used."""

    __table_args__ = (UniqueConstraint("kind", "channel", "language", "appointment_type_id", name="one_per_slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(EnumText(MessageKind, 20))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 5))
    language: Mapped[str] = mapped_column(String(2))
    appointment_type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_type.id"))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # plain text, or the SMS
    html_body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Message(db.Model):
    """One message to one recipient on one channel: the outbox row, and its line in the message log."""

    __table_args__ = (
        Index("ix_message_due", "status", "due_at"),
        # The message log, newest first, whole or by status (messages/log.py): a page is a short read along these.
        Index("ix_message_logged", text("coalesce(handed_over_at, status_at)"), "id"),
        Index("ix_message_status_logged", "status", text("coalesce(handed_over_at, status_at)"), "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # appointment:kind:channel:start[:rule]: the same message is never planned twice (a unique key, not a check).
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    account_link_id: Mapped[int | None] = mapped_column(ForeignKey("account_link.id"))  # an invitation, a reset
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("waiting_offer.id"))  # a freed time from the waiting list
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)  # for a client, no appointment
    kind: Mapped[MessageKind] = mapped_column(EnumText(MessageKind, 20))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, 5))
    recipient: Mapped[str] = mapped_column(String(254), default="")
    language: Mapped[str] = mapped_column(String(2), default="nl")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[MessageStatus] = mapped_column(EnumText(MessageStatus, 20), default=MessageStatus.PLANNED)
    reason: Mapped[NotSentReason | None] = mapped_column(EnumText(NotSentReason, 20))
    error: Mapped[str] = mapped_column(String(500), default="")  # a note (enums.noted), shown through in_words
    attempts: Mapped[int] = mapped_column(default=0)
    claim_id: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[int] = mapped_column(default=0)
    encoding: Mapped[str] = mapped_column(String(5), default="")
    price_cents: Mapped[int] = mapped_column(default=0)  # charged only once delivered
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # usage is counted by it
    # The point of no return of the attempt under way: the final write (SMTP's closing dot, the gateway request)
    # begins after this is committed. Set and still SENDING after a crash: the outcome is in doubt.
    final_write_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An attempt's outcome could not be known: the message may have arrived (messages/sending.py).
    in_doubt: Mapped[bool] = mapped_column(default=False)
    # A notice about a move (rescheduled, or the practice's notice of an online move): where the appointment was
    # before, for the old date and time in its text.
    moved_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # text and recipient removed (erasure, retention)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its moment in the log: when it went out, or, for one that never did, when it ended (as ix_message_logged).
    logged_at: Mapped[datetime] = column_property(func.coalesce(handed_over_at, status_at))

    appointment: Mapped["Appointment | None"] = relationship()
    account_link: Mapped["AccountLink | None"] = relationship()  # noqa: F821 (accounts/models.py)
    offer: Mapped["WaitingOffer | None"] = relationship(back_populates="messages")  # noqa: F821 (waiting/models.py)
    client: Mapped["Client | None"] = relationship()
    events: Mapped[list["MessageEvent"]] = relationship(back_populates="message", order_by="MessageEvent.id")


class MessageEvent(db.Model):
    """Each attempt and each delivery report of a message, as it happened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[MessageStatus] = mapped_column(EnumText(MessageStatus, 20))
    detail: Mapped[str] = mapped_column(String(500), default="")  # a note (enums.noted), or a report's own text

    message: Mapped[Message] = relationship(back_populates="events")


class OnlineMove(db.Model):
    """A client moved their appointment on the public page: the owner's online activity."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    from_start: Mapped[datetime] = mapped_column(UTCDateTime)
    to_start: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    appointment: Mapped[Appointment] = relationship()


class OnlineCancellation(db.Model):
    """A client cancelled their appointment on the public page, with their reason if they gave one. One per
    appointment: a second cancellation fails on the unique key as well as on the appointment's status."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    cancelled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    appointment: Mapped[Appointment] = relationship()


class SettledFigure(db.Model):
    """A figure of a stretch of time long enough ago that it no longer changes (settled.py): counted once."""

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)  # JSON
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkerBeat(db.Model):
    """When the Huey consumer last ran its heartbeat task: the dashboard shows whether it is alive."""

    id: Mapped[int] = mapped_column(primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
