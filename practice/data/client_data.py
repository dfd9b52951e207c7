"""A client's data on request: everything the practice holds on one client, as one document (load_client_data), and
their erasure (erase_client), which leaves only the anonymous history that counts, no-show figures and SMS invoices
are made of (GDPR Art. 15, 17 and 20)."""
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from sqlalchemy import case, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import selectinload

from .. import localtime, search_index
from ..agenda import services as agenda
from ..audit import services as audit
from ..audit.models import AuditEvent
from ..columns import utcnow
from ..enums import (
    THEIR_WORDS, AppointmentStatus, AuditAction, Channels, MessageStatus, OfferOutcome, WaitingStatus, in_words,
    our_words,
)
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..inbox.models import InboundSms
from ..messages import planning
from ..models import (
    Appointment, Client, ConsentEvent, Message, MessageEvent, OnlineCancellation, OnlineMove, Practice, SettledFigure,
    User,
)
from ..waiting.models import WaitingEntry, WaitingOffer
from .models import ImportUpload

FORMAT = "practice/client-data/1"  # the document's shape, for whoever reads the file later


# --- what the practice holds on a client ------------------------------------------------------------------------

def load_client_data(client: Client) -> dict:
    """Everything the practice holds on `client`, JSON-ready: the card, the consent history, the appointments with
    their online moves and cancellations, every message about them (with its text, recipient and history), their
    SMS replies and their waiting list entries with the offers. Times in UTC and on the practice's clock; values of
    the app's vocabularies as their stored text (str enums: `.label` names them in a template)."""
    practice = Practice.current()
    tz = practice.timezone
    appointments = list(db.session.scalars(
        select(Appointment).where(Appointment.client_id == client.id)
        .options(selectinload(Appointment.practitioner), selectinload(Appointment.appointment_type),
                 selectinload(Appointment.location)).order_by(Appointment.start, Appointment.id)))
    ids = [appointment.id for appointment in appointments]
    moves = db.session.scalars(select(OnlineMove).where(OnlineMove.appointment_id.in_(ids))
                               .order_by(OnlineMove.moved_at, OnlineMove.id))
    cancellations = db.session.scalars(select(OnlineCancellation).where(OnlineCancellation.appointment_id.in_(ids))
                                       .order_by(OnlineCancellation.cancelled_at))
    messages = db.session.scalars(select(Message).where(messages_of(client)).options(selectinload(Message.events))
                                  .order_by(Message.due_at, Message.id))
    replies = db.session.scalars(select(InboundSms).where(replies_of(client)).order_by(InboundSms.received_at))
    entries = db.session.scalars(select(WaitingEntry).where(WaitingEntry.client_id == client.id)
                                 .options(selectinload(WaitingEntry.practitioner),
                                          selectinload(WaitingEntry.appointment_type),
                                          selectinload(WaitingEntry.location))
                                 .order_by(WaitingEntry.created_at, WaitingEntry.id)).all()
    offers = db.session.scalars(select(WaitingOffer).where(WaitingOffer.entry_id.in_([e.id for e in entries]))
                                .options(selectinload(WaitingOffer.practitioner))
                                .order_by(WaitingOffer.offered_at, WaitingOffer.id)).all()
    now = utcnow()
    return {
        "format": FORMAT,
        "practice": practice.name,
        "time_zone": tz,
        "made_at": _moment(now, tz),
        "client": {
            "id": client.id, "first_name": client.first_name, "last_name": client.last_name, "email": client.email,
            "mobile": client.mobile, "language": client.language, "notes": client.notes,
            "confirmation_channels": client.confirmation_channels, "reminder_channels": client.reminder_channels,
            "sms_consent": client.sms_consent, "created_at": _moment(client.created_at, tz),
            "erased_at": _moment(client.erased_at, tz),
        },
        "consent_history": [
            {"granted": event.granted, "source": event.source, "note": event.note,
             "recorded_at": _moment(event.recorded_at, tz),
             "recorded_by": event.recorded_by.name if event.recorded_by else None}
            for event in sorted(client.consent_events, key=lambda event: (event.recorded_at, event.id))],
        "appointments": [
            {"id": appointment.id, "start": _moment(appointment.start, tz), "end": _moment(appointment.end, tz),
             "status": appointment.status, "appointment_type": appointment.appointment_type.name,
             "practitioner": appointment.practitioner.name, "location": appointment.location.name,
             "notes": appointment.notes, "series": appointment.series_id,
             "confirmed_by_client_at": _moment(appointment.confirmed_by_client_at, tz),
             "created_at": _moment(appointment.created_at, tz)}
            for appointment in appointments],
        "online_moves": [
            {"appointment": move.appointment_id, "from": _moment(move.from_start, tz), "to": _moment(move.to_start, tz),
             "moved_at": _moment(move.moved_at, tz)} for move in moves],
        "online_cancellations": [
            {"appointment": cancellation.appointment_id, "reason": cancellation.reason,
             "cancelled_at": _moment(cancellation.cancelled_at, tz)} for cancellation in cancellations],
        "messages": [
            {"id": message.id, "kind": message.kind, "channel": message.channel, "appointment": message.appointment_id,
             "recipient": message.recipient, "subject": message.subject, "body": message.body,
             "status": message.status, "reason": message.reason, "error": in_words(message.error),
             "segments": message.segments, "price_cents": message.price_cents, "due_at": _moment(message.due_at, tz),
             "handed_over_at": _moment(message.handed_over_at, tz), "status_at": _moment(message.status_at, tz),
             "removed_at": _moment(message.removed_at, tz),
             "history": [{"at": _moment(event.at, tz), "status": event.status, "detail": in_words(event.detail)}
                         for event in message.events]}
            for message in messages],
        "sms_replies": [
            {"received_at": _moment(reply.received_at, tz), "sender": reply.sender, "text": reply.text,
             "meaning": reply.meaning, "appointment": reply.appointment_id,
             "handled_at": _moment(reply.handled_at, tz)} for reply in replies],
        "waiting_list": [
            {"id": entry.id, "status": entry.status, "appointment_type": entry.appointment_type.name,
             "practitioner": entry.practitioner.name if entry.practitioner else None, "location": entry.location.name,
             "weekdays": [day for day in range(7) if entry.on_weekday(day)] if entry.weekdays else [],
             "earliest": entry.earliest.isoformat(timespec="minutes") if entry.earliest else None,
             "latest": entry.latest.isoformat(timespec="minutes") if entry.latest else None,
             "expires_on": entry.expires_on.isoformat(), "notes": entry.notes,
             "created_at": _moment(entry.created_at, tz),
             "offers": [{"start": _moment(offer.start, tz), "practitioner": offer.practitioner.name,
                         "offered_at": _moment(offer.offered_at, tz), "expires_at": _moment(offer.expires_at, tz),
                         "outcome": offer.outcome_at(now), "appointment": offer.appointment_id}
                        for offer in offers if offer.entry_id == entry.id]}
            for entry in entries],
    }


