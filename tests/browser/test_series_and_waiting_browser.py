"""The desk repeats a booking as a series and puts a client on the waiting list, in a real browser: the panel's
htmx steps carry the booking along, and the pages draw without console errors at tablet width."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from practice.extensions import db
from practice.models import Appointment, Client, Role
from practice.waiting.models import WaitingEntry
from tests.browser.test_agenda_browser import _htmx_post, _log_in
from tests.conftest import make_client, make_user

ZONE = ZoneInfo("Europe/Amsterdam")


def test_the_desk_books_a_series_from_the_panel_and_puts_a_client_on_the_waiting_list(app, page, agenda):
    make_client(app, first_name="Zoë", last_name="Dupont", email="zoe@example.be")
    _log_in(page, make_user(app, Role.STAFF))
    page.set_viewport_size({"width": 820, "height": 1100})
    monday = datetime.now(ZONE).date() + timedelta(days=7 - datetime.now(ZONE).weekday())  # next Monday
    page.goto(f"/agenda/appointments/new?day={monday.isoformat()}&time=09:00&practitioner={agenda.practitioner}"
              f"&location={agenda.location}")
    panel = page.locator("#panel")
    form = panel.locator("[data-test=appointment-form]")
    form.get_by_label("Search a client").fill("Dupont")
    form.get_by_label("Zoë Dupont").check()
    form.get_by_label("Appointment type").select_option(label="Behandeling (30 min)")
    _htmx_post(page, lambda: form.get_by_role("button", name="Repeat as a series…").click(), "/agenda/series")
    series = panel.locator("[data-test=series-panel]")
    series.wait_for()
    assert "Zoë Dupont" in series.inner_text() and "09:00" in series.inner_text()
    series.get_by_label("Thursday").check()  # Monday is ticked already: the first day's weekday
    series.get_by_label("Number of appointments").fill("4")
    _htmx_post(page, lambda: series.get_by_role("button", name="Show the times").click(), "/agenda/series")
    times = series.locator("[data-test=series-time]")
    times.first.wait_for()
    assert times.count() == 4
    response = _htmx_post(page, lambda: series.get_by_role("button", name="Book the ticked times").click(),
                          "/agenda/series")
    assert response.status == 200
    panel.locator("[data-test=series]", has_text="1 / 4").wait_for()
    with app.app_context():
        starts = db.session.scalars(select(Appointment.start).join(Client).where(Client.last_name == "Dupont")
                                    .order_by(Appointment.start)).all()
        assert [start.astimezone(ZONE).strftime("%a %H:%M") for start in starts] == [
            "Mon 09:00", "Thu 09:00", "Mon 09:00", "Thu 09:00"]

    page.get_by_role("link", name="Waiting list").click()
    page.get_by_role("heading", name="Waiting list").wait_for()
    page.get_by_label("Search a client").fill("Dupont")
    page.get_by_label("Zoë Dupont").check()
    page.get_by_label("Appointment type").select_option(label="Intake (60 min)")
    page.get_by_label("Wednesday").check()
    page.get_by_label("From").fill("08:00")
    page.get_by_label("Until", exact=True).fill("12:00")
    page.get_by_role("button", name="Put on the waiting list").click()
    page.locator("[data-test=waiting-entry]", has_text="Zoë Dupont").wait_for()
    with app.app_context():
        entry = db.session.scalar(select(WaitingEntry))
        assert entry.weekdays == 1 << 2 and entry.earliest.hour == 8 and entry.latest.hour == 12
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, f"the page is {width}px wide"
    assert page.console_errors == []
