"""The owner's catalogue: locations, appointment types, practitioners with working hours and time off."""
from dataclasses import dataclass
from datetime import date, time

import pytest
import time_machine
from sqlalchemy import func, select

from practice.extensions import db
from practice.models import AppointmentType, Location, Practitioner, TimeOff, WorkingHours
from practice.settings import services
from practice.errors import FieldError
from tests.conftest import csrf_token, log_in, utc

HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Team:
    practitioner: int
    location: int


@pytest.fixture
def team(app) -> Team:
    """One practitioner without working hours, and one location."""
    with app.app_context():
        location = Location(name="Centrum", address="Hoofdstraat 1")
        person = Practitioner(name="Sophie Verbeek")
        db.session.add_all([location, person])
        db.session.commit()
        return Team(person.id, location.id)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _hours(client, team, **fields):
    form = {"weekday": "0", "location_id": str(team.location), "start_time": "09:00", "end_time": "12:00",
            "csrf_token": csrf_token(client)} | fields
    return client.post(f"/settings/practitioners/{team.practitioner}/hours", data=form, headers=HTMX)


def _time_off(client, team, **fields):
    form = {"start_day": "2026-10-24", "start_at": "22:00", "end_day": "2026-10-25", "end_at": "12:00",
            "reason": "Holiday", "csrf_token": csrf_token(client)} | fields
    return client.post(f"/settings/practitioners/{team.practitioner}/time-off", data=form, headers=HTMX)


# Locations

