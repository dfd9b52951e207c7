"""The agenda pages: a day or a week, and the appointment panel that books, moves, cancels and marks no-shows."""
import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, request, url_for
from flask_login import current_user

from .. import catalogue, localtime
from ..audit import services as audit
from ..enums import AppointmentStatus, Channels
from ..errors import FieldError, existing_moment
from ..extensions import db
from ..htmx import is_htmx, render_fragment, render_page
from ..i18n import gettext as _
from ..messages.log import load_for_appointment
from ..models import Appointment, AppointmentType, Client, Practice, Practitioner
from ..rescheduling import online_cancellation_of
from ..web import day_argument, id_argument, record_url, show_error, weekday_names
from . import series, services
from .free import load_free_times
from .grid import load_day_list, load_grid
from .forms import AppointmentForm, SeriesForm
from .grid_html import grid_body

bp = Blueprint("agenda", __name__, url_prefix="/agenda")
CHANGED = {"agenda-changed": {"target": "body"}}  # the agenda section refreshes itself on this event
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
@bp.get("/")
def day():
    return render_page("agenda/agenda.html", "agenda/_agenda.html", **_agenda(_state()))


@bp.get("/colours.css")
def colours():
    """The appointment types' colours as CSS classes: the strict CSP allows no inline styles."""
    rules = [f".type-{t.id} {{ --type-colour: {t.colour}; }}"
             for t in catalogue.load_appointment_types(with_inactive=True) if COLOUR.fullmatch(t.colour)]
    return Response("\n".join(rules), mimetype="text/css")


@bp.get("/panel-closed")
def panel_closed():
    return ""


@bp.route("/appointments/new", methods=["GET", "POST"])
def new_appointment():
    settings = Practice.current()
    form = _form(None)
    if request.method == "GET":
        state = _state()
        form.day.data = state["day"]
        form.time.data = _parse_time(request.args.get("time")) or localtime.local(
            datetime.now(UTC), settings.timezone).replace(minute=0, second=0, microsecond=0).time()
        form.practitioner_id.data = id_argument("practitioner")
        form.location_id.data = id_argument("location")
        form.client_id.data = id_argument("client")
    elif form.validate_on_submit():
        try:
            appointment = services.book(_booking(form), settings.timezone)
        except FieldError as problem:
            _show(form, problem)
        else:
            return _panel(appointment, saved=True)
    return _form_panel(form, None)


@bp.route("/appointments/<int:appointment_id>", methods=["GET", "POST"])
def appointment(appointment_id):
    current = db.get_or_404(Appointment, appointment_id)
    if request.method == "POST":
        try:
            services.refuse_unless_changeable(current)
        except FieldError as problem:
            return _panel(current, status=422, action_error=problem.message)
    form = _form(current)
    if request.method == "POST" and form.validate_on_submit():
        try:
            series.move(current, _booking(form), _scope(), Practice.current().timezone)
        except FieldError as problem:
            _show(form, problem)
        else:
            return _panel(current, saved=True)
        return _form_panel(form, current)
    if request.method == "POST":
        return _form_panel(form, current)
    return _panel(current, form=form)


@bp.post("/series")
def series_panel():
    """"Repeat as a series" from the booking panel: the rhythm; its times with what collides and the nearest free
    alternative (action=preview); then every time chosen booked at once (action=book), or none."""
    practice, now = Practice.current(), datetime.now(UTC)
    form, rhythm_form = _form(None), SeriesForm(weekday_names=weekday_names())
    action = request.form.get("action")
    proposals, problem, booking = None, None, None
    if action is None:  # just opened: the first day's weekday, nine times
        day = form.day.data
        rhythm_form.weekdays.data, rhythm_form.count.data = ([day.weekday()] if day else []), 9
        return _series_panel(form, rhythm_form)
    if not (form.validate_on_submit() and rhythm_form.validate()):
        return _series_panel(form, rhythm_form, status=422)
    try:
        booking = _booking(form)
        if action == "book":
            booked = series.book_series(booking, _chosen_starts(practice.timezone), practice.timezone)
            return _panel(booked[0], saved=True)
        proposals = series.propose(booking, rhythm_form.rhythm(), practice, now)
    except FieldError as refused:
        problem = refused.message
        if action == "book" and booking is not None:
            proposals = series.propose(booking, rhythm_form.rhythm(), practice, now)
    return _series_panel(form, rhythm_form, proposals=proposals, problem=problem, status=422 if problem else 200)


def _chosen_starts(tz: str) -> list:
    """The times ticked in the list, as the receptionist left or changed them (local, from datetime-local inputs)."""
    starts = []
    for number in request.form.getlist("include"):
        try:
            wall = datetime.fromisoformat(request.form.get(f"start-{number}", ""))
        except ValueError:
            raise FieldError(_("Enter a date and time for each appointment you keep.")) from None
        starts.append(existing_moment(wall.date(), wall.time(), tz, "start"))
    return starts


