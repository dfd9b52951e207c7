"""Booking rules of the agenda: overlaps, working hours, moves, cancellations, across a DST change."""
import re
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.agenda import services
from practice.agenda.services import Booking
from practice import localtime
from practice.errors import FieldError, existing_moment
from practice.extensions import db
from practice.enums import AppointmentStatus, Channels, MessageKind, MessageStatus, Role
from practice.models import Appointment, Message, Practice, TimeOff
from tests.conftest import csrf_token, log_in, make_client, make_user

TZ = "Europe/Amsterdam"
ZONE = ZoneInfo(TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return localtime.utc_moment(day, time(hour, minute), TZ)


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
            with pytest.raises(FieldError, match="already has an appointment"):
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


def test_outside_working_hours_is_refused_unless_an_owner_chooses_it_explicitly(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 1)
    with app.app_context():
        with pytest.raises(services.OutsideHours, match="outside the working hours") as refused:
            services.book(booking(agenda, client_id, at(day, 19, 45), by_owner=True), TZ)  # ends 20:15, hours end 20:00
        assert refused.value.owner_may and count_appointments() == 0
        with pytest.raises(services.OutsideHours) as refused:  # the front desk cannot, however it asks
            services.book(booking(agenda, client_id, at(day, 19, 45), outside_hours=True), TZ)
        assert not refused.value.owner_may and count_appointments() == 0
        late = services.book(booking(agenda, client_id, at(day, 19, 45), outside_hours=True, by_owner=True), TZ)
        assert late.outside_hours


def test_time_off_counts_as_outside_working_hours(app, agenda):
    client_id = make_client(app)
    day = date(2026, 12, 2)
    with app.app_context():
        db.session.add(TimeOff(practitioner_id=agenda.practitioner, start=at(day, 12), end=at(day, 14)))
        db.session.commit()
        with pytest.raises(FieldError, match="time off"):
            services.book(booking(agenda, client_id, at(day, 13)), TZ)


def test_booking_across_the_end_of_daylight_saving_keeps_the_wall_clock(app, agenda):
    client_id = make_client(app)
    with app.app_context():
        before = services.book(booking(agenda, client_id, at(date(2026, 10, 24), 9)), TZ)
        after = services.book(booking(agenda, client_id, at(date(2026, 10, 26), 9)), TZ)
        assert before.start.hour == 7 and after.start.hour == 8  # 09:00 CEST = 07:00 UTC, 09:00 CET = 08:00 UTC
        assert after.start.astimezone(ZONE).time() == time(9)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(FieldError, match="clocks go forward"):
        existing_moment(date(2026, 3, 29), time(2, 30), TZ, "time")


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
        with pytest.raises(FieldError):
            services.change(second, booking(agenda, client_id, at(day, 9, 15)), TZ)
        db.session.rollback()
        assert db.session.get(Appointment, second.id).start == at(day, 11)
        services.change(second, booking(agenda, client_id, at(day, 9, 30)), TZ)  # right after the first
        assert db.session.get(Appointment, second.id).start == at(day, 9, 30)


def test_no_show_only_after_the_start(app, agenda):
    client_id = make_client(app)
    with app.app_context():
        appointment = services.book(booking(agenda, client_id, at(date(2026, 12, 4), 9)), TZ)
        with pytest.raises(FieldError):
            services.mark_no_show(appointment, at(date(2026, 12, 4), 8))
        services.mark_no_show(appointment, at(date(2026, 12, 4), 9, 10))
        assert appointment.status == AppointmentStatus.NO_SHOW


def test_the_grid_marks_a_no_show_and_a_booked_appointment_apart(app, client, agenda, staff):
    client_id = make_client(app)
    day = date(2026, 12, 4)
    with app.app_context():
        missed = services.book(booking(agenda, client_id, at(day, 9)), TZ)
        services.mark_no_show(missed, at(day, 9, 10))
        missed, kept = missed.id, services.book(booking(agenda, client_id, at(day, 11)), TZ).id
    log_in(client, staff)
    page = client.get("/agenda/?day=2026-12-04").get_data(as_text=True)
    cells = re.findall(r'class="appointment type-\d+ status-(\w+)" href="/agenda/appointments/(\d+)"', page)
    assert sorted(cells) == [("booked", str(kept)), ("no_show", str(missed))]
    assert page.count(" · No-show</span>") == 1


def test_the_grid_remembers_a_day_it_laid_out_and_shows_each_change_on_the_next_load(app, client, agenda, staff):
    """agenda.grid lays out the rows it reads and remembers the grid by them: the same day again is the same grid,
    and every kind of change in the database is in the next page."""
    from practice.agenda.grid import load_grid
    from practice.catalogue import load_practitioners
    from practice.models import AppointmentType, Client, Practitioner, WorkingHours

    client_id = make_client(app, first_name="Anna", last_name="Jansen")
    day = date(2026, 12, 4)

    def grid():
        return load_grid([day], load_practitioners(with_inactive=True), TZ, practitioner_id=None, location_id=None,
                         step=timedelta(minutes=15))

    def page():
        return client.get("/agenda/?day=2026-12-04").get_data(as_text=True)

    log_in(client, staff)
    with app.app_context():
        assert grid() is grid()
        before = grid()
        appointment = services.book(booking(agenda, client_id, at(day, 9)), TZ).id
        assert grid() is not before
    assert "09:00–09:30" in page() and "Anna Jansen" in page()
    changes = [
        (lambda: setattr(db.session.get(Client, client_id), "last_name", "Peeters"), "Anna Peeters"),
        (lambda: setattr(db.session.get(AppointmentType, agenda.treatment), "name", "Dry needling"), "Dry needling"),
        (lambda: setattr(db.session.get(Practitioner, agenda.practitioner), "name", "Sophie Maes"),
         '<th scope="col" class="lane-head">Sophie Maes</th>'),
        (lambda: db.session.add(TimeOff(practitioner_id=agenda.practitioner, start=at(day, 13), end=at(day, 14))),
         'data-test="time-off"'),
        (lambda: setattr(db.session.scalars(select(WorkingHours).where(
            WorkingHours.practitioner_id == agenda.colleague, WorkingHours.weekday == day.weekday())).one(),
            "end_time", time(22)), ">21:00</th>"),
        (lambda: services.mark_no_show(db.session.get(Appointment, appointment), at(day, 9, 10)), " · No-show</span>"),
    ]
    for change, shown in changes:
        assert shown not in page()
        with app.app_context():
            change()
            db.session.commit()
        assert shown in page()
    with app.app_context():
        db.session.get(Appointment, appointment).status = AppointmentStatus.CANCELLED
        db.session.commit()
    assert "Anna Peeters" not in page()


def test_the_agendas_lists_are_read_again_after_a_change_and_never_keep_one_rolled_back(app, client, agenda, staff):
    """The agenda keeps its practitioners, locations and working hours in the process until the catalogue's stamp
    changes (catalogue.remembered). A change seen inside a transaction that is then rolled back never shows again;
    a location added or switched off shows in the filter on the next page."""
    from practice.catalogue import agenda_practitioners
    from practice.models import Location, Practice, Practitioner

    def page():
        return client.get("/agenda/?day=2026-12-04").get_data(as_text=True)

    log_in(client, staff)
    assert "Sophie Verbeek</th>" in page() and ">Centrum</option>" in page()
    with app.app_context():  # the page below runs in this transaction, and keeps what it read under its stamp
        db.session.get(Practitioner, agenda.practitioner).name = "Never Saved"
        db.session.flush()
        assert "Never Saved</th>" in page()
        db.session.rollback()
    with app.app_context():  # the next change: a stamp counted up would be the rolled-back one again
        db.session.add(Location(name="Zuid", address="Zuidplein 2"))
        db.session.commit()
    assert ">Zuid</option>" in page() and "Sophie Verbeek</th>" in page() and "Never Saved" not in page()
    with app.app_context():  # a change still pending when the list is read: stamped before the read, not after
        Practice.current()
        db.session.get(Practitioner, agenda.practitioner).name = "Never Saved"
        assert "Never Saved" in [person.name for person in agenda_practitioners()]
        db.session.rollback()
    assert "Sophie Verbeek</th>" in page() and "Never Saved" not in page()
    with app.app_context():
        db.session.get(Location, agenda.location).active = False
        db.session.commit()
    assert ">Centrum</option>" not in page() and ">Zuid</option>" in page()


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


def test_the_week_view_shows_every_day_of_one_practitioners_week_in_local_time(app, client, agenda, staff):
    client_id = make_client(app)
    with app.app_context():
        services.book(booking(agenda, client_id, at(date(2026, 10, 30), 9)), TZ)  # Friday, after DST ended
    log_in(client, staff)
    page = client.get(f"/agenda/?view=week&day=2026-10-28&practitioner={agenda.practitioner}").get_data(as_text=True)
    assert page.count('scope="colgroup"') == 7
    assert "09:00–09:30" in page
    # Without a choice the week is the first practitioner's (Mark, by name), and "everyone" is not offered.
    first = client.get("/agenda/?view=week&day=2026-10-28").get_data(as_text=True)
    assert f'<option value="{agenda.colleague}" selected>Mark de Jong</option>' in first
    assert "09:00–09:30" not in first and "Everyone" not in first
    assert "Everyone" in client.get("/agenda/?day=2026-10-30").get_data(as_text=True)
    fragment = client.get("/agenda/?view=week&day=2026-10-28", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith("<section id=\"agenda\"")
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_day_spans_the_hours_worked_that_day_and_a_week_those_of_every_day(app, client, agenda, staff):
    """Hours on other weekdays do not stretch a day: Mark working till 22:00 on Tuesdays leaves Friday at 20:00."""
    from practice.models import WorkingHours

    with app.app_context():
        db.session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == agenda.colleague,
                                                      WorkingHours.weekday == 1)).one().end_time = time(22)
        db.session.commit()
    log_in(client, staff)
    tuesday, friday = (client.get(f"/agenda/?day={day}").get_data(as_text=True) for day in ("2026-10-27", "2026-10-30"))
    assert ">21:00</th>" in tuesday and "21:00" not in friday and ">19:00</th>" in friday
    week = client.get(f"/agenda/?view=week&day=2026-10-30&practitioner={agenda.colleague}").get_data(as_text=True)
    assert ">21:00</th>" in week


