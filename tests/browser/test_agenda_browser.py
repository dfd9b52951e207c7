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
