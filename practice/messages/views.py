from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for

from .. import catalogue, localtime
from ..errors import FieldError
from ..extensions import csrf, db, limiter
from ..htmx import is_htmx, render_fragment, render_page
from ..enums import Channel, LANGUAGES, MessageKind, MessageStatus
from ..i18n import gettext as _
from ..models import Appointment, Practice
from ..web import owner_required, public, show_error
from . import editor, planning, reports
from . import forecast as message_forecast
from . import log as message_log
from . import usage as message_usage
from .forms import TemplateForm

bp = Blueprint("messages", __name__)
callbacks = Blueprint("callbacks", __name__, url_prefix="/callbacks")

@bp.get("/messages/")
def index():
    """The message log: every message with its kind, channel, recipient, time, segments, status and reason; a page at
    a time, filtered by the query string. A filter value that cannot be read gets its reason instead of rows."""
    problem = None
    try:
        log = message_log.load_log(request.args, Practice.current().timezone)
    except FieldError as refused:
        problem, log = refused.message, message_log.Log(message_log.Filters(), None, message_log.Page([], None, None))
    return render_page("messages/log.html", "messages/_log_rows.html", 400 if problem else 200, log=log,
                       problem=problem, statuses=[status for status in MessageStatus if status != MessageStatus.PLANNED],
                       channels=list(Channel), kinds=list(MessageKind))


@bp.get("/messages/forecast")
def forecast():
    """The reminders of the coming days, and why an appointment gets none."""
    days = min(max(request.args.get("days", 3, type=int), 1), 14)
    entries = message_forecast.load_forecast(datetime.now(UTC), days, Practice.current())
    return render_page("messages/forecast.html", "messages/_forecast.html", entries=entries, days=days)


@bp.get("/messages/<int:message_id>")
def message(message_id):
    """One message as it went out (also how the development sinks show what they received) and its history."""
    found = message_log.load_message(message_id)
    if found is None:
        abort(404)
    return render_page("messages/message.html", "messages/_message.html", message=found)


@bp.post("/messages/appointments/<int:appointment_id>/resend-confirmation")
def resend_confirmation(appointment_id):
    """The appointment panel's "Resend confirmation": its messages section again, with the new confirmation or the
    reason it was refused."""
    appointment = db.get_or_404(Appointment, appointment_id)
    try:
        planning.resend_confirmation(appointment, datetime.now(UTC))
    except FieldError as refused:
        return _appointment_messages(appointment, refused.message)
    return _appointment_messages(appointment, done=_("The confirmation is being sent again."))


@bp.post("/messages/appointments/<int:appointment_id>/send-now")
def send_now(appointment_id):
    """"Send now" on the appointment panel: its notices waiting out the undo window go at once."""
    appointment = db.get_or_404(Appointment, appointment_id)
    if planning.send_held_now(appointment, datetime.now(UTC)):
        return _appointment_messages(appointment, done=_("The messages are being sent now."))
    return _appointment_messages(appointment, _("There is nothing waiting to be sent: it has gone already."))


def _appointment_messages(appointment: Appointment, problem: str | None = None, done: str | None = None):
    """The appointment panel's messages section after an action on it, with what came of it."""
    if not is_htmx():
        flash(problem or done, "error" if problem else "info")
        return redirect(url_for("agenda.appointment", appointment_id=appointment.id), 303)
    return render_fragment("messages/_appointment_messages.html", 422 if problem else 200, appointment=appointment,
                           appointment_messages=message_log.load_for_appointment(appointment.id, Practice.current(),
                                                                                 datetime.now(UTC)),
                           action_problem=problem, action_done=done)


# --- usage and invoices (owner) ------------------------------------------------------------------------------

@bp.get("/messages/usage")
@owner_required
def usage():
    months = _usage_months()
    return render_page("messages/usage.html", "messages/usage.html", months=months,
                       total=sum(month.cost_cents for month in months), price_cents=Practice.current().sms_price_cents)


