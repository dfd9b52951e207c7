"""Replies from clients' phones. Each is stored once per gateway id and linked to its client by number, and to the
appointment the last SMS to that number was about. A keyword acts at once: STOP withdraws the SMS consent (and one
last SMS says so), a yes confirms the appointment. A no, and everything else, waits in the inbox for a person, who
marks it handled, cancels the appointment it asks about, or answers with an SMS through the outbox."""
from dataclasses import dataclass

import phonenumbers
from datetime import datetime

from flask import g, has_app_context
from sqlalchemy import Integer, bindparam, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import sms
from ..agenda import services as agenda
from ..audit import services as audit
from ..consent import ConsentChange, add_consent_event
from ..enums import AppointmentStatus, AuditAction, Channel, ConsentSource, MessageKind
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages import planning
from ..models import Appointment, Client, Message, Practice, User
from ..replies import Meaning, meaning_of, switched_on
from .models import InboundSms

LONGEST = 1_600  # ten segments: a longer text is no SMS
ANSWER_LONGEST = 612  # four segments of GSM-7


@dataclass(frozen=True)
class Incoming:
    gateway_id: str
    sender: str
    receiver: str
    text: str


def receive(incoming: Incoming, now: datetime) -> InboundSms:
    """Store a reply and do what its keyword says, in one transaction; the same gateway id again changes nothing."""
    known = db.session.scalar(select(InboundSms).where(InboundSms.gateway_id == incoming.gateway_id))
    if known is not None:
        return known
    practice = Practice.current()
    number = e164(incoming.sender, practice.country)
    appointment = _last_sms_about(number)
    client = appointment.client if appointment is not None else db.session.scalar(
        select(Client).where(Client.mobile == number).order_by(Client.id).limit(1))
    meaning = meaning_of(incoming.text, switched_on(practice.sms_reply_keywords)) if client is not None else Meaning.OTHER
    reply = InboundSms(gateway_id=incoming.gateway_id, received_at=now, sender=number[:20],
                       receiver=incoming.receiver[:20], text=incoming.text, meaning=meaning, client=client,
                       appointment=appointment)
    db.session.add(reply)
    planned = []
    ahead = appointment is not None and appointment.status == AppointmentStatus.BOOKED and appointment.start > now
    if meaning == Meaning.STOP:
        if client.sms_consent:
            add_consent_event(client, ConsentChange(False, ConsentSource.SMS_REPLY, incoming.text[:250]), None)
            planned.append(planning.plan_client_sms(client, MessageKind.SMS_STOPPED, now))
        reply.done, reply.handled_at = "consent-withdrawn", now
    elif meaning == Meaning.CONFIRM and ahead:
        appointment.confirmed_by_client_at = now
        audit.record(AuditAction.APPOINTMENT_CONFIRMED_BY_CLIENT, appointment.id, incoming.text[:100])
        reply.done, reply.handled_at = "confirmed", now
    try:
        db.session.commit()
    except IntegrityError:  # the gateway called twice at once: the other call stored it
        db.session.rollback()
        return db.session.scalar(select(InboundSms).where(InboundSms.gateway_id == incoming.gateway_id))
    planning.queue(planned)
    return reply