def export_client_data(client: Client, how: str) -> dict:
    """load_client_data, noted in the audit trail as handed out (`how`: "json" or "page")."""
    document = load_client_data(client)
    audit.record(AuditAction.CLIENT_DATA_EXPORTED, client.id, how)
    db.session.commit()
    return document


def _moment(moment: datetime | None, tz: str) -> dict | None:
    """A stored moment both ways: UTC, and what the practice's clock showed."""
    if moment is None:
        return None
    return {"utc": moment.isoformat(), "local": localtime.local(moment, tz).isoformat()}


def messages_of(client: Client):
    """SQL: every message about the client: to them without an appointment (an SMS answer, the one after STOP),
    about their appointments (the practice's notices of their online moves too), and their waiting list offers."""
    return or_(Message.client_id == client.id,
               Message.appointment_id.in_(select(Appointment.id).where(Appointment.client_id == client.id)),
               Message.offer_id.in_(select(WaitingOffer.id).join(WaitingEntry, WaitingEntry.id == WaitingOffer.entry_id)
                                    .where(WaitingEntry.client_id == client.id)))


def replies_of(client: Client):
    """SQL: the SMS that came in from the client: linked to them, or from their number and linked to no card."""
    linked = InboundSms.client_id == client.id
    if not client.mobile:
        return linked
    # From their number but linked to no card; one linked to another card that shares the number is that card's.
    return or_(linked, InboundSms.client_id.is_(None) & (InboundSms.sender == client.mobile))


# --- erasure ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ErasureOutline:
    """What an erasure would do, for the owner to read before confirming it."""
    appointments: int  # kept as anonymous history
    ahead: list[Appointment]  # booked and still ahead: cancelled without a notice
    messages: int  # emptied


def load_erasure_outline(client: Client, now: datetime) -> ErasureOutline:
    ahead = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.status == AppointmentStatus.BOOKED, Appointment.start > now)
        .options(selectinload(Appointment.practitioner)).order_by(Appointment.start)).all()
    return ErasureOutline(
        appointments=db.session.scalar(select(func.count()).select_from(Appointment)
                                       .where(Appointment.client_id == client.id)),
        ahead=list(ahead),
        messages=db.session.scalar(select(func.count()).select_from(Message).where(messages_of(client))))


def same_name(typed: str, name: str) -> bool:
    """The name as the owner typed it to confirm an erasure: case and spaces do not count."""
    wanted = " ".join(name.split()).casefold()
    return bool(wanted) and " ".join(typed.split()).casefold() == wanted


