"""A person at the front desk: logs in, sees today's agenda, switches the language."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from practice.agenda.grid import load_appointments
from practice.localtime import day_bounds
from practice.demo import DEMO_PASSWORD, OWNER_EMAIL, load_demo


def test_demo_owner_logs_in_sees_today_and_switches_to_german(app, page, live_server):
    with app.app_context():
        load_demo(date.today())
        # The agenda opens on today in the practice's time zone, which is tomorrow in UTC's last hour or two.
        today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
        today_count = len(load_appointments(*day_bounds(today, "Europe/Amsterdam")))

    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
    page.get_by_label("E-mail address").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    agenda = page.locator("[data-test=agenda-day]")
    agenda.wait_for()
    assert str(today.year) in agenda.locator("h1").inner_text()
    assert agenda.locator("[data-test=appointment]").count() == today_count

    page.get_by_role("button", name="DE").click()
    page.get_by_role("link", name="Kalender").wait_for()
    assert page.get_by_role("button", name="Abmelden").is_visible()
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.console_errors == []

    page.reload()  # the choice is stored with the user
    assert page.get_by_role("link", name="Einstellungen").is_visible()
