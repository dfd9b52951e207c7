"""Offering a freed time to the waiting list: the waiting clients it fits (practitioner or any, type, location,
preferred days and times, still free for their type's length), in order of waiting, each an offer with a link of its
own and a message on their channels. Made in the transaction that frees the time, so a crash loses neither."""
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select

from .. import links, localtime
from ..agenda.free import load_free_times
from ..audit import services as audit
from ..enums import AppointmentStatus, AuditAction, WaitingStatus
from ..extensions import db
from ..messages import planning
from ..models import Appointment, AppointmentType, Message, Practice
from ..signals import time_freed
from .models import WaitingEntry, WaitingOffer

OFFERS_PER_TIME = 5  # more only disappoints more clients: one of them gets it


def init_app(app: Flask) -> None:
    time_freed.connect(_offer_freed_time, sender=app)


def _offer_freed_time(app, *, practitioner_id: int, location_id: int, start: datetime, now: datetime) -> list[Message]:
    """The signal's receiver: the messages of the offers, for the sender to hand to the queue after its commit."""
    return [message for offer in plan_offers(practitioner_id, location_id, start, Practice.current(), now)
            for message in offer.messages]


def offer_deadline(start: datetime, practice: Practice, now: datetime) -> datetime:
    """Until when an offer of `start` stays open: the practice's offer time, never past its online cutoff."""
    return min(now + timedelta(hours=practice.offer_hours), start - timedelta(hours=practice.reschedule_cutoff_hours))


def fitting_entries(practitioner_id: int, location_id: int, start: datetime, practice: Practice,
                    now: datetime) -> list[WaitingEntry]:
    """The waiting clients `start` suits, longest waiting first, at most OFFERS_PER_TIME: not expired, for this
    practitioner or any, at this location, on a preferred weekday and time, free for their type's length, and
    not offered this time before nor booked then already."""
    tz = practice.timezone
    wall = localtime.local(start, tz)
    candidates = db.session.scalars(
        select(WaitingEntry).where(WaitingEntry.status == WaitingStatus.WAITING, WaitingEntry.location_id == location_id,
                                   WaitingEntry.expires_on >= localtime.today(now, tz),
                                   WaitingEntry.practitioner_id.is_(None) | (WaitingEntry.practitioner_id == practitioner_id),
                                   WaitingEntry.id.not_in(select(WaitingOffer.entry_id).where(WaitingOffer.start == start)))
        .order_by(WaitingEntry.created_at, WaitingEntry.id))
    free, chosen = {}, []
    for entry in candidates:
        if not entry.on_weekday(wall.weekday()) or not _in_hours(entry, wall.time()):
            continue
        if entry.appointment_type_id not in free:
            free[entry.appointment_type_id] = set(load_free_times(practitioner_id, location_id,
                                                                  entry.appointment_type_id, wall.date(), practice))
        if start not in free[entry.appointment_type_id] or _busy(entry, start):
            continue
        chosen.append(entry)
        if len(chosen) == OFFERS_PER_TIME:
            break
    return chosen


def plan_offers(practitioner_id: int, location_id: int, start: datetime, practice: Practice,
                now: datetime) -> list[WaitingOffer]:
    """Offer `start` to the clients it fits. Not committed: the change that freed the time commits them."""
    closes = offer_deadline(start, practice, now)
    if closes <= now or start <= now:
        return []
    return [offer_to(entry, practitioner_id, location_id, start, closes, now)
            for entry in fitting_entries(practitioner_id, location_id, start, practice, now)]


def offer_to(entry: WaitingEntry, practitioner_id: int, location_id: int, start: datetime, closes: datetime,
             now: datetime, *, by_hand: bool = False) -> WaitingOffer:
    """One offer and its messages. Not committed."""
    offer = WaitingOffer(entry=entry, practitioner_id=practitioner_id, location_id=location_id, start=start,
                         offered_at=now, expires_at=closes, by_hand=by_hand)
    db.session.add(offer)
    db.session.flush()  # its id makes its link
    offer.token_hash = links.token_hash(offer_token(offer))
    offer.messages = [planning.plan_offer_message(offer, entry.client, channel, now)
                      for channel in entry.client.confirmation_channels.channels]
    audit.record(AuditAction.WAITING_LIST_OFFERED, entry.client_id,
                 f"{localtime.local(start, Practice.current().timezone):%Y-%m-%d %H:%M}")
    return offer


def offer_token(offer: WaitingOffer) -> str:
    return links.offer_token(current_app.config["SECRET_KEY"], offer.id, offer.nonce)


def _in_hours(entry: WaitingEntry, wall) -> bool:
    return (entry.earliest is None or entry.earliest <= wall) and (entry.latest is None or wall <= entry.latest)


def _busy(entry: WaitingEntry, start: datetime) -> bool:
    """The client has an appointment at that time already."""
    end = start + timedelta(minutes=db.session.get(AppointmentType, entry.appointment_type_id).duration_minutes)
    return db.session.scalar(select(Appointment.id).where(
        Appointment.client_id == entry.client_id, Appointment.status == AppointmentStatus.BOOKED,
        Appointment.overlapping(start, end)).limit(1)) is not None
