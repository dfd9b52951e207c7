"""The inbox: replies waiting for a person (mark handled, cancel what a "no" asks, answer by SMS), and the gateway's
callback that hands replies in."""
import hmac
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .. import sms
from ..errors import FieldError
from ..extensions import csrf, db, limiter
from ..htmx import render_fragment, render_page
from ..i18n import gettext as _
from ..models import Practice
from ..web import public
from . import services
from .models import InboundSms

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
callback = Blueprint("inbound", __name__, url_prefix="/callbacks")


@bp.app_template_global()
def unread_replies() -> int:
    """The replies waiting in the inbox, for the navigation."""
    return services.count_unread()


@bp.app_template_global()
def client_replies(client_id: int) -> list[InboundSms]:
    """A client's latest replies, for their card."""
    return services.load_for_client(client_id)


@bp.app_template_global()
def appointment_replies(appointment_id: int) -> list[InboundSms]:
    """The replies about an appointment, for its panel."""
    return services.load_for_appointment(appointment_id)


@bp.get("/")
def index():
    return render_page("inbox/index.html", "inbox/index.html", waiting=services.load_inbox(handled=False),
                       handled=services.load_inbox(handled=True, limit=30))


@bp.post("/<int:reply_id>/handled")
def handled(reply_id):
    services.mark_handled(db.get_or_404(InboundSms, reply_id), current_user, datetime.now(UTC))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:reply_id>/cancel")
def cancel(reply_id):
    """The one click a "no" asks for: its appointment cancelled (the client gets the usual notice), the reply
    handled."""
    try:
        services.cancel_asked(db.get_or_404(InboundSms, reply_id), current_user, datetime.now(UTC))
    except FieldError as problem:
        flash(problem.message, "error")
    else:
        flash(_("The appointment is cancelled."), "info")
    return redirect(url_for(".index"), 303)


@bp.post("/<int:reply_id>/answer")
def answer(reply_id):
    """The answer's text: first measured (segments, encoding, cost) for the desk to see, then sent (action=send)."""
    reply, practice = db.get_or_404(InboundSms, reply_id), Practice.current()
    text = request.form.get("text", "")
    try:
        if request.form.get("action") == "send":
            services.answer(reply, text, current_user, datetime.now(UTC))
            flash(_("The answer is on its way."), "info")
            response = redirect(url_for(".index"), 303)
            response.headers["HX-Redirect"] = url_for(".index")  # from htmx: the whole page anew
            return response
        text, measured = services.checked_answer(text)
    except FieldError as problem:
        return render_fragment("inbox/_answer.html", 422, reply=reply, text=text, problem=problem.message)
    return render_fragment("inbox/_answer.html", reply=reply, text=text, measured=measured,
                           cost=sms.cost_cents(measured.segments, practice.sms_price_cents))


@callback.route("/sms-inbound", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit("600/minute")
def inbound():
    """A reply from a phone, handed in by the gateway (Kannel: an sms-service whose get-url or post-url names this,
    with `key` set to SMS_INBOUND_SECRET). 403 without the right key; 400, and nothing stored, for what cannot be an
    SMS (too long, not UTF-8, no sender or id)."""
    secret = current_app.config["SMS_INBOUND_SECRET"]
    if not secret or not hmac.compare_digest(request.args.get("key", "").encode(), secret.encode()):
        abort(403)
    if (request.content_length or 0) > 4 * services.LONGEST:
        return _refused("too long: an SMS has at most 1600 characters")
    raw = request.get_data() if request.method == "POST" else request.args.get("text", "").encode()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _refused("the text is not UTF-8 (set mo-recode = true in Kannel's smsbox)")
    sender = request.args.get("from") or request.headers.get("X-Kannel-From", "")
    gateway_id = request.args.get("id", "")
    if len(text) > services.LONGEST:
        return _refused("too long: an SMS has at most 1600 characters")
    if not sender or not gateway_id or len(gateway_id) > 64 or "\x00" in text:
        return _refused("a reply needs from, id and a text")
    services.receive(services.Incoming(gateway_id, sender, request.args.get("to", ""), text), datetime.now(UTC))
    return Response("", 200)  # empty: with max-messages = 0 nothing goes back to the phone


def _refused(reason: str) -> Response:
    current_app.logger.warning("inbound SMS refused: %s", reason)
    return Response(f"refused: {reason}\n", 400, mimetype="text/plain")
