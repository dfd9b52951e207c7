"""A practitioner's private calendar feed: the owner makes and revokes the link, the phone reads the agenda from
it, with client names only when the practice allows, never contact details, and in UTC across a DST change."""
import re
import threading
from datetime import UTC, date, datetime, time

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from practice import localtime
from practice.agenda import services as agenda_services
from practice.agenda.services import Booking
from practice.audit.models import AuditEvent
from practice.enums import AuditAction
from practice.extensions import db
from practice.feed import services as feed
from practice.feed.models import CalendarFeed
from practice.models import Appointment, Practice, Practitioner, User
from tests.conftest import csrf_token, log_in, make_client

TZ = "Europe/Amsterdam"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return localtime.utc_moment(day, time(hour, minute), TZ)


def book(app, agenda, client_id, start, *, practitioner=None, kind=None, notes="") -> int:
    with app.app_context():
        appointment = agenda_services.book(Booking(
            client_id=client_id, practitioner_id=practitioner or agenda.practitioner,
            appointment_type_id=kind or agenda.intake, location_id=agenda.location, start=start, notes=notes), TZ)
        return appointment.id


def make_link(client, practitioner_id) -> str:
    """The owner presses "Make a feed link"; the path of the link the answer shows."""
    response = client.post(f"/settings/practitioners/{practitioner_id}/feed", data={"csrf_token": csrf_token(client)},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    url = re.search(r'value="([^"]+)" aria-label="Feed link"', response.get_data(as_text=True)).group(1)
    assert url.startswith("http://127.0.0.1:5000/feed/") and url.endswith(".ics")
    return url.removeprefix("http://127.0.0.1:5000")


def revoke(client, practitioner_id):
    return client.post(f"/settings/practitioners/{practitioner_id}/feed/revoke",
                       data={"csrf_token": csrf_token(client)}, headers={"HX-Request": "true"})


def events_of(client, path) -> dict[str, icalendar.Event]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar" and "no-store" in response.headers["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.data)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def owner_in(client, owner):
    return log_in(client, owner)


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=True):
        yield


def test_the_feed_holds_the_practitioners_booked_and_no_show_appointments_only(app, agenda, travel, owner_in):
    client_id = make_client(app)
    mine = book(app, agenda, client_id, at(date(2026, 12, 8), 10))
    missed = book(app, agenda, client_id, at(date(2026, 12, 1), 10))
    cancelled = book(app, agenda, client_id, at(date(2026, 12, 9), 10))
    book(app, agenda, client_id, at(date(2026, 12, 8), 10), practitioner=agenda.colleague)
    book(app, agenda, client_id, at(date(2027, 6, 1), 10))  # far beyond the weeks the feed covers
    with app.app_context():
        agenda_services.mark_no_show(db.session.get(Appointment, missed), NOW)
        agenda_services.cancel(db.session.get(Appointment, cancelled))

    path = make_link(owner_in, agenda.practitioner)
    response = owner_in.get(path)
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Sophie Verbeek – Fysio Test"
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
    assert [event.decoded("dtstart") for event in events] == [at(date(2026, 12, 1), 10), at(date(2026, 12, 8), 10)]
    event = events[1]
    assert event.decoded("dtend") == at(date(2026, 12, 8), 11)
    assert str(event["summary"]) == "Intake"
    assert str(event["location"]) == "Centrum, Hoofdstraat 1, Amsterdam"
    assert "LAST-MODIFIED" in event and "DTSTAMP" in event
    assert str(event["uid"]).startswith(f"feed-appointment-{mine}@")


def test_a_moved_appointment_keeps_its_uid_and_shows_the_new_time(app, agenda, travel, owner_in):
    client_id = make_client(app)
    appointment_id = book(app, agenda, client_id, at(date(2026, 12, 8), 10))
    path = make_link(owner_in, agenda.practitioner)
    [uid] = events_of(owner_in, path)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        agenda_services.change(appointment, Booking(
            client_id=client_id, practitioner_id=agenda.practitioner, appointment_type_id=agenda.intake,
            location_id=agenda.location, start=at(date(2026, 12, 10), 14)), TZ)
    events = events_of(owner_in, path)
    assert list(events) == [uid]
    assert events[uid].decoded("dtstart") == at(date(2026, 12, 10), 14)


def test_client_names_only_with_the_setting_and_never_contact_details(app, agenda, travel, owner_in):
    client_id = make_client(app, notes="Knee surgery in May")
    book(app, agenda, client_id, at(date(2026, 12, 8), 10), notes="Bring the scan")
    path = make_link(owner_in, agenda.practitioner)
    secret = ("anna@example.com", "+31612345678", "612345678", "Knee surgery", "Bring the scan")

    text = owner_in.get(path).get_data(as_text=True)
    [event] = events_of(owner_in, path).values()
    assert str(event["summary"]) == "Intake"
    assert "Anna" not in text and "Vries" not in text
    assert not [word for word in secret if word in text]

    form = {"name": "Fysio Test", "email": "info@fysio.example", "phone": "+31 20 555 0100", "timezone": TZ,
            "country": "NL", "subdivision": "", "feed_client_names": "y", "csrf_token": csrf_token(owner_in)}
    assert owner_in.post("/settings/", data=form).status_code == 302
    with app.app_context():
        assert Practice.current().feed_client_names

    text = owner_in.get(path).get_data(as_text=True)
    [event] = events_of(owner_in, path).values()
    assert str(event["summary"]) == "Intake – Anna de Vries"
    assert not [word for word in secret if word in text]


