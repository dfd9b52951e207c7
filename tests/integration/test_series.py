"""Treatment series: nine treatments twice a week across Christmas, New Year and a week of time off; the collisions
and their nearest alternatives are proposed before anything is stored; all nine are booked in one transaction (or
none); the client gets one confirmation with every date and one calendar file; "this and the following" cancels the
rest with one notice."""
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from sqlalchemy import func, select

from practice import localtime
from practice.agenda import series, services as booking
from practice.enums import AppointmentStatus, Channels, MessageKind, MessageStatus, Role
from practice.errors import FieldError
from practice.extensions import db
from practice.messages import sending
from practice.models import Appointment, AppointmentSeries, Message, Practice, Practitioner, TimeOff, WorkingHours
from practice.series import Rhythm
from tests.conftest import csrf_token, log_in, make_client, make_user
from tests.integration.test_messages import use_smtp

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)
NOW = datetime(2026, 12, 10, 12, tzinfo=ZONE)  # a Thursday, before it all
TUESDAY = date(2026, 12, 15)
TWICE_A_WEEK = Rhythm(every=1, weekly=True, weekdays=frozenset({1, 4}), count=9)  # Tuesdays and Fridays


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return localtime.utc_moment(day, time(hour, minute), TZ)


@pytest.fixture
def weekdays_only(app, agenda):
    """A practitioner who works Monday to Friday 08:00-17:00 and is away the first week of January."""
    with app.app_context():
        person = Practitioner(name="Eva Maas")
        person.working_hours = [WorkingHours(location_id=agenda.location, weekday=day, start_time=time(8),
                                             end_time=time(17)) for day in range(5)]
        db.session.add(person)
        db.session.flush()
        db.session.add(TimeOff(practitioner_id=person.id, start=at(date(2027, 1, 4), 0), end=at(date(2027, 1, 9), 0),
                               reason="Skiën"))
        db.session.commit()
        return person.id


def first_booking(app, agenda, practitioner_id, email="reeks@example.nl") -> booking.Booking:
    return booking.Booking(client_id=make_client(app, email=email, confirmation_channels=Channels.EMAIL),
                           practitioner_id=practitioner_id, appointment_type_id=agenda.treatment,
                           location_id=agenda.location, start=at(TUESDAY, 10))


def book_proposed(app, wanted: booking.Booking, rhythm: Rhythm = TWICE_A_WEEK) -> tuple[list[datetime], list[int]]:
    """The series as proposed, booked: its starts and the appointments' ids. The clock starts at NOW again after
    this, so the tests send what is due within a minute (booking nine on a slow database takes more than a second)."""
    with time_machine.travel(NOW), app.app_context():
        starts = [p.start for p in series.propose(wanted, rhythm, Practice.current(), datetime.now(UTC))]
        return starts, [appointment.id for appointment in series.book_series(wanted, starts, TZ)]


def test_nine_twice_a_week_across_the_holidays_and_time_off_propose_the_nearest_free_alternatives(
        app, agenda, weekdays_only):
    wanted = first_booking(app, agenda, weekdays_only)
    with time_machine.travel(NOW), app.app_context():
        proposals = series.propose(wanted, TWICE_A_WEEK, Practice.current(), datetime.now(UTC))
    rows = [(localtime.local(p.wanted, TZ).strftime("%a %d %b"), p.problem and str(p.problem),
             p.alternative and localtime.local(p.alternative, TZ).strftime("%a %d %b %H:%M")) for p in proposals]
    assert rows == [
        ("Tue 15 Dec", None, None),
        ("Fri 18 Dec", None, None),
        ("Tue 22 Dec", None, None),
        ("Fri 25 Dec", "public holiday", "Thu 24 Dec 10:00"),  # Christmas: the day before, same time
        ("Tue 29 Dec", None, None),
        ("Fri 01 Jan", "public holiday", "Thu 31 Dec 10:00"),  # New Year
        ("Tue 05 Jan", "time off", "Thu 31 Dec 10:30"),  # the week away: the nearest free day, near 10:00
        ("Fri 08 Jan", "time off", "Mon 11 Jan 10:00"),  # after the week away, not on the 12th (of the series)
        ("Tue 12 Jan", None, None),
    ]