def _series_panel(form, rhythm_form, *, proposals=None, problem=None, status=200):
    client = db.session.get(Client, form.client_id.data) if form.client_id.data and not form.client_id.errors else None
    return render_fragment("agenda/_series.html", status, form=form, rhythm_form=rhythm_form, client=client,
                           proposals=proposals, problem=problem, zone=localtime.zone(Practice.current().timezone),
                           chosen_type=_chosen(AppointmentType, form.appointment_type_id),
                           chosen_practitioner=_chosen(Practitioner, form.practitioner_id))


def _chosen(model, field):
    return db.session.get(model, field.data) if isinstance(field.data, int) and not field.errors else None


@bp.get("/free-times")
def free_times():
    """The booking panel's free times for the practitioner, location, type and date chosen in it."""
    return render_fragment("agenda/_free_times.html", chosen=request.args.get("time", ""), **_free_times(
        id_argument("practitioner_id"), id_argument("location_id"), id_argument("appointment_type_id"),
        day_argument("day"), exclude_id=id_argument("appointment")))


@bp.get("/day-list")
def day_list():
    """Each practitioner's appointments of a day, to print."""
    state = _state()
    tz = Practice.current().timezone
    return render_page("agenda/day_list.html", "agenda/day_list.html", **state, zone=localtime.zone(tz),
                       day_list=load_day_list(state["day"], tz, practitioner_id=state["practitioner"],
                                                       location_id=state["location"]),
                       agenda_url=url_for("agenda.day", day=state["day"].isoformat(), practitioner=state["practitioner"],
                                          location=state["location"]))


@bp.post("/appointments/<int:appointment_id>/cancel")
def cancel(appointment_id):
    """Cancel the appointment; one of a series with the following ones or the whole series (`scope`)."""
    current = db.get_or_404(Appointment, appointment_id)
    scope = _scope()
    return _action(current, lambda: series.cancel(current, scope))


def _scope() -> series.Scope:
    """Which appointments of a series a change is for (this one unless the form says otherwise); 400 if unknown."""
    try:
        return series.Scope(request.form.get("scope") or series.Scope.ONE)
    except ValueError:
        abort(400)


@bp.post("/appointments/<int:appointment_id>/no-show")
def no_show(appointment_id):
    current = db.get_or_404(Appointment, appointment_id)
    return _action(current, lambda: services.mark_no_show(current, datetime.now(UTC)))


def _action(current: Appointment, act):
    try:
        act()
    except FieldError as problem:
        return _panel(current, status=422, action_error=problem.message)
    return _panel(current, saved=True)


def _state() -> dict:
    """What the agenda shows, from the query string: the day, day or week, and the filters."""
    today = localtime.today(datetime.now(UTC), Practice.current().timezone)
    view = request.args.get("view") if request.args.get("view") in ("day", "week") else "day"
    return {"day": day_argument("day") or today, "view": view, "today": today,
            "practitioner": id_argument("practitioner"), "location": id_argument("location")}


def _agenda(state: dict) -> dict:
    tz = Practice.current().timezone
    practitioners = catalogue.agenda_practitioners()
    active = [p for p in practitioners if p.active]
    if state["view"] == "week" and state["practitioner"] is None and active:
        # A week is read per practitioner: fifteen weeks side by side are unreadable (the day view has everyone).
        state = state | {"practitioner": active[0].id}
    days = localtime.week_days(state["day"]) if state["view"] == "week" else [state["day"]]
    grid = load_grid(days, practitioners, tz, practitioner_id=state["practitioner"],
                              location_id=state["location"],
                              step=timedelta(minutes=Practice.current().reschedule_step_minutes))
    step = timedelta(days=7 if state["view"] == "week" else 1)
    query = {"view": state["view"], "practitioner": state["practitioner"], "location": state["location"]}
    return {
        **state,
        "days": days,
        "grid": grid,
        "practitioners": active,
        "locations": catalogue.agenda_locations(),
        "query": query,
        "previous_day": state["day"] - step,
        "next_day": state["day"] + step,
        "agenda_url": url_for("agenda.day", day=state["day"].isoformat(), **query),
        "grid_body": grid_body(grid, appointment_url=record_url("agenda.appointment", "appointment_id"),
                               new_url=url_for("agenda.new_appointment"), time_off=_("Time off"),
                               no_show=_("No-show"), confirmed=_("Confirmed by the client")),
    }


