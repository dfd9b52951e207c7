"""Booking rules of the agenda: overlaps, working hours, moves, cancellations, across a DST change."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.agenda import services
from practice.agenda.services import Booking, BookingError
from practice.extensions import db
from practice.models import Appointment, AppointmentStatus, Channels, Role, TimeOff
from tests.conftest import csrf_token, log_in, make_client, make_user

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return services.local_moment(day, time(hour, minute), TZ)


def booking(agenda, client_id, start, **changes) -> Booking:
    fields = {"practitioner_id": agenda.practitioner, "appointment_type_id": agenda.treatment,
              "location_id": agenda.location} | changes
    return Booking(client_id=client_id, start=start, **fields)


def count_appointments() -> int:
    return db.session.scalar(select(func.count(Appointment.id)))


def test_an_overlapping_booking_is_refused_and_nothing_is_stored(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 1)
    with app.app_context():
        services.book(booking(agenda, client_id, at(day, 10)), TZ)
        for start in (at(day, 10), at(day, 9, 45), at(day, 10, 15)):
            with pytest.raises(BookingError, match="already has an appointment"):
                services.book(booking(agenda, client_id, start), TZ)
        assert count_appointments() == 1
        # Touching is not overlapping; another practitioner is free.
        services.book(booking(agenda, client_id, at(day, 10, 30)), TZ)
        services.book(booking(agenda, client_id, at(day, 10), practitioner_id=agenda.colleague), TZ)
        assert count_appointments() == 3


def test_a_cancelled_appointment_frees_its_time(app, agenda):
    client_id = make_client(app)
    with app.app_context():
        first = services.book(booking(agenda, client_id, at(date(2026, 12, 1), 10)), TZ)
        services.cancel(first)
        services.book(booking(agenda, client_id, at(date(2026, 12, 1), 10)), TZ)


def test_outside_working_hours_is_refused_unless_chosen_explicitly(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 1)
    with app.app_context():
        with pytest.raises(BookingError, match="outside the working hours") as refused:
            services.book(booking(agenda, client_id, at(day, 19, 45)), TZ)  # ends 20:15, hours end 20:00
        assert refused.value.outside_hours and count_appointments() == 0
        late = services.book(booking(agenda, client_id, at(day, 19, 45), outside_hours=True), TZ)
        assert late.outside_hours


def test_time_off_counts_as_outside_working_hours(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 2)
    with app.app_context():
        db.session.add(TimeOff(practitioner_id=agenda.practitioner, start=at(day, 12), end=at(day, 14)))
        db.session.commit()
        with pytest.raises(BookingError, match="time off"):
            services.book(booking(agenda, client_id, at(day, 13)), TZ)


def test_booking_across_the_end_of_daylight_saving_keeps_the_wall_clock(app, agenda):
    client_id = make_client(app)
    with app.app_context():
        before = services.book(booking(agenda, client_id, at(date(2026, 10, 24), 9)), TZ)
        after = services.book(booking(agenda, client_id, at(date(2026, 10, 26), 9)), TZ)
        assert before.start.hour == 7 and after.start.hour == 8  # 09:00 CEST = 07:00 UTC, 09:00 CET = 08:00 UTC
        assert after.start.astimezone(ZONE).time() == time(9)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(BookingError, match="clocks go forward"):
        services.local_moment(date(2026, 3, 29), time(2, 30), TZ)


def test_a_new_appointment_copies_the_clients_channels_unless_staff_choose(app, agenda):
    client_id = make_client(app, confirmation_channels=Channels.BOTH, reminder_channels=Channels.SMS)
    with app.app_context():
        copied = services.book(booking(agenda, client_id, at(date(2026, 12, 3), 9)), TZ)
        chosen = services.book(booking(agenda, client_id, at(date(2026, 12, 3), 11),
                                       reminder_channels=Channels.EMAIL), TZ)
        assert (copied.confirmation_channels, copied.reminder_channels) == (Channels.BOTH, Channels.SMS)
        assert chosen.reminder_channels == Channels.EMAIL


def test_a_move_onto_another_appointment_is_refused_and_changes_nothing(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 4)
    with app.app_context():
        services.book(booking(agenda, client_id, at(day, 9)), TZ)
        second = services.book(booking(agenda, client_id, at(day, 11)), TZ)
        with pytest.raises(BookingError):
            services.change(second, booking(agenda, client_id, at(day, 9, 15)), TZ)
        db.session.rollback()
        assert db.session.get(Appointment, second.id).start == at(day, 11)
        services.change(second, booking(agenda, client_id, at(day, 9, 30)), TZ)  # right after the first
        assert db.session.get(Appointment, second.id).start == at(day, 9, 30)


def test_no_show_only_after_the_start(app, agenda):
    client_id = make_client(app)
    with app.app_context():
        appointment = services.book(booking(agenda, client_id, at(date(2026, 12, 4), 9)), TZ)
        with pytest.raises(BookingError):
            services.mark_no_show(appointment, at(date(2026, 12, 4), 8))
        services.mark_no_show(appointment, at(date(2026, 12, 4), 9, 10))
        assert appointment.status == AppointmentStatus.NO_SHOW


def _post_new(client, agenda, client_id, hhmm, **extra):
    data = {"csrf_token": csrf_token(client), "client_id": client_id, "practitioner_id": agenda.practitioner,
            "appointment_type_id": agenda.treatment, "location_id": agenda.location, "day": "2026-12-01",
            "time": hhmm, "confirmation_channels": "", "reminder_channels": ""} | extra
    return client.post("/agenda/appointments/new", data=data, headers={"HX-Request": "true"})


def test_the_panel_refuses_an_overlap_with_422_and_the_message(app, client, agenda, staff):
    client_id = make_client(app)
    log_in(client, staff)
    assert _post_new(client, agenda, client_id, "10:00").status_code == 200
    refused = _post_new(client, agenda, client_id, "10:15")
    assert refused.status_code == 422
    assert "already has an appointment with Anna de Vries" in refused.get_data(as_text=True)
    with app.app_context():
        assert count_appointments() == 1


def test_only_the_owner_may_book_outside_working_hours(app, client, agenda):
    client_id = make_client(app)
    log_in(client, make_user(app, Role.STAFF))
    refused = _post_new(client, agenda, client_id, "21:00", outside_hours="y")
    assert refused.status_code == 422 and "Book outside working hours anyway" not in refused.get_data(as_text=True)
    owner_client = app.test_client()
    log_in(owner_client, make_user(app, Role.OWNER))
    offered = _post_new(owner_client, agenda, client_id, "21:00")
    assert offered.status_code == 422 and "Book outside working hours anyway" in offered.get_data(as_text=True)
    assert _post_new(owner_client, agenda, client_id, "21:00", outside_hours="y").status_code == 200
    with app.app_context():
        assert count_appointments() == 1


def test_a_successful_change_tells_the_agenda_to_refresh(app, client, agenda, staff):
    client_id = make_client(app)
    log_in(client, staff)
    response = _post_new(client, agenda, client_id, "10:00")
    assert "agenda-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/agenda/appointments/")


def test_the_week_view_shows_every_day_of_the_week_in_local_time(app, client, agenda, staff):
    client_id = make_client(app)
    with app.app_context():
        services.book(booking(agenda, client_id, at(date(2026, 10, 30), 9)), TZ)  # Friday, after DST ended
    log_in(client, staff)
    page = client.get("/agenda/?view=week&day=2026-10-28").get_data(as_text=True)
    assert page.count('<section class="agenda-day') == 7
    assert "09:00–09:30" in page
    fragment = client.get("/agenda/?view=week&day=2026-10-28", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith("<section id=\"agenda\"")
    assert "HX-Request" in fragment.headers["Vary"]


def test_appointment_type_colours_come_from_a_stylesheet(app, client, agenda, staff):
    log_in(client, staff)
    css = client.get("/agenda/colours.css")
    assert css.mimetype == "text/css"
    assert f".type-{agenda.treatment} {{ --type-colour: #4f7cac; }}" in css.get_data(as_text=True)