def test_the_grid_shows_names_as_text_never_as_markup(app, client, agenda, staff):
    """The grid's cells are written in Python (agenda/grid_html.py): every name in them is escaped."""
    from practice.models import AppointmentType, Practitioner

    client_id = make_client(app, first_name="<b>Bo</b>", last_name="O'Neil & Co")
    with app.app_context():
        db.session.get(AppointmentType, agenda.treatment).name = "Massage <i>deep</i>"
        db.session.get(Practitioner, agenda.practitioner).name = 'Sophie "the" <Verbeek>'
        db.session.commit()
        services.book(booking(agenda, client_id, at(date(2026, 10, 30), 9)), TZ)
    log_in(client, staff)
    page = client.get("/agenda/?day=2026-10-30").get_data(as_text=True)
    assert "<b>" not in page and "<i>" not in page and "<Verbeek>" not in page
    assert "&lt;b&gt;Bo&lt;/b&gt; O&#39;Neil &amp; Co" in page
    assert "Massage &lt;i&gt;deep&lt;/i&gt;" in page
    assert 'title="Sophie &#34;the&#34; &lt;Verbeek&gt;"' in page  # on each of her free times


def test_appointment_type_colours_come_from_a_stylesheet(app, client, agenda, staff):
    log_in(client, staff)
    css = client.get("/agenda/colours.css")
    assert css.mimetype == "text/css"
    assert f".type-{agenda.treatment} {{ --type-colour: #4f7cac; }}" in css.get_data(as_text=True)


