"""Client cards: search, the card with its contact details and channels, and the SMS consent trail."""
from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from ..audit import services as audit
from ..enums import Channels, ConsentSource
from ..errors import FieldError
from ..extensions import db
from ..htmx import is_htmx, render_fragment, render_page
from ..models import Client, Practice
from ..web import show_error, values_of
from . import services
from .forms import ClientForm, ConsentForm

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.app_template_filter("phone")
def phone(e164: str) -> str:
    return services.readable_mobile(e164)


@bp.get("/")
def index():
    query = request.args.get("q", "").strip()
    return render_page("clients/index.html", "clients/_results.html", query=query,
                       clients=services.search_clients(query), shown=services.SHOWN)


@bp.get("/choices")
def choices():
    """The client picker of the appointment panel: a few matches as radio buttons."""
    query = request.args.get("q", "").strip()
    found = services.search_clients(query, limit=8) if query else []
    return render_fragment("clients/_choices.html", clients=found, query=query)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<int:client_id>", methods=["GET", "POST"])
def card(client_id):
    return _edit(db.get_or_404(Client, client_id))


@bp.post("/<int:client_id>/consent")
def consent(client_id):
    client = db.get_or_404(Client, client_id)
    form = ConsentForm()
    error = None
    if form.validate_on_submit():
        try:
            services.record_consent(client, values_of(form, services.ConsentChange, granted=form.granted.data == "yes",
                                                      source=ConsentSource(form.source.data)), current_user)
            form = ConsentForm(formdata=None)
        except FieldError as problem:
            error = problem.message
    status = 422 if error or form.errors else 200
    return render_fragment("clients/_consent.html", status, client=client, consent_form=form, consent_error=error)


def _edit(client: Client | None):
    settings = Practice.current()
    form = ClientForm(obj=client, sms_enabled=settings.sms_enabled)
    if client and request.method == "GET":
        form.mobile.data = services.readable_mobile(client.mobile)
    if form.validate_on_submit():
        try:
            card = values_of(form, services.ClientCard,
                             confirmation_channels=Channels(form.confirmation_channels.data),
                             reminder_channels=Channels(form.reminder_channels.data))
            stored = services.store_client(client, card, region=settings.country, sms_enabled=settings.sms_enabled)
        except FieldError as problem:
            show_error(form, problem)
        else:
            if client is None:
                return _see(url_for(".card", client_id=stored.id))
            form.mobile.data = services.readable_mobile(stored.mobile)
            return render_fragment("clients/_form.html", client=stored, form=form, saved=True)
    status = 422 if form.errors else 200
    return render_page("clients/card.html", "clients/_form.html", status, client=client, form=form,
                       consent_form=ConsentForm(formdata=None),
                       trail=audit.load_for("client", client.id) if client else [])


def _see(url: str):
    """After creating, open the new card: htmx follows HX-Redirect, a plain form post a 303."""
    if is_htmx():
        return "", 200, {"HX-Redirect": url}
    return redirect(url, 303)

