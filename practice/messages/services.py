"""Messages to clients: planning them with the appointment change, sending what is due exactly once,
and reading delivery reports. The message table is the outbox and the log at once; Huey is only the clock.
"""
import hashlib
import hmac
import logging
import secrets
from contextlib import contextmanager
from functools import lru_cache
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, g
from sqlalchemy import case, insert, inspect, literal, select, text, update
from sqlalchemy.orm import joinedload

from .. import schedule
from .. import sms as sms_rules
from .. import templating
from ..channels.outcome import OutcomeUnknown
from ..channels.email import (AddressProblem, Email, PermanentFailure, TemporaryFailure, appointment_ics,
                              compose as compose_email, message_id)
from ..channels.sms_gateways import Sms, SmsFailure
from ..extensions import db
from ..public.links import reschedule_url
from ..enums import AppointmentStatus, Channel, MessageKind, MessageStatus, NotSentReason
from ..models import Appointment, Message, MessageEvent, MessageTemplate, OnlineMove, Practice, utcnow
from .defaults import DEFAULTS

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
CHANGE_KINDS = {MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.CANCELLED}
LINK_KINDS = {MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.RESCHEDULED}  # carry the reschedule link


# --- planning: in the same transaction as the appointment change ---------------------------------------------

def plan_change(appointment: Appointment, kind: MessageKind, now: datetime) -> list[Message]:
    """The messages one change of an appointment calls for (confirmation, rescheduled or cancelled), due now.

    Change notices not yet sent for an earlier version of the appointment are withdrawn first.
    Not committed: the caller commits them with the change itself.
    """
    db.session.execute(
        update(Message).where(Message.appointment_id == appointment.id, Message.status == MessageStatus.PLANNED,
                              Message.kind.in_(CHANGE_KINDS))
        .values(status=MessageStatus.WITHDRAWN, status_at=now))
    # Each change is its own notice: moving 10:00 -> 11:00 -> 10:00 tells the client twice, and rightly so.
    return [_plan(appointment, kind, channel, due=now, key=f"{appointment.id}:{kind}:{channel}:{now.isoformat()}")
            for channel in _wanted(appointment.confirmation_channels)]


def plan_practice_notice(appointment: Appointment, practice: Practice, now: datetime) -> Message:
    """An e-mail to the practice itself about a change a client made online. Not committed."""
    message = Message(dedupe_key=f"{appointment.id}:{MessageKind.PRACTICE_NOTICE}:{now.isoformat()}",
                      appointment=appointment, kind=MessageKind.PRACTICE_NOTICE, channel=Channel.EMAIL,
                      due_at=now, language=practice_language(practice), status=MessageStatus.PLANNED,
                      status_at=now, recipient=practice.email)
    reason = reason_not_to_send(message, practice)
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def practice_language(practice: Practice) -> str:
    return {"NL": "nl", "BE": "nl", "DE": "de", "AT": "de", "CH": "de", "LU": "de"}.get(practice.country, "en")


def reminder_rules(appointment: Appointment, practice: Practice) -> tuple[schedule.ReminderRule, ...]:
    """The appointment type's own rules (possibly none), else the practice's."""
    own = appointment.appointment_type.reminder_rules
    return schedule.rules_from_text(practice.reminder_rules if own is None else own)


