"""A client cancels their own appointment on the public page: a question first, then the cancellation with their
reason; the practice's cutoff for cancelling (its own, or the moving one); one notice to the client and one to the
practice; and of two cancellations at once exactly one goes through."""
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from practice.agenda import services as booking
from practice.enums import AppointmentStatus, AuditAction, MessageKind, MessageStatus
from practice.errors import FieldError
from practice.extensions import db
from practice.messages import sending
from practice.messages.content import render_message
from practice.models import Appointment, Message, OnlineCancellation, Practice
from practice.audit.models import AuditEvent
from practice.public import services as public
from tests.conftest import make_client
from tests.integration.test_rescheduling import NEXT_WEEK, ZONE, book, csrf, local, token_of


def status_of(app, appointment_id) -> AppointmentStatus:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).status


def planned(app, appointment_id) -> list[tuple[MessageKind, str]]:
    with app.app_context():
        return sorted((m.kind, m.recipient) for m in db.session.scalars(
            select(Message).where(Message.appointment_id == appointment_id, Message.status == MessageStatus.PLANNED)))


def test_the_client_cancels_after_a_question_with_a_reason_the_practice_reads(app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="en")
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'data-test="cancel-form"' in page
    asked = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "action": "cancel",
                                             "reason": "  Ik ben\nziek <b>vandaag</b> "})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-test="confirm-cancel"' in html
    assert "Ik ben ziek &lt;b&gt;vandaag&lt;/b&gt;" in html  # as text, on one line
    assert status_of(app, appointment_id) == AppointmentStatus.BOOKED  # nothing happens without the second step
    done = client.post(f"/r/{token}", data={"csrf_token": csrf(html), "action": "cancel-confirm",
                                            "reason": "Ik ben ziek <b>vandaag</b>"})
    assert done.status_code == 200 and 'data-test="cancelled"' in done.get_data(as_text=True)
    assert status_of(app, appointment_id) == AppointmentStatus.CANCELLED
    assert planned(app, appointment_id) == [(MessageKind.CANCELLED, "anna@example.com"),
                                            (MessageKind.PRACTICE_CANCEL_NOTICE, "info@fysio.test")]
    with app.app_context():
        [record] = db.session.scalars(select(OnlineCancellation)).all()
        assert (record.appointment_id, record.reason) == (appointment_id, "Ik ben ziek <b>vandaag</b>")
        notice = db.session.scalar(select(Message).where(Message.kind == MessageKind.PRACTICE_CANCEL_NOTICE))
        text = render_message(notice, Practice.current())
        assert "Anna de Vries" in text["subject"] and "Reden: Ik ben ziek <b>vandaag</b>" in text["body"]
        assert "Ik ben ziek &lt;b&gt;vandaag&lt;/b&gt;" in text["html"]
        trail = db.session.scalar(select(AuditEvent).where(AuditEvent.subject_id == appointment_id,
                                                           AuditEvent.action == AuditAction.APPOINTMENT_CANCELLED_ONLINE))
        assert trail.actor == "client" or trail.actor  # by the client, not by a logged-in user
        assert trail.user_id is None
    again = client.post(f"/r/{token}", data={"csrf_token": csrf(html), "action": "cancel-confirm"})
    assert again.status_code == 409  # once cancelled, the page says so and nothing more happens
    assert len(planned(app, appointment_id)) == 2


def test_keeping_the_appointment_or_a_reason_too_long_changes_nothing(app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="en")
    token = token_of(app, appointment_id)
    before = planned(app, appointment_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    asked = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "action": "cancel"}).get_data(as_text=True)
    keep = client.get(re.search(r'href="([^"]+)" data-test="keep"', asked).group(1))  # "keep my appointment"
    assert keep.status_code == 200 and 'data-test="cancel-form"' in keep.get_data(as_text=True)
    too_long = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "action": "cancel-confirm",
                                                "reason": "x" * 501})
    assert too_long.status_code == 400 and "under 500 characters" in too_long.get_data(as_text=True)
    assert status_of(app, appointment_id) == AppointmentStatus.BOOKED
    assert planned(app, appointment_id) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(OnlineCancellation.id))) == 0


