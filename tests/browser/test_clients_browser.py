"""At the desk, on a client card: a new client with consent, the card that stays true when consent changes, and
the message log filtered and paged without a reload."""
from practice.enums import Channels, Role
from practice.extensions import db
from practice.models import Practice
from tests.conftest import PASSWORD, make_client, make_user


def _log_in(page, app):
    account = make_user(app, Role.STAFF)
    page.goto("/login")
    page.get_by_label("E-mail address").fill(account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/agenda/**")


def test_a_new_client_with_consent_is_saved_and_the_no_consent_line_goes_when_consent_is_registered(app, page):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    _log_in(page, app)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/clients/new")
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Dupont-Çelik")
    page.get_by_label("Mobile number").fill("06 12345678")
    page.get_by_label("The client agrees to receive SMS").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Client card saved.").wait_for()
    assert page.locator("[data-test=consent-state]").inner_text() == "Consent registered"
    assert page.get_by_label("Reminders by").input_value() == "sms"  # as the contact details allow

    # A card with SMS chosen and no consent: registering it on the card takes the warning away, without a reload.
    client_id = make_client(app, first_name="Bram", last_name="Jansen", reminder_channels=Channels.SMS)
    page.goto(f"/clients/{client_id}")
    warning = page.locator("[data-test=sms-warning]")
    assert "no SMS consent registered" in warning.inner_text()
    page.get_by_role("button", name="Register consent").click()
    page.locator("[data-test=consent-state]", has_text="Consent registered").wait_for()
    # A locator, not wait_for_function: that polls by evaluating a string, which the page's CSP refuses (no eval).
    page.locator("[data-test=sms-warning]", has_text="consent").wait_for(state="detached")
    page.get_by_role("button", name="Withdraw consent").click()
    warning.get_by_text("no SMS consent registered").wait_for()
    assert page.console_errors == []
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
                              .map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide


def test_the_client_search_finds_celik_as_you_type(app, page):
    make_client(app, first_name="Zoë", last_name="Dupont-Çelik", email="zoe@example.be", mobile="+32470123456")
    make_client(app, first_name="Bram", last_name="Jansen", email="bram@example.nl", mobile="+31687654321")
    _log_in(page, app)
    page.goto("/clients/")
    page.get_by_label("Search by name, e-mail or mobile number").fill("celik")
    results = page.locator("[data-test=client-results]")
    results.get_by_text("Jansen").wait_for(state="detached")
    assert "Dupont-Çelik" in results.inner_text()
    assert "q=celik" in page.url  # the search can be bookmarked
    assert page.console_errors == []