def _form(current: Appointment | None, *, from_request: bool = True) -> AppointmentForm:
    """The appointment form, filled from the posted request if there is one (`from_request`), else from `current`.

    A panel shown after a stored change must not echo the request: the booking form posts "" ("as on the client
    card"), which the edit form does not offer, so the browser would show "None" and the next save would
    withdraw every planned message."""
    settings = Practice.current()
    source = {} if from_request else {"formdata": None}
    stored = (current.confirmation_channels, current.reminder_channels) if current else None
    return AppointmentForm(data=_form_data(current) if current else None, practitioners=catalogue.load_practitioners(),
                           types=catalogue.load_appointment_types(), locations=catalogue.load_locations(),
                           sms_enabled=settings.sms_enabled, stored_channels=stored, **source)


def _form_data(current: Appointment) -> dict:
    local = localtime.local(current.start, Practice.current().timezone)
    return dict(
        client_id=current.client_id, practitioner_id=current.practitioner_id,
        appointment_type_id=current.appointment_type_id, location_id=current.location_id,
        day=local.date(), time=local.time().replace(second=0, microsecond=0), notes=current.notes,
        confirmation_channels=current.confirmation_channels.value, reminder_channels=current.reminder_channels.value,
        outside_hours=current.outside_hours)


def _booking(form: AppointmentForm) -> services.Booking:
    start = existing_moment(form.day.data, form.time.data, Practice.current().timezone, "time")
    return services.Booking(
        client_id=form.client_id.data, practitioner_id=form.practitioner_id.data,
        appointment_type_id=form.appointment_type_id.data, location_id=form.location_id.data, start=start,
        notes=form.notes.data or "",
        confirmation_channels=Channels(form.confirmation_channels.data) if form.confirmation_channels.data else None,
        reminder_channels=Channels(form.reminder_channels.data) if form.reminder_channels.data else None,
        outside_hours=bool(form.outside_hours.data), by_owner=current_user.is_owner)


def _show(form: AppointmentForm, problem: FieldError) -> None:
    show_error(form, problem)
    form.offer_outside_hours = isinstance(problem, services.OutsideHours) and problem.owner_may


def _free_times(practitioner_id, location_id, appointment_type_id, day, *, exclude_id=None) -> dict:
    practice = Practice.current()
    return {"free_times": load_free_times(practitioner_id, location_id, appointment_type_id, day, practice,
                                                   exclude_id=exclude_id),
            "zone": localtime.zone(practice.timezone)}


def _form_free_times(form: AppointmentForm, current: Appointment | None) -> dict:
    """The free times for what the panel's form shows (a select without a value shows its first choice); a refused
    value is never looked up."""
    def shown(field):
        if field.errors:
            return None
        return field.data or next((choice.value for choice in field.choices), None)

    return _free_times(shown(form.practitioner_id), shown(form.location_id), shown(form.appointment_type_id),
                       None if form.day.errors else form.day.data,
                       exclude_id=current.id if current else None)


def _form_panel(form: AppointmentForm, current: Appointment | None):
    chosen = form.client_id.data if not form.client_id.errors else None  # a refused id is never looked up
    client = db.session.get(Client, chosen) if chosen else None
    status = 422 if form.errors or form.form_errors else 200
    context = _agenda(_state()) if not is_htmx() else {}
    return render_page("agenda/agenda.html", "agenda/_panel.html", status, panel="agenda/_panel.html", form=form,
                       appointment=current, client=client, series_position=current and series.position_of(current),
                       **context | _form_free_times(form, current))


def _panel(current: Appointment, *, saved=False, form=None, status=200, action_error=None):
    """The appointment's panel; without `form`, the form shows what is stored, whatever was posted."""
    form = form or _form(current, from_request=False)
    headers_trigger = CHANGED if saved else None
    free = _form_free_times(form, current) if current.status == AppointmentStatus.BOOKED else {}
    free["online_cancellation"] = online_cancellation_of(current)
    free["series_position"] = series.position_of(current)
    if is_htmx():
        response = render_fragment("agenda/_panel.html", status, headers_trigger, form=form, appointment=current,
                                   client=current.client, saved=saved, action_error=action_error,
                                   appointment_messages=load_for_appointment(current.id, Practice.current(),
                                                                             datetime.now(UTC)),
                                   trail=audit.load_for("appointment", current.id), **free)
        if saved:
            response.headers["HX-Push-Url"] = url_for("agenda.appointment", appointment_id=current.id)
        return response
    local_day = localtime.local_date(current.start, Practice.current().timezone)
    state = _state() | {"day": local_day}
    return render_page("agenda/agenda.html", "agenda/_panel.html", status, panel="agenda/_panel.html", form=form,
                       appointment=current, client=current.client, saved=saved, action_error=action_error,
                       appointment_messages=load_for_appointment(current.id, Practice.current(), datetime.now(UTC)),
                       trail=audit.load_for("appointment", current.id), **_agenda(state) | free)


def _parse_time(value: str | None):
    try:
        return datetime.strptime(value or "", "%H:%M").time()
    except ValueError:
        return None

