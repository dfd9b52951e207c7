"""Making, revoking and reading a practitioner's calendar feed. The owner makes a link (shown once), revokes it,
or makes a new one (which revokes the old); the public route finds a link by the SHA-256 of its token."""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from .. import links
from ..audit import services as audit
from ..enums import AppointmentStatus, AuditAction
from ..extensions import db
from ..messages.content import mail_domain
from ..models import Appointment, Practice, Practitioner, User
from .calendar import FeedEvent, feed_ics
from .models import CalendarFeed

# The window the feed covers. A few days back, so today's and yesterday's appointments stay on the phone while
# they are talked about; eight weeks ahead, what a practitioner plans with, and a small file to fetch every hour.
DAYS_BACK = 7
WEEKS_AHEAD = 8
# The feed's last read is written at most this often: a calendar app polling every few minutes costs no write.
READ_NOTED = timedelta(minutes=15)
# Booked and no-show appointments are in the feed; a cancelled one is left out, so the phone drops it.
SHOWN = (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)


@dataclass(frozen=True)
class MadeFeed:
    feed: CalendarFeed
    url: str  # the full address: the only time it exists outside the practitioner's phone


def load_current(practitioner: Practitioner) -> CalendarFeed | None:
    """The practitioner's link that still works, if any."""
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.practitioner_id == practitioner.id,
                                                        CalendarFeed.revoked_at.is_(None))
                             .order_by(CalendarFeed.id.desc()).limit(1))


def make_feed(practitioner: Practitioner, by: User, now: datetime) -> MadeFeed:
    """A new link for the practitioner; any older one stops working in the same commit."""
    _revoke_all(practitioner, now)
    token = secrets.token_urlsafe(24)  # 192 bits, 32 characters
    feed = CalendarFeed(practitioner_id=practitioner.id, token_hash=links.token_hash(token), created_at=now,
                        created_by_id=by.id)
    db.session.add(feed)
    audit.record(AuditAction.FEED_LINK_MADE, None, f"calendar feed of {practitioner.name}", by=by)
    db.session.commit()
    return MadeFeed(feed, feed_url(token))


def revoke_feed(practitioner: Practitioner, now: datetime) -> bool:
    """The practitioner's link stops working at once; False when there was none."""
    revoked = _revoke_all(practitioner, now)
    if revoked:
        audit.record(AuditAction.FEED_LINK_REVOKED, None, f"calendar feed of {practitioner.name}")
    db.session.commit()
    return bool(revoked)


def _revoke_all(practitioner: Practitioner, now: datetime) -> int:
    # The practitioner's row is locked first (PostgreSQL; SQLite has one writer at a time anyway): two owners making
    # a link at once then take turns, and the second revokes the first's, so one link works, never two.
    db.session.execute(select(Practitioner.id).where(Practitioner.id == practitioner.id).with_for_update())
    return db.session.execute(update(CalendarFeed).where(CalendarFeed.practitioner_id == practitioner.id,
                                                         CalendarFeed.revoked_at.is_(None))
                              .values(revoked_at=now)).rowcount


def feed_url(token: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("feed.calendar", token=token)


def find_feed(token: str) -> CalendarFeed | None:
    """The working link a token names (by the unique index on its hash), or None: unknown and revoked alike."""
    if not links.looks_like_a_token(token):
        return None
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == links.token_hash(token),
                                                        CalendarFeed.revoked_at.is_(None)))


def read_feed(feed: CalendarFeed, now: datetime) -> bytes:
    """The practitioner's appointments from DAYS_BACK ago to WEEKS_AHEAD on, as iCalendar. Client names only when
    the practice allows it; never an e-mail address, a phone number or notes."""
    practice = Practice.current()
    practitioner = db.session.get(Practitioner, feed.practitioner_id)
    query = (select(Appointment)
             .where(Appointment.practitioner_id == practitioner.id, Appointment.status.in_(SHOWN),
                    Appointment.start >= now - timedelta(days=DAYS_BACK),
                    Appointment.start < now + timedelta(weeks=WEEKS_AHEAD))
             .options(joinedload(Appointment.appointment_type), joinedload(Appointment.location))
             .order_by(Appointment.start))
    if practice.feed_client_names:
        query = query.options(joinedload(Appointment.client))
    domain = mail_domain()
    events = [FeedEvent(uid=f"feed-appointment-{appointment.id}@{domain}", start=appointment.start,
                        end=appointment.end, summary=_summary(appointment, practice.feed_client_names),
                        location=", ".join(part for part in (appointment.location.name,
                                                             appointment.location.address) if part),
                        changed_at=appointment.updated_at)
              for appointment in db.session.scalars(query).unique()]
    _note_read(feed, now)
    return feed_ics(f"{practitioner.name} – {practice.name}", events)


def _summary(appointment: Appointment, with_name: bool) -> str:
    kind = appointment.appointment_type.name
    return f"{kind} – {appointment.client.name}" if with_name else kind


def _note_read(feed: CalendarFeed, now: datetime) -> None:
    """When the link was last read, kept cheap: one conditional update, at most once per READ_NOTED."""
    done = db.session.execute(update(CalendarFeed).where(
        CalendarFeed.id == feed.id, or_(CalendarFeed.last_read_at.is_(None),
                                        CalendarFeed.last_read_at < now - READ_NOTED))
        .values(last_read_at=now)).rowcount
    if done:
        db.session.commit()
