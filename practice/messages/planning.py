"""Planning messages: the notices a change of an appointment calls for and its reminders, in the same transaction
as the change (nothing here commits but resend_confirmation and replan_upcoming_reminders), and why a message could
not go out."""
from datetime import datetime

from flask import current_app

from sqlalchemy import and_, exists, false, not_, select, true, update
from sqlalchemy.orm import joinedload

from .. import localtime, schedule
from ..audit import services as audit
from ..enums import AppointmentStatus, AuditAction, Channel, MessageKind, MessageStatus, Note, NotSentReason, noted
from ..errors import FieldError
from ..extensions import db
from ..columns import utcnow
from ..i18n import lazy_gettext as _l
from ..models import Appointment, Client, Message, MessageEvent, Practice
from ..signals import messages_planned
from . import budget

CHANGE_KINDS = {MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.CANCELLED}


def plan_change(appointment: Appointment, kind: MessageKind, now: datetime, moved_from: datetime | None = None, *,
                due: datetime | None = None, by_client: bool = False) -> list[Message]:
    """The messages one change of an appointment calls for (confirmation, rescheduled or cancelled), due at `due`
    (now if not given: the undo window is the caller's). `moved_from`: for a move, where the appointment was;
    `by_client`: the client made the change online, so they know of the appointment whatever was sent.

    Change notices not yet sent for an earlier version of the appointment are withdrawn first, so a change within
    the undo window sends only the final state: a client whose confirmation was still waiting (and who was told
    nothing else about the appointment) gets a confirmation of where it is now, or nothing if it is cancelled; a
    move after a move still waiting names the time the client knows; a move back to that time (or to another
    practitioner or place at the same time) is confirmed anew. Not committed: the caller commits them.
    """
    withdrawn = db.session.execute(
        update(Message).where(Message.appointment_id == appointment.id, Message.status == MessageStatus.PLANNED,
                              Message.kind.in_(CHANGE_KINDS))
        .values(status=MessageStatus.WITHDRAWN, status_at=now).returning(Message.kind, Message.moved_from)).all()
    unconfirmed = (not by_client and any(was == MessageKind.CONFIRMATION for was, _ in withdrawn)
                   and not _told(Message.appointment_id == appointment.id))
    if kind != MessageKind.CONFIRMATION and unconfirmed:
        if kind == MessageKind.CANCELLED:
            return []
        kind, moved_from = MessageKind.CONFIRMATION, None
    if kind == MessageKind.RESCHEDULED:
        moved_from = next((known for was, known in withdrawn if was == MessageKind.RESCHEDULED), moved_from)
        if moved_from == appointment.start:  # at the time the client knows: what is new is said by a confirmation
            kind, moved_from = MessageKind.CONFIRMATION, None
    # Each change is its own notice: moving 10:00 -> 11:00 -> 10:00 tells the client twice once the first has gone.
    return [_plan(appointment, kind, channel, due=due or now, key=f"{appointment.id}:{kind}:{channel}:{now.isoformat()}",
                  moved_from=moved_from)
            for channel in appointment.confirmation_channels.channels]


SERIES_KINDS = {MessageKind.SERIES_CONFIRMATION, MessageKind.SERIES_CANCELLED}


def plan_series_notice(appointment: Appointment, kind: MessageKind, now: datetime, *, due: datetime) -> list[Message]:
    """One notice about several appointments of the appointment's series (it is the first of them): their
    confirmation, or their cancellation. Like plan_change, a series notice still waiting is withdrawn first, and a
    cancellation of a series whose confirmation never went out tells nothing, or confirms those still booked.
    Not committed."""
    series = select(Appointment.id).where(Appointment.series_id == appointment.series_id)
    withdrawn = db.session.scalars(
        update(Message).where(Message.appointment_id.in_(series), Message.status == MessageStatus.PLANNED,
                              Message.kind.in_(SERIES_KINDS))
        .values(status=MessageStatus.WITHDRAWN, status_at=now).returning(Message.kind)).all()
    first_booked = db.session.scalar(select(Appointment).where(
        Appointment.series_id == appointment.series_id, Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.start).limit(1))
    if (kind == MessageKind.SERIES_CANCELLED and MessageKind.SERIES_CONFIRMATION in withdrawn
            and not _told(Message.appointment_id.in_(series))):
        kind = MessageKind.SERIES_CONFIRMATION  # never told of the series: only what is still booked
    if kind == MessageKind.SERIES_CONFIRMATION:  # it lists them all, from the first one still booked
        if first_booked is None:
            return []
        appointment = first_booked
    return [_plan(appointment, kind, channel, due=due, key=f"{appointment.id}:{kind}:{channel}:{now.isoformat()}")
            for channel in appointment.confirmation_channels.channels]


