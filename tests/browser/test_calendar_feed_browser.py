"""The owner makes a practitioner's calendar feed link in headless Chromium: the card is replaced in place (htmx),
shows the link once, the link serves the agenda as iCalendar, and Revoke stops it."""
from datetime import date

from sqlalchemy import select

from practice.demo import DEMO_PASSWORD, OWNER_EMAIL, load_demo
from practice.extensions import db
from practice.models import Practitioner


def test_the_owner_makes_a_feed_link_reads_it_and_revokes_it(app, page):
    with app.app_context():
        load_demo(date.today())
        practitioner_id = db.session.scalar(select(Practitioner.id).order_by(Practitioner.id).limit(1))

    page.goto(f"/login?next=/settings/practitioners/{practitioner_id}")
    page.get_by_label("E-mail address").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    card = page.locator("[data-test=calendar-feed]")
    card.get_by_text("No feed link.").wait_for()

    card.get_by_role("button", name="Make a feed link").click()
    link = page.locator("[data-test=feed-url]")
    link.wait_for()
    assert card.count() == 1 and page.get_by_role("heading", name="Calendar feed").count() == 1
    url = "/feed/" + link.input_value().rpartition("/feed/")[2]  # the link names PUBLIC_BASE_URL; the test server's port differs
    feed = page.request.get(url)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in feed.text()

    card.get_by_role("button", name="Revoke").click()
    card.get_by_text("No feed link.").wait_for()
    assert card.count() == 1 and link.count() == 0
    assert page.request.get(url).status == 404
    assert page.console_errors == []