def plan_reminders(appointment: Appointment, practice: Practice, now: datetime,
                   existing: list[Message] | None = None) -> list[Message]:
    """Bring the appointment's reminders in line with its time, rules and channels. Not committed.
    `existing`: its reminders, when the caller has read them already (plan_reminders_for).

    A reminder is known by its key (appointment, rule, channel, start): planned ones that no longer fit are
    withdrawn, a withdrawn one that fits again comes back, and one already sent for this very start is
    never planned again. A reminder whose moment has passed is kept as not sent: booked too late.
    """
    wanted: dict[str, tuple[Channel, datetime]] = {}
    if appointment.status == AppointmentStatus.BOOKED:
        for number, rule in enumerate(reminder_rules(appointment, practice), 1):
            due = schedule.send_moment(appointment.start, rule, tz=practice.timezone, country=practice.country,
                                       subdivision=practice.subdivision)
            for channel in _wanted(appointment.reminder_channels):
                wanted[f"{appointment.id}:reminder{number}:{channel}:{appointment.start.isoformat()}"] = (channel, due)
    if existing is None:
        existing = db.session.scalars(select(Message).where(Message.appointment_id == appointment.id,
                                                            Message.kind == MessageKind.REMINDER))
    existing = {message.dedupe_key: message for message in existing}
    for key, message in existing.items():
        if message.status == MessageStatus.PLANNED and key not in wanted:
            message.status, message.status_at = MessageStatus.WITHDRAWN, now
    planned = []
    for key, (channel, due) in wanted.items():
        message = existing.get(key)
        if message is None:
            message = Message(dedupe_key=key, appointment=appointment, kind=MessageKind.REMINDER, channel=channel,
                              language=appointment.client.language,
                              recipient=appointment.client.email if channel == Channel.EMAIL else appointment.client.mobile)
            db.session.add(message)
        elif message.status not in (MessageStatus.PLANNED, MessageStatus.WITHDRAWN):
            continue  # sent, or settled, for this very start
        message.due_at, message.status, message.status_at = due, MessageStatus.PLANNED, now
        if due <= now:
            message.status, message.reason = MessageStatus.NOT_SENT, NotSentReason.BOOKED_TOO_LATE
        planned.append(message)
    return planned


def _wanted(channels) -> list[Channel]:
    return [c for c, wanted in ((Channel.EMAIL, channels.email), (Channel.SMS, channels.sms)) if wanted]


def _plan(appointment: Appointment, kind: MessageKind, channel: Channel, *, due: datetime, key: str) -> Message:
    client = appointment.client
    message = Message(dedupe_key=key, appointment=appointment, kind=kind, channel=channel, due_at=due,
                      language=client.language, status=MessageStatus.PLANNED, status_at=utcnow(),
                      recipient=client.email if channel == Channel.EMAIL else client.mobile)
    reason = reason_not_to_send(message, Practice.current())
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def reason_not_to_send(message: Message, practice: Practice) -> NotSentReason | None:
    """Why this message cannot go out (checked when planned and again when sent), or None."""
    client = message.appointment.client
    if message.kind == MessageKind.PRACTICE_NOTICE:
        return None if practice.email else NotSentReason.NO_EMAIL
    if message.channel == Channel.SMS:
        if not practice.sms_enabled or (message.kind in CHANGE_KINDS and not practice.confirmation_sms):
            return NotSentReason.CHANNEL_OFF
        if not client.mobile:
            return NotSentReason.NO_MOBILE
        if not client.sms_consent:
            return NotSentReason.NO_CONSENT
    else:
        if message.kind in CHANGE_KINDS and not practice.confirmation_email:
            return NotSentReason.CHANNEL_OFF
        if not client.email:
            return NotSentReason.NO_EMAIL
    return None


def plan_reminders_for(appointments: list[Appointment], practice: Practice, now: datetime) -> None:
    """plan_reminders for many appointments, their existing reminders read in one query. Not committed."""
    existing: dict[int, list[Message]] = {appointment.id: [] for appointment in appointments}
    for message in db.session.scalars(select(Message).where(Message.kind == MessageKind.REMINDER,
                                                            Message.appointment_id.in_(list(existing)))):
        existing[message.appointment_id].append(message)
    for appointment in appointments:
        plan_reminders(appointment, practice, now, existing[appointment.id])


def replan_upcoming_reminders(now: datetime, batch: int = 1000) -> int:
    """Plan the reminders of every booked appointment still ahead anew (after the rules changed)."""
    practice, after, count = Practice.current(), 0, 0
    while upcoming := db.session.scalars(
            select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED, Appointment.start > now,
                                      Appointment.id > after)
            .options(joinedload(Appointment.client), joinedload(Appointment.appointment_type))
            .order_by(Appointment.id).limit(batch)).all():
        plan_reminders_for(upcoming, practice, now)
        db.session.commit()
        after, count = upcoming[-1].id, count + len(upcoming)
    return count


# --- sending: claim, commit, hand over, record ----------------------------------------------------------------

def due_message_ids(now: datetime, limit: int = 1000) -> list[int]:
    query = (select(Message.id).where(Message.status == MessageStatus.PLANNED, Message.due_at <= now)
             .order_by(Message.due_at).limit(limit))
    return list(db.session.scalars(query))