def test_the_series_is_booked_in_one_transaction_with_one_confirmation_and_one_calendar_file(
        app, agenda, weekdays_only, smtp_server):
    use_smtp(app, smtp_server)
    wanted = first_booking(app, agenda, weekdays_only)
    starts, booked = book_proposed(app, wanted)
    assert len(booked) == 9
    with time_machine.travel(NOW), app.app_context():
        assert len({db.session.get(Appointment, i).series_id for i in booked}) == 1
        assert sending.send_due(datetime.now(UTC) + timedelta(minutes=1)) == 1  # one confirmation, not nine
    [received] = smtp_server.inbox.messages
    text = received.get_body(("plain",)).get_content()
    assert received["Subject"] == "Bevestiging van uw 9 afspraken vanaf dinsdag 15 december 2026"
    for line in ("di 15 dec 10:00", "do 24 dec 10:00", "do 31 dec 10:30", "ma 11 jan 10:00", "di 12 jan 10:00"):
        assert line in text.replace(".", "")
    [ics] = [part for part in received.iter_attachments() if part.get_content_type() == "text/calendar"]
    events = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert sorted(event.decoded("dtstart") for event in events) == sorted(starts)
    with app.app_context():  # reminders stay one per appointment
        assert db.session.scalar(select(func.count(Message.id)).where(Message.kind == MessageKind.REMINDER)) == 9


def test_one_time_that_is_no_longer_free_books_none_of_the_series(app, agenda, weekdays_only):
    wanted = first_booking(app, agenda, weekdays_only)
    with time_machine.travel(NOW), app.app_context():
        starts = [p.start for p in series.propose(wanted, TWICE_A_WEEK, Practice.current(), datetime.now(UTC))]
        booking.book(booking.Booking(client_id=make_client(app, email="first@example.nl"),
                                     practitioner_id=weekdays_only, appointment_type_id=agenda.treatment,
                                     location_id=agenda.location, start=starts[6]), TZ)  # someone takes the 7th
        before = db.session.scalar(select(func.count(Appointment.id)))
        with pytest.raises(FieldError) as refused:
            series.book_series(wanted, starts, TZ)
        assert "31-12-2026 10:30" in str(refused.value.message)
        assert db.session.scalar(select(func.count(Appointment.id))) == before
        assert db.session.scalar(select(func.count(AppointmentSeries.id))) == 0


def test_cancelling_this_and_the_following_leaves_the_earlier_ones_and_sends_one_notice(
        app, agenda, weekdays_only, smtp_server):
    use_smtp(app, smtp_server)
    _, booked = book_proposed(app, first_booking(app, agenda, weekdays_only))
    with time_machine.travel(NOW), app.app_context():
        assert sending.send_due(datetime.now(UTC) + timedelta(minutes=1)) == 1
    desk_user = make_user(app, Role.STAFF)
    with time_machine.travel(NOW + timedelta(hours=1)):
        desk = log_in(app.test_client(), desk_user)
        panel = desk.get(f"/agenda/appointments/{booked[4]}").get_data(as_text=True)
        assert 'data-test="series"' in panel and "5 / 9" in panel
        response = desk.post(f"/agenda/appointments/{booked[4]}/cancel", data={"csrf_token": csrf_token(desk),
                                                                               "scope": "following"},
                             headers={"HX-Request": "true"})
        assert response.status_code == 200
        with app.app_context():
            statuses = [db.session.get(Appointment, i).status for i in booked]
            assert statuses == [AppointmentStatus.BOOKED] * 4 + [AppointmentStatus.CANCELLED] * 5
            assert sending.send_due(datetime.now(UTC) + timedelta(minutes=1)) == 1  # one notice for five
            assert db.session.scalar(select(func.count(Message.id)).where(
                Message.kind == MessageKind.REMINDER, Message.status == MessageStatus.PLANNED)) == 4
    notice = smtp_server.inbox.messages[-1]
    text = notice.get_body(("plain",)).get_content()
    assert notice["Subject"].startswith("5 afspraken geannuleerd")
    assert "di 29 dec" in text.replace(".", "") and "di 22 dec" not in text.replace(".", "")