@pytest.mark.parametrize("own_cutoff, hours_ahead, may_cancel", [
    (None, 30, True), (None, 20, False),  # the moving cutoff (24 hours) counts
    (12, 20, True), (12, 10, False),  # its own
])
def test_the_cancel_cutoff_is_its_own_or_else_the_moving_one(app, agenda, online, client, own_cutoff, hours_ahead,
                                                              may_cancel):
    start = (datetime.now(ZONE) + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    with app.app_context():
        Practice.current().cancel_cutoff_hours = own_cutoff
        appointment = Appointment(client_id=make_client(app, language="en"), practitioner_id=agenda.practitioner,
                                  appointment_type_id=agenda.treatment, location_id=agenda.location,
                                  start=start.astimezone(UTC), end=(start + timedelta(minutes=30)).astimezone(UTC))
        db.session.add(appointment)
        db.session.commit()
        appointment_id = appointment.id
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ('data-test="cancel-form"' in html) == may_cancel
    if not may_cancel:
        hours = own_cutoff or 24
        assert f"cancelled online up to {hours} hours before they start" in html and "+31 20 555 0100" in html
    response = client.post(f"/r/{token}", data={"csrf_token": csrf(html), "action": "cancel-confirm"})
    assert response.status_code == (200 if may_cancel else 409)
    assert status_of(app, appointment_id) == (AppointmentStatus.CANCELLED if may_cancel else AppointmentStatus.BOOKED)


def test_switched_off_the_page_offers_no_cancel_and_refuses_a_hand_made_one(app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="en")
    with app.app_context():
        Practice.current().online_cancelling = False
        db.session.commit()
    token = token_of(app, appointment_id)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'data-test="cancel-form"' not in html and 'data-test="time"' in html  # moving still works
    assert "cannot be cancelled online" in html
    response = client.post(f"/r/{token}", data={"csrf_token": csrf(html), "action": "cancel-confirm"})
    assert response.status_code == 409 and status_of(app, appointment_id) == AppointmentStatus.BOOKED


def test_the_client_and_the_receptionist_cancelling_at_once_give_one_cancellation_and_one_notice(app, agenda, online):
    """Both read the appointment as booked, then both cancel: the database lets exactly one change it."""
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="en")
    with app.app_context():  # the client has their confirmation, so whoever cancels tells them
        assert sending.send_due(datetime.now(UTC)) == 1
    both_read, outcomes = threading.Barrier(2), []

    def cancel(online_reason):
        with app.app_context():
            appointment = db.session.get(Appointment, appointment_id)
            assert appointment.status == AppointmentStatus.BOOKED
            both_read.wait()
            try:
                booking.cancel(appointment, online_reason=online_reason)
                outcomes.append("cancelled")
            except FieldError:
                outcomes.append("refused")

    threads = [threading.Thread(target=cancel, args=(reason,)) for reason in ("Ziek", None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["cancelled", "refused"]
    with app.app_context():
        notices = db.session.scalar(select(func.count(Message.id)).where(
            Message.appointment_id == appointment_id, Message.kind == MessageKind.CANCELLED))
        assert notices == 1


def test_the_panel_says_the_client_cancelled_online_with_the_reason(app, agenda, online, client, staff):
    from tests.conftest import log_in

    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="en")
    with app.app_context():
        public.cancel_online(db.session.get(Appointment, appointment_id), "Op vakantie", Practice.current(),
                             datetime.now(UTC))
    log_in(client, staff)
    panel = client.get(f"/agenda/appointments/{appointment_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-test="cancelled-online"' in panel and "“Op vakantie”" in panel
    assert "Cancelled online by the client" in panel  # the trail


def test_the_owner_sets_the_cancel_cutoff_and_empty_means_as_for_moving(app, client):
    from practice.enums import Role
    from tests.conftest import log_in, make_user

    log_in(client, make_user(app, Role.OWNER))
    for cutoff, stored in (("12", 12), ("", None)):
        page = client.get("/settings/online").get_data(as_text=True)
        saved = client.post("/settings/online", data={
            "csrf_token": csrf(page), "online_rescheduling": "y", "reschedule_cutoff_hours": "24",
            "reschedule_horizon_days": "28", "reschedule_moves_per_link": "3", "reschedule_step_minutes": "15",
            "online_cancelling": "y", "cancel_cutoff_hours": cutoff, "offer_hours": "2"})
        assert saved.status_code == 302
        with app.app_context():
            assert Practice.current().cancel_cutoff_hours == stored
