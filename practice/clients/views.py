"""Client cards: search, the card with its contact details and channels, and the SMS consent trail. A client's data
on request and their erasure are the data domain's (data/views.py)."""
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..audit import services as audit
from ..enums import Channels, ConsentSource
from ..errors import FieldError
from ..extensions import db
from ..htmx import is_htmx, render_fragment, render_page
from ..i18n import gettext as _
from ..models import Client, Practice
from ..consent import ConsentChange
from ..web import show_error, values_of
from . import services
from .forms import AUTOMATIC, ClientForm, ConsentForm

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.app_template_filter("phone")
def phone(e164: str) -> str:
    return services.readable_mobile(e164)


@bp.get("/")
def index():
    query = request.args.get("q", "").strip()
    return render_page("clients/index.html", "clients/_results.html", query=query,
                       clients=services.search_clients(query, Practice.current().country), shown=services.SHOWN)


@bp.get("/choices")
def choices():
    """The client picker of the appointment panel: a few matches as radio buttons."""
    query = request.args.get("q", "").strip()
    found = services.search_clients(query, Practice.current().country, limit=8) if query else []
    return render_fragment("clients/_choices.html", clients=found, query=query)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<int:client_id>", methods=["GET", "POST"])
def card(client_id):
    return _edit(_changeable(services.load_card(client_id) or abort(404)))


@bp.get("/<int:client_id>/appointments")
def appointments(client_id):
    """Every appointment of the client: the card's "show all"."""
    client = db.get_or_404(Client, client_id)
    history = services.load_history(client.id, datetime.now(UTC), Practice.current().timezone, everything=True)
    return render_page("clients/appointments.html", "clients/_appointments.html", client=client, history=history)


@bp.post("/<int:client_id>/consent")
def consent(client_id):
    client = _changeable(db.get_or_404(Client, client_id))
    form = ConsentForm()
    error = None
    if form.validate_on_submit():
        try:
            services.record_consent(client, values_of(form, ConsentChange, granted=form.granted.data == "yes",
                                                      source=ConsentSource(form.source.data)), current_user)
        except FieldError as problem:
            error = problem.message
        else:  # the card's other parts that speak of consent refresh themselves
            return render_fragment("clients/_consent.html", client=client, consent_form=ConsentForm(formdata=None),
                                   trigger=CONSENT_CHANGED)
    status = 422 if error or form.errors else 200
    return render_fragment("clients/_consent.html", status, client=client, consent_form=form, consent_error=error)


@bp.get("/<int:client_id>/sms-warning")
def sms_warning(client_id):
    """The card's line that SMS cannot go out without consent, read afresh when the consent changed."""
    return render_fragment("clients/_sms_warning.html", client=db.get_or_404(Client, client_id))


CONSENT_CHANGED = "consent-changed"


def _changeable(client: Client) -> Client:
    """An erased card is anonymous history: nothing on it changes any more."""
    if client.erased_at is not None and request.method == "POST":
        abort(403, description=_("This client's data has been erased; the card cannot be changed."))
    return client


def _edit(client: Client | None):
    settings = Practice.current()
    form = ClientForm(obj=client, sms_enabled=settings.sms_enabled, new=client is None)
    if client and request.method == "GET":
        form.mobile.data = services.readable_mobile(client.mobile)
    if form.validate_on_submit():
        try:
            card = values_of(form, services.ClientCard, confirmation_channels=_channels(form.confirmation_channels),
                             reminder_channels=_channels(form.reminder_channels),
                             consent=ConsentChange(True, ConsentSource(form.consent_source.data), "")
                             if client is None and form.sms_consent.data else None)
            stored = services.store_client(client, card, region=settings.country, sms_enabled=settings.sms_enabled,
                                           by=current_user)
        except FieldError as problem:
            show_error(form, problem)
        else:
            if client is None:
                flash(_("Client card saved."), "info")
                return _see(url_for(".card", client_id=stored.id))
            form.mobile.data = services.readable_mobile(stored.mobile)
            return render_fragment("clients/_form.html", client=stored, form=form, saved=True)
    status = 422 if form.errors else 200
    history = services.load_history(client.id, datetime.now(UTC), settings.timezone) if client else None
    return render_page("clients/card.html", "clients/_form.html", status, client=client, form=form,
                       consent_form=ConsentForm(formdata=None), history=history,

                       trail=audit.load_for("client", client.id) if client else [])


def _channels(field) -> Channels | None:
    return None if field.data == AUTOMATIC else Channels(field.data)


def _see(url: str):
    """After creating, open the new card: htmx follows HX-Redirect, a plain form post a 303."""
    if is_htmx():
        return "", 200, {"HX-Redirect": url}
    return redirect(url, 303)
