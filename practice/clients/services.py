"""Client cards: checking contact details, searching, registering SMS consent, and the history on the card."""
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Integer, bindparam, column, func, select, table, union_all
from sqlalchemy.orm import joinedload

from .. import search_index
from ..audit import services as audit
from ..errors import FieldError
from ..extensions import db
from ..enums import AppointmentStatus, AuditAction, Channels
from ..i18n import lazy_gettext as _l
from ..messages import log as message_log
from ..models import Appointment, AppointmentType, Client, ConsentEvent, Practitioner, User
from ..consent import ConsentChange, add_consent_event
from ..search_text import terms_of

# Types a number may have and still receive SMS: some countries cannot tell mobile from fixed line.
SMS_CAPABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalised_mobile(raw: str, region: str) -> str:
    """The number in E.164 (+31612345678), read with the practice's country as default region.

    Empty input stays empty; a number that cannot receive SMS is refused with a clear message.
    """
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise FieldError(_l("This is not a phone number."), "mobile") from None
    if not phonenumbers.is_valid_number(number):
        raise FieldError(_l("This is not a valid phone number; check the digits and the country code."), "mobile")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise FieldError(_l("This is not a mobile number, so it cannot receive SMS. "
                                       "Enter a mobile number, or leave the field empty."), "mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised_email(raw: str) -> str:
    raw = raw.strip()
    if not raw:
        return ""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise FieldError(_l("This e-mail address is not valid: %(reason)s", reason=str(error)), "email") from None


@lru_cache(maxsize=4096)  # a page lists the same few numbers again and again; parsing one costs more than the rest of its row
def readable_mobile(e164: str) -> str:
    """+31612345678 as +31 6 12345678, for people."""
    if not e164:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@dataclass(frozen=True)
class ClientCard:
    """What the client form hands the service: the card as typed, before the checks."""
    first_name: str
    last_name: str
    email: str
    mobile: str  # any notation; stored in E.164
    language: str
    notes: str
    confirmation_channels: Channels | None  # None: as the contact details allow (usual_channels)
    reminder_channels: Channels | None
    consent: ConsentChange | None = None  # SMS consent registered with a new card


def usual_channels(has_email: bool, sms_possible: bool) -> tuple[Channels, Channels]:
    """The channels a receptionist expects for a new client who was not asked: confirmations by e-mail (it carries
    the calendar file), else by SMS; reminders on every channel that reaches the client, since a reminder read on
    the phone is what prevents a no-show; none only without any address."""
    if has_email:
        return Channels.EMAIL, Channels.BOTH if sms_possible else Channels.EMAIL
    return (Channels.SMS, Channels.SMS) if sms_possible else (Channels.NONE, Channels.NONE)


def store_client(client: Client | None, card: ClientCard, *, region: str, sms_enabled: bool, by: User | None = None
                 ) -> Client:
    """Create (client None) or update a client card, with the SMS consent given on a new card (registered by `by`);
    raises FieldError and stores nothing on bad input."""
    if client is not None:
        refuse_if_erased(client)
    email = normalised_email(card.email)
    mobile = normalised_mobile(card.mobile, region)
    granted = card.consent is not None and card.consent.granted
    usual = usual_channels(bool(email), sms_enabled and bool(mobile) and granted)
    card = replace(card, confirmation_channels=card.confirmation_channels or usual[0],
                   reminder_channels=card.reminder_channels or usual[1])
    for field, channels in (("confirmation_channels", card.confirmation_channels),
                            ("reminder_channels", card.reminder_channels)):
        if channels.sms and not sms_enabled:
            raise FieldError(_l("SMS is not available: no SMS gateway is configured."), field)
        if channels.sms and not mobile:
            raise FieldError(_l("SMS needs a mobile number."), field)
        if channels.email and not email:
            raise FieldError(_l("E-mail needs an e-mail address."), field)
    new = client is None
    if new:
        client = Client()
        db.session.add(client)
    before = _card_of(client)
    client.first_name, client.last_name = card.first_name.strip(), card.last_name.strip()
    client.email, client.mobile, client.language, client.notes = email, mobile, card.language, card.notes.strip()
    client.confirmation_channels, client.reminder_channels = card.confirmation_channels, card.reminder_channels
    db.session.flush()  # its id, for the trail
    changed = [name for name, value in _card_of(client).items() if value != before[name]]
    if new or changed:  # which fields, not their contents: the trail is no second copy of the card
        audit.record(AuditAction.CLIENT_CREATED if new else AuditAction.CLIENT_CHANGED, client.id, ", ".join(changed))
    if new and granted:
        add_consent_event(client, card.consent, by)
    db.session.commit()
    return client


def refuse_if_erased(client: Client) -> None:
    """An erased card is anonymous history and changes no more. Read under a row lock: a save that waited for an
    erasure's commit sees it (PostgreSQL; on SQLite a write after a stale read is refused by the database)."""
    if db.session.scalar(select(Client.erased_at).where(Client.id == client.id).with_for_update()) is not None:
        raise FieldError(_l("This client's data has been erased; the card cannot be changed."))


SHOWN = 50  # matches listed at once; typing more narrows them down
FEW = 5000  # matches the SQLite trigram index hands over at most; with more, the walk in name order is quicker
TRIGRAMS = table(search_index.NAME, column("rowid"), column("search_text"))


def search_clients(query: str, region: str, limit: int = SHOWN) -> list[Client]:
    """Clients whose name, e-mail or mobile number holds every word typed, without regard to accents or case, and
    a number in any notation (search_text.py), by name."""
    statement = select(Client).where(*_holding(terms_of(query, region)))
    return list(db.session.scalars(statement.order_by(Client.search_text, Client.id).limit(limit)))


def _holding(terms: list[str]) -> list:
    """That the search text holds every term, said so that the trigram index (search_index.py) finds the few
    clients that do without reading all of them. The LIKE '%term%' decides either way.

    PostgreSQL's planner serves the LIKE from its pg_trgm index by itself when it expects few matches. SQLite's FTS5
    table is a table of its own: it is asked for the ids, all terms of 3 characters or more in one MATCH, each a
    quoted phrase (so nothing in a term is an operator or a wildcard); a shorter term has no trigram and is left to
    the LIKE. When the index has FEW matches or more, fetching and sorting them all costs more than walking the
    search text's own index in name order, which then meets a page of them soon: the LIKE alone, as before the
    index."""
    likes = [Client.search_text.contains(term, autoescape=True) for term in terms]
    phrases = " ".join('"' + term.replace('"', '""') + '"' for term in terms if len(term) >= 3)
    if db.session.get_bind().dialect.name != "sqlite" or not phrases:
        return likes
    found = select(TRIGRAMS.c.rowid).where(TRIGRAMS.c.search_text.match(phrases))
    if db.session.scalar(select(func.count()).select_from(found.limit(FEW).subquery())) == FEW:
        return likes
    return [Client.id.in_(found), *likes]


RECENT = 5  # appointments each way, and messages, that the card shows; "show all" lists every appointment


class Visit(NamedTuple):
    """An appointment as the card lists it, read as a plain row."""

    id: int
    start: datetime
    status: AppointmentStatus
    practitioner_name: str
    type_name: str


@dataclass(frozen=True)
class History:
    upcoming: list[Visit]  # soonest first
    past: list[Visit]  # latest first
    more: bool  # the card leaves some out
    messages: list[message_log.Line]  # the latest that went out, or ended without


# The consent history comes with the card, in the same query (the card always shows it); built once.
_CARD = (select(Client).where(Client.id == bindparam("client_id"))
         .options(joinedload(Client.consent_events).joinedload(ConsentEvent.recorded_by)))


def load_card(client_id: int) -> Client | None:
    return db.session.scalars(_CARD, {"client_id": client_id}).unique().one_or_none()


def _history(limit):
    """The client's (:client_id) appointments from :now on and before it, each end in its own order, in one statement:
    the last `limit` (a bound parameter, or None for all) each way."""
    shown = (select(Appointment.id, Appointment.start, Appointment.status, Practitioner.name, AppointmentType.name)
             .join(Appointment.practitioner).join(Appointment.appointment_type)
             .where(Appointment.client_id == bindparam("client_id")).limit(limit))
    now = bindparam("now")
    ahead = shown.where(Appointment.start >= now).order_by(Appointment.start, Appointment.id)
    behind = shown.where(Appointment.start < now).order_by(Appointment.start.desc(), Appointment.id.desc())
    return union_all(ahead.subquery().select(), behind.subquery().select())


_RECENT_HISTORY, _WHOLE_HISTORY = _history(bindparam("limit", type_=Integer)), _history(None)  # built once


def _in_time(visit: Visit) -> tuple:
    return visit.start, visit.id


def load_history(client_id: int, now: datetime, tz: str, everything: bool = False) -> History:
    """The client's appointments ahead and behind, and the latest of their messages (the message log's own page)."""
    visits = [Visit(*row) for row in db.session.execute(_WHOLE_HISTORY if everything else _RECENT_HISTORY,
                                                         {"client_id": client_id, "now": now, "limit": RECENT + 1})]
    # A union keeps no order: each end is put in order again.
    upcoming = sorted((visit for visit in visits if visit.start >= now), key=_in_time)
    past = sorted((visit for visit in visits if visit.start < now), key=_in_time, reverse=True)
    messages = message_log.load_page(message_log.Filters(client_id=client_id), tz, size=RECENT).messages
    more = not everything and (len(upcoming) > RECENT or len(past) > RECENT)
    return History(upcoming if everything else upcoming[:RECENT], past if everything else past[:RECENT], more, messages)


def _card_of(client: Client) -> dict:
    return {"name": client.name if client.first_name else "", "email": client.email, "mobile": client.mobile,
            "language": client.language, "notes": client.notes,
            "confirmation_channels": client.confirmation_channels, "reminder_channels": client.reminder_channels}


def record_consent(client: Client, change: ConsentChange, by: User) -> ConsentEvent:
    """Register or withdraw SMS consent; the event joins the history and the card shows the new state."""
    refuse_if_erased(client)
    if change.granted == client.sms_consent:
        message = (_l("SMS consent is already registered.") if change.granted
                   else _l("There is no SMS consent to withdraw."))
        raise FieldError(message, "granted")
    event = add_consent_event(client, change, by)
    db.session.commit()
    return event
