"""Reminders: planned with the booking from the practice's or the type's rules, planned anew when the
appointment moves, dropped when it is cancelled, and checked where they arrive (a real SMTP server)."""
from datetime import UTC, date, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from practice.agenda import services as booking
from practice.extensions import db
from practice.messages import planning, sending
from practice.messages.forecast import load_forecast
from practice.enums import Channels, MessageKind, MessageStatus, NotSentReason, Role
from practice.models import Appointment, AppointmentType, Message, Practice
from tests.conftest import log_in, make_client, make_user
from tests.integration.test_messages import TZ, use_smtp

ZONE = ZoneInfo(TZ)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), ZONE)


def book(app, agenda_ids, client_id, start: datetime, type_id=None) -> int:
    with app.app_context():
        return booking.book(booking.Booking(client_id=client_id, practitioner_id=agenda_ids.practitioner,
                                          appointment_type_id=type_id or agenda_ids.treatment,
                                          location_id=agenda_ids.location, start=start.astimezone(UTC)), TZ).id


def move(app, agenda_ids, appointment_id, start: datetime) -> None:
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        booking.change(appointment, booking.Booking(
            client_id=appointment.client_id, practitioner_id=appointment.practitioner_id,
            appointment_type_id=appointment.appointment_type_id, location_id=appointment.location_id,
            start=start.astimezone(UTC)), TZ)


def reminders(app, appointment_id) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(Message.appointment_id == appointment_id,
                                                             Message.kind == MessageKind.REMINDER)
                                       .order_by(Message.id)))


def run_worker_at(app, moment: datetime) -> int:
    """What the worker's minute round does, at `moment`."""
    with time_machine.travel(moment, tick=False):
        with app.app_context():
            return sending.send_due(datetime.now(UTC))


def reminder_mails(smtp_server) -> list:
    return [m for m in smtp_server.inbox.messages if m["Subject"].startswith("Herinnering")]


def test_a_booking_plans_the_default_reminder_two_days_before_at_seven(app, agenda):
    appointment_id = book(app, agenda, make_client(app), local(date(2026, 12, 10), 10))
    [reminder] = reminders(app, appointment_id)
    assert reminder.status == MessageStatus.PLANNED
    assert reminder.due_at == local(date(2026, 12, 8), 7).astimezone(UTC)


def test_a_reminder_whose_moment_has_passed_is_not_sent_and_the_panel_says_so(app, agenda):
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    appointment_id = book(app, agenda, make_client(app), local(tomorrow, 16))
    [reminder] = reminders(app, appointment_id)
    assert (reminder.status, reminder.reason) == (MessageStatus.NOT_SENT, NotSentReason.BOOKED_TOO_LATE)
    panel = log_in(app.test_client(), make_user(app)).get(f"/agenda/appointments/{appointment_id}").get_data(True)
    assert "booked after the reminder&#39;s moment" in panel or "booked after the reminder's moment" in panel