def send_due(now: datetime) -> int:
    """Send every message that is due; returns how many were handed over. Safe to run twice at once."""
    release_stale_claims(now)
    sent, size = 0, current_app.config["MESSAGE_CLAIM_BATCH"]
    with _objects_kept_after_commit():
        while batch := due_message_ids(now):  # a message leaves PLANNED once tried, so every batch is new
            for start in range(0, len(batch), size):
                sent += _send_claimed(_claim(batch[start:start + size], now), now)
    return sent


@contextmanager
def _objects_kept_after_commit():
    """The sender commits often; reloading every object after each commit would double its work. What it
    reads after a commit it wrote itself, or loads fresh (populate_existing)."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def release_stale_claims(now: datetime) -> None:
    """Settle messages whose worker died while sending, by which side of the point of no return it was on.

    Before it (no `final_write_at`) nothing reached the other side: planned again. After it the outcome is in
    doubt (the kill may have landed before the final write, or after it but before the answer): an e-mail goes
    out again with the same Message-ID, which mail systems that already have it drop as a repeat; an SMS is
    never sent blindly again (that could reach the client and be paid for twice) and waits for its report.
    """
    cutoff = now - timedelta(seconds=current_app.config["MESSAGE_CLAIM_SECONDS"])
    stale = db.session.execute(select(Message.id, Message.claim_id, Message.final_write_at, Message.channel)
                               .where(Message.status == MessageStatus.SENDING, Message.claimed_at < cutoff)).all()
    for message_id, claim, final_write_at, channel in stale:
        values = {}
        if final_write_at is None:
            status = event = MessageStatus.PLANNED
            detail = "the worker stopped before handing it over; it goes out again"
        elif channel == Channel.EMAIL:
            status, event, values = MessageStatus.PLANNED, MessageStatus.UNKNOWN, {"in_doubt": True}
            detail = IN_DOUBT_EMAIL.format(why="the worker stopped between the final write and the server's answer")
        else:
            status = event = MessageStatus.UNKNOWN
            values = {"in_doubt": True}
            detail = IN_DOUBT_SMS.format(why="the worker stopped while the gateway answered")
        # Conditional, like the claim: a second worker releasing the same message at once changes nothing, and a
        # worker that is slow but alive either reached its point of no return first (then this changes nothing
        # and it is settled by the marker's side) or finds its claim gone there and does not send.
        marker = Message.final_write_at.is_(None) if final_write_at is None else Message.final_write_at.isnot(None)
        won = db.session.execute(update(Message).where(Message.id == message_id, Message.claim_id == claim,
                                                       Message.status == MessageStatus.SENDING, marker)
                                 .values(status=status, status_at=now, claim_id=None, **values)).rowcount
        if won:
            db.session.add(MessageEvent(message_id=message_id, status=event, detail=detail, at=now))
    db.session.commit()


IN_DOUBT_EMAIL = "in doubt: {why}; it goes out again with the same Message-ID"
IN_DOUBT_SMS = "in doubt: {why}; not sent again, the delivery report will tell"
RESENT = "resent after an unclear hand-over"


def _claim(message_ids: list[int], now: datetime) -> list[int]:
    """Take messages for this worker: a conditional update that only one worker can win for each message."""
    claim = secrets.token_hex(8)
    db.session.execute(
        update(Message)
        .where(Message.id.in_(message_ids), Message.status == MessageStatus.PLANNED, Message.due_at <= now)
        # The clock now, not the run's `now`: a long run must not make its later claims look stale.
        .values(status=MessageStatus.SENDING, claim_id=claim, claimed_at=utcnow(), attempts=Message.attempts + 1,
                status_at=now, final_write_at=None))
    won = list(db.session.scalars(select(Message.id).where(Message.claim_id == claim).order_by(Message.due_at)))
    db.session.commit()  # before the hand-over: a second worker now sees them taken
    return won


def send_message(message_id: int, now: datetime) -> bool:
    """Hand one message over if it is due and nobody else has it; True when it went out."""
    with _objects_kept_after_commit():
        return _send_claimed(_claim([message_id], now), now) == 1


def _send_claimed(message_ids: list[int], now: datetime) -> int:
    """Hand over the messages this worker claimed, each outcome committed as soon as it is known (a worker
    killed before that leaves the message in doubt, so the gap is kept to one commit); returns how many went
    out. A message that cannot be sent fails alone and the run goes on with the rest."""
    # Appointments and clients joined in; the few practitioners, types and locations in one query each.
    appointment_path = joinedload(Message.appointment)
    messages = db.session.scalars(
        select(Message).where(Message.id.in_(message_ids)).order_by(Message.due_at)
        .options(appointment_path.joinedload(Appointment.client),
                 appointment_path.selectinload(Appointment.appointment_type),
                 appointment_path.selectinload(Appointment.practitioner),
                 appointment_path.selectinload(Appointment.location))
        .execution_options(populate_existing=True)).all()  # fresh: the claim was a bulk update
    practice, events = Practice.current(), []
    for message in messages:
        db.session.expunge(message)  # read here, written only by _commit_outcome, under this worker's claim
    handed_over = 0
    for message in messages:
        handed_over += _send_one(message, practice, now, events)
        _commit_outcome(message, events)
    return handed_over


def _send_one(message: Message, practice: Practice, now: datetime, events: list[dict]) -> bool:
    """Send it if it should still go out; True when this worker handed it over."""
    appointment = message.appointment
    reason = reason_not_to_send(message, practice)
    if reason:
        _not_sent(events, message, reason)
    elif message.kind == MessageKind.REMINDER and not message.dedupe_key.endswith(appointment.start.isoformat()):
        if message.in_doubt:
            _not_sent(events, message, None, "the appointment has moved since this reminder was planned")
        else:
            _set(events, message, MessageStatus.WITHDRAWN, "the appointment has moved since this reminder was planned")
    elif message.kind == MessageKind.REMINDER and (appointment.status != AppointmentStatus.BOOKED
                                                   or appointment.start <= now):
        _not_sent(events, message, NotSentReason.TOO_LATE)
    else:
        outgoing = _compose(message, practice, events)
        if outgoing is not None:
            return _hand_over(message, outgoing, practice, now, events)
    return False


def _compose(message: Message, practice: Practice, events: list[dict]):
    """The message as it will go out (an e-mail's every byte, an SMS with its segments), or None when it cannot
    be put together: then it is recorded as not sent with the reason, and it is never tried again."""
    try:
        if message.kind != MessageKind.PRACTICE_NOTICE:  # the card may have changed since it was planned
            client = message.appointment.client
            message.recipient = client.email if message.channel == Channel.EMAIL else client.mobile
        content = render_message(message, practice)
        if content is None:
            _not_sent(events, message, NotSentReason.NO_TEMPLATE)
            return None
        message.subject, message.body = content["subject"], content["body"]
        if message.channel == Channel.EMAIL:
            return compose_email(_email(message, content, practice))
        measured = sms_rules.measure(content["body"])
        message.segments, message.encoding = measured.segments, measured.encoding
        return Sms(str(message.id), message.recipient, practice.sms_sender, content["body"],
                   measured.encoding == "UCS-2")
    except templating.TemplateProblem as problem:
        _not_sent(events, message, NotSentReason.TEMPLATE_ERROR, str(problem))
    except AddressProblem as problem:
        _not_sent(events, message, NotSentReason.BAD_ADDRESS, str(problem))
    except Exception as error:  # whatever else breaks one message must not stop the others
        log.exception("message %s could not be composed", message.id)
        _not_sent(events, message, NotSentReason.COMPOSE_ERROR, f"{type(error).__name__}: {error}")
    return None


class ClaimLost(Exception):
    """At the point of no return the message was no longer this worker's: its claim was settled as stale."""


def _hand_over(message: Message, outgoing, practice: Practice, now: datetime, events: list[dict]) -> bool:
    def point_of_no_return():
        # From here on the message may reach the other side: make that durable, then go straight on to the final
        # write. An e-mail's marker skips the wait for the database's disk: should the database server itself
        # crash and lose it, the e-mail would go out again with the same Message-ID. An SMS's marker waits.
        if not _mark_final_write(message, now, durable=message.channel == Channel.SMS):
            raise ClaimLost(message.id)
        message.final_write_at = now

    try:
        if message.channel == Channel.EMAIL:
            current_app.extensions["practice.mailer"].send(outgoing, point_of_no_return)
            reference = outgoing.message_id
        else:
            point_of_no_return()
            reference = current_app.extensions["practice.sms_gateway"].send(outgoing, report_url(message.id))
    except (TemporaryFailure, SmsFailure) as failure:
        retry = isinstance(failure, TemporaryFailure) or failure.retry
        message.final_write_at = None  # the other side certainly does not have it
        if retry and message.attempts <= len(RETRY_DELAYS):
            message.due_at = now + RETRY_DELAYS[message.attempts - 1]
            _set(events, message, MessageStatus.PLANNED,
                 f"attempt {message.attempts} failed, next at {message.due_at:%H:%M} UTC: {failure}")
        elif message.in_doubt:
            _set(events, message, MessageStatus.UNKNOWN, f"in doubt since an earlier attempt; then: {failure}")
        else:
            status = failure.status if isinstance(failure, SmsFailure) else (
                MessageStatus.UNREACHABLE if message.channel == Channel.SMS else MessageStatus.PROVIDER_ERROR)
            _set(events, message, MessageStatus(status), str(failure))
    except AddressProblem as problem:  # the server cannot take this address (no SMTPUTF8)
        message.final_write_at = None
        _not_sent(events, message, NotSentReason.BAD_ADDRESS, str(problem))
    except PermanentFailure as failure:
        message.final_write_at = None
        status = MessageStatus.UNKNOWN if message.in_doubt else MessageStatus.PROVIDER_REFUSED
        _set(events, message, status, str(failure))
    except ClaimLost:
        log.warning("message %s was released while this worker still had it; the other worker sends it", message.id)
    except OutcomeUnknown as failure:
        message.in_doubt = True
        if message.channel == Channel.EMAIL and message.attempts <= len(RETRY_DELAYS):
            message.due_at = now + RETRY_DELAYS[message.attempts - 1]
            _set(events, message, MessageStatus.PLANNED, IN_DOUBT_EMAIL.format(why=failure))
        else:
            _set(events, message, MessageStatus.UNKNOWN, IN_DOUBT_SMS.format(why=failure)
                 if message.channel == Channel.SMS else f"in doubt: {failure}")
    else:
        message.provider_ref, message.handed_over_at = reference, now
        _set(events, message, MessageStatus.HANDED_OVER, RESENT if message.in_doubt else "")
        return True
    return False


def _not_sent(events: list[dict], message: Message, reason: NotSentReason | None, detail: str = "") -> None:
    """Not sent, and never tried again. After an attempt whose outcome was unknown that would claim more than
    is known (the client may have it): then the message stays in doubt, with the reason it went no further."""
    if message.in_doubt:
        why = detail or REASON_TEXT.get(reason, str(reason))
        _set(events, message, MessageStatus.UNKNOWN, f"in doubt since an earlier attempt; not sent again: {why}")
    else:
        _set(events, message, MessageStatus.NOT_SENT, detail, reason=reason)


REASON_TEXT = {NotSentReason.TOO_LATE: "the appointment had begun", NotSentReason.NO_TEMPLATE: "no template"}


def _mark_final_write(message: Message, now: datetime, *, durable: bool) -> bool:
    """UPDATE message SET final_write_at and COMMIT, in plain SQL on the session's own connection: the least
    between this moment and the final write. Only while this worker's claim holds (False when it does not).
    On PostgreSQL without `durable` the commit does not wait for the write-ahead log's flush (the round trip
    remains; notes/production-stack.md)."""
    connection = db.session.connection()
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    convert = Message.__table__.c.final_write_at.type.bind_processor(dialect) or (lambda value: value)
    raw = connection.connection.dbapi_connection
    cursor = raw.cursor()
    if not durable and dialect.name == "postgresql":
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    # The segments too: a fast gateway's delivery report may come in before the outcome is recorded, and it
    # charges by them.
    cursor.execute(f"UPDATE message SET final_write_at = {mark}, segments = {mark} WHERE id = {mark} "
                   f"AND claim_id = {mark} AND status = '{MessageStatus.SENDING}'",
                   (convert(now), message.segments, message.id, message.claim_id))
    ours = cursor.rowcount == 1
    cursor.close()
    raw.commit()
    return ours


def _set(events: list[dict], message: Message, status: MessageStatus, detail: str = "",
         reason: NotSentReason | None = None) -> None:
    """Move the message on and note the step for its history (`events`, written by _commit_outcome)."""
    message.status, message.status_at = status, utcnow()
    if reason:
        message.reason = reason
    if detail and status != MessageStatus.HANDED_OVER:
        message.error = detail[:500]
    events.append({"message_id": message.id, "status": status, "detail": (detail or (reason or ""))[:500],
                   "at": message.status_at})


OUTCOME = ("status", "status_at", "reason", "error")


def _commit_outcome(message: Message, events: list[dict]) -> None:
    """A message's new state and its history, in one transaction. Only while this worker's claim holds; and the
    outcome only while the message is still being sent here, so that a delivery report that came in first (a
    fast gateway) is not moved backwards. Without waiting for PostgreSQL's disk: lost only if the database
    server itself crashes, which leaves the message in doubt, never wrongly settled."""
    state = inspect(message)
    changes = {attr.key: attr.value for attr in state.attrs if attr.history.has_changes()}
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    sending = Message.status == MessageStatus.SENDING
    for key in OUTCOME:
        if key in changes:
            column = getattr(Message, key)
            changes[key] = case((sending, literal(changes[key], column.type)), else_=column)
    if changes:
        db.session.execute(update(Message).where(Message.id == message.id, Message.claim_id == message.claim_id)
                           .values(**changes))
    if events:
        db.session.execute(insert(MessageEvent), events)
        events.clear()
    db.session.commit()


# --- content ---------------------------------------------------------------------------------------------------

def template_for(kind: MessageKind, channel: Channel, language: str, appointment_type_id: int | None) -> dict | None:
    """The owner's version for the appointment type, else the owner's general one, else the default.
    Looked up once per request or worker run (an edit shows from the next one on)."""
    found = g.setdefault("message_templates", {})
    key = (kind, channel, language, appointment_type_id)
    if key not in found:
        found[key] = _load_template(*key)
    return found[key]


def _load_template(kind: MessageKind, channel: Channel, language: str, appointment_type_id: int | None) -> dict | None:
    rows = db.session.scalars(select(MessageTemplate).where(
        MessageTemplate.kind == kind, MessageTemplate.channel == channel, MessageTemplate.language == language,
        (MessageTemplate.appointment_type_id == appointment_type_id) | MessageTemplate.appointment_type_id.is_(None)))
    own = sorted(rows, key=lambda row: row.appointment_type_id is None)
    if own:
        return {"subject": own[0].subject, "body": own[0].body, "html_body": own[0].html_body}
    return DEFAULTS.get((kind, channel, language))


def variables(appointment: Appointment, practice: Practice, language: str, old_start: datetime | None = None,
              reschedule_link: str = "") -> dict[str, str]:
    """What a template may use, localised in the client's language and the practice's time zone."""
    values = {
        "client_name": appointment.client.name,
        "client_first_name": appointment.client.first_name,
        **moment_variables(appointment.start, practice.timezone, language),
        "practitioner": appointment.practitioner.name,
        "appointment_type": appointment.appointment_type.name,
        "location": appointment.location.name,
        "location_address": appointment.location.address,
        "location_sms_note": appointment.location.sms_note,
        "practice_name": practice.name,
        "practice_phone": practice.phone,
        "reschedule_link": reschedule_link,
    }
    old = moment_variables(old_start, practice.timezone, language, prefix="old_") if old_start else {
        "old_date": values["date"], "old_time": values["time"]}
    return values | old


def moment_variables(moment: datetime, tz: str, language: str, prefix: str = "") -> dict[str, str]:
    local = moment.astimezone(ZoneInfo(tz))
    day, clock = _spoken_date(local.date(), language), local.strftime("%H:%M")  # HH:mm, the same in nl, de, en
    values = {f"{prefix}date": day, f"{prefix}time": clock}
    return values if prefix else {**values, "date_time": f"{day} {clock}"}


def render_message(message: Message, practice: Practice) -> dict | None:
    appointment = message.appointment
    source = template_for(message.kind, message.channel, message.language, appointment.appointment_type_id)
    if source is None:
        return None
    link = ""
    if (practice.online_rescheduling and message.kind in LINK_KINDS
            and appointment.status == AppointmentStatus.BOOKED):
        link = reschedule_url(appointment)
    values = variables(appointment, practice, message.language, old_start=_moved_from(message),
                       reschedule_link=link)
    if message.channel == Channel.SMS:
        return {"subject": "", "body": templating.render(source["body"], values, part="sms").strip()}
    body = templating.render(source["body"], values, part="text").strip()
    html = (templating.render(source["html_body"], values, part="html") if source.get("html_body")
            else text_to_html(body))
    return {"subject": templating.render(source["subject"], values, part="subject").strip(), "body": body,
            "html": html}


def _moved_from(message: Message) -> datetime | None:
    """For the practice's notice about an online move: where the appointment was before."""
    if message.kind != MessageKind.PRACTICE_NOTICE:
        return None
    return db.session.scalar(select(OnlineMove.from_start).where(OnlineMove.appointment_id == message.appointment_id)
                             .order_by(OnlineMove.id.desc()).limit(1))


@lru_cache(maxsize=4096)
def _spoken_date(day, language: str) -> str:
    """"maandag 7 december 2026": the same few days come up for every message of a run."""
    return format_date(day, "full", locale=language)


def text_to_html(text: str) -> str:
    from markupsafe import escape

    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _email(message: Message, content: dict, practice: Practice) -> Email:
    config = current_app.config
    appointment = message.appointment
    ics = None
    if message.kind in (MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.CANCELLED):
        ics = appointment_ics(
            uid=f"appointment-{appointment.id}@{_domain()}", start=appointment.start, end=appointment.end,
            summary=f"{appointment.appointment_type.name} – {practice.name}",
            location=f"{appointment.location.name}, {appointment.location.address}",
            description=appointment.practitioner.name, organizer=practice.email,
            cancelled=message.kind == MessageKind.CANCELLED, sequence=message.id)
    return Email(to=message.recipient, subject=content["subject"], text=content["body"], html=content["html"],
                 sender=config["MAIL_FROM"], sender_name=practice.name, reply_to=practice.email,
                 message_id=message_id(f"message-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}", _domain()),
                 ics=ics)


def _domain() -> str:
    return current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"


# --- delivery reports ------------------------------------------------------------------------------------------

def report_signature(reference: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"sms-report:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def report_url(message_id: int) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    gateway = current_app.extensions["practice.sms_gateway"].name
    reference = str(message_id)
    return f"{base}/callbacks/sms/{gateway}?ref={reference}&sig={report_signature(reference)}"


class ReportRefused(ValueError):
    """A delivery report we do not accept: unsigned, malformed or about a message we do not know."""


def record_report(gateway, arguments: dict[str, str], now: datetime) -> Message:
    """Move a message on by a delivery report; a late or repeated report never moves it backwards."""
    reference = arguments.get("ref", "")
    if not hmac.compare_digest(arguments.get("sig", ""), report_signature(reference)):
        raise ReportRefused("bad signature")
    try:
        report = gateway.read_report(arguments)
        message = db.session.get(Message, int(report.reference))
    except ValueError as error:
        raise ReportRefused(str(error)) from None
    if message is None or message.channel != Channel.SMS:
        raise ReportRefused("unknown message")
    status = MessageStatus(report.status)
    db.session.add(MessageEvent(message=message, status=status, detail=report.detail[:500], at=now))
    if status.rank > message.status.rank or (
            message.status == MessageStatus.UNKNOWN and status != MessageStatus.UNKNOWN):
        message.status, message.status_at = status, now
        if message.handed_over_at is None:  # a report for an SMS in doubt (or not yet recorded): the gateway had it
            message.handed_over_at = message.final_write_at or now
        if status != MessageStatus.DELIVERED and status != MessageStatus.HANDED_OVER:
            message.error = report.detail[:500]
        if status == MessageStatus.DELIVERED:
            message.price_cents = message.segments * Practice.current().sms_price_cents
    db.session.commit()
    return message
