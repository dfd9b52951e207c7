"""The owner's settings pages: the practice, its locations, appointment types and practitioners."""
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from wtforms.validators import ValidationError

from sqlalchemy import select

from .. import catalogue, schedule
from ..i18n import gettext as _, ngettext
from ..sender_rules import sender_for
from ..errors import FieldError
from ..extensions import db
from ..htmx import is_htmx, render_fragment, render_page
from ..feed import services as feeds
from ..messages import editor
from ..columns import utcnow
from ..models import AppointmentType, Location, Practice, Practitioner, TimeOff, WorkingHours
from ..web import owner_required, show_error, values_of
from . import services
from .forms import (
    AppointmentTypeForm, AppointmentTypeRemindersForm, DeleteForm, LocationForm, MessagingForm,
    OnlineReschedulingForm, PracticeForm, PractitionerForm, ReminderSlots, SecurityForm, TimeOffForm, WorkingHoursForm,
    country_name,
)

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@owner_required
def practice_details():
    current = Practice.current()
    form = PracticeForm(obj=current)
    if form.validate_on_submit():
        services.store_practice(current, values_of(form, services.PracticeDetails))
        flash(_("Settings saved."), "info")
        return redirect(url_for(".practice_details"))
    return render_page("settings/practice.html", "settings/_practice_form.html", _status(form), form=form)


@bp.route("/messaging", methods=["GET", "POST"])
@owner_required
def messaging():
    current = Practice.current()
    form = MessagingForm(obj=current)
    if request.method == "GET":
        form.show_rules(schedule.rules_from_text(current.reminder_rules))
        form.sms_reply_keywords.data = current.sms_reply_keywords.split(",")
        form.sms_budget_euros.data = current.sms_budget_cents // 100 if current.sms_budget_cents else None
    if form.validate_on_submit() and (rules := _rules_or_none(form)) is not None:
        services.store_messaging(current, values_of(form, services.MessagingSettings,
                                                    reminder_rules=schedule.rules_to_text(rules),
                                                    sms_reply_keywords=",".join(form.sms_reply_keywords.data or []),
                                                    sms_budget_cents=form.sms_budget_euros.data * 100
                                                    if form.sms_budget_euros.data else None))
        flash(_("Settings saved."), "info")
        return redirect(url_for(".messaging"))
    senders = {example: sender_for(example, current.sms_sender, current.sms_sender_number,
                                   replies_on=current.sms_replies) for example in ("+31612345678", "+32470123456")}
    return render_page("settings/messaging.html", "settings/_messaging_form.html", _status(form), form=form,
                       gateway=current_app.extensions["practice.sms_gateway"].name, senders=senders,
                       country=country_name(current.country))


@bp.get("/reminder-rule/<slot>")
@owner_required
def reminder_rule(slot):
    """One reminder slot drawn again with the fields of the kind just chosen (the messages and type forms)."""
    slots = ReminderSlots(request.args)
    if slot not in ("first_reminder", "second_reminder"):
        abort(404)
    return render_fragment("settings/_reminder_rule.html", slot=slots[slot])


@bp.route("/online", methods=["GET", "POST"])
@owner_required
def online():
    current = Practice.current()
    form = OnlineReschedulingForm(obj=current)
    if form.validate_on_submit():
        services.store_online_rescheduling(current, values_of(form, services.OnlineRescheduling))
        flash(_("Settings saved."), "info")
        return redirect(url_for(".online"))
    return render_page("settings/online.html", "settings/online.html", _status(form), form=form,
                       missing=editor.confirmations_without_link() if current.online_rescheduling else [])


@bp.post("/online/switch-on")
@owner_required
def online_switch_on():
    """The one-click switch beside a template or setting that uses the reschedule link."""
    services.switch_online_rescheduling_on(Practice.current())
    if is_htmx():
        return render_fragment("settings/_online_off.html", switched_on=True)
    flash(_("Online rescheduling is on: messages carry the link."), "info")
    return redirect(url_for(".online"), 303)


@bp.route("/security", methods=["GET", "POST"])
@owner_required
def security():
    current = Practice.current()
    form = SecurityForm(obj=current)
    if form.validate_on_submit():
        services.store_security(current, values_of(form, services.SecuritySettings))
        flash(_("Settings saved."), "info")
        return redirect(url_for(".security"))
    return render_page("settings/security.html", "settings/security.html", _status(form), form=form)


@bp.post("/online/add-link")
@owner_required
def online_add_link():
    added = editor.add_link_to_confirmations()
    flash(ngettext("The link was added to %(num)d confirmation template.",
                   "The link was added to %(num)d confirmation templates.", added), "info")
    return redirect(url_for(".online"), 303)


