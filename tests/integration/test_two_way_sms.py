"""Two-way SMS through a real Kannel (bearerbox, smsbox, the fake SMSC and fakesmsc as the phones): a reminder goes
out, the phone answers "ja" and the appointment shows as confirmed, "STOP" withdraws the consent (one last SMS says so,
the next reminder is not sent), an unknown text and an unknown number land in the inbox, and the desk's answer from
the inbox reaches the phone. And the callback: a missing or wrong secret, a text too long or not UTF-8."""
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from practice.enums import Channels, ConsentSource, MessageKind, MessageStatus, NotSentReason, Role
from practice.extensions import db
from practice.inbox.models import InboundSms
from practice.inbox.services import e164
from practice.messages import sending
from practice.models import Appointment, Client, ConsentEvent, Message, Practice
from tests.conftest import csrf_token, free_port, log_in, make_client, make_user
from tests.integration.test_messages import rechoose_channels
from tests.integration.test_rescheduling import NEXT_WEEK, local

SECRET = "inbound-secret-for-tests-0123456789"
MOBILE, PRACTICE_NUMBER = "+31612345678", "+31201234567"


@pytest.fixture
def phone(app, live_server, tmp_path):
    from tests.servers.kannel import FAKESMSC, start_phone

    import os
    if not os.path.exists(FAKESMSC):
        pytest.fail("fakesmsc is missing: apt-get install kannel-extras (the README's test command does)")
    folder = tmp_path / "kannel"
    folder.mkdir()
    network = start_phone(folder, free_port, f"{live_server.url}/callbacks/sms-inbound", SECRET)
    app.config.update(SMS_GATEWAY="kannel", KANNEL_SENDSMS_URL=network.sendsms_url, KANNEL_USERNAME="app",
                      KANNEL_PASSWORD="secret", PUBLIC_BASE_URL=live_server.url, SMS_INBOUND_SECRET=SECRET)
    rechoose_channels(app)
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id, practice.sms_sender_number = True, "FysioTest", PRACTICE_NUMBER
        practice.sms_replies = True
        db.session.commit()
    yield network
    network.stop()


def book(app, agenda, start: datetime, client_id: int) -> int:
    from practice.agenda import services as booking

    with app.app_context():
        return booking.book(booking.Booking(client_id=client_id, practitioner_id=agenda.practitioner,
                                            appointment_type_id=agenda.treatment, location_id=agenda.location,
                                            start=start.astimezone(UTC)), "Europe/Amsterdam").id