def erase_client(client: Client, typed_name: str, by: User, now: datetime) -> None:
    """Erase a client on request, in one transaction, or FieldError and nothing changed. Irreversible.

    Gone: the name (a placeholder takes its place), e-mail, number, notes, consent notes, the appointments' notes and
    client links, every message's subject, text and recipient, the SMS replies' text and sender, the waiting list
    notes, the reasons given for online cancellations, and the name, address and number in the audit trail (which
    the app otherwise never changes). Kept as anonymous history: the appointments with their time, type,
    practitioner, location and status, and every message's kind, channel, status, segments and price, so that the
    dashboard's counts, the no-show figures and the SMS invoices stay as they were.

    Appointments still ahead are cancelled without a notice: the client asked to be forgotten, no address is left to
    tell them, and a booked appointment without a name or a way to remind would only stand in the agenda as an
    unreachable client; their times go to the waiting list like any freed time. Nothing can be sent to the card
    afterwards: with no address and no consent every obstacle in messages.planning stands in the way."""
    if client.erased_at is not None:
        raise FieldError(_l("This client's data has been erased already."))
    if not same_name(typed_name, client.name):
        raise FieldError(_l("The name does not match: type the client's name as the card shows it, %(name)s.",
                            name=client.name), "name")
    traces = _traces(client)
    # Once, at the database: of two erasures at once one goes through (a row lock on PostgreSQL, SQLite's write lock).
    if not db.session.execute(update(Client).where(Client.id == client.id, Client.erased_at.is_(None))
                              .values(erased_at=now)).rowcount:
        db.session.rollback()
        raise FieldError(_l("This client's data has been erased already."))
    ours = messages_of(client)
    _bulk(update(Message).where(ours, Message.status == MessageStatus.PLANNED)
          .values(status=MessageStatus.WITHDRAWN, status_at=now))
    if db.session.scalar(select(exists().where(ours, Message.status == MessageStatus.SENDING))):
        db.session.rollback()  # the worker would write the text back with its outcome
        raise FieldError(_l("A message to this client is being sent at this moment. Try again in a minute."))

    # The waiting list first, so that the times freed below are not offered to the client themselves.
    entries = select(WaitingEntry.id).where(WaitingEntry.client_id == client.id)
    _bulk(update(WaitingEntry).where(WaitingEntry.client_id == client.id)
          .values(notes="", status=_ended(WaitingEntry.status)))
    _bulk(update(WaitingOffer).where(WaitingOffer.entry_id.in_(entries), WaitingOffer.outcome == OfferOutcome.OPEN)
          .values(outcome=OfferOutcome.EXPIRED, decided_at=now))
    _bulk(update(WaitingOffer).where(WaitingOffer.entry_id.in_(entries)).values(token_hash=None))

    appointments = list(db.session.scalars(select(Appointment).where(Appointment.client_id == client.id)))
    freed = []
    for appointment in appointments:
        if appointment.status == AppointmentStatus.BOOKED and appointment.start > now:
            appointment.status = AppointmentStatus.CANCELLED
            audit.record(AuditAction.APPOINTMENT_CANCELLED, appointment.id, "client erased", by=by)
            freed.append(agenda.Freed(appointment.practitioner_id, appointment.location_id, appointment.start))
        # A new nonce as well: no message can ever make the old link again.
        appointment.notes, appointment.link_hash, appointment.link_nonce = "", None, secrets.token_hex(16)
    ids = [appointment.id for appointment in appointments]
    _bulk(update(OnlineCancellation).where(OnlineCancellation.appointment_id.in_(ids)).values(reason=""))

    emptied = empty_messages(list(db.session.scalars(select(Message.id).where(ours))), now)
    # What waited in the inbox has nobody left to answer: handled by the erasure.
    _bulk(update(InboundSms).where(replies_of(client), InboundSms.handled_at.is_(None))
          .values(handled_at=now, handled_by_id=by.id if by else None))
    _bulk(update(InboundSms).where(replies_of(client)).values(text="", sender=""))
    _bulk(update(ConsentEvent).where(ConsentEvent.client_id == client.id).values(note=""))
    _scrub_trail(client, ids, traces)
    # The dashboard's pages are kept for a minute with the names they showed; its figures are counted again alike.
    _bulk(delete(SettledFigure).where(SettledFigure.key.startswith("page:dashboard:")))
    _bulk(delete(ImportUpload))  # a file waiting at the preview may hold their row; it is uploaded again in a minute

    client.first_name, client.last_name = str(_l("Erased client")), f"#{client.id}"
    client.email, client.mobile, client.notes, client.sms_consent = "", "", "", False
    client.confirmation_channels = client.reminder_channels = Channels.NONE
    client.erased_at = now  # search_text follows the placeholder (models._searchable)
    offers = agenda.offer_freed(freed, now)
    audit.record(AuditAction.CLIENT_ERASED, client.id,
                 f"{len(appointments)} appointments kept as anonymous history, {len(freed)} of them ahead cancelled; "
                 f"{emptied} messages emptied", by=by)
    db.session.commit()
    _forget_old_search_terms()
    planning.queue(offers)