def test_the_owner_adds_a_location_and_sees_it_in_the_list(app, client, owner):
    log_in(client, owner)
    response = client.post("/settings/locations", headers=HTMX, data={
        "name": "Zuid", "address": "Zuidplein 3, Amsterdam", "sms_note": "Parking behind the building.",
        "active": "y", "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="locations"' in page and "Zuidplein 3" in page and "<html" not in page
    with app.app_context():
        stored = db.session.scalar(select(Location))
        assert (stored.name, stored.sms_note, stored.active) == ("Zuid", "Parking behind the building.", True)


def test_an_sms_note_of_125_characters_is_refused_and_nothing_is_stored(app, client, owner):
    log_in(client, owner)
    response = client.post("/settings/locations", headers=HTMX, data={
        "name": "Zuid", "sms_note": "x" * 125, "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "at most 124 characters; this one has 125" in response.get_data(as_text=True)
    assert _count(app, Location) == 0


def test_an_sms_note_of_124_characters_fits(app, client, owner):
    log_in(client, owner)
    response = client.post("/settings/locations", headers=HTMX, data={
        "name": "Zuid", "sms_note": "x" * 124, "csrf_token": csrf_token(client)})
    assert response.status_code == 200 and _count(app, Location) == 1


def test_the_owner_edits_a_location_and_returns_to_the_list(app, client, owner, team):
    log_in(client, owner)
    form = {"name": "Centrum-Oost", "address": "Oostweg 2", "sms_note": "", "csrf_token": csrf_token(client)}
    response = client.post(f"/settings/locations/{team.location}", data=form, headers=HTMX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/settings/locations"
    with app.app_context():
        location = db.session.get(Location, team.location)
        assert (location.name, location.address, location.active) == ("Centrum-Oost", "Oostweg 2", False)
    assert "Location saved." in client.get("/settings/locations").get_data(as_text=True)


def test_a_plain_form_post_gets_the_page_again(app, client, owner):
    log_in(client, owner)
    response = client.post("/settings/locations", data={"name": "Noord", "csrf_token": csrf_token(client)})
    assert response.status_code == 303 and response.headers["Location"] == "/settings/locations"


# Appointment types

def test_the_owner_adds_an_appointment_type_with_its_colour(app, client, owner):
    log_in(client, owner)
    response = client.post("/settings/appointment-types", headers=HTMX, data={
        "name": "Intake", "duration_minutes": "60", "colour": "#2F7D5B", "active": "y",
        "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert 'type="color" value="#2f7d5b" disabled' in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(AppointmentType))
        assert (stored.name, stored.duration_minutes, stored.colour) == ("Intake", 60, "#2f7d5b")


@pytest.mark.parametrize("colour", ["red", "#2f7d5", "#2f7d5g", "#2f7d5b0", "2f7d5b"])
def test_a_colour_not_written_as_rrggbb_is_refused(app, client, owner, colour):
    log_in(client, owner)
    response = client.post("/settings/appointment-types", headers=HTMX, data={
        "name": "Intake", "duration_minutes": "60", "colour": colour, "csrf_token": csrf_token(client)})
    assert response.status_code == 422 and "#rrggbb" in response.get_data(as_text=True)
    assert _count(app, AppointmentType) == 0


@pytest.mark.parametrize("minutes", ["4", "481", "half an hour"])
def test_a_duration_outside_5_to_480_minutes_is_refused(app, client, owner, minutes):
    log_in(client, owner)
    response = client.post("/settings/appointment-types", headers=HTMX, data={
        "name": "Intake", "duration_minutes": minutes, "colour": "#2f7d5b", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert _count(app, AppointmentType) == 0


# Practitioners and their working hours

def test_the_owner_adds_a_practitioner_and_renames_them(app, client, owner):
    log_in(client, owner)
    added = client.post("/settings/practitioners", headers=HTMX,
                        data={"name": "Mark de Jong", "active": "y", "csrf_token": csrf_token(client)})
    assert added.status_code == 200 and "Mark de Jong" in added.get_data(as_text=True)
    with app.app_context():
        person_id = db.session.scalar(select(Practitioner.id))
    renamed = client.post(f"/settings/practitioners/{person_id}", headers=HTMX,
                          data={"name": "Mark Jansen", "csrf_token": csrf_token(client)})
    assert renamed.status_code == 200 and "Practitioner saved." in renamed.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(Practitioner, person_id)
        assert (person.name, person.active) == ("Mark Jansen", False)


def test_the_owner_adds_working_hours_and_sees_them_listed(app, client, owner, team):
    log_in(client, owner)
    response = _hours(client, team)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="working-hours"' in page and "Monday" in page and "09:00–12:00" in page and "Centrum" in page


@pytest.mark.parametrize("end", ["08:00", "09:00"])
def test_working_hours_that_end_before_they_start_are_refused(app, client, owner, team, end):
    log_in(client, owner)
    response = _hours(client, team, end_time=end)
    assert response.status_code == 422
    assert "The end time must be after the start time." in response.get_data(as_text=True)
    assert _count(app, WorkingHours) == 0


def test_overlapping_working_hours_are_refused_and_nothing_is_stored(app, client, owner, team):
    log_in(client, owner)
    assert _hours(client, team).status_code == 200
    response = _hours(client, team, start_time="11:00", end_time="13:00")
    assert response.status_code == 422
    assert "overlaps the block from 09:00 to 12:00" in response.get_data(as_text=True)
    assert _count(app, WorkingHours) == 1


def test_working_hours_may_touch_and_may_repeat_on_another_day(app, client, owner, team):
    log_in(client, owner)
    assert _hours(client, team).status_code == 200
    assert _hours(client, team, start_time="12:00", end_time="17:00").status_code == 200
    assert _hours(client, team, weekday="1").status_code == 200
    assert _count(app, WorkingHours) == 3


def test_the_owner_deletes_a_block_of_working_hours(app, client, owner, team):
    log_in(client, owner)
    _hours(client, team)
    with app.app_context():
        block = db.session.scalar(select(WorkingHours.id))
    response = client.post(f"/settings/practitioners/{team.practitioner}/hours/{block}/delete",
                           data={"csrf_token": csrf_token(client)}, headers=HTMX)
    assert response.status_code == 200 and "No working hours yet." in response.get_data(as_text=True)
    assert _count(app, WorkingHours) == 0


def test_hours_of_another_practitioner_cannot_be_deleted_through_this_one(app, client, owner, team):
    log_in(client, owner)
    _hours(client, team)
    with app.app_context():
        block = db.session.scalar(select(WorkingHours.id))
        other = Practitioner(name="Mark de Jong")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    response = client.post(f"/settings/practitioners/{other_id}/hours/{block}/delete",
                           data={"csrf_token": csrf_token(client)}, headers=HTMX)
    assert response.status_code == 404 and _count(app, WorkingHours) == 1


# Time off

@time_machine.travel(utc(2026, 10, 1, 12), tick=False)
def test_time_off_is_stored_in_utc_from_local_input_across_the_dst_change(app, client, owner, team):
    log_in(client, owner)
    # Amsterdam leaves summer time on 25 October 2026: 22:00 the evening before is UTC+2, noon after is UTC+1.
    response = _time_off(client, team)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sat 24 Oct 2026 22:00" in page and "Sun 25 Oct 2026 12:00" in page
    with app.app_context():
        stored = db.session.scalar(select(TimeOff))
        assert (stored.start, stored.end, stored.reason) == (utc(2026, 10, 24, 20), utc(2026, 10, 25, 11), "Holiday")


def test_time_off_that_ends_before_it_starts_is_refused(app, client, owner, team):
    log_in(client, owner)
    response = _time_off(client, team, end_day="2026-10-24", end_at="21:00")
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert _count(app, TimeOff) == 0


def test_a_time_the_clocks_skip_is_refused(ctx, team):
    person = db.session.get(Practitioner, team.practitioner)
    with pytest.raises(FieldError, match="does not exist"):
        services.add_time_off(person, services.Absence(start_day=date(2026, 3, 29), start_at=time(2, 30),
                                                       end_day=date(2026, 3, 29), end_at=time(12), reason=""),
                              "Europe/Amsterdam")


@time_machine.travel(utc(2026, 10, 1, 12), tick=False)
def test_past_time_off_is_not_listed_and_upcoming_time_off_can_be_deleted(app, client, owner, team):
    log_in(client, owner)
    _time_off(client, team, start_day="2026-09-01", end_day="2026-09-02", reason="Last month")
    _time_off(client, team, reason="Autumn break")
    page = client.get(f"/settings/practitioners/{team.practitioner}").get_data(as_text=True)
    assert "Autumn break" in page and "Last month" not in page
    with app.app_context():
        upcoming = db.session.scalar(select(TimeOff.id).where(TimeOff.reason == "Autumn break"))
    response = client.post(f"/settings/practitioners/{team.practitioner}/time-off/{upcoming}/delete",
                           data={"csrf_token": csrf_token(client)}, headers=HTMX)
    assert response.status_code == 200 and "No time off planned." in response.get_data(as_text=True)
    assert _count(app, TimeOff) == 1


# Pages, access and CSRF

def _settings_urls(team) -> list[str]:
    p = team.practitioner
    return ["/settings/", "/settings/locations", f"/settings/locations/{team.location}", "/settings/appointment-types",
            "/settings/practitioners", f"/settings/practitioners/{p}"]


def test_every_settings_page_shows_the_settings_navigation_with_its_own_section_marked(app, client, owner, team):
    with app.app_context():
        db.session.add(AppointmentType(name="Intake", duration_minutes=60, colour="#2f7d5b"))
        db.session.commit()
    log_in(client, owner)
    p, location = team.practitioner, team.location
    marked = {
        "/settings/": "Practice",
        "/settings/locations": "Locations",
        f"/settings/locations/{location}": "Locations",
        "/settings/appointment-types": "Appointment types",
        "/settings/appointment-types/1": "Appointment types",
        "/settings/practitioners": "Practitioners",
        f"/settings/practitioners/{p}": "Practitioners",
    }
    for url, section in marked.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert 'class="settings-nav"' in page, url
        assert f'aria-current="page">{section}</a>' in page, url


def test_staff_get_403_on_every_settings_page(app, client, staff, team):
    log_in(client, staff)
    urls = _settings_urls(team) + ["/settings/appointment-types/1"]
    posts = urls + [f"/settings/practitioners/{team.practitioner}/hours",
                    f"/settings/practitioners/{team.practitioner}/hours/1/delete",
                    f"/settings/practitioners/{team.practitioner}/time-off",
                    f"/settings/practitioners/{team.practitioner}/time-off/1/delete"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, data={"name": "X", "csrf_token": csrf_token(client)}).status_code == 403, url
    assert _count(app, Location) == 1 and _count(app, Practitioner) == 1


def test_a_post_without_csrf_token_is_refused_and_stores_nothing(app, client, owner, team):
    log_in(client, owner)
    response = client.post("/settings/locations", data={"name": "Zuid"}, headers=HTMX)
    assert response.status_code == 400
    response = _hours(client, team, csrf_token="")
    assert response.status_code == 400
    assert _count(app, Location) == 1 and _count(app, WorkingHours) == 0
