"""Delivery reports: the signed callback URL a gateway calls, and moving a message on by what it reports (never
backwards, and an SMS in doubt settled by its report)."""
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..enums import Channel, MessageStatus, our_words
from ..extensions import db
from ..models import Message, MessageEvent, Practice


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
    if not hmac.compare_digest(arguments.get("sig", "").encode(), report_signature(reference).encode()):
        raise ReportRefused("bad signature")  # compared as bytes: any text is a plain refusal, never an error
    try:
        report = gateway.read_report(arguments)
        if not (report.reference.isdigit() and len(report.reference) <= 10):
            raise ValueError("not one of our message numbers")
        message = db.session.get(Message, int(report.reference))
    except ValueError as error:
        raise ReportRefused(str(error)) from None
    if message is None or message.channel != Channel.SMS:
        raise ReportRefused("unknown message")
    status, detail = MessageStatus(report.status), report.detail[:500]
    if message.removed_at is not None:  # erased or past retention: a report quotes the number and the text's start
        detail = our_words(detail)
    if db.session.scalar(select(MessageEvent.id).where(MessageEvent.message_id == message.id,
                                                       MessageEvent.status == status, MessageEvent.detail == detail)
                         .limit(1)):
        return message  # the same report again (gateways retry; a replay): it was recorded once
    db.session.add(MessageEvent(message=message, status=status, detail=detail, at=now))
    if status.rank > message.status.rank or (
            message.status == MessageStatus.UNKNOWN and status != MessageStatus.UNKNOWN):
        message.status, message.status_at = status, now
        if message.handed_over_at is None:  # a report for an SMS in doubt (or not yet recorded): the gateway had it
            message.handed_over_at = message.final_write_at or now
        if status != MessageStatus.DELIVERED and status != MessageStatus.HANDED_OVER:
            message.error = detail
        if status == MessageStatus.DELIVERED:
            message.price_cents = message.segments * Practice.current().sms_price_cents
    db.session.commit()
    return message