@bp.get("/messages/usage.csv")
@owner_required
def usage_csv():
    return Response(message_usage.usage_csv(_usage_months()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="sms-usage.csv"'})


def _usage_months():
    """The last twelve months, this one included."""
    tz = Practice.current().timezone
    today = localtime.today(datetime.now(UTC), tz)
    return message_usage.load_usage(localtime.add_months(today, -11), today, tz)


# --- the template editor (owner) -----------------------------------------------------------------------------

@bp.get("/messages/templates/")
@owner_required
def templates():
    types = catalogue.load_appointment_types(with_inactive=True)
    return render_page("messages/templates.html", "messages/templates.html", rows=editor.overview(types), types=types)


@bp.get("/messages/templates/<kind>/<channel>")
@owner_required
def template_for_type(kind, channel):
    """The overview's "write one for a type" form: to the editor of that type's template in the chosen language."""
    language = request.args.get("language", "")
    slot = _slot(kind, channel, language if language in LANGUAGES else LANGUAGES[0])
    return redirect(url_for(".template_edit", kind=slot.kind, channel=slot.channel, language=slot.language,
                            type=slot.type_id))


@bp.route("/messages/templates/<kind>/<channel>/<language>", methods=["GET", "POST"])
@owner_required
def template_edit(kind, channel, language):
    slot = _slot(kind, channel, language)
    form = TemplateForm(data=editor.load_source(slot))
    status, problem = 200, None
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("action") == "reset":
            editor.reset_template(slot)
            flash(_("The template is back to the standard text."), "info")
            return redirect(request.full_path.rstrip("?"), 303)
        try:
            editor.store_template(slot, form.data)
        except FieldError as refused:
            status, problem = 422, refused
            show_error(form, refused)
        else:
            flash(_("Template saved."), "info")
            return redirect(request.full_path.rstrip("?"), 303)
    elif request.method == "POST":
        status = 400
    types = catalogue.load_appointment_types(with_inactive=True)
    return render_page("messages/template_edit.html", "messages/template_edit.html", status, form=form, slot=slot,
                       own=editor.load_own(slot) is not None, types=types, variables=editor.variables_for(slot.kind),
                       uses_link=editor.uses_link(slot, form.data), reply_help=editor.reply_help(slot, Practice.current()),
                       preview=editor.preview(slot, form.data, Practice.current()) if problem is None
                       else editor.Preview(problem=problem))


@bp.post("/messages/templates/<kind>/<channel>/<language>/preview")
@owner_required
def template_preview(kind, channel, language):
    slot = _slot(kind, channel, language)
    form = TemplateForm()
    if not form.validate_on_submit():
        abort(400)
    return render_fragment("messages/_preview.html", preview=editor.preview(slot, form.data, Practice.current()), slot=slot)


def _slot(kind: str, channel: str, language: str) -> editor.Slot:
    if kind not in set(MessageKind) or channel not in set(Channel) or language not in LANGUAGES:
        abort(404)
    type_id = request.args.get("type", type=int)
    if type_id and type_id not in {t.id for t in catalogue.load_appointment_types(with_inactive=True)}:
        abort(404)
    slot = editor.Slot(MessageKind(kind), Channel(channel), language, type_id or None)
    if not slot.exists:
        abort(404)
    return slot


@callbacks.route("/sms/<gateway>", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit("600/minute")
def sms_report(gateway):
    """Delivery reports from the SMS gateway; only signed reports about our own messages are taken."""
    sender = current_app.extensions["practice.sms_gateway"]
    if gateway != sender.name:
        abort(404)
    if request.remote_addr not in current_app.config["SMS_REPORT_ADDRESSES"].split(","):
        current_app.logger.warning("delivery report from %s refused: not a gateway address", request.remote_addr)
        abort(403)
    arguments = dict(request.values.items())
    try:
        reports.record_report(sender, arguments, datetime.now(UTC))
    except reports.ReportRefused as refusal:
        current_app.logger.warning("delivery report refused: %s", refusal)
        return Response("refused\n", 403 if "signature" in str(refusal) else 400, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")