class _PanelForm(HTMLParser):
    """What a browser would post from the panel's appointment form as rendered: each input's value, each select's
    selected option (the first one when none is selected, as a browser does) and each textarea's text."""

    def __init__(self, html: str):
        super().__init__()
        self.fields, self.options, self._select, self._textarea, self._inside = {}, {}, None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("data-test") == "appointment-form":
            self._inside = True
        if not self._inside:
            return
        if tag == "input" and attrs.get("type") not in ("checkbox", "radio", "search"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self._select = attrs["name"]
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(attrs.get("value"))
            if "selected" in attrs or self._select not in self.fields:
                self.fields[self._select] = attrs.get("value")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            text = self.fields[self._textarea] + data
            self.fields[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")  # as a browser does

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _planned_reminders(app, appointment_id) -> dict[int, MessageStatus]:
    with app.app_context():
        return dict(db.session.execute(select(Message.id, Message.status).where(
            Message.appointment_id == appointment_id, Message.kind == MessageKind.REMINDER)).all())


def _book_ahead_in_the_panel(app, client, agenda, client_id):
    """Book five days ahead with the channels "as on the client card"; two reminders get planned."""
    with app.app_context():
        Practice.current().reminder_rules = "days_before:2@07:00;hours_before:3"
        db.session.commit()
    day = (datetime.now(ZONE) + timedelta(days=5)).date().isoformat()
    booked = _post_new(client, agenda, client_id, "10:00", day=day)
    assert booked.status_code == 200
    appointment_id = int(re.search(r"/agenda/appointments/(\d+)", booked.headers["HX-Push-Url"]).group(1))
    return appointment_id, booked.get_data(as_text=True)


def test_saving_the_panel_right_after_booking_keeps_every_planned_reminder(app, client, agenda, staff):
    client_id = make_client(app, confirmation_channels=Channels.EMAIL, reminder_channels=Channels.EMAIL)
    log_in(client, staff)
    appointment_id, panel = _book_ahead_in_the_panel(app, client, agenda, client_id)
    before = _planned_reminders(app, appointment_id)
    assert len(before) == 2 and set(before.values()) == {MessageStatus.PLANNED}

    # Add a note and save exactly what the panel shown after booking holds.
    shown = _PanelForm(panel)
    posted = shown.fields | {"notes": "Brings the referral letter."}
    saved = client.post(f"/agenda/appointments/{appointment_id}", data=posted, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert _planned_reminders(app, appointment_id) == before
    # That panel showed the appointment's own channels, not the booking form's "as on the client card".
    assert (shown.fields["confirmation_channels"], shown.fields["reminder_channels"]) == ("email", "email")
    with app.app_context():
        stored = db.session.get(Appointment, appointment_id)
        assert stored.notes == "Brings the referral letter."
        assert (stored.confirmation_channels, stored.reminder_channels) == (Channels.EMAIL, Channels.EMAIL)
    again = _PanelForm(saved.get_data(as_text=True))
    assert (again.fields["reminder_channels"], again.fields["notes"]) == ("email", "Brings the referral letter.")


def test_choosing_no_reminders_in_the_panel_withdraws_the_planned_ones(app, client, agenda, staff):
    client_id = make_client(app, confirmation_channels=Channels.EMAIL, reminder_channels=Channels.EMAIL)
    log_in(client, staff)
    appointment_id, panel = _book_ahead_in_the_panel(app, client, agenda, client_id)
    before = _planned_reminders(app, appointment_id)
    posted = _PanelForm(panel).fields | {"reminder_channels": "none"}
    saved = client.post(f"/agenda/appointments/{appointment_id}", data=posted, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert _planned_reminders(app, appointment_id) == {key: MessageStatus.WITHDRAWN for key in before}
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).reminder_channels == Channels.NONE
    assert _PanelForm(saved.get_data(as_text=True)).fields["reminder_channels"] == "none"


def test_cancel_and_no_show_show_the_stored_channels_in_the_panel(app, client, agenda, staff):
    client_id = make_client(app, confirmation_channels=Channels.EMAIL, reminder_channels=Channels.EMAIL)
    log_in(client, staff)
    appointment_id, _ = _book_ahead_in_the_panel(app, client, agenda, client_id)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client)}
    stray = {"confirmation_channels": "", "reminder_channels": "", "notes": "stray"}  # posted along, never shown
    refused = client.post(f"/agenda/appointments/{appointment_id}/no-show", headers=headers, data=stray)
    assert refused.status_code == 422  # not started yet
    shown = _PanelForm(refused.get_data(as_text=True)).fields
    assert (shown["confirmation_channels"], shown["reminder_channels"], shown["notes"]) == ("email", "email", "")
    cancelled = client.post(f"/agenda/appointments/{appointment_id}/cancel", headers=headers, data=stray)
    assert cancelled.status_code == 200
    assert "stray" not in cancelled.get_data(as_text=True)


def test_a_cancelled_appointment_is_read_only_and_an_edit_is_refused_changing_nothing(app, client, agenda, staff):
    client_id = make_client(app, confirmation_channels=Channels.EMAIL, reminder_channels=Channels.EMAIL)
    log_in(client, staff)
    appointment_id, panel = _book_ahead_in_the_panel(app, client, agenda, client_id)
    posted = _PanelForm(panel).fields
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client)}
    assert client.post(f"/agenda/appointments/{appointment_id}/cancel", headers=headers).status_code == 200
    with app.app_context():
        before = db.session.get(Appointment, appointment_id)
        stored = (before.start, before.notes, before.status)
        messages = db.session.scalar(select(func.count(Message.id)))

    shown = client.get(f"/agenda/appointments/{appointment_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-test="appointment-facts"' in shown and "Cancelled" in shown
    assert "<form" not in shown and "Save changes" not in shown and "Cancel appointment" not in shown
    assert 'data-action="appointment_booked"' in shown and 'data-action="appointment_cancelled"' in shown  # history

    moved = posted | {"time": "14:00", "notes": "moved anyway"}
    refused = client.post(f"/agenda/appointments/{appointment_id}", data=moved, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "A cancelled appointment or a no-show cannot be changed." in refused.get_data(as_text=True)
    with app.app_context():
        after = db.session.get(Appointment, appointment_id)
        assert (after.start, after.notes, after.status) == stored
        assert db.session.scalar(select(func.count(Message.id))) == messages


def test_the_panel_offers_the_practitioners_free_times_of_the_day(app, client, agenda, staff):
    """The same free times as the public page computes: working hours minus appointments and time off, fit for the
    chosen type's length, on the practice's grid; the appointment being moved does not block itself."""
    client_id = make_client(app)
    day = date(2026, 12, 2)
    with app.app_context():
        Practice.current().reschedule_step_minutes = 30
        db.session.add(TimeOff(practitioner_id=agenda.practitioner, start=at(day, 12), end=at(day, 14)))
        db.session.commit()
        booked = services.book(booking(agenda, client_id, at(day, 10)), TZ).id  # 10:00–10:30
    log_in(client, staff)

    def offered(**changes) -> list[str]:
        query = {"practitioner_id": agenda.practitioner, "location_id": agenda.location,
                 "appointment_type_id": agenda.intake, "day": day.isoformat()} | changes
        response = client.get("/agenda/free-times", query_string=query, headers={"HX-Request": "true"})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith('<fieldset id="free-times"')
        return re.findall(r'data-time="(\d\d:\d\d)"', html)

    intake = offered()  # 60 minutes, 07:00–20:00, busy 10:00–10:30 and 12:00–14:00
    assert intake[:4] == ["07:00", "07:30", "08:00", "08:30"]
    assert "09:30" not in intake and "10:00" not in intake and "10:30" in intake and "11:00" in intake
    assert "11:30" not in intake and "13:30" not in intake and "14:00" in intake and intake[-1] == "19:00"
    treatment = offered(appointment_type_id=agenda.treatment)  # 30 minutes: 09:30 and 11:30 fit
    assert "09:30" in treatment and "11:30" in treatment and "10:00" not in treatment
    assert "10:00" in offered(appointment=booked)  # moving it: its own time is free
    assert "10:00" in offered(practitioner_id=agenda.colleague)
    assert offered(day="2026-12-02", location_id=agenda.location + 1) == []  # no hours at an unknown location


def test_the_panel_shows_free_times_when_it_opens_from_a_free_time_in_the_grid(app, client, agenda, staff):
    log_in(client, staff)
    page = client.get("/agenda/?day=2026-12-02").get_data(as_text=True)
    slot = re.search(r'hx-get="(/agenda/appointments/new\?day=2026-12-02&amp;practitioner=(\d+)&amp;location=(\d+)'
                     r'&amp;time=10:00)"', page)
    assert slot, "a free 10:00 in the grid"
    panel = client.get(slot.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).get_data(as_text=True)
    fields = _PanelForm(panel).fields
    assert (fields["day"], fields["time"], fields["practitioner_id"], fields["location_id"]) == (
        "2026-12-02", "10:00", slot.group(2), slot.group(3))
    assert 'data-time="10:00" aria-pressed="true"' in panel


def test_saving_keeps_channels_with_sms_while_sms_is_switched_off(app, client, agenda, staff):
    client_id = make_client(app, confirmation_channels=Channels.BOTH, reminder_channels=Channels.BOTH)
    log_in(client, staff)
    appointment_id, _ = _book_ahead_in_the_panel(app, client, agenda, client_id)
    before = _planned_reminders(app, appointment_id)
    panel = client.get(f"/agenda/appointments/{appointment_id}", headers={"HX-Request": "true"}).get_data(True)
    shown = _PanelForm(panel)
    assert shown.fields["reminder_channels"] == "both" and "sms" not in shown.options["reminder_channels"]
    saved = client.post(f"/agenda/appointments/{appointment_id}", data=shown.fields | {"notes": "Knee."},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200
    assert _planned_reminders(app, appointment_id) == before
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).reminder_channels == Channels.BOTH