def _told(about) -> bool:
    """Whether a message about the appointments `about` names (a condition on Message.appointment_id) may have
    reached the client: a notice or a reminder went out or is going, or its outcome is in doubt. One query. Read
    after the withdrawal, which waits for a worker's claim of the same message (a row lock on PostgreSQL, the write
    lock on SQLite): one claimed first counts as told."""
    reached = (Message.status.not_in((MessageStatus.PLANNED, MessageStatus.WITHDRAWN, MessageStatus.NOT_SENT))
               | Message.in_doubt)
    return db.session.scalar(select(exists().where(about, reached,
                                                   Message.kind.in_(CHANGE_KINDS | SERIES_KINDS | {MessageKind.REMINDER}))))


def queue(messages: list[Message], due_at: datetime | None = None) -> None:
    """After the commit that planned them: the planned ones among `messages` to the queue, to go now or at `due_at`
    (the worker's minute round would find them too)."""
    ids = [message.id for message in messages if message.status == MessageStatus.PLANNED]
    if ids:
        messages_planned.send(current_app._get_current_object(), message_ids=ids, due_at=due_at)


def send_held_now(appointment: Appointment, now: datetime) -> list[int]:
    """The appointment's notices that wait out the undo window go now ("send now" on the panel): the ids of those
    made due, committed and handed to the queue."""
    due_now = list(db.session.scalars(
        update(Message).where(Message.appointment_id == appointment.id, Message.status == MessageStatus.PLANNED,
                              Message.kind.in_(CHANGE_KINDS), Message.due_at > now)
        .values(due_at=now).returning(Message.id)))
    db.session.commit()
    messages_planned.send(current_app._get_current_object(), message_ids=due_now)
    return due_now


