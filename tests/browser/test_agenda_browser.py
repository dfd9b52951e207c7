"""The front desk works the agenda through htmx: every change updates the page without reloading it."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from practice.extensions import db
from practice.enums import AppointmentStatus, Channels, MessageKind, MessageStatus
from practice.models import Appointment, Client, Message, Practice
from tests.conftest import PASSWORD, make_client, make_user
from practice.models import Role

ZONE = ZoneInfo("Europe/Amsterdam")


def _log_in(page, account):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("[data-test=agenda-day]").wait_for()


def _htmx_post(page, action, url_part):
    """Run `action`, and return the request it made: it must be an htmx POST to `url_part`."""
    with page.expect_response(lambda r: r.request.method == "POST" and url_part in r.url) as caught:
        action()
    request = caught.value.request
    assert request.headers.get("hx-request") == "true", "the change did not go through htmx"
    return caught.value


def test_client_consent_booking_move_and_cancel_without_a_page_load(app, page, agenda):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    desk = make_user(app, Role.STAFF)
    _log_in(page, desk)

    # A new client card, the mobile number written the Dutch way.
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("First name").fill("Anna")
    page.get_by_label("Last name").fill("de Vries")
    page.get_by_label("E-mail address").fill("anna@example.nl")
    page.get_by_label("Mobile number").fill("06 12345678")
    page.get_by_label("Reminders by").select_option("both")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Anna de Vries").wait_for()
    assert page.get_by_label("Mobile number").input_value() == "+31 6 12345678"
    with app.app_context():
        stored = db.session.scalar(select(Client).where(Client.last_name == "de Vries"))
        assert stored.mobile == "+31612345678"
        client_id = stored.id
    assert "no SMS consent" in page.locator("#client-form").inner_text()

    # SMS consent, registered at the desk.
    page.evaluate("window.notReloaded = true")
    page.get_by_label("How").select_option("in_person")
    page.get_by_label("Note (optional)").fill("Signed the intake form")
    _htmx_post(page, lambda: page.get_by_role("button", name="Register consent").click(), "/consent")
    page.locator("[data-test=consent-state]", has_text="Consent registered").wait_for()
    history = page.locator("[data-test=consent-history]")
    assert "Signed the intake form" in history.inner_text() and desk_name(app, desk) in history.inner_text()

    # Book from the agenda: search the client in the panel, pick today 10:00.
    page.get_by_role("link", name="Agenda").click()
    page.locator("[data-test=agenda-day]").wait_for()
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="New appointment").click()
    panel = page.locator("[data-test=panel]")
    panel.get_by_label("Search a client").fill("Vries")
    panel.get_by_label("Anna de Vries").check()
    panel.get_by_label("Time").fill("10:00")
    panel.get_by_label("Practitioner").select_option(label="Sophie Verbeek")
    panel.get_by_label("Appointment type").select_option(label="Behandeling (30 min)")
    response = _htmx_post(page, lambda: panel.get_by_role("button", name="Book").click(), "/agenda/appointments/new")
    assert response.status == 200
    item = page.locator("#agenda [data-test=appointment]", has_text="Anna de Vries")
    item.wait_for()
    assert "10:00–10:30" in item.inner_text()
    with app.app_context():
        booked = db.session.scalar(select(Appointment).where(Appointment.client_id == client_id))
        assert booked.start.astimezone(ZONE).strftime("%H:%M") == "10:00"
        assert booked.reminder_channels == "both"  # copied from the client card
    assert page.url.endswith(f"/agenda/appointments/{booked.id}")

    # Move it to 14:15.
    panel.get_by_label("Time").fill("14:15")
    _htmx_post(page, lambda: panel.get_by_role("button", name="Save changes").click(), f"/appointments/{booked.id}")
    page.locator("#agenda [data-test=appointment]", has_text="14:15–14:45").wait_for()
    assert page.locator("#agenda [data-test=appointment]", has_text="10:00").count() == 0

    # Cancel it: it leaves the agenda.
    page.once("dialog", lambda dialog: dialog.accept())
    _htmx_post(page, lambda: panel.get_by_role("button", name="Cancel appointment").click(), "/cancel")
    panel.locator("[data-test=status]", has_text="Cancelled").wait_for()
    page.locator("#agenda [data-test=appointment]", has_text="Anna de Vries").wait_for(state="detached")
    with app.app_context():
        assert db.session.get(Appointment, booked.id).status == AppointmentStatus.CANCELLED

    assert page.evaluate("window.notReloaded") is True, "a full page load happened"
    assert page.console_errors == []

    # Reload and back still show the right page.
    page.reload()
    page.locator("[data-test=panel] [data-test=status]", has_text="Cancelled").wait_for()
    page.go_back()
    page.locator("[data-test=panel]").wait_for()


def desk_name(app, account) -> str:
    from practice.models import User

    with app.app_context():
        return db.session.get(User, account.id).name


def test_an_overlapping_booking_is_refused_in_the_panel(app, page, agenda):
    from tests.conftest import make_client

    client_id = make_client(app)
    with app.app_context():
        today = datetime.now(ZONE).date()
        start = datetime.combine(today, datetime.min.time().replace(hour=11), ZONE)
        db.session.add(Appointment(client_id=client_id, practitioner_id=agenda.practitioner,
                                   appointment_type_id=agenda.treatment, location_id=agenda.location,
                                   start=start, end=start.replace(minute=30)))
        db.session.commit()
    _log_in(page, make_user(app, Role.STAFF))
    page.goto(f"/agenda/appointments/new?client={client_id}&practitioner={agenda.practitioner}&time=11:15")
    panel = page.locator("[data-test=panel]")
    response = _htmx_post(page, lambda: panel.get_by_role("button", name="Book").click(), "/agenda/appointments/new")
    assert response.status == 422
    panel.get_by_text("already has an appointment").wait_for()
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Appointment.id))) == 1


def test_saving_a_note_right_after_booking_keeps_the_planned_reminders(app, page, agenda):
    client_id = make_client(app, confirmation_channels=Channels.EMAIL, reminder_channels=Channels.EMAIL)
    _log_in(page, make_user(app, Role.STAFF))

    # Book four days ahead from the agenda, channels left "as on the client card".
    page.get_by_role("link", name="New appointment").click()
    panel = page.locator("[data-test=panel]")
    panel.get_by_label("Search a client").fill("Vries")
    panel.get_by_label("Anna de Vries").check()
    panel.get_by_label("Date").fill((datetime.now(ZONE).date() + timedelta(days=4)).isoformat())
    panel.get_by_label("Time").fill("10:00")
    panel.get_by_label("Practitioner").select_option(label="Sophie Verbeek")
    panel.get_by_label("Appointment type").select_option(label="Behandeling (30 min)")
    assert panel.get_by_label("Reminders by").input_value() == ""
    _htmx_post(page, lambda: panel.get_by_role("button", name="Book").click(), "/agenda/appointments/new")
    panel.get_by_role("button", name="Save changes").wait_for()

    def shown_channels() -> tuple[str, str]:
        return tuple(panel.get_by_label(label).locator("option:checked").inner_text()
                     for label in ("Confirmation by", "Reminders by"))

    assert shown_channels() == ("E-mail", "E-mail")  # the appointment's own, not "None"
    with app.app_context():
        booked = db.session.scalar(select(Appointment).where(Appointment.client_id == client_id))
        planned = dict(db.session.execute(select(Message.id, Message.status).where(
            Message.appointment_id == booked.id, Message.kind == MessageKind.REMINDER)).all())
    assert planned and set(planned.values()) == {MessageStatus.PLANNED}

    # Add a note and save: nothing else changes, so every planned reminder stays.
    panel.evaluate("element => element.dataset.replaced = 'not yet'")
    panel.get_by_label("Notes").fill("Brings the referral letter.")
    response = _htmx_post(page, lambda: panel.get_by_role("button", name="Save changes").click(),
                          f"/agenda/appointments/{booked.id}")
    assert response.status == 200
    page.locator("#panel [data-test=panel]:not([data-replaced])").wait_for()
    with app.app_context():
        stored = db.session.get(Appointment, booked.id)
        assert stored.notes == "Brings the referral letter."
        assert (stored.confirmation_channels, stored.reminder_channels) == (Channels.EMAIL, Channels.EMAIL)
        assert dict(db.session.execute(select(Message.id, Message.status).where(
            Message.appointment_id == booked.id, Message.kind == MessageKind.REMINDER)).all()) == planned
    assert shown_channels() == ("E-mail", "E-mail")
    assert panel.get_by_label("Notes").input_value() == "Brings the referral letter."
    assert page.console_errors == []


DUPLICATE_IDS = "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id); " \
                "return ids.filter((id, i) => ids.indexOf(id) !== i); }"


def _office_hours(app, agenda) -> None:
    """Sophie works 09:00–17:00 every day, so the grid (08:00–18:00 at least) shows closed time around it."""
    from datetime import time

    from practice.models import Practitioner, WorkingHours

    with app.app_context():
        sophie = db.session.get(Practitioner, agenda.practitioner)
        sophie.working_hours = [WorkingHours(location_id=agenda.location, weekday=day, start_time=time(9),
                                             end_time=time(17)) for day in range(7)]
        db.session.commit()


def test_the_desk_books_a_free_time_from_the_week_view_without_typing_a_date_or_time(app, page, agenda):
    _office_hours(app, agenda)
    make_client(app, first_name="Zoë", last_name="Dupont")
    day = datetime.now(ZONE).date() + timedelta(days=7)
    with app.app_context():  # Sophie is busy at 11:00 that day; Mark is not
        start = datetime.combine(day, datetime.min.time().replace(hour=11), ZONE)
        db.session.add(Appointment(client_id=make_client(app, last_name="Jansen"), practitioner_id=agenda.practitioner,
                                   appointment_type_id=agenda.treatment, location_id=agenda.location,
                                   start=start, end=start + timedelta(minutes=30)))
        db.session.commit()
    _log_in(page, make_user(app, Role.STAFF))
    page.goto(f"/agenda/?view=week&day={day.isoformat()}&practitioner={agenda.practitioner}")
    page.locator("[data-test=agenda-week]").wait_for()
    page.evaluate("window.notReloaded = true")
    panel = page.locator("#panel")

    # Before 09:00 Sophie does not work: a click there opens nothing.
    closed = page.locator(f"td.closed[data-day='{day.isoformat()}']").first
    closed.click(position={"x": 5, "y": 5})
    page.wait_for_timeout(300)
    assert panel.locator("[data-test=appointment-form]").count() == 0
    assert page.locator(f"[data-test=free-time][data-day='{day.isoformat()}']", has_text="08:45").count() == 0

    # A free 10:00 opens the booking panel with practitioner, location, date and time filled in.
    page.locator(f"[data-test=free-time][data-day='{day.isoformat()}']", has_text="10:00").click()
    form = panel.locator("[data-test=appointment-form]")
    form.wait_for()
    assert form.get_by_label("Date").input_value() == day.isoformat()
    assert form.get_by_label("Time").input_value() == "10:00"
    assert form.get_by_label("Practitioner").locator("option:checked").inner_text() == "Sophie Verbeek"
    assert form.get_by_label("Location").locator("option:checked").inner_text() == "Centrum"

    # The panel offers Sophie's free times that day (not 11:00, taken); with Mark chosen, his.
    free_times = panel.locator("[data-test=free-times]")
    assert free_times.get_by_role("button", name="10:00").get_attribute("aria-pressed") == "true"
    assert free_times.get_by_role("button", name="11:00").count() == 0
    form.get_by_label("Practitioner").select_option(label="Mark de Jong")
    free_times.get_by_role("button", name="11:00").wait_for()
    form.get_by_label("Practitioner").select_option(label="Sophie Verbeek")
    free_times.get_by_role("button", name="11:00").wait_for(state="detached")

    # Pick the client through the search and a free time from the buttons, and book.
    form.get_by_label("Search a client").fill("Dupont")
    form.get_by_label("Zoë Dupont").check()
    form.get_by_label("Appointment type").select_option(label="Behandeling (30 min)")
    free_times.get_by_role("button", name="14:30").click()
    assert form.get_by_label("Time").input_value() == "14:30"
    response = _htmx_post(page, lambda: form.get_by_role("button", name="Book").click(), "/agenda/appointments/new")
    assert response.status == 200
    booked = page.locator("#agenda [data-test=appointment]", has_text="Zoë Dupont")
    booked.wait_for()
    assert "14:30–15:00" in booked.inner_text()
    with app.app_context():
        stored = db.session.scalar(select(Appointment).join(Client).where(Client.last_name == "Dupont"))
        assert stored.start.astimezone(ZONE).replace(tzinfo=None) == datetime.combine(day, datetime.min.time()) \
            + timedelta(hours=14, minutes=30)
        assert (stored.practitioner_id, stored.location_id) == (agenda.practitioner, agenda.location)

    # Moving it: the panel's free times count its own time as free.
    form.get_by_role("button", name="Save changes").wait_for()
    form.get_by_label("Practitioner").select_option(label="Mark de Jong")
    free_times.get_by_role("button", name="11:00").wait_for()
    form.get_by_label("Practitioner").select_option(label="Sophie Verbeek")
    free_times.get_by_role("button", name="11:00").wait_for(state="detached")
    assert free_times.get_by_role("button", name="14:30").get_attribute("aria-pressed") == "true"

    assert page.evaluate("window.notReloaded") is True, "a full page load happened"
    assert page.evaluate(DUPLICATE_IDS) == []
    assert page.console_errors == []


def test_the_grid_and_panel_work_by_keyboard_at_tablet_width_and_fit_a_phone(app, page, agenda):
    _office_hours(app, agenda)
    _log_in(page, make_user(app, Role.STAFF))
    day = datetime.now(ZONE).date() + timedelta(days=1)
    for width, height in ((768, 1024), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/agenda/?day={day.isoformat()}")
        slot = page.locator(f"[data-test=free-time][data-day='{day.isoformat()}']", has_text="09:30").first
        slot.focus()
        page.keyboard.press("Space" if width == 768 else "Enter")
        form = page.locator("#panel [data-test=appointment-form]")
        form.wait_for()
        assert form.get_by_label("Time").input_value() == "09:30"
        page.locator("#panel :focus").wait_for()  # the keyboard goes on there (a locator: the CSP refuses eval)
        assert page.evaluate(DUPLICATE_IDS) == []
        overflow = page.evaluate("""() => [document.querySelector('#panel .panel'), document.documentElement]
                                          .map(e => e.scrollWidth - e.clientWidth)""")
        assert overflow == [0, 0], f"horizontal overflow at {width} px: {overflow}"
    assert page.console_errors == []


def test_the_day_list_prints_without_navigation_or_buttons(app, page, agenda):
    client_id = make_client(app, mobile="+31612345678")
    day = datetime.now(ZONE).date() + timedelta(days=2)
    with app.app_context():
        start = datetime.combine(day, datetime.min.time().replace(hour=9), ZONE)
        db.session.add(Appointment(client_id=client_id, practitioner_id=agenda.practitioner, notes="Knee, left",
                                   appointment_type_id=agenda.treatment, location_id=agenda.location,
                                   start=start, end=start + timedelta(minutes=30)))
        db.session.commit()
    _log_in(page, make_user(app, Role.STAFF))
    page.goto(f"/agenda/?day={day.isoformat()}")
    page.get_by_role("link", name="Print day list").click()
    row = page.locator("[data-test=day-list-row]")
    row.wait_for()
    assert page.get_by_role("heading", name="Sophie Verbeek").is_visible()
    for text in ("09:00–09:30", "Anna de Vries", "+31 6 12345678", "Behandeling", "Knee, left"):
        assert text in row.inner_text()
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert row.is_visible()
    assert page.console_errors == []