def test_the_desk_repeats_a_booking_as_a_series_checks_the_times_and_books_the_ticked_ones(app, agenda, weekdays_only):
    client_id = make_client(app, email="desk@example.nl", first_name="Bram")
    desk_user = make_user(app, Role.STAFF)
    form = {"client_id": str(client_id), "practitioner_id": str(weekdays_only), "appointment_type_id": str(agenda.treatment),
            "location_id": str(agenda.location), "day": TUESDAY.isoformat(), "time": "10:00", "notes": "",
            "confirmation_channels": "", "reminder_channels": ""}
    with time_machine.travel(NOW):
        desk = log_in(app.test_client(), desk_user)
        token = {"csrf_token": csrf_token(desk)}
        opened = desk.post("/agenda/series", data=form | token, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert 'data-test="series-panel"' in opened and "Bram" in opened
        rhythm = {"every": "1", "unit": "weeks", "weekdays": ["1", "4"], "count": "9"}
        both = desk.post("/agenda/series", data=form | token | rhythm | {"until": "2027-02-01", "action": "preview"},
                         headers={"HX-Request": "true"})
        assert both.status_code == 422 and "not both" in both.get_data(as_text=True)
        preview = desk.post("/agenda/series", data=form | token | rhythm | {"action": "preview"},
                            headers={"HX-Request": "true"}).get_data(as_text=True)
        assert preview.count('data-test="series-time"') == 9
        assert preview.count('data-problem="public holiday"') == 2 and preview.count('data-problem="time off"') == 2
        assert 'value="2026-12-24T10:00"' in preview  # Christmas moved to the day before
        with app.app_context():
            assert db.session.scalar(select(func.count(Appointment.id))) == 0  # nothing is stored by looking
        starts = dict(re.findall(r'name="start-(\d+)"[^>]*value="([^"]+)"', preview))
        starts["2"] = "2026-12-18T11:30"  # the receptionist moves the second one
        chosen = {f"start-{n}": value for n, value in starts.items()} | {
            "include": [n for n in starts if n != "9"], "action": "book"}  # and drops the last
        booked = desk.post("/agenda/series", data=form | token | rhythm | chosen, headers={"HX-Request": "true"})
        assert booked.status_code == 200 and 'data-test="series"' in booked.get_data(as_text=True)
    with app.app_context():
        starts_booked = [localtime.local(start, TZ).strftime("%d-%m %H:%M") for start in db.session.scalars(
            select(Appointment.start).where(Appointment.client_id == client_id).order_by(Appointment.start))]
        assert len(starts_booked) == 8 and "18-12 11:30" in starts_booked and "12-01 10:00" not in starts_booked


def test_moving_this_and_the_following_shifts_them_together_and_sends_the_series_confirmation_once(
        app, agenda, weekdays_only, smtp_server):
    use_smtp(app, smtp_server)
    four_tuesdays = Rhythm(every=1, weekly=True, weekdays=frozenset({1}), count=4)  # the last one away
    _, booked = book_proposed(app, first_booking(app, agenda, weekdays_only), four_tuesdays)
    with time_machine.travel(NOW), app.app_context():
        assert sending.send_due(datetime.now(UTC) + timedelta(minutes=1)) == 1
    desk_user = make_user(app, Role.STAFF)
    with time_machine.travel(NOW + timedelta(hours=1)):
        desk = log_in(app.test_client(), desk_user)
        form = {"client_id": "1", "practitioner_id": str(weekdays_only), "appointment_type_id": str(agenda.treatment),
                "location_id": str(agenda.location), "day": "2026-12-22", "time": "14:00", "notes": "",
                "confirmation_channels": "email", "reminder_channels": "email", "scope": "following"}
        moved = desk.post(f"/agenda/appointments/{booked[1]}", data=form | {"csrf_token": csrf_token(desk)},
                          headers={"HX-Request": "true"})
        assert moved.status_code == 200, moved.get_data(as_text=True)
        with app.app_context():
            assert [localtime.local(db.session.get(Appointment, i).start, TZ).strftime("%d-%m %H:%M")
                    for i in booked] == ["15-12 10:00", "22-12 14:00", "29-12 14:00", "31-12 14:00"]  # the 4th was the alternative
            assert sending.send_due(datetime.now(UTC) + timedelta(minutes=1)) == 1  # one message for the change
    again = smtp_server.inbox.messages[-1]
    assert again["Subject"].startswith("Bevestiging van uw 4 afspraken vanaf dinsdag 15 december")
    assert "di 29 dec 14:00" in again.get_body(("plain",)).get_content().replace(".", "")


def test_migrations_0015_to_0017_add_the_undo_window_waiting_list_and_series_and_go_back(empty_database_url):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from practice.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "HUEY_URL": "memory://"})
    with app.app_context():
        upgrade(revision="9b3e6f2a1c47")  # 0014, with the practice's row (0008 makes it)
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"waiting_entry", "waiting_offer", "appointment_series"} <= tables
        practice = Practice.current()  # the practice that was there: the defaults
        assert (practice.notice_delay_minutes, practice.offer_hours) == (3, 2)
        db.session.close()
        downgrade(revision="9b3e6f2a1c47")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"waiting_entry", "waiting_offer", "appointment_series"} & tables
        assert "notice_delay_minutes" not in {c["name"] for c in inspect(db.engine).get_columns("practice")}
        assert "series_id" not in {c["name"] for c in inspect(db.engine).get_columns("appointment")}
        upgrade()
        db.engine.dispose()