def _rules_or_none(form) -> tuple | None:
    """The form's reminder rules, or None after putting the problem on the form (it then has errors)."""
    try:
        return form.rules()
    except ValidationError:
        return None


# Locations

@bp.route("/locations", methods=["GET", "POST"])
@owner_required
def locations():
    form = LocationForm()
    return _listed("locations", form, lambda: catalogue.load_locations(with_inactive=True), lambda: (
        services.store_location(None, values_of(form, services.LocationDetails))))


@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
@owner_required
def location_edit(location_id):
    location = db.get_or_404(Location, location_id)
    form = LocationForm(obj=location)
    return _edited("location", form, lambda: services.store_location(
        location, values_of(form, services.LocationDetails)), _("Location saved."), location=location)


# Appointment types

@bp.route("/appointment-types", methods=["GET", "POST"])
@owner_required
def appointment_types():
    form = AppointmentTypeForm()
    return _listed("appointment_types", form, lambda: catalogue.load_appointment_types(with_inactive=True), lambda: (
        services.store_appointment_type(None, values_of(form, services.AppointmentTypeDetails))))


@bp.route("/appointment-types/<int:type_id>", methods=["GET", "POST"])
@owner_required
def appointment_type_edit(type_id):
    appointment_type = db.get_or_404(AppointmentType, type_id)
    form = AppointmentTypeForm(obj=appointment_type)
    reminders = AppointmentTypeRemindersForm(formdata=None)
    reminders.show_stored(appointment_type.reminder_rules)
    return _edited("appointment_type", form, lambda: services.store_appointment_type(
        appointment_type, values_of(form, services.AppointmentTypeDetails)),
        _("Appointment type saved."), appointment_type=appointment_type, reminders=reminders)


@bp.route("/appointment-types/<int:type_id>/reminders", methods=["POST"])
@owner_required
def appointment_type_reminders(type_id):
    appointment_type = db.get_or_404(AppointmentType, type_id)
    reminders = AppointmentTypeRemindersForm()
    if reminders.validate_on_submit() and (reminders.mode.data != "own" or _rules_or_none(reminders) is not None):
        services.store_type_reminders(appointment_type, reminders.stored_rules())
        flash(_("Reminders for this type saved."), "info")
        return _see(url_for(".appointment_type_edit", type_id=type_id))
    return render_page("settings/appointment_type.html", "settings/_type_reminders_form.html", 422,
                       form=AppointmentTypeForm(obj=appointment_type), appointment_type=appointment_type,
                       reminders=reminders)


# Practitioners, their working hours and time off

@bp.route("/practitioners", methods=["GET", "POST"])
@owner_required
def practitioners():
    form = PractitionerForm()
    return _listed("practitioners", form, lambda: catalogue.load_practitioners(with_inactive=True), lambda: (
        services.store_practitioner(None, values_of(form, services.PractitionerDetails))))


@bp.route("/practitioners/<int:practitioner_id>", methods=["GET", "POST"])
@owner_required
def practitioner(practitioner_id):
    person = db.get_or_404(Practitioner, practitioner_id)
    form = PractitionerForm(obj=person)
    if form.validate_on_submit():
        services.store_practitioner(person, values_of(form, services.PractitionerDetails))
        if not is_htmx():
            flash(_("Practitioner saved."), "info")
            return redirect(url_for(".practitioner", practitioner_id=person.id), 303)
        return render_fragment("settings/_practitioner_form.html", form=form, practitioner=person, saved=True)
    return _practitioner_page(person, "settings/_practitioner_form.html", _status(form), form=form)


@bp.post("/practitioners/<int:practitioner_id>/hours")
@owner_required
def practitioner_hours_add(practitioner_id):
    person = db.get_or_404(Practitioner, practitioner_id)
    form = WorkingHoursForm(locations=_active_locations())
    return _added(person, "settings/_hours.html", "hours_form", form, lambda: services.add_working_hours(
        person, values_of(form, services.HoursBlock)))


@bp.post("/practitioners/<int:practitioner_id>/hours/<int:hours_id>/delete")
@owner_required
def practitioner_hours_remove(practitioner_id, hours_id):
    return _removed(practitioner_id, WorkingHours, hours_id, "settings/_hours.html")


@bp.post("/practitioners/<int:practitioner_id>/time-off")
@owner_required
def practitioner_time_off_add(practitioner_id):
    person = db.get_or_404(Practitioner, practitioner_id)
    form = TimeOffForm()
    return _added(person, "settings/_time_off.html", "time_off_form", form, lambda: services.add_time_off(
        person, values_of(form, services.Absence), Practice.current().timezone))


