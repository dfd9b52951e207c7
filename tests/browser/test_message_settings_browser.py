"""The owner sets up messages in a browser: a reminder rule shows the fields of the kind chosen, a click switches
online rescheduling on where the link is left out, and the editor's language tabs open the French text."""
from practice.enums import Role
from practice.extensions import db
from practice.models import Practice
from tests.conftest import make_user


def test_the_owner_chooses_a_reminder_kind_switches_rescheduling_on_and_opens_the_french_template(app, page):
    owner = make_user(app, Role.OWNER)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(owner.email)
    page.get_by_label("Password").fill(owner.password)
    page.get_by_role("button", name="Log in").click()
    page.locator("[data-test=agenda-day]").wait_for()

    page.goto("/settings/messaging")
    first = page.locator("[data-test=first_reminder]")
    assert first.get_by_label("Days before", exact=True).is_visible() and first.get_by_label("Hours before", exact=True).count() == 0
    first.get_by_role("combobox").select_option("hours_before")
    first.get_by_label("Hours before", exact=True).wait_for()
    assert first.get_by_label("Days before", exact=True).count() == 0 and first.get_by_label("At", exact=True).count() == 0
    first.get_by_label("Hours before", exact=True).fill("4")
    first.get_by_role("combobox").focus()  # the redrawn select still takes the keyboard
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "first_reminder-hours"
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Settings saved.").wait_for()
    with app.app_context():
        assert Practice.current().reminder_rules == "hours_before:4"

    page.get_by_role("button", name="Switch online rescheduling on").click()
    page.locator("[data-test=online-on]").wait_for()
    with app.app_context():
        db.session.remove()
        assert Practice.current().online_rescheduling

    page.goto("/messages/templates/confirmation/email/nl")
    assert page.locator("[data-test=online-off]").count() == 0  # on now: nothing to warn about
    page.get_by_role("navigation", name="Language of this template").get_by_role("link", name="Français").click()
    page.get_by_role("link", name="Français").and_(page.locator("[aria-current=page]")).wait_for()
    assert "Bonjour" in page.locator("textarea[name=body]").input_value()
    page.set_viewport_size({"width": 390, "height": 844})  # and on a phone nothing sticks out sideways
    for path in ("/messages/templates/reminder/email/nl", "/settings/messaging", "/settings/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert page.console_errors == []