def _bulk(statement) -> None:
    """An UPDATE or DELETE of many rows, the session's objects left as they are (empty_messages expires them)."""
    db.session.execute(statement, execution_options={"synchronize_session": False})


def _ended(status):
    """SQL: a waiting list entry's status once its client is erased: still waiting becomes taken off the list."""
    return case((status == WaitingStatus.WAITING, WaitingStatus.REMOVED.value), else_=status)


def empty_messages(message_ids: list[int], now: datetime) -> int:
    """The messages' subject, text and recipient removed (removed_at now), and from their error and history whatever
    came from outside (a server's answer, a delivery report: they may hold the address or the start of the text);
    kind, channel, status, segments and price stay, for the counts and the invoices. Not committed. How many."""
    if not message_ids:
        return 0
    for start in range(0, len(message_ids), 500):  # within every database's limit of bound parameters
        some = message_ids[start:start + 500]
        _bulk(update(Message).where(Message.id.in_(some)).values(subject="", body="", recipient="", removed_at=now))
        errors = db.session.execute(select(Message.id, Message.error).where(Message.id.in_(some), Message.error != ""))
        for message_id, error in errors.all():
            if (kept := our_words(error)) != error:
                _bulk(update(Message).where(Message.id == message_id).values(error=kept))
        details = db.session.execute(select(MessageEvent.id, MessageEvent.detail)
                                     .where(MessageEvent.message_id.in_(some), MessageEvent.detail != ""))
        for event_id, detail in details.all():
            if (kept := our_words(detail)) != detail:
                _bulk(update(MessageEvent).where(MessageEvent.id == event_id).values(detail=kept))
    db.session.flush()
    db.session.expire_all()  # the rows changed under the session's objects
    return len(message_ids)


_CONSENT = {AuditAction.CONSENT_GRANTED, AuditAction.CONSENT_WITHDRAWN}  # "source: note" (consent.py)


def _scrub_trail(client: Client, appointment_ids: list[int], traces: "Traces") -> None:
    """The audit trail of the client and their appointments, and any other line that names them, without their name,
    address and number: appointments are described with the client's name (agenda.services.described), consent with
    its note, a yes by SMS and an answer from the inbox with their text. When and who acted stay."""
    own = (((AuditEvent.subject == "client") & (AuditEvent.subject_id == client.id))
           | ((AuditEvent.subject == "appointment") & AuditEvent.subject_id.in_(appointment_ids)))
    named = [AuditEvent.detail.contains(trace, autoescape=True) for trace in traces.whole]
    everything, whole = _pattern(traces.whole + traces.parts), _pattern(traces.whole)
    ours = {("client", client.id), *(("appointment", appointment_id) for appointment_id in appointment_ids)}
    for row in db.session.scalars(select(AuditEvent).where(or_(own, *named))):
        if (row.subject, row.subject_id) not in ours:
            row.detail = whole.sub("…", row.detail)  # another's line that names them: only the whole name goes
        elif row.action in THEIR_WORDS:
            row.detail = ""
        elif row.action in _CONSENT:
            row.detail = row.detail.partition(":")[0]
        else:
            row.detail = everything.sub("…", row.detail)


def _pattern(traces: list[str]) -> re.Pattern:
    """Any of `traces` where it stands as a whole (not "Anna" inside "Johanna"), whatever the case."""
    if not traces:
        return re.compile(r"(?!)")  # matches nothing
    alternatives = "|".join(re.escape(trace) for trace in sorted(traces, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Traces:
    """How the client may be written in a line of text: `whole` names them alone (the full name, the address, the
    number however written); `parts` (first or last name) only in a line about them."""
    whole: list[str]
    parts: list[str]


def _traces(client: Client) -> Traces:
    whole = {client.name, client.email}
    if client.mobile:
        number = phonenumbers.parse(client.mobile)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        whole |= {client.mobile, client.mobile.lstrip("+"), "00" + client.mobile.lstrip("+"), national,
                  re.sub(r"\D", "", national),
                  phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}
    parts = {client.first_name, client.last_name} - whole
    return Traces(sorted(t.strip() for t in whole if len(t.strip()) >= 3),
                  sorted(t.strip() for t in parts if len(t.strip()) >= 2))


def _forget_old_search_terms() -> None:
    """SQLite's trigram index (search_index.py) drops a changed row's old terms only when its segments merge:
    'optimize' merges them now, so the erased name leaves the file's index as well. PostgreSQL's GIN index follows
    the row (its dead entries go with VACUUM)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(f"INSERT INTO {search_index.NAME} ({search_index.NAME}) VALUES ('optimize')"))
        db.session.commit()
