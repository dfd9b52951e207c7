"""A client moves their appointment on a phone, from the link in a real confirmation e-mail."""
import re
from datetime import UTC, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from practice.agenda import services as booking
from practice.extensions import db
from practice.messages import sending
from practice.models import Appointment, OnlineMove, Practice
from tests.conftest import make_client
from tests.integration.test_messages import use_smtp

ZONE = ZoneInfo("Europe/Amsterdam")
PHONE = {"width": 390, "height": 844}


def send_due(app) -> int:
    with app.app_context():
        return sending.send_due(datetime.now(UTC) + timedelta(seconds=1))


def test_a_client_moves_their_appointment_on_a_phone_from_the_confirmation_email(app, agenda, smtp_server,
                                                                                 live_server, browser):
    use_smtp(app, smtp_server)
    app.config["PUBLIC_BASE_URL"] = live_server.url
    with app.app_context():
        practice = Practice.current()
        practice.online_rescheduling, practice.email = True, "balie@fysio.example.com"
        db.session.commit()
    day = datetime.now(ZONE).date() + timedelta(days=7)
    with app.app_context():
        appointment_id = booking.book(booking.Booking(
            client_id=make_client(app, email="anna@example.nl", language="nl"), practitioner_id=agenda.practitioner,
            appointment_type_id=agenda.treatment, location_id=agenda.location,
            start=datetime.combine(day, clock(10), ZONE).astimezone(UTC)), "Europe/Amsterdam").id
    assert send_due(app) == 1
    [confirmation] = smtp_server.inbox.to("anna@example.nl")
    link = re.search(r"https?://\S+/r/[\w-]+", confirmation.get_body(("plain",)).get_content()).group(0)

    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(link)
        page.get_by_role("heading", name="Uw afspraak", exact=True).wait_for()
        assert "Sophie Verbeek" in page.locator("[data-test=appointment-card]").inner_text()
        # The page fits the phone: nothing sticks out sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        other_day = day + timedelta(days=1)
        with page.expect_response(lambda r: "/times" in r.url) as times:
            page.locator("[data-test=day]").fill(other_day.isoformat())
            page.locator("[data-test=day]").dispatch_event("change")
        assert times.value.request.headers.get("hx-request") == "true"
        page.get_by_role("heading", name=re.compile(str(other_day.day))).wait_for()
        page.wait_for_load_state("networkidle")  # the day's times are in (the fill and the change may both ask)
        page.get_by_role("button", name="15:30").tap()
        # Nothing moves on a tap: the new time stands beside the old one until the client confirms.
        page.locator("[data-test=confirm-move]").wait_for()
        assert "10:00" in page.locator("[data-test=old-time]").inner_text()
        assert "15:30" in page.locator("[data-test=new-time]").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        with app.app_context():
            assert db.session.get(Appointment, appointment_id).start == datetime.combine(day, clock(10), ZONE)
        page.locator("[data-test=choose-another]").tap()
        page.get_by_role("button", name="15:30").tap()
        page.locator("[data-test=confirm]").tap()
        page.locator("[data-test=moved]").wait_for()
        assert "15:30" in page.locator("[data-test=appointment-card]").inner_text()
        assert errors == []
    finally:
        context.close()

    new_start = datetime.combine(other_day, clock(15, 30), ZONE).astimezone(UTC)
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).start == new_start
        [move] = db.session.scalars(select(OnlineMove)).all()
        assert move.to_start == new_start and move.appointment_id == appointment_id
    assert send_due(app) == 2  # the client's confirmation and the practice's notice
    [_, moved] = smtp_server.inbox.to("anna@example.nl")
    assert "15:30" in moved.get_body(("plain",)).get_content() and "verplaatst" in moved["Subject"]
    [notice] = smtp_server.inbox.to("balie@fysio.example.com")
    assert "Online verplaatst" in notice["Subject"] and "10:00" in notice.get_body(("plain",)).get_content()


def test_a_client_cancels_on_a_phone_from_the_confirmation_email_and_not_inside_the_cutoff(
        app, agenda, smtp_server, live_server, browser):
    use_smtp(app, smtp_server)
    app.config["PUBLIC_BASE_URL"] = live_server.url
    with app.app_context():
        practice = Practice.current()
        practice.online_rescheduling, practice.email = True, "balie@fysio.example.com"
        practice.reschedule_cutoff_hours, practice.cancel_cutoff_hours = 48, 24
        db.session.commit()
    soon = (datetime.now(ZONE) + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    later = datetime.combine(datetime.now(ZONE).date() + timedelta(days=7), clock(10), ZONE)
    with app.app_context():
        ids = [booking.book(booking.Booking(
            client_id=make_client(app, email=email, language="nl"), practitioner_id=agenda.practitioner,
            appointment_type_id=agenda.treatment, location_id=agenda.location, start=start.astimezone(UTC),
            outside_hours=True, by_owner=True), "Europe/Amsterdam").id
            for email, start in (("anna@example.nl", later), ("bert@example.nl", soon))]
    assert send_due(app) == 2
    links = {address: re.search(r"https?://\S+/r/[\w-]+", smtp_server.inbox.to(address)[0].get_body(
        ("plain",)).get_content()).group(0) for address in ("anna@example.nl", "bert@example.nl")}

    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    with app.app_context():  # Bert's link came while he could still cancel; now the practice asks 36 hours' notice
        Practice.current().cancel_cutoff_hours = 36
        db.session.commit()
    try:
        # Inside the cutoff: no cancel button, and the page says why and whom to call.
        page.goto(links["bert@example.nl"])
        page.get_by_role("heading", name="Uw afspraak", exact=True).wait_for()
        assert page.locator("[data-test=cancel]").count() == 0
        assert "tot 36 uur voor het begin" in page.locator("main").inner_text()
        assert "+31 20 555 0100" in page.locator("main").inner_text()

        page.goto(links["anna@example.nl"])
        page.locator("[data-test=reason]").fill("Ik ben verhuisd")
        page.locator("[data-test=cancel]").tap()
        page.get_by_role("heading", name="Uw afspraak annuleren?").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        with app.app_context():
            assert db.session.get(Appointment, ids[0]).status == "booked"  # asked, not yet cancelled
        page.locator("[data-test=confirm-cancel]").tap()
        page.locator("[data-test=cancelled]").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert errors == []
    finally:
        context.close()

    with app.app_context():
        assert [db.session.get(Appointment, i).status for i in ids] == ["cancelled", "booked"]
    assert send_due(app) == 2  # the client's cancellation and the practice's notice
    [_, cancelled] = smtp_server.inbox.to("anna@example.nl")
    assert "geannuleerd" in cancelled["Subject"]
    [notice] = smtp_server.inbox.to("balie@fysio.example.com")
    assert "Online geannuleerd" in notice["Subject"]
    assert "Reden: Ik ben verhuisd" in notice.get_body(("plain",)).get_content()
