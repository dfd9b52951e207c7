"""The waiting list at the desk and on the client's offer page: putting a client on it and off, offering a time by
hand, and taking an offer, where exactly one client gets the time."""
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import links, localtime
from ..agenda import services as agenda
from ..agenda.free import load_free_times
from ..audit import services as audit
from ..enums import AuditAction, OfferOutcome, WaitingStatus
from ..errors import FieldError, bookable
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages import planning
from ..models import Appointment, Client, Practice
from .models import WaitingEntry, WaitingOffer
from .offers import offer_deadline, offer_to


@dataclass(frozen=True)
class Wish:
    """What the waiting list form asks for, checked by the form."""

    client_id: int
    practitioner_id: int | None  # None: any practitioner
    appointment_type_id: int
    location_id: int
    weekdays: int  # a bit per weekday, Monday first; 0: any day
    earliest: time | None
    latest: time | None
    expires_on: date
    notes: str = ""


class OfferGone(Exception):
    """The offered time went to someone else, expired, or is no longer free."""


def add_entry(wish: Wish, today: date) -> WaitingEntry:
    """Put a client on the list, or FieldError and nothing stored."""
    bookable(db.session.get(Client, wish.client_id))
    if wish.expires_on < today:
        raise FieldError(_l("Choose an expiry date from today on."), "expires_on")
    if wish.earliest and wish.latest and wish.earliest >= wish.latest:
        raise FieldError(_l("The earliest time must come before the latest."), "latest")
    entry = WaitingEntry(**asdict(wish) | {"notes": wish.notes.strip()})
    db.session.add(entry)
    db.session.flush()
    audit.record(AuditAction.WAITING_LIST_ADDED, entry.client_id, _described(entry))
    db.session.commit()
    return entry


def remove_entry(entry: WaitingEntry) -> None:
    if entry.status != WaitingStatus.WAITING:
        raise FieldError(_l("This client is no longer on the waiting list."))
    entry.status = WaitingStatus.REMOVED
    audit.record(AuditAction.WAITING_LIST_REMOVED, entry.client_id, _described(entry))
    db.session.commit()


def _described(entry: WaitingEntry) -> str:
    who = entry.practitioner.name if entry.practitioner is not None else "*"
    return f"{entry.appointment_type.name} · {who} · {entry.location.name} · {entry.expires_on.isoformat()}"


def load_waiting() -> list[WaitingEntry]:
    """Who waits, longest waiting first (those past their expiry date too, to take off)."""
    return list(db.session.scalars(
        select(WaitingEntry).where(WaitingEntry.status == WaitingStatus.WAITING)
        .options(joinedload(WaitingEntry.client), joinedload(WaitingEntry.practitioner),
                 joinedload(WaitingEntry.appointment_type), joinedload(WaitingEntry.location))
        .order_by(WaitingEntry.created_at, WaitingEntry.id)))


def load_offers(limit: int = 100) -> list[WaitingOffer]:
    """The latest offers, newest first, for their outcome."""
    return list(db.session.scalars(
        select(WaitingOffer).options(joinedload(WaitingOffer.entry).joinedload(WaitingEntry.client),
                                     joinedload(WaitingOffer.practitioner))
        .order_by(WaitingOffer.offered_at.desc(), WaitingOffer.id.desc()).limit(limit)))


def offer_by_hand(entry: WaitingEntry, practitioner_id: int, start: datetime, now: datetime) -> WaitingOffer:
    """The desk offers a listed client a time of its choice; FieldError when it is not free for their type or too
    close to offer."""
    practice = Practice.current()
    day = localtime.local_date(start, practice.timezone)
    if start not in load_free_times(practitioner_id, entry.location_id, entry.appointment_type_id, day, practice,
                                    not_before=now):
        raise FieldError(_l("That time is not free for this appointment type; choose one of the free times."), "start")
    closes = offer_deadline(start, practice, now)
    if closes <= now:
        raise FieldError(_l("That time is inside the cutoff for online changes: call the client instead."), "start")
    offer = offer_to(entry, practitioner_id, entry.location_id, start, closes, now, by_hand=True)
    db.session.commit()
    planning.queue(offer.messages)
    return offer


def find_offer(token: str) -> WaitingOffer | None:
    if not links.looks_like_a_token(token):
        return None
    return db.session.scalar(select(WaitingOffer).where(WaitingOffer.token_hash == links.token_hash(token)))


def outcome_for_client(offer: WaitingOffer, now: datetime) -> OfferOutcome:
    """What the offer page says: an open offer whose time someone booked meanwhile is gone too."""
    outcome = offer.outcome_at(now)
    if outcome == OfferOutcome.OPEN and (agenda.first_overlap(offer.practitioner_id, offer.start, _end(offer),
                                                              exclude_id=None) is not None):
        return OfferOutcome.GONE
    return outcome


def take_offer(offer: WaitingOffer, now: datetime) -> Appointment:
    """Book the offered time for the client, or OfferGone and nothing booked. Takers of one time take turns at the
    practitioner's agenda lock, so the first one books it and marks the other offers of that time gone in the same
    transaction; the next one then finds their own offer gone (or the time taken, if the desk booked it)."""
    offer_id = offer.id
    agenda.lock_agenda_of(offer.practitioner_id)
    open_offer = (WaitingOffer.id == offer_id) & (WaitingOffer.outcome == OfferOutcome.OPEN) & (
        WaitingOffer.expires_at > now)
    if not db.session.execute(update(WaitingOffer).where(open_offer)
                              .values(outcome=OfferOutcome.TAKEN, decided_at=now)).rowcount:
        db.session.rollback()
        raise OfferGone()
    db.session.execute(update(WaitingOffer).where(  # the others offered this time
        WaitingOffer.practitioner_id == offer.practitioner_id, WaitingOffer.start == offer.start,
        WaitingOffer.outcome == OfferOutcome.OPEN, WaitingOffer.id != offer_id)
        .values(outcome=OfferOutcome.GONE, decided_at=now))
    entry = offer.entry
    entry.status = WaitingStatus.BOOKED
    try:
        appointment = agenda.book(agenda.Booking(
            client_id=entry.client_id, practitioner_id=offer.practitioner_id, appointment_type_id=entry.appointment_type_id,
            location_id=offer.location_id, start=offer.start, notes=entry.notes), Practice.current().timezone,
            along=lambda booked: db.session.execute(update(WaitingOffer).where(WaitingOffer.id == offer_id)
                                                    .values(appointment_id=booked.id)))
    except FieldError:  # booked by the desk meanwhile, or no longer in working hours
        db.session.rollback()
        db.session.execute(update(WaitingOffer).where(WaitingOffer.id == offer_id,
                                                      WaitingOffer.outcome == OfferOutcome.OPEN)
                           .values(outcome=OfferOutcome.GONE, decided_at=now))
        db.session.commit()
        raise OfferGone() from None
    return appointment


def _end(offer: WaitingOffer) -> datetime:
    return offer.start + timedelta(minutes=offer.entry.appointment_type.duration_minutes)
