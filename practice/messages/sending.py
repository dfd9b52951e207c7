"""Sending what is due exactly once: claim, commit, hand over, record. The message table is the outbox and the
log at once; Huey is only the clock. At the point of no return (SMTP's final dot, the gateway request) the outcome
may become unknown: then the message says "in doubt" and follows its channel's rule."""
import logging
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, case, insert, inspect, select, text, update
from sqlalchemy.orm import joinedload, selectinload

from .. import sms as sms_rules
from ..sender_rules import sender_for
from .. import templating
from ..channels.email import AddressProblem, PermanentFailure, TemporaryFailure
from ..channels.outcome import OutcomeUnknown
from ..channels.sms_gateways import Sms, SmsFailure
from ..enums import AppointmentStatus, Channel, MessageKind, MessageStatus, Note, NotSentReason, OfferOutcome, noted
from ..extensions import db
from ..columns import utcnow
from ..models import Appointment, Message, MessageEvent, Practice
from .content import email_of, render_message
from . import budget
from .planning import client_of, plan_budget_warning, plan_email_instead, reason_not_to_send
from .reports import report_url

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))


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
    plan_budget_warning(now)
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
            detail = noted(Note.WORKER_STOPPED_BEFORE)
        elif channel == Channel.EMAIL:
            status, event, values = MessageStatus.PLANNED, MessageStatus.UNKNOWN, {"in_doubt": True}
            detail = noted(Note.IN_DOUBT_EMAIL, then=Note.WORKER_STOPPED_AFTER)
        else:
            status = event = MessageStatus.UNKNOWN
            values = {"in_doubt": True}
            detail = noted(Note.IN_DOUBT_SMS, then=Note.WORKER_STOPPED_ANSWER)
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
                 appointment_path.selectinload(Appointment.location), selectinload(Message.account_link),
                 selectinload(Message.offer), selectinload(Message.client))
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
    if reason == NotSentReason.BUDGET_SPENT and (instead := plan_email_instead(message, now)) is not None:
        _not_sent(events, message, reason, noted(Note.BY_EMAIL_INSTEAD))
        db.session.add(instead)  # committed with this outcome; the run's next batch sends it
    elif reason:
        _not_sent(events, message, reason)
    elif message.kind == MessageKind.REMINDER and not message.dedupe_key.endswith(appointment.start.isoformat()):
        if message.in_doubt:
            _not_sent(events, message, None, Note.APPOINTMENT_MOVED)
        else:
            _set(events, message, MessageStatus.WITHDRAWN, Note.APPOINTMENT_MOVED)
    elif message.kind == MessageKind.REMINDER and (appointment.status != AppointmentStatus.BOOKED
                                                   or appointment.start <= now):
        _not_sent(events, message, NotSentReason.TOO_LATE)
    elif message.offer is not None and message.offer.outcome_at(now) != OfferOutcome.OPEN:
        if message.in_doubt:
            _not_sent(events, message, None, Note.OFFER_CLOSED)
        else:
            _set(events, message, MessageStatus.WITHDRAWN, Note.OFFER_CLOSED)
    else:
        outgoing = _compose(message, practice, events)
        if outgoing is not None:
            return _hand_over(message, outgoing, practice, now, events)
    return False