def e164(sender: str, region: str) -> str:
    """The sender's number as the client cards keep it: gateways write 31612345678, +31612345678, 0031612345678 or,
    now and then, the national 0612345678. What is no number is kept as it came."""
    digits = sender.strip()
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits[:1].isdigit() and not digits.startswith("0"):
        digits = "+" + digits
    try:
        return phonenumbers.format_number(phonenumbers.parse(digits, region), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return sender.strip()[:20]


def _last_sms_about(number: str) -> Appointment | None:
    """The appointment of the latest SMS that went to the number (a family may share one)."""
    return db.session.scalar(
        select(Appointment).join(Message, Message.appointment_id == Appointment.id)
        .where(Message.channel == Channel.SMS, Message.recipient == number, Message.handed_over_at.isnot(None))
        .order_by(Message.handed_over_at.desc(), Message.id.desc()).limit(1))


def load_inbox(*, handled: bool, limit: int = 100) -> list[InboundSms]:
    """The replies waiting for a person (oldest first), or those already dealt with (newest first)."""
    order = (InboundSms.received_at.desc(),) if handled else (InboundSms.received_at,)
    return list(db.session.scalars(
        select(InboundSms).where(InboundSms.handled_at.isnot(None) if handled else InboundSms.handled_at.is_(None))
        .options(joinedload(InboundSms.client), joinedload(InboundSms.answer),
                 joinedload(InboundSms.appointment).joinedload(Appointment.appointment_type))
        .order_by(*order, InboundSms.id).limit(limit)))


_UNREAD = select(func.count()).where(InboundSms.handled_at.is_(None))  # built once: every page counts
OPEN_REPLIES = _UNREAD.scalar_subquery()  # the same, read in the session's own statement (auth.services)


def count_unread(read: int | None = None) -> int:
    """The replies waiting in the inbox, for the navigation: read once per app context (a request) and again after a
    commit, or as `read` by a statement that read it with more (the session's user), as Practice.current does."""
    if read is not None:
        g.open_replies = read
    if "open_replies" not in g:
        g.open_replies = db.session.scalar(_UNREAD)
    return g.open_replies


@event.listens_for(db.session, "after_commit")
def _count_anew(session) -> None:
    """A commit may have handled a reply, or stored one: a page rendered after it (an error page, a view that shows
    the inbox after a change) counts again rather than show the count the request started with."""
    if has_app_context():
        g.pop("open_replies", None)


# Built once: a client's latest replies (their card) and an appointment's (its panel).
_OF_CLIENT = (select(InboundSms).where(InboundSms.client_id == bindparam("client_id"))
              .order_by(InboundSms.received_at.desc()).limit(bindparam("limit", type_=Integer)))
_ABOUT_APPOINTMENT = (select(InboundSms).where(InboundSms.appointment_id == bindparam("appointment_id"))
                      .order_by(InboundSms.received_at))


def load_for_client(client_id: int, limit: int = 20) -> list[InboundSms]:
    return list(db.session.scalars(_OF_CLIENT, {"client_id": client_id, "limit": limit}))


def load_for_appointment(appointment_id: int) -> list[InboundSms]:
    return list(db.session.scalars(_ABOUT_APPOINTMENT, {"appointment_id": appointment_id}))


def mark_handled(reply: InboundSms, by: User, now: datetime) -> None:
    if reply.handled_at is None:
        reply.handled_at, reply.handled_by = now, by
        db.session.commit()


def cancel_asked(reply: InboundSms, by: User, now: datetime) -> None:
    """Cancel the appointment a "no" is about and count the reply as handled; FieldError when it is not booked."""
    if reply.appointment is None:
        raise FieldError(_l("This reply is about no appointment."))
    reply.handled_at, reply.handled_by = now, by  # committed with the cancellation, or rolled back with it
    agenda.cancel(reply.appointment)


def checked_answer(text: str) -> tuple[str, sms.Measure]:
    """The answer as it will go, with its segments; FieldError for an empty or too long one."""
    text = text.strip()
    if not text:
        raise FieldError(_l("Write the answer first."), "text")
    measured = sms.measure(text)
    if len(text) > ANSWER_LONGEST:
        raise FieldError(_l("Please keep the answer under %(count)s characters.", count=ANSWER_LONGEST), "text")
    return text, measured


def answer(reply: InboundSms, text: str, by: User, now: datetime) -> Message:
    """An SMS to the client who wrote, through the outbox; the reply counts as handled."""
    if reply.client is None:
        raise FieldError(_l("This number belongs to no client, so the app does not write to it."))
    text, _ = checked_answer(text)
    message = planning.plan_client_sms(reply.client, MessageKind.ANSWER, now, body=text, appointment=reply.appointment)
    db.session.flush()
    reply.answer, reply.handled_at, reply.handled_by = message, now, by
    audit.record(AuditAction.SMS_ANSWERED, reply.client_id, text[:200], by=by)
    db.session.commit()
    planning.queue([message])
    return message
