"""The waiting list: the desk's page (who waits, the offers and what came of them, an offer by hand) and the
client's offer page, where a link from the offer message takes the time."""
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import catalogue, localtime
from ..audit import services as audit
from ..enums import OfferOutcome
from ..errors import FieldError
from ..extensions import db, limiter
from ..htmx import render_page
from ..i18n import gettext as _
from ..models import Client, Practice
from ..web import id_argument, public, public_rate_limit, show_error, weekday_names
from . import services
from .forms import OfferForm, WaitingForm
from .models import WaitingEntry

bp = Blueprint("waiting", __name__)


@bp.route("/waiting/", methods=["GET", "POST"])
def index():
    """Who waits (longest first), the form that puts a client on the list, and the latest offers."""
    practice, now = Practice.current(), datetime.now(UTC)
    form = _waiting_form()
    if request.method == "GET":
        form.client_id.data = id_argument("client")
        form.expires_on.data = localtime.today(now, practice.timezone) + timedelta(weeks=8)  # a sensible default
    elif form.validate_on_submit():
        try:
            services.add_entry(_wish(form), localtime.today(now, practice.timezone))
        except FieldError as problem:
            show_error(form, problem)
        else:
            flash(_("On the waiting list."), "info")
            return redirect(url_for(".index"), 303)
    return _page(form, 422 if request.method == "POST" else 200)


@bp.post("/waiting/<int:entry_id>/remove")
def remove(entry_id):
    entry = db.get_or_404(WaitingEntry, entry_id)
    try:
        services.remove_entry(entry)
    except FieldError as problem:
        flash(problem.message, "error")
    else:
        flash(_("Taken off the waiting list."), "info")
    return redirect(url_for(".index"), 303)


@bp.post("/waiting/<int:entry_id>/offer")
def offer(entry_id):
    """The desk offers a listed client a time by hand, through the same offer message and page."""
    entry = db.get_or_404(WaitingEntry, entry_id)
    form = OfferForm(practitioners=catalogue.load_practitioners())
    if form.validate_on_submit():
        start = localtime.utc_moment(form.day.data, form.time.data, Practice.current().timezone)
        try:
            services.offer_by_hand(entry, form.practitioner_id.data, start, datetime.now(UTC))
        except FieldError as problem:
            flash(problem.message, "error")
        else:
            flash(_("The time is offered to %(name)s.", name=entry.client.name), "info")
    else:
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
    return redirect(url_for(".index"), 303)


@bp.route("/o/<token>", methods=["GET", "POST"])
@public
@limiter.limit(public_rate_limit)
def take(token):
    """The client's offer page: the offered time and "take it" (a POST); afterwards, or when it is gone or expired,
    what became of it. Nothing is booked by opening the page."""
    audit.acting_as(audit.CLIENT)
    found, now = services.find_offer(token), datetime.now(UTC)
    if found is None:
        abort(404)
    g.language = found.entry.client.language  # the page speaks the client's language
    if request.method == "POST":
        try:
            services.take_offer(found, now)
        except services.OfferGone:  # to someone else, expired, or taken already by this client (a second tap)
            db.session.refresh(found)
            outcome = services.outcome_for_client(found, now)
            return render_template("waiting/offer.html", offer=found, outcome=outcome, now=now), (
                200 if outcome == OfferOutcome.TAKEN else 409)
        db.session.refresh(found)
        return render_template("waiting/offer.html", offer=found, outcome=OfferOutcome.TAKEN, now=now, taken=True)
    return render_template("waiting/offer.html", offer=found, outcome=services.outcome_for_client(found, now), now=now)


@bp.after_request
def kept_nowhere(response):
    """The offer page shows a client's name: no cache keeps it, no next site learns its address."""
    if request.endpoint == "waiting.take":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _waiting_form() -> WaitingForm:
    return WaitingForm(practitioners=catalogue.load_practitioners(), types=catalogue.load_appointment_types(),
                       locations=catalogue.load_locations())


def _wish(form: WaitingForm) -> services.Wish:
    return services.Wish(client_id=form.client_id.data, practitioner_id=form.practitioner_id.data or None,
                         appointment_type_id=form.appointment_type_id.data, location_id=form.location_id.data,
                         weekdays=form.weekday_bits, earliest=form.earliest.data, latest=form.latest.data,
                         expires_on=form.expires_on.data, notes=form.notes.data or "")


def _page(form: WaitingForm, status: int = 200):
    chosen = form.client_id.data if not form.client_id.errors else None
    return render_page("waiting/index.html", "waiting/index.html", status, form=form, weekdays=weekday_names(),
                       client=db.session.get(Client, chosen) if chosen else None,
                       entries=services.load_waiting(), offers=services.load_offers(), now=datetime.now(UTC),
                       today=localtime.today(datetime.now(UTC), Practice.current().timezone),
                       offer_form=OfferForm(practitioners=catalogue.load_practitioners()))
