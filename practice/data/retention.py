"""Retention: message texts and recipients, and the texts of SMS replies, are kept for as many months as the owner
chose (Practice.retention_months; None keeps them), then removed each night. What a message was, when, on which
channel, what became of it and what it cost stays, so counts, usage and invoices do not change."""
from datetime import datetime

from sqlalchemy import select, update

from .. import localtime
from ..audit.models import AuditEvent
from ..enums import THEIR_WORDS, MessageStatus
from ..extensions import db
from ..inbox.models import InboundSms
from ..models import Message, OnlineCancellation, Practice
from .client_data import empty_messages
from .imports import drop_stale_uploads

BATCH = 500  # rows per transaction: a year of messages never holds the database in one long write

# Still under way: their texts are needed to send them, or to know what may have arrived.
UNDER_WAY = (MessageStatus.PLANNED, MessageStatus.SENDING, MessageStatus.UNKNOWN)


def retention_cutoff(now: datetime, tz: str, months: int) -> datetime:
    """The UTC moment before which texts go: midnight on the practice's clock, `months` before today."""
    return localtime.midnight(localtime.months_before(localtime.today(now, tz), months), tz)


def remove_old_texts(now: datetime, batch: int = BATCH) -> int:
    """Empty the texts and recipients of the messages that ended before the practice's retention (logged before the
    cutoff: went out, or ended without), the texts and senders of the SMS replies received before it, the reasons
    given for online cancellations, and the texts the audit trail quoted; a batch per transaction. How many
    messages lost their text."""
    drop_stale_uploads(now)
    db.session.commit()
    practice = Practice.current()
    if not practice.retention_months:
        return 0
    cutoff = retention_cutoff(now, practice.timezone, practice.retention_months)
    removed = 0
    while ids := list(db.session.scalars(
            select(Message.id).where(Message.logged_at < cutoff, Message.removed_at.is_(None),
                                     Message.status.not_in(UNDER_WAY))
            .order_by(Message.id).limit(batch))):
        removed += empty_messages(ids, now)
        db.session.commit()
    with_text = (InboundSms.text != "") | (InboundSms.sender != "")
    _empty_each_batch(InboundSms, (InboundSms.received_at < cutoff) & with_text, batch, text="", sender="")
    _empty_each_batch(OnlineCancellation,
                      (OnlineCancellation.cancelled_at < cutoff) & (OnlineCancellation.reason != ""), batch, reason="")
    _empty_each_batch(AuditEvent, AuditEvent.action.in_(THEIR_WORDS) & (AuditEvent.at < cutoff)
                      & (AuditEvent.detail != ""), batch, detail="")
    return removed


def _empty_each_batch(model, condition, batch: int, **values) -> None:
    while ids := list(db.session.scalars(select(model.id).where(condition).order_by(model.id).limit(batch))):
        db.session.execute(update(model).where(model.id.in_(ids)).values(**values),
                           execution_options={"synchronize_session": False})
        db.session.commit()
