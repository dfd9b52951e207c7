"""The undo window: confirmations and change notices wait a few minutes (the practice's setting) before they go out,
so an appointment changed or cancelled meanwhile sends only its final state, or nothing if it was booked and
cancelled. The panel says when they go and can send them at once; reminders do not wait; exactly once still holds."""
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from practice.agenda import services as booking
from practice.enums import MessageKind, MessageStatus, Role
from practice.extensions import db
from practice.messages import sending
from practice.models import Appointment, Message, Practice
from tests.conftest import csrf_token, log_in, make_client, make_user
from tests.integration.test_messages import use_smtp
from tests.integration.test_rescheduling import NEXT_WEEK, ZONE, local
from tests.integration.test_what_clients_receive import parts

WINDOW = timedelta(minutes=3)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def window(app):
    with app.app_context():
        Practice.current().notice_delay_minutes = 3
        db.session.commit()


def book_at(app, agenda, moment: datetime, start: datetime, email="anna@example.nl") -> int:
    with time_machine.travel(moment, tick=False), app.app_context():
        return booking.book(booking.Booking(client_id=make_client(app, email=email), practitioner_id=agenda.practitioner,
                                            appointment_type_id=agenda.treatment, location_id=agenda.location,
                                            start=start.astimezone(UTC)), "Europe/Amsterdam").id


def move_at(app, agenda, moment: datetime, appointment_id: int, start: datetime) -> None:
    with time_machine.travel(moment, tick=False), app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        booking.change(appointment, booking.Booking(
            client_id=appointment.client_id, practitioner_id=agenda.practitioner, appointment_type_id=agenda.treatment,
            location_id=agenda.location, start=start.astimezone(UTC)), "Europe/Amsterdam")


def cancel_at(app, moment: datetime, appointment_id: int) -> None:
    with time_machine.travel(moment, tick=False), app.app_context():
        booking.cancel(db.session.get(Appointment, appointment_id))


def send_due_at(app, moment: datetime) -> int:
    with app.app_context():
        return sending.send_due(moment)


def change_notices(app, appointment_id) -> list[tuple[MessageKind, MessageStatus]]:
    with app.app_context():
        return [(m.kind, m.status) for m in db.session.scalars(select(Message).where(
            Message.appointment_id == appointment_id, Message.kind != MessageKind.REMINDER).order_by(Message.id))]


def test_book_then_move_within_the_window_sends_one_confirmation_for_the_final_time(app, agenda, window, smtp_server):
    use_smtp(app, smtp_server)
    booked = datetime.now(UTC).replace(microsecond=0)
    appointment_id = book_at(app, agenda, booked, local(NEXT_WEEK, 10))
    assert send_due_at(app, booked + WINDOW - timedelta(seconds=1)) == 0  # still in the window
    move_at(app, agenda, booked + timedelta(minutes=2), appointment_id, local(NEXT_WEEK, 15, 30))
    assert send_due_at(app, booked + timedelta(minutes=4)) == 0  # the move has a window of its own
    assert send_due_at(app, booked + timedelta(minutes=5)) == 1
    [received] = smtp_server.inbox.messages
    text, html = parts(received)
    assert received["Subject"].startswith("Bevestiging")  # a confirmation: the client never heard of 10:00
    for part in (text, html):
        assert "15:30" in part and "10:00" not in part
    assert change_notices(app, appointment_id) == [(MessageKind.CONFIRMATION, MessageStatus.WITHDRAWN),
                                                   (MessageKind.CONFIRMATION, MessageStatus.HANDED_OVER)]


def test_book_then_cancel_within_the_window_sends_nothing(app, agenda, window, smtp_server):
    use_smtp(app, smtp_server)
    booked = datetime.now(UTC).replace(microsecond=0)
    appointment_id = book_at(app, agenda, booked, local(NEXT_WEEK, 10))
    cancel_at(app, booked + timedelta(minutes=1), appointment_id)
    assert send_due_at(app, booked + timedelta(hours=1)) == 0
    assert smtp_server.inbox.messages == []
    assert change_notices(app, appointment_id) == [(MessageKind.CONFIRMATION, MessageStatus.WITHDRAWN)]