@bp.post("/practitioners/<int:practitioner_id>/time-off/<int:time_off_id>/delete")
@owner_required
def practitioner_time_off_remove(practitioner_id, time_off_id):
    return _removed(practitioner_id, TimeOff, time_off_id, "settings/_time_off.html")


@bp.post("/practitioners/<int:practitioner_id>/feed")
@owner_required
def practitioner_feed_make(practitioner_id):
    """A new calendar feed link, shown in the answer once (the old one stops)."""
    person = db.get_or_404(Practitioner, practitioner_id)
    made = feeds.make_feed(person, current_user, utcnow())
    return _practitioner_page(person, "settings/_feed.html", made=made)


@bp.post("/practitioners/<int:practitioner_id>/feed/revoke")
@owner_required
def practitioner_feed_revoke(practitioner_id):
    person = db.get_or_404(Practitioner, practitioner_id)
    feeds.revoke_feed(person, utcnow())
    return _practitioner_changed(person, "settings/_feed.html")


def _added(person, fragment: str, form_name: str, form, store):
    """Working hours or time off added: the list again; or the form with what was wrong."""
    if form.validate_on_submit():
        try:
            store()
        except FieldError as problem:
            show_error(form, problem)
        else:
            return _practitioner_changed(person, fragment)
    return _practitioner_page(person, fragment, 422, **{form_name: form})


def _removed(practitioner_id: int, model, entry_id: int, fragment: str):
    """One of this practitioner's working-hours blocks or absences removed (someone else's is not found)."""
    person = db.get_or_404(Practitioner, practitioner_id)
    services.remove_entry(db.first_or_404(select(model).where(model.id == entry_id,
                                                               model.practitioner_id == person.id)))
    return _practitioner_changed(person, fragment)


def _practitioner_page(person, fragment: str, status: int = 200, *, form=None, hours_form=None, time_off_form=None,
                       made=None):
    """The practitioner's page (details, working hours, time off, calendar feed), or for htmx only `fragment` of it;
    `made`: a feed link just made, shown this once."""
    locations = _active_locations()
    return render_page(
        "settings/practitioner.html", fragment, status, practitioner=person,
        form=form or PractitionerForm(formdata=None, obj=person),
        hours=services.load_working_hours(person), locations=locations,
        hours_form=hours_form or WorkingHoursForm(formdata=None, locations=locations),
        time_off=services.load_upcoming_time_off(person, utcnow()),
        time_off_form=time_off_form or TimeOffForm(formdata=None), delete_form=DeleteForm(formdata=None),
        feed=feeds.load_current(person), made=made, feed_weeks=feeds.WEEKS_AHEAD)


def _practitioner_changed(person, fragment: str):
    """htmx swaps in the updated fragment; a plain form post gets the page again (303)."""
    if is_htmx():
        return _practitioner_page(person, fragment)
    return redirect(url_for(".practitioner", practitioner_id=person.id), 303)


def _active_locations() -> list[Location]:
    return [location for location in catalogue.load_locations(with_inactive=True) if location.active]


def _status(form) -> int:
    return 422 if form.errors else 200


def _listed(name: str, form, load, add):
    """A catalogue's page: its list (`name`: locations, appointment_types or practitioners) and the form that adds
    to it. Adding swaps the list (the form empty again); a refused form comes back with its errors."""
    page, fragment = f"settings/{name}.html", f"settings/_{name}.html"
    if form.validate_on_submit():
        add()
        return _updated(url_for(f".{name}"), fragment, form=type(form)(formdata=None), **{name: load()})
    return render_page(page, fragment, _status(form), form=form, **{name: load()})


def _edited(name: str, form, store, saved: str, **context):
    """One catalogue entry's page (`name`: location or appointment_type): saved, back to its list with a note; or
    the form again, with what was wrong."""
    if form.validate_on_submit():
        store()
        flash(saved, "info")
        return _see(url_for(f".{name}s"))
    return render_page(f"settings/{name}.html", f"settings/_{name}_form.html", _status(form), form=form, **context)


def _updated(url: str, fragment: str, **context):
    """After a change htmx swaps in the updated fragment; a plain form post gets the page again (303)."""
    if is_htmx():
        return render_fragment(fragment, **context)
    return redirect(url, 303)


def _see(url: str):
    """After an edit, back to the list: htmx follows HX-Redirect, a plain form post a 303."""
    if is_htmx():
        return "", 200, {"HX-Redirect": url}
    return redirect(url, 303)