def wait_for(check, seconds=20, what=""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s for {what}")


def replies(app) -> list[InboundSms]:
    with app.app_context():
        found = db.session.scalars(select(InboundSms).order_by(InboundSms.id)).all()
        for reply in found:
            db.session.expunge(reply)
        return found


def says(app, phone, sender: str, text: str) -> None:
    """A phone sends the practice a text, and the app has it (fakesmsc reads the next line only once the last went)."""
    before = len(replies(app))
    phone.says(sender, PRACTICE_NUMBER, text)
    wait_for(lambda: len(replies(app)) == before + 1, what=f"the reply {text!r}")


def send_reminder_now(app, appointment_id) -> Message:
    """The appointment's reminder made due and sent, as the worker would at its moment."""
    with app.app_context():
        db.session.execute(update(Message).where(Message.appointment_id == appointment_id,
                                                 Message.kind == MessageKind.REMINDER)
                           .values(due_at=datetime.now(UTC)))
        db.session.commit()
        sending.send_due(datetime.now(UTC) + timedelta(seconds=1))
        return db.session.scalar(select(Message).where(Message.appointment_id == appointment_id,
                                                       Message.kind == MessageKind.REMINDER))


def test_a_phone_confirms_by_reply_opts_out_with_stop_and_the_rest_lands_in_the_inbox(app, agenda, phone):
    client_id = make_client(app, mobile=MOBILE, sms_consent=True, confirmation_channels=Channels.NONE,
                            reminder_channels=Channels.SMS)
    first = book(app, agenda, local(NEXT_WEEK, 10), client_id=client_id)
    reminder = send_reminder_now(app, first)
    assert reminder.status in (MessageStatus.HANDED_OVER, MessageStatus.DELIVERED)
    wait_for(lambda: "Herinnering" in phone.received(), what="the reminder at the phone")
    assert PRACTICE_NUMBER.lstrip("+") in phone.received()  # replies on: sent from the number

    says(app, phone, MOBILE, "Ja!")
    with app.app_context():
        assert db.session.get(Appointment, first).confirmed_by_client_at is not None
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    assert 'data-test="confirmed-by-client"' in desk.get(f"/agenda/appointments/{first}").get_data(as_text=True)
    agenda_page = desk.get(f"/agenda/?day={NEXT_WEEK.isoformat()}").get_data(as_text=True)
    assert 'data-test="confirmed"' in agenda_page

    says(app, phone, MOBILE, "Kan ik ook om 11 uur komen?")
    says(app, phone, "+31699999999", "Wie is dit?")
    says(app, phone, MOBILE, "STOP")
    with app.app_context():
        client = db.session.get(Client, client_id)
        assert client.sms_consent is False
        withdrawal = db.session.scalars(select(ConsentEvent).where(ConsentEvent.client_id == client_id)).all()[-1]
        assert (withdrawal.granted, withdrawal.source, withdrawal.note) == (False, ConsentSource.SMS_REPLY, "STOP")
        sending.send_due(datetime.now(UTC) + timedelta(seconds=1))  # the one SMS after STOP
    wait_for(lambda: "geen sms" in phone.received().lower() or "no more sms" in phone.received().lower(),
             what="the last SMS after STOP")
    second = book(app, agenda, local(NEXT_WEEK, 14), client_id=client_id)
    later = send_reminder_now(app, second)
    assert (later.status, later.reason) == (MessageStatus.NOT_SENT, NotSentReason.NO_CONSENT)

    inbox = desk.get("/inbox/").get_data(as_text=True)
    assert inbox.count('data-test="reply"') == 2  # the question and the unknown number; yes and STOP acted
    assert "Kan ik ook om 11 uur komen?" in inbox and "Wie is dit?" in inbox and "Unknown number" in inbox
    assert 'data-test="unread">2<' in inbox
    question = next(r for r in replies(app) if r.text.startswith("Kan ik"))
    assert question.client_id == client_id and question.appointment_id == first
    panel = desk.get(f"/agenda/appointments/{first}").get_data(as_text=True)
    assert 'data-test="appointment-replies"' in panel and "Kan ik ook om 11 uur komen?" in panel
    assert "Kan ik ook om 11 uur komen?" in desk.get(f"/clients/{client_id}").get_data(as_text=True)

    with app.app_context():  # the client may get SMS again, said at the desk: the answer can go out
        from practice.consent import ConsentChange, add_consent_event
        add_consent_event(db.session.get(Client, client_id), ConsentChange(True, ConsentSource.PHONE, ""), None)
        db.session.commit()
    measured = desk.post(f"/inbox/{question.id}/answer", headers={"HX-Request": "true"},
                         data={"csrf_token": csrf_token(desk), "text": "Ja, 11:00 kan ook. Tot dan!"})
    assert measured.status_code == 200 and 'data-test="answer-measure"' in measured.get_data(as_text=True)
    assert "1 segment" in measured.get_data(as_text=True)
    sent = desk.post(f"/inbox/{question.id}/answer", headers={"HX-Request": "true"},
                     data={"csrf_token": csrf_token(desk), "text": "Ja, 11:00 kan ook. Tot dan!", "action": "send"})
    assert sent.status_code == 303
    with app.app_context():
        sending.send_due(datetime.now(UTC) + timedelta(seconds=1))
    wait_for(lambda: "11:00 kan ook" in phone.received(), what="the answer at the phone")
    inbox = desk.get("/inbox/").get_data(as_text=True)
    assert inbox.count('data-test="reply"') == 1 and 'data-test="unread">1<' in inbox  # the count read anew


def test_the_navigation_counts_open_replies_anew_after_a_commit(app):
    """The count comes with the session's statement at the start of a request; a commit in the request may have
    handled a reply, so a page rendered after it counts again."""
    from practice.inbox import services as inbox
    with app.test_request_context():
        assert inbox.count_unread(7) == 7  # as the session's statement hands it over
        assert inbox.count_unread() == 7  # read once per request
        db.session.commit()
        assert inbox.count_unread() == 0  # counted again: no reply is open


def test_a_repeated_reply_is_stored_once(app, agenda, client):
    app.config["SMS_INBOUND_SECRET"] = SECRET
    make_client(app, mobile=MOBILE, sms_consent=True)
    arguments = {"from": MOBILE, "to": PRACTICE_NUMBER, "text": "Hoe laat ook alweer?", "id": "abc-1", "key": SECRET}
    assert client.get("/callbacks/sms-inbound", query_string=arguments).status_code == 200
    assert client.get("/callbacks/sms-inbound", query_string=arguments).status_code == 200  # Kannel retried
    assert len(replies(app)) == 1


def test_the_callback_refuses_a_wrong_secret_and_what_cannot_be_an_sms(app, client):
    app.config["SMS_INBOUND_SECRET"] = SECRET
    arguments = {"from": MOBILE, "to": PRACTICE_NUMBER, "text": "ja", "id": "x-1"}
    assert client.get("/callbacks/sms-inbound", query_string=arguments).status_code == 403
    assert client.get("/callbacks/sms-inbound", query_string=arguments | {"key": "wrong"}).status_code == 403
    too_long = client.post("/callbacks/sms-inbound", query_string=arguments | {"key": SECRET, "id": "x-2"},
                           data=b"a" * 1_000_000, content_type="text/plain")
    assert too_long.status_code == 400 and b"too long" in too_long.data
    not_utf8 = client.post("/callbacks/sms-inbound", query_string=arguments | {"key": SECRET, "id": "x-3"},
                           data="Ça".encode("utf-16-be"), content_type="text/plain")
    assert not_utf8.status_code == 400 and b"UTF-8" in not_utf8.data
    assert client.get("/callbacks/sms-inbound", query_string={"key": SECRET, "text": "ja"}).status_code == 400
    stranger = client.get("/callbacks/sms-inbound", query_string=arguments | {"key": SECRET, "id": "x-4"})
    assert stranger.status_code == 200
    [kept] = replies(app)
    assert kept.client_id is None and kept.meaning == "other" and kept.handled_at is None  # a number of nobody's
    app.config["SMS_INBOUND_SECRET"] = ""
    assert client.get("/callbacks/sms-inbound", query_string=arguments | {"key": ""}).status_code == 403


def test_the_editor_offers_the_reply_sentence_and_says_which_sender_a_number_gets(app, owner):
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id, practice.sms_sender_number = True, "FysioTest", PRACTICE_NUMBER
        db.session.commit()
    browser = log_in(app.test_client(), owner)
    page = browser.get("/messages/templates/reminder/sms/nl").get_data(as_text=True)
    assert "Sent from “FysioTest” to a Dutch number and from “+31201234567” to a Belgian one." in page
    assert 'data-test="reply-sentence"' not in page  # replies are not read yet
    with app.app_context():
        Practice.current().sms_replies, Practice.current().sms_reply_keywords = True, "stop,confirm"
        db.session.commit()
    page = browser.get("/messages/templates/reminder/sms/fr").get_data(as_text=True)
    assert "Répondez OUI pour confirmer ou STOP pour ne plus recevoir de SMS." in page
    assert "Sent from “+31201234567” to a Dutch number" in page  # replies only reach a number


def test_the_dashboard_counts_replies_confirmations_by_reply_and_opt_outs(app, agenda, owner):
    from practice.consent import ConsentChange, add_consent_event

    client_id = make_client(app, mobile=MOBILE, sms_consent=True, reminder_channels=Channels.SMS)
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), client_id)
    with app.app_context():
        now = datetime.now(UTC)
        db.session.execute(update(Message).where(Message.appointment_id == appointment_id,
                                                 Message.kind == MessageKind.REMINDER)
                           .values(status=MessageStatus.DELIVERED, handed_over_at=now, status_at=now))
        db.session.get(Appointment, appointment_id).confirmed_by_client_at = now
        db.session.add(InboundSms(gateway_id="g1", sender=MOBILE, text="ja", meaning="confirm", client_id=client_id))
        db.session.add(InboundSms(gateway_id="g2", sender=MOBILE, text="STOP", meaning="stop", client_id=client_id))
        add_consent_event(db.session.get(Client, client_id), ConsentChange(False, ConsentSource.SMS_REPLY, "STOP"), None)
        db.session.commit()
    page = log_in(app.test_client(), owner).get("/dashboard/?period=4w").get_data(as_text=True)
    assert '<strong data-test="replies-total">2</strong>' in page
    assert "Reminders confirmed by reply: 100%" in page and "Opt-outs by reply (STOP): 1." in page


@pytest.mark.parametrize("sender", ["31612345678", "+31612345678", "0031612345678", "0612345678", " +31 6 1234 5678"])
def test_a_replys_sender_is_read_as_the_number_the_card_keeps(sender):
    assert e164(sender, "NL") == "+31612345678"
    assert e164("FysioZuid", "NL") == "FysioZuid"