def test_a_client_who_knows_the_appointment_hears_of_the_final_change_only_and_from_the_time_they_know(
        app, agenda, window, smtp_server):
    use_smtp(app, smtp_server)
    booked = datetime.now(UTC).replace(microsecond=0)
    appointment_id = book_at(app, agenda, booked, local(NEXT_WEEK, 10))
    assert send_due_at(app, booked + WINDOW) == 1  # the confirmation of 10:00
    move_at(app, agenda, booked + timedelta(minutes=10), appointment_id, local(NEXT_WEEK, 11))
    move_at(app, agenda, booked + timedelta(minutes=11), appointment_id, local(NEXT_WEEK, 12))
    assert send_due_at(app, booked + timedelta(minutes=14)) == 1
    moved = smtp_server.inbox.messages[-1]
    text, _ = parts(moved)
    assert "verplaatst" in moved["Subject"] and "10:00" in text and "12:00" in text and "11:00" not in text
    # Moved away and back within the window: the client is told where it is (a confirmation), not "from 12 to 12".
    move_at(app, agenda, booked + timedelta(minutes=20), appointment_id, local(NEXT_WEEK, 13))
    move_at(app, agenda, booked + timedelta(minutes=21), appointment_id, local(NEXT_WEEK, 12))
    assert send_due_at(app, booked + timedelta(minutes=24)) == 1
    again = smtp_server.inbox.messages[-1]
    assert again["Subject"].startswith("Bevestiging") and "12:00" in parts(again)[0]
    # Cancelled while such a confirmation waits: the client knows the appointment, so they are told.
    move_at(app, agenda, booked + timedelta(minutes=30), appointment_id, local(NEXT_WEEK, 13))
    move_at(app, agenda, booked + timedelta(minutes=31), appointment_id, local(NEXT_WEEK, 12))
    cancel_at(app, booked + timedelta(minutes=32), appointment_id)
    assert send_due_at(app, booked + timedelta(minutes=35)) == 1
    assert "geannuleerd" in smtp_server.inbox.messages[-1]["Subject"].lower()
    assert len(smtp_server.inbox.messages) == 4


def test_a_booking_just_before_its_start_is_confirmed_no_later_than_the_start(app, agenda, window):
    booked = datetime.now(ZONE).replace(hour=9, minute=58, second=0, microsecond=0)
    appointment_id = book_at(app, agenda, booked, booked.replace(minute=0, hour=10) + timedelta(days=0))
    with app.app_context():
        confirmation = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id,
                                                               Message.kind == MessageKind.CONFIRMATION))
        assert confirmation.due_at == booked.replace(hour=10, minute=0).astimezone(UTC)


def test_reminders_do_not_wait_out_the_window(app, agenda, smtp_server):
    """The same booking with and without a window plans its reminders at the same moments."""
    booked = datetime.now(UTC).replace(microsecond=0)
    due = {}
    for minutes in (0, 3):
        with app.app_context():
            Practice.current().notice_delay_minutes = minutes
            db.session.commit()
        appointment_id = book_at(app, agenda, booked, local(NEXT_WEEK, 10 + minutes), email=f"r{minutes}@example.nl")
        with app.app_context():
            due[minutes] = db.session.scalar(select(Message.due_at).where(
                Message.appointment_id == appointment_id, Message.kind == MessageKind.REMINDER))
    assert due[0] == due[3] and due[0] > booked + timedelta(days=1)


