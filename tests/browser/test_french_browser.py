"""A Brussels practice works in French: the front desk switches to FR, a French-speaking client gets French."""
import re
from datetime import UTC, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

from practice.agenda import services as booking
from practice.extensions import db
from practice.models import Practice
from tests.browser.test_rescheduling_browser import send_due
from tests.conftest import PASSWORD, make_client
from tests.integration.test_messages import use_smtp

ZONE = ZoneInfo("Europe/Brussels")


def test_the_desk_switches_to_french_and_a_french_client_gets_french(app, owner, agenda, online, smtp_server,
                                                                    live_server, page):
    use_smtp(app, smtp_server)
    app.config["PUBLIC_BASE_URL"] = live_server.url
    with app.app_context():
        practice = Practice.current()
        practice.timezone, practice.country = "Europe/Brussels", "BE"
        db.session.commit()
    client_id = make_client(app, first_name="Zoë", last_name="Dupont-Çelik", email="zoe@example.be",
                            mobile="+32470123456", language="fr")
    day = datetime.now(ZONE).date() + timedelta(days=7)
    with app.app_context():
        booking.book(booking.Booking(
            client_id=client_id, practitioner_id=agenda.practitioner, appointment_type_id=agenda.treatment,
            location_id=agenda.location, start=datetime.combine(day, clock(10), ZONE).astimezone(UTC)),
            "Europe/Brussels")
    assert send_due(app) == 1

    page.goto("/login")
    page.get_by_label("E-mail address").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("[data-test=agenda-day]").wait_for()
    page.get_by_role("button", name="FR").click()
    page.get_by_role("button", name="Se déconnecter").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Paramètres").is_visible()
    assert page.get_by_role("link", name="Aujourd'hui").is_visible()

    page.goto(f"/clients/{client_id}")
    card = page.locator("main")
    assert "Consentement SMS" in card.inner_text()
    assert "Zoë Dupont-Çelik" in card.inner_text()

    # The client's confirmation is French, and so is the page behind its link (the client's language, not ours).
    [confirmation] = smtp_server.inbox.to("zoe@example.be")
    text = confirmation.get_body(("plain",)).get_content()
    assert "rendez-vous" in text
    link = re.search(r"https?://\S+/r/[\w-]+", text).group(0)
    page.goto(link)
    page.get_by_role("heading", name="Votre rendez-vous", exact=True).wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    months = ("janvier février mars avril mai juin juillet août septembre octobre novembre décembre").split()
    assert months[day.month - 1] in page.locator("[data-test=appointment-card]").inner_text()
    assert page.console_errors == []