def _compose(message: Message, practice: Practice, events: list[dict]):
    """The message as it will go out (an e-mail's every byte, an SMS with its segments), or None when it cannot
    be put together: then it is recorded as not sent with the reason, and it is never tried again."""
    try:
        client = client_of(message)
        if client is not None and not message.kind.to_the_practice:  # the card may have changed
            message.recipient = client.email if message.channel == Channel.EMAIL else client.mobile
        content = render_message(message, practice)
        if content is None:
            _not_sent(events, message, NotSentReason.NO_TEMPLATE)
            return None
        message.subject, message.body = content["subject"], content.get("kept", content["body"])
        if message.channel == Channel.EMAIL:
            return email_of(message, content, practice)
        measured = sms_rules.measure(content["body"])
        message.segments, message.encoding = measured.segments, measured.encoding
        sender = sender_for(message.recipient, practice.sms_sender, practice.sms_sender_number,
                            replies_on=practice.sms_replies)
        return Sms(str(message.id), message.recipient, sender, content["body"],
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
            delay = RETRY_DELAYS[message.attempts - 1]
            message.due_at = now + delay
            _set(events, message, MessageStatus.PLANNED,
                 noted(Note.ATTEMPT_FAILED, message.attempts, delay // timedelta(minutes=1), then=failure))
        elif message.in_doubt:
            _set(events, message, MessageStatus.UNKNOWN, noted(Note.IN_DOUBT_THEN, then=failure))
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
            _set(events, message, MessageStatus.PLANNED, noted(Note.IN_DOUBT_EMAIL, then=failure))
        else:
            doubt = Note.IN_DOUBT_SMS if message.channel == Channel.SMS else Note.IN_DOUBT
            _set(events, message, MessageStatus.UNKNOWN, noted(doubt, then=failure))
    else:
        message.provider_ref, message.handed_over_at = reference, now
        _set(events, message, MessageStatus.HANDED_OVER, Note.RESENT if message.in_doubt else "")
        if message.channel == Channel.SMS:
            budget.note_sent(message.segments * practice.sms_price_cents)
        return True
    return False


def _not_sent(events: list[dict], message: Message, reason: NotSentReason | None, detail: str = "") -> None:
    """Not sent, and never tried again. After an attempt whose outcome was unknown that would claim more than
    is known (the client may have it): then the message stays in doubt, with the reason it went no further.
    `detail`: what more there is to say (a note, or a problem's own text) beside the reason."""
    why = noted(reason, then=detail) if reason else detail
    if message.in_doubt:
        _set(events, message, MessageStatus.UNKNOWN, noted(Note.IN_DOUBT_NOT_SENT, then=why))
    else:
        _set(events, message, MessageStatus.NOT_SENT, detail, reason=reason, noted_as=why)


def _mark_final_write(message: Message, now: datetime, *, durable: bool) -> bool:
    """UPDATE message SET final_write_at and COMMIT, in plain SQL on the session's own connection: the least
    between this moment and the final write. Only while this worker's claim holds (False when it does not).
    On PostgreSQL without `durable` the commit does not wait for the write-ahead log's flush (the round trip
    remains: a kill during it still lands in doubt)."""
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
         reason: NotSentReason | None = None, noted_as: str = "") -> None:
    """Move the message on and note the step for its history (`events`, written by _commit_outcome). `detail`
    (a note, see enums.noted) becomes the message's error too; the history takes `noted_as` where it says more
    (the reason with the detail, which the message keeps apart in `reason`)."""
    message.status, message.status_at = status, utcnow()
    if reason:
        message.reason = reason
    if detail and status != MessageStatus.HANDED_OVER:
        message.error = str(detail)[:500]
    events.append({"message_id": message.id, "status": status, "detail": str(noted_as or detail)[:500],
                   "at": message.status_at})


OUTCOME = frozenset({"status", "status_at", "reason", "error"})


def _commit_outcome(message: Message, events: list[dict]) -> None:
    """A message's new state and its history, in one transaction. Only while this worker's claim holds; and the
    outcome only while the message is still being sent here, so that a delivery report that came in first (a
    fast gateway) is not moved backwards. Without waiting for PostgreSQL's disk: lost only if the database
    server itself crashes, which leaves the message in doubt, never wrongly settled."""
    changes = {attr.key: attr.value for attr in inspect(message).attrs if attr.history.has_changes()}
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
    if changes:
        connection.execute(_outcome_update(frozenset(changes)),
                           {f"new_{key}": value for key, value in changes.items()}
                           | {"the_id": message.id, "the_claim": message.claim_id})
    if events:
        connection.execute(insert(MessageEvent.__table__), events)
        events.clear()
    db.session.commit()


@lru_cache(maxsize=64)
def _outcome_update(keys: frozenset[str]):
    """The UPDATE for one set of changed columns, built once (the sender writes thousands of outcomes a minute,
    in a handful of shapes), in Core: the objects are detached, nothing in the session needs to follow."""
    table = Message.__table__
    sending = table.c.status == MessageStatus.SENDING
    values = {}
    for key in keys:
        new = bindparam(f"new_{key}", type_=table.c[key].type)
        values[key] = case((sending, new), else_=table.c[key]) if key in OUTCOME else new
    return (update(table).where(table.c.id == bindparam("the_id"), table.c.claim_id == bindparam("the_claim"))
            .values(values))