def test_moving_and_cancelling_after_reminders_were_planned_reach_the_smtp_server_as_the_spec_says(
        app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    with app.app_context():
        Practice.current().reminder_rules = "days_before:2@07:00"
        db.session.commit()
    monday, wednesday = date(2026, 12, 7), date(2026, 12, 9)
    moved = book(app, agenda, make_client(app, email="moved@example.com"), local(monday, 10))
    cancelled = book(app, agenda, make_client(app, email="cancelled@example.com"), local(monday, 11))
    book(app, agenda, make_client(app, email="kept@example.com"), local(monday, 12))  # kept: gets its reminder
    run_worker_at(app, local(date(2026, 12, 1), 9))  # the confirmations go; no reminder is due yet
    assert reminder_mails(smtp_server) == []

    # Before Saturday's round: one moves to Wednesday, one is cancelled.
    move(app, agenda, moved, local(wednesday, 10))
    with app.app_context():
        booking.cancel(db.session.get(Appointment, cancelled))
    run_worker_at(app, local(date(2026, 12, 5), 7, 1))  # Saturday: Monday's reminders
    assert [m["To"] for m in reminder_mails(smtp_server)] == ["kept@example.com"]
    assert "maandag 7 december 2026 om 12:00" in reminder_mails(smtp_server)[0].get_body(("plain",)).get_content()

    run_worker_at(app, local(date(2026, 12, 7), 7, 1))  # Monday: Wednesday's reminder
    assert [m["To"] for m in reminder_mails(smtp_server)] == ["kept@example.com", "moved@example.com"]
    assert "woensdag 9 december 2026 om 10:00" in reminder_mails(smtp_server)[1].get_body(("plain",)).get_content()
    run_worker_at(app, local(date(2026, 12, 9), 9))
    assert len(reminder_mails(smtp_server)) == 2  # nothing twice, nothing for the cancelled one
    assert [r.status for r in reminders(app, cancelled)] == [MessageStatus.WITHDRAWN]
    assert [r.status for r in reminders(app, moved)] == [MessageStatus.WITHDRAWN, MessageStatus.HANDED_OVER]


def test_a_reminder_already_sent_is_not_sent_again_when_the_appointment_changes_but_keeps_its_time(
        app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    monday = date(2026, 12, 7)
    appointment_id = book(app, agenda, make_client(app), local(monday, 10))
    run_worker_at(app, local(date(2026, 12, 5), 7, 1))
    assert len(reminder_mails(smtp_server)) == 1
    move(app, agenda, appointment_id, local(monday, 10))  # edited (say, the notes), same time
    run_worker_at(app, local(date(2026, 12, 6), 7, 1))
    assert len(reminder_mails(smtp_server)) == 1
    # Moved away and back after the reminder went: the new time gets its own reminder, the old one none again.
    move(app, agenda, appointment_id, local(date(2026, 12, 9), 10))
    move(app, agenda, appointment_id, local(monday, 10))
    assert [r.status for r in reminders(app, appointment_id)] == [MessageStatus.HANDED_OVER, MessageStatus.WITHDRAWN]


def test_a_type_can_switch_reminders_off_or_use_its_own_rules(app, agenda):
    with app.app_context():
        db.session.get(AppointmentType, agenda.intake).reminder_rules = ""
        db.session.get(AppointmentType, agenda.treatment).reminder_rules = "last_working_day@09:00;hours_before:3"
        db.session.commit()
    monday = date(2026, 12, 14)
    own = book(app, agenda, make_client(app), local(monday, 10))
    off = book(app, agenda, make_client(app, email="b@example.com"), local(monday, 12), type_id=agenda.intake)
    assert [r.due_at for r in reminders(app, own)] == [local(date(2026, 12, 11), 9).astimezone(UTC),
                                                       local(monday, 7).astimezone(UTC)]
    assert reminders(app, off) == []


def test_the_forecast_lists_every_reminder_and_why_an_appointment_gets_none(app, agenda):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.get(AppointmentType, agenda.intake).reminder_rules = ""
        db.session.commit()
    soon = datetime.now(ZONE).date() + timedelta(days=3)
    fine = book(app, agenda, make_client(app), local(soon, 9))
    no_consent = book(app, agenda, make_client(app, reminder_channels=Channels.SMS, email="s@example.com"),
                      local(soon, 10))
    off = book(app, agenda, make_client(app, email="o@example.com"), local(soon, 11), type_id=agenda.intake)
    unwanted = book(app, agenda, make_client(app, reminder_channels=Channels.NONE, email="n@example.com"),
                    local(soon, 13))
    with app.app_context():
        entries = {e.appointment.id: e for e in load_forecast(datetime.now(UTC), 7, Practice.current())}
        reasons = {appointment_id: [line.reason for line in entries[appointment_id].lines]
                   for appointment_id in (fine, no_consent, off, unwanted)}
    assert reasons == {fine: [None], no_consent: [NotSentReason.NO_CONSENT], off: [NotSentReason.REMINDERS_OFF],
                       unwanted: [NotSentReason.NOT_WANTED]}
    page = log_in(app.test_client(), make_user(app, Role.STAFF)).get("/messages/forecast?days=7").get_data(True)
    assert "1 of 4 appointments get a reminder." in page
    assert "no SMS consent" in page and "no reminders for this appointment type" in page
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["forecast", "--days", "7"])
    assert "1 of 4 appointments in the next 7 days get a reminder." in result.output
    assert "not: the client wants no reminders" in result.output


def test_changing_the_practices_rules_replans_upcoming_reminders(app, agenda):
    appointment_id = book(app, agenda, make_client(app), local(date(2026, 12, 14), 10))
    with app.app_context():
        Practice.current().reminder_rules = "last_working_day@09:00"
        db.session.commit()
        planning.replan_upcoming_reminders(datetime.now(UTC))
    assert [(r.status, r.due_at) for r in reminders(app, appointment_id)] == [
        (MessageStatus.PLANNED, local(date(2026, 12, 11), 9).astimezone(UTC))]