def test_the_panel_says_when_the_notices_go_and_sends_them_now(app, agenda, window, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book_at(app, agenda, datetime.now(UTC), local(NEXT_WEEK, 10))
    with app.app_context():
        due = db.session.scalar(select(Message.due_at).where(Message.appointment_id == appointment_id,
                                                             Message.kind == MessageKind.CONFIRMATION))
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    panel = desk.get(f"/agenda/appointments/{appointment_id}").get_data(as_text=True)
    assert 'data-test="held"' in panel and f"Goes out at {due.astimezone(ZONE):%H:%M}" in panel
    sent_now = desk.post(f"/messages/appointments/{appointment_id}/send-now", data={"csrf_token": csrf_token(desk)},
                         headers=HTMX)
    html = sent_now.get_data(as_text=True)
    assert sent_now.status_code == 200 and 'data-test="action-done"' in html and 'data-test="held"' not in html
    assert send_due_at(app, datetime.now(UTC)) == 1
    assert [m["Subject"].startswith("Bevestiging") for m in smtp_server.inbox.messages] == [True]
    again = desk.post(f"/messages/appointments/{appointment_id}/send-now", data={"csrf_token": csrf_token(desk)},
                      headers=HTMX)
    assert again.status_code == 422 and "nothing waiting" in again.get_data(as_text=True)
    assert send_due_at(app, datetime.now(UTC) + timedelta(hours=1)) == 0


def test_a_notice_in_the_window_is_queued_for_its_time(app, agenda, window):
    appointment_id = book_at(app, agenda, datetime.now(UTC), local(NEXT_WEEK, 10))
    with app.app_context():
        message_id, due = db.session.execute(select(Message.id, Message.due_at).where(
            Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION)).one()
    [task] = app.extensions["practice.tasks"].huey.pending()
    assert task.args == (message_id,) and task.eta == due.replace(tzinfo=None)  # Huey keeps UTC without a zone


def test_a_cancellation_while_a_worker_holds_the_confirmation_is_told(app, agenda, smtp_server):
    """The worker has claimed the confirmation (not yet committed) when the desk cancels: the cancellation waits for
    the claim, then finds the confirmation on its way and tells the client. The other order: see the test above
    (a withdrawn confirmation is never claimed)."""
    use_smtp(app, smtp_server)
    appointment_id = book_at(app, agenda, datetime.now(UTC), local(NEXT_WEEK, 10))
    with app.app_context():
        worker = db.engine.connect()
        worker.execute(update(Message).where(Message.appointment_id == appointment_id,
                                             Message.kind == MessageKind.CONFIRMATION)
                       .values(status=MessageStatus.SENDING, claim_id="worker", claimed_at=datetime.now(UTC)))
    desk = threading.Thread(target=cancel_at, args=(app, datetime.now(UTC), appointment_id))
    desk.start()
    time.sleep(0.5)  # the desk is waiting for the worker's lock by now; were it not, it would find the claim anyway
    assert desk.is_alive()
    worker.commit()
    worker.close()
    desk.join(timeout=15)
    assert change_notices(app, appointment_id) == [(MessageKind.CONFIRMATION, MessageStatus.SENDING),
                                                   (MessageKind.CANCELLED, MessageStatus.PLANNED)]


def test_the_undo_window_is_a_setting_of_zero_to_sixty_minutes(app, owner):
    desk = log_in(app.test_client(), owner)
    page = desk.get("/settings/messaging").get_data(as_text=True)
    assert 'name="notice_delay_minutes"' in page and 'value="0"' in page
    form = {"csrf_token": csrf_token(desk), "first_reminder-kind": "days_before", "first_reminder-days": "2",
            "first_reminder-at": "07:00", "second_reminder-kind": "", "confirmation_email": "y", "sms_price_cents": "10"}
    refused = desk.post("/settings/messaging", data=form | {"notice_delay_minutes": "61"})
    assert refused.status_code == 422 and "Enter 0 to 60 minutes." in refused.get_data(as_text=True)
    assert desk.post("/settings/messaging", data=form | {"notice_delay_minutes": "10"}).status_code == 302
    with app.app_context():
        assert Practice.current().notice_delay_minutes == 10
