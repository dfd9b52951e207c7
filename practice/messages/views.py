from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request
from flask_babel import lazy_gettext as _l

from .. import practice
from ..extensions import csrf, limiter
from ..htmx import render_page
from ..models import Channel, MessageKind, MessageStatus, NotSentReason
from ..web import public
from . import log as message_log
from . import services

bp = Blueprint("messages", __name__)
callbacks = Blueprint("callbacks", __name__, url_prefix="/callbacks")

STATUS_LABELS = {
    MessageStatus.PLANNED: _l("Planned"),
    MessageStatus.SENDING: _l("Being handed over"),
    MessageStatus.HANDED_OVER: _l("Handed over"),
    MessageStatus.DELIVERED: _l("Delivered"),
    MessageStatus.UNDELIVERABLE: _l("Could not be delivered"),
    MessageStatus.EXPIRED: _l("Delivery deadline expired"),
    MessageStatus.REJECTED: _l("Rejected by recipient"),
    MessageStatus.UNREACHABLE: _l("SMS service unreachable"),
    MessageStatus.PROVIDER_ERROR: _l("Provider error (sending not possible)"),
    MessageStatus.PROVIDER_REFUSED: _l("Provider refused acceptance (contact support)"),
    MessageStatus.UNKNOWN: _l("Outcome unknown: check before sending again"),
    MessageStatus.NOT_SENT: _l("Not sent"),
    MessageStatus.WITHDRAWN: _l("No longer needed"),
}
REASON_LABELS = {
    NotSentReason.NO_CONSENT: _l("no SMS consent"),
    NotSentReason.NO_MOBILE: _l("no mobile number"),
    NotSentReason.NO_EMAIL: _l("no e-mail address"),
    NotSentReason.NO_TEMPLATE: _l("no template for this appointment type"),
    NotSentReason.CHANNEL_OFF: _l("channel switched off"),
    NotSentReason.NO_CREDIT: _l("insufficient SMS credit"),
    NotSentReason.BOOKED_TOO_LATE: _l("booked after the reminder's moment"),
    NotSentReason.TOO_LATE: _l("too late: the appointment had begun"),
}
KIND_LABELS = {
    MessageKind.CONFIRMATION: _l("Confirmation"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.RESCHEDULED: _l("Rescheduled"),
    MessageKind.CANCELLED: _l("Cancelled"),
    MessageKind.PRACTICE_NOTICE: _l("Notice to the practice"),
}
CHANNEL_LABELS = {Channel.EMAIL: _l("E-mail"), Channel.SMS: _l("SMS")}


@bp.app_context_processor
def labels():
    return {"message_statuses": STATUS_LABELS, "message_reasons": REASON_LABELS, "message_kinds": KIND_LABELS,
            "message_channels": CHANNEL_LABELS}


@bp.get("/messages/")
def index():
    """The message log: every message with its kind, channel, recipient, time, segments, status and reason."""
    filters = message_log.Filters.from_args(request.args, practice().timezone)
    return render_page("messages/log.html", "messages/_log_rows.html", filters=filters,
                       messages=message_log.load_messages(filters), statuses=STATUS_LABELS,
                       channels=CHANNEL_LABELS)


@callbacks.route("/sms/<gateway>", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit("600/minute")
def sms_report(gateway):
    """Delivery reports from the SMS gateway; only signed reports about our own messages are taken."""
    sender = current_app.extensions["practice.sms_gateway"]
    if gateway != sender.name:
        abort(404)
    arguments = dict(request.values.items())
    try:
        services.record_report(sender, arguments, datetime.now(UTC))
    except services.ReportRefused as refusal:
        current_app.logger.warning("delivery report refused: %s", refusal)
        return Response("refused\n", 403 if "signature" in str(refusal) else 400, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")
