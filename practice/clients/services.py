"""Client cards: checking contact details, searching, and registering SMS consent."""
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..audit import services as audit
from ..errors import FieldError
from ..extensions import db
from ..enums import AuditAction, Channels, ConsentSource
from ..models import Client, ConsentEvent, User, utcnow

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
    confirmation_channels: Channels
    reminder_channels: Channels


@dataclass(frozen=True)
class ConsentChange:
    granted: bool
    source: ConsentSource
    note: str


def store_client(client: Client | None, card: ClientCard, *, region: str, sms_enabled: bool) -> Client:
    """Create (client None) or update a client card; raises FieldError and stores nothing on bad input."""
    email = normalised_email(card.email)
    mobile = normalised_mobile(card.mobile, region)
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
    db.session.commit()
    return client


SHOWN = 50  # matches listed at once; typing more narrows them down


def search_clients(query: str, limit: int = SHOWN) -> list[Client]:
    """Clients whose name, e-mail or mobile number contains every word typed, by last name."""
    statement = select(Client).order_by(Client.last_name, Client.first_name).limit(limit)
    for word in query.split()[:5]:
        pattern = f"%{word.lower()}%"
        digits = "".join(ch for ch in word if ch.isdigit())
        conditions = [func.lower(Client.first_name).like(pattern), func.lower(Client.last_name).like(pattern),
                      func.lower(Client.email).like(pattern)]
        if len(digits) >= 3:
            conditions.append(Client.mobile.like(f"%{digits.lstrip('0')}%"))
        statement = statement.where(or_(*conditions))
    return list(db.session.scalars(statement))


def _card_of(client: Client) -> dict:
    return {"name": client.name if client.first_name else "", "email": client.email, "mobile": client.mobile,
            "language": client.language, "notes": client.notes,
            "confirmation_channels": client.confirmation_channels, "reminder_channels": client.reminder_channels}


def record_consent(client: Client, change: ConsentChange, by: User) -> ConsentEvent:
    """Register or withdraw SMS consent; the event joins the history and the card shows the new state."""
    granted = change.granted
    if granted == client.sms_consent:
        message = (_l("SMS consent is already registered.") if granted
                   else _l("There is no SMS consent to withdraw."))
        raise FieldError(message, "granted")
    event = ConsentEvent(client=client, granted=granted, source=change.source, note=change.note.strip(), recorded_by=by,
                         recorded_at=utcnow())
    client.sms_consent = granted
    db.session.add(event)
    audit.record(AuditAction.CONSENT_GRANTED if granted else AuditAction.CONSENT_WITHDRAWN, client.id,
                 f"{change.source.value}: {change.note.strip()}")
    db.session.commit()
    return event