def test_a_revoked_link_and_a_replaced_link_answer_404_like_an_unknown_one(app, agenda, owner_in):
    first = make_link(owner_in, agenda.practitioner)
    second = make_link(owner_in, agenda.practitioner)  # making a new one revokes the old one
    unknown = owner_in.get("/feed/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics")
    replaced = owner_in.get(first)
    assert unknown.status_code == replaced.status_code == 404
    assert unknown.data == replaced.data  # no hint whether the link ever existed
    assert owner_in.get(second).status_code == 200

    assert revoke(owner_in, agenda.practitioner).status_code == 200
    assert owner_in.get(second).status_code == 404
    colleague = make_link(owner_in, agenda.colleague)
    assert owner_in.get(colleague).status_code == 200  # one practitioner's revoke leaves the other's link alone
    with app.app_context():
        actions = [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count(AuditAction.FEED_LINK_MADE) == 3 and actions.count(AuditAction.FEED_LINK_REVOKED) == 1


def test_the_feed_needs_no_login(app, agenda, owner_in):
    path = make_link(owner_in, agenda.practitioner)
    assert app.test_client().get(path).status_code == 200


def test_staff_cannot_make_or_revoke_feed_links(app, agenda, client, staff):
    log_in(client, staff)
    response = client.post(f"/settings/practitioners/{agenda.practitioner}/feed",
                           data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403
    assert revoke(client, agenda.practitioner).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.FEED_LINK_MADE)) is None


def test_the_page_shows_the_link_once_then_when_it_was_made_and_last_read(app, agenda, owner_in):
    path = make_link(owner_in, agenda.practitioner)
    token = path.removeprefix("/feed/").removesuffix(".ics")
    page = owner_in.get(f"/settings/practitioners/{agenda.practitioner}").get_data(as_text=True)
    assert token not in page
    assert "Link made on" in page and "Not read yet." in page and "Revoke" in page
    owner_in.get(path)
    page = owner_in.get(f"/settings/practitioners/{agenda.practitioner}").get_data(as_text=True)
    assert "Last read on" in page and token not in page


def test_times_across_a_daylight_saving_change_are_right_in_utc(app, agenda, client, owner):
    client_id = make_client(app)
    with time_machine.travel(datetime(2027, 3, 20, 12, tzinfo=UTC), tick=True):
        owner_in = log_in(client, owner)
        book(app, agenda, client_id, at(date(2027, 3, 27), 9))  # Saturday, CET (UTC+1)
        book(app, agenda, client_id, at(date(2027, 3, 29), 9))  # Monday, CEST (UTC+2) after the change on the 28th
        path = make_link(owner_in, agenda.practitioner)
        text = owner_in.get(path).get_data(as_text=True)
    assert "DTSTART:20270327T080000Z" in text and "DTEND:20270327T090000Z" in text
    assert "DTSTART:20270329T070000Z" in text and "DTEND:20270329T080000Z" in text


def test_migration_0013_adds_the_feeds_and_the_setting_and_goes_back(empty_database_url):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from practice.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "HUEY_URL": "memory://"})
    with app.app_context():
        upgrade(revision="8c2e5f1a7d30")  # 0012
        upgrade()
        assert "calendar_feed" in inspect(db.engine).get_table_names()
        assert Practice.current().feed_client_names is False  # the existing practice: names stay out
        db.session.close()
        downgrade(revision="8c2e5f1a7d30")
        assert "calendar_feed" not in inspect(db.engine).get_table_names()
        assert "feed_client_names" not in {c["name"] for c in inspect(db.engine).get_columns("practice")}
        upgrade()
        db.engine.dispose()


def test_owners_making_links_at_the_same_moment_leave_one_that_works(app, agenda, owner):
    """Eight owners' presses at once, each in its own transaction: they take turns on the practitioner's row, each
    revoking the one before, so exactly one link works (the newest), never two."""
    start, errors = threading.Barrier(8), []

    def press():
        try:
            with app.test_request_context():
                practitioner = db.session.get(Practitioner, agenda.practitioner)
                by = db.session.get(User, owner.id)
                start.wait()
                feed.make_feed(practitioner, by, datetime.now(UTC))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with app.app_context():
        feeds = db.session.scalars(select(CalendarFeed).where(CalendarFeed.practitioner_id == agenda.practitioner))
        working = [row.id for row in feeds if row.revoked_at is None]
        newest = db.session.scalar(select(CalendarFeed.id).order_by(CalendarFeed.id.desc()).limit(1))
    assert working == [newest]