def resend_confirmation(appointment: Appointment, now: datetime) -> list[Message]:
    """The confirmation once more, on the appointment's confirmation channels, through the outbox like any
    message; its history and the appointment's trail say it was sent again on request. FieldError, and nothing
    planned, for a cancelled or past appointment."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise FieldError(_l("This appointment is not booked, so no confirmation is sent."))
    if appointment.start <= now:
        raise FieldError(_l("This appointment has passed, so no confirmation is sent."))
    if not appointment.confirmation_channels.channels:
        raise FieldError(_l("This appointment gets no confirmations: its confirmation channels are set to none."))
    messages = plan_change(appointment, MessageKind.CONFIRMATION, now)
    for message in messages:
        message.events.append(MessageEvent(status=message.status, at=now, detail=noted(Note.SENT_AGAIN)))
    audit.record(AuditAction.CONFIRMATION_RESENT, appointment.id, ", ".join(message.channel for message in messages))
    db.session.commit()
    queue(messages)
    return messages


def plan_practice_notice(appointment: Appointment, practice: Practice, now: datetime,
                         moved_from: datetime | None = None) -> Message:
    """An e-mail to the practice itself about a move a client made online (from `moved_from`), or else about their
    online cancellation. Not committed."""
    kind = MessageKind.PRACTICE_NOTICE if moved_from else MessageKind.PRACTICE_CANCEL_NOTICE
    message = Message(dedupe_key=f"{appointment.id}:{kind}:{now.isoformat()}",
                      appointment=appointment, kind=kind, channel=Channel.EMAIL,
                      due_at=now, language=practice_language(practice), status=MessageStatus.PLANNED,
                      status_at=now, recipient=practice.email, moved_from=moved_from)
    reason = reason_not_to_send(message, practice)
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def plan_offer_message(offer, client: Client, channel: Channel, now: datetime) -> Message:
    """The message that offers a waiting client a freed time (a waiting.models.WaitingOffer), due now. Not
    committed."""
    message = Message(dedupe_key=f"offer:{offer.id}:{channel}", offer=offer, kind=MessageKind.WAITING_LIST_OFFER,
                      channel=channel, due_at=now, language=client.language, status=MessageStatus.PLANNED,
                      status_at=now, recipient=client.email if channel == Channel.EMAIL else client.mobile)
    reason = reason_not_to_send(message, Practice.current())
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def plan_client_sms(client: Client, kind: MessageKind, now: datetime, body: str = "",
                    appointment: Appointment | None = None) -> Message:
    """An SMS to a client about no change of an appointment: the last one after a STOP, or the desk's answer to a
    reply (`body`, as written). Due now; not committed."""
    message = Message(dedupe_key=f"client:{client.id}:{kind}:{now.isoformat()}", client=client, appointment=appointment,
                      kind=kind, channel=Channel.SMS, due_at=now, language=client.language, status=MessageStatus.PLANNED,
                      status_at=now, recipient=client.mobile, body=body)
    reason = reason_not_to_send(message, Practice.current())
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def plan_email_instead(message: Message, now: datetime) -> Message | None:
    """An SMS the budget holds, as an e-mail, for a client who has an address and does not get this message by
    e-mail already; None otherwise (then the SMS is held alone). Not added to the session."""
    client = client_of(message)
    wanted = None
    if message.appointment is not None:
        appointment = message.appointment
        wanted = appointment.reminder_channels if message.kind == MessageKind.REMINDER else (
            appointment.confirmation_channels)
    elif message.offer is not None:
        wanted = client.confirmation_channels
    if client is None or not client.email or wanted is None or wanted.email:
        return None
    return Message(dedupe_key=f"by-email:{message.dedupe_key}", appointment_id=message.appointment_id,
                   offer_id=message.offer_id, kind=message.kind, channel=Channel.EMAIL, due_at=now,
                   language=message.language, status=MessageStatus.PLANNED, status_at=now, recipient=client.email,
                   moved_from=message.moved_from)


def plan_budget_warning(now: datetime) -> None:
    """Once a month, when SMS spending reaches 80 % of the budget: an e-mail to the practice. Committed."""
    practice = Practice.current()
    reached = budget.needs_warning(practice, now)
    if reached is None:
        return
    practice.sms_budget_warned = f"{now.astimezone(localtime.zone(practice.timezone)):%Y-%m}"
    message = Message(dedupe_key=f"budget:{practice.sms_budget_warned}", kind=MessageKind.BUDGET_WARNING,
                      channel=Channel.EMAIL, due_at=now, language=practice_language(practice),
                      status=MessageStatus.PLANNED, status_at=now, recipient=practice.email)
    reason = reason_not_to_send(message, practice)
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    db.session.commit()


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
            for channel in appointment.reminder_channels.channels:
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


def _plan(appointment: Appointment, kind: MessageKind, channel: Channel, *, due: datetime, key: str,
          moved_from: datetime | None = None) -> Message:
    client = appointment.client
    message = Message(dedupe_key=key, appointment=appointment, kind=kind, channel=channel, due_at=due,
                      moved_from=moved_from,
                      language=client.language, status=MessageStatus.PLANNED, status_at=utcnow(),
                      recipient=client.email if channel == Channel.EMAIL else client.mobile)
    reason = reason_not_to_send(message, Practice.current())
    if reason:
        message.status, message.reason = MessageStatus.NOT_SENT, reason
    db.session.add(message)
    return message


def obstacles(kind: MessageKind, channel: Channel, practice: Practice, client) -> list[tuple[NotSentReason, object]]:
    """Why a message of `kind` on `channel` to `client` could not go out, in the order they count: (reason,
    condition). The one place this rule is written. `client` is a Client, or a row with its columns: the
    conditions are then true or false; or the Client class: the conditions are then SQL (see `reaches`)."""
    if kind.to_the_practice:
        return [(NotSentReason.NO_EMAIL, not practice.email)]
    if kind.about_an_account:  # to the address the link was made for
        return []
    change = kind in CHANGE_KINDS or kind.about_a_series
    if channel == Channel.SMS:
        return [(NotSentReason.CHANNEL_OFF, not practice.sms_enabled or (change and not practice.confirmation_sms)),
                (NotSentReason.BUDGET_SPENT, budget.holds(kind, practice)),
                (NotSentReason.NO_MOBILE, client.mobile == ""),
                # The one SMS after a STOP says that no more will come: it goes without the consent it withdrew.
                (NotSentReason.NO_CONSENT, kind != MessageKind.SMS_STOPPED and client.sms_consent == False)]  # noqa: E712
    return [(NotSentReason.CHANNEL_OFF, change and not practice.confirmation_email),
            (NotSentReason.NO_EMAIL, client.email == "")]


def why_not(kind: MessageKind, channel: Channel, practice: Practice, client) -> NotSentReason | None:
    """The first obstacle in the way of this message, or None."""
    return next((reason for reason, blocked in obstacles(kind, channel, practice, client) if blocked), None)


def reason_not_to_send(message: Message, practice: Practice) -> NotSentReason | None:
    """Why this message cannot go out (checked when planned and again when sent), or None."""
    return why_not(message.kind, message.channel, practice, client_of(message))


def client_of(message: Message) -> Client | None:
    """Whom the message is for: the client of its appointment or of its waiting list offer (None: a colleague or
    the practice)."""
    if message.appointment is not None:
        return message.appointment.client
    return message.offer.entry.client if message.offer is not None else message.client


def reaches(kind: MessageKind, channel: Channel, practice: Practice):
    """SQL: the clients a message of `kind` on `channel` can reach (none of `obstacles` in the way)."""
    conditions = [condition for _, condition in obstacles(kind, channel, practice, Client)]
    if any(condition is True for condition in conditions):  # the practice's own settings stand in the way
        return false()
    return and_(true(), *[not_(condition) for condition in conditions if condition is not False])


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
