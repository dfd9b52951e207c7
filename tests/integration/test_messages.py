"""Messages go out for real: e-mail to an SMTP server on 127.0.0.1, SMS through a real Kannel."""
import re
import time
from datetime import UTC, date, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from practice.agenda import services as agenda
from practice import localtime
from practice.extensions import db
from practice.messages import reports, sending
from practice.enums import Channels, ConsentSource, MessageKind, MessageStatus, NotSentReason, Role, in_words
from practice.models import ConsentEvent, Message, Practice
from tests.conftest import log_in, make_client, make_user

TZ = "Europe/Amsterdam"


def rechoose_channels(app):
    """After a test changed the configuration: the mailer and gateway it now names."""
    from practice.channels.setup import init_app

    init_app(app, app.extensions["practice.tasks"].schedule_sink_report)


def use_smtp(app, server):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, MAIL_FROM="agenda@example.com")
    rechoose_channels(app)


def book(app, agenda_ids, client_id, day=date(2026, 12, 7), hour=10):
    with app.app_context():
        booking = agenda.Booking(client_id=client_id, practitioner_id=agenda_ids.practitioner,
                                 appointment_type_id=agenda_ids.treatment, location_id=agenda_ids.location,
                                 start=localtime.utc_moment(day, clock(hour), TZ))
        return agenda.book(booking, TZ).id


def send_due(app):
    with app.app_context():
        return sending.send_due(datetime.now(UTC) + timedelta(seconds=1))


def test_a_confirmation_email_arrives_with_both_parts_local_date_and_calendar_file(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    with app.app_context():
        Practice.current().email = "info@fysio.example.com"
        db.session.commit()
    client_id = make_client(app, email="anna@example.nl", language="de", confirmation_channels=Channels.EMAIL)
    appointment_id = book(app, agenda, client_id)
    assert send_due(app) == 1

    [received] = smtp_server.inbox.messages
    assert received["To"] == "anna@example.nl"
    assert received["Reply-To"] == "info@fysio.example.com"
    assert received["From"].addresses[0].addr_spec == "agenda@example.com"
    assert received["Message-ID"].startswith("<") and "message-" in received["Message-ID"]
    assert received["Subject"] == "Bestätigung Ihres Termins am Montag, 7. Dezember 2026"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Montag, 7. Dezember 2026 um 10:00" in text  # German, in the practice's time zone
    assert "<p>" in html and "um 10:00" in html
    [ics] = [part for part in received.iter_attachments() if part.get_content_type() == "text/calendar"]
    import icalendar

    event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
        assert message.status == MessageStatus.HANDED_OVER and message.kind == MessageKind.CONFIRMATION


def test_a_message_is_sent_once_however_often_the_dispatcher_runs(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    book(app, agenda, make_client(app))
    assert [send_due(app) for _ in range(3)] == [1, 0, 0]
    assert len(smtp_server.inbox.messages) == 1


def test_without_consent_no_sms_goes_out_and_the_log_says_why(app, agenda):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    client_id = make_client(app, confirmation_channels=Channels.SMS)
    appointment_id = book(app, agenda, client_id)
    with app.app_context():
        [message] = db.session.scalars(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
        assert (message.status, message.reason) == (MessageStatus.NOT_SENT, NotSentReason.NO_CONSENT)


def test_an_smtp_outage_is_retried_and_the_log_shows_each_attempt(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    smtp_server.stop()
    appointment_id = book(app, agenda, make_client(app))
    assert send_due(app) == 0
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
        assert message.status == MessageStatus.PLANNED and message.attempts == 1
        assert message.due_at > datetime.now(UTC)
        assert "attempt 1 failed" in in_words(message.events[0].detail)
        message.due_at = datetime.now(UTC)  # the back-off has passed
        db.session.commit()
    smtp_server.start()
    assert send_due(app) == 1
    assert len(smtp_server.inbox.messages) == 1


def _with_sms(app, kannel_gateway, live_server):
    app.config.update(SMS_GATEWAY="kannel", KANNEL_SENDSMS_URL=kannel_gateway.sendsms_url,
                      KANNEL_USERNAME=kannel_gateway.username, KANNEL_PASSWORD=kannel_gateway.password,
                      PUBLIC_BASE_URL=live_server.url)
    rechoose_channels(app)
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id, practice.sms_price_cents = True, "FysioZuid", 12
        db.session.commit()


def _sms_client(app, mobile):
    client_id = make_client(app, mobile=mobile, confirmation_channels=Channels.SMS, sms_consent=True)
    with app.app_context():
        db.session.add(ConsentEvent(client_id=client_id, granted=True, source=ConsentSource.IN_PERSON))
        db.session.commit()
    return client_id


def _wait_for_status(app, appointment_id, wanted, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
            if message.status in wanted:
                return message
        time.sleep(0.1)
    pytest.fail(f"message stayed {message.status}, wanted {wanted}")


def test_an_sms_through_kannel_is_handed_over_then_delivered_and_charged(app, agenda, kannel, live_server):
    _with_sms(app, kannel, live_server)
    delivered = book(app, agenda, _sms_client(app, "+31612345678"), hour=10)
    failed = book(app, agenda, _sms_client(app, "+31612345601"), hour=11)  # the simulator: UNDELIV
    assert send_due(app) == 2
    with app.app_context():
        for appointment_id in (delivered, failed):
            message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
            assert message.status in (MessageStatus.HANDED_OVER, MessageStatus.DELIVERED,
                                      MessageStatus.UNDELIVERABLE)
    good = _wait_for_status(app, delivered, {MessageStatus.DELIVERED})
    bad = _wait_for_status(app, failed, {MessageStatus.UNDELIVERABLE})
    with app.app_context():
        good = db.session.get(Message, good.id)
        assert [e.status for e in good.events][:1] == [MessageStatus.HANDED_OVER]
        assert MessageStatus.DELIVERED in [e.status for e in good.events]
        assert good.segments == 1 and good.price_cents == 12
        bad = db.session.get(Message, bad.id)
        assert bad.price_cents == 0 and "UNDELIV" in bad.error
    assert "submit_sm FysioZuid 31612345678" in (kannel.folder / "sim.log").read_text()
    # The usage page charges the delivered segment and not the failed message.
    browser = log_in(app.test_client(), make_user(app, Role.OWNER))
    this_month = datetime.now(UTC).astimezone(ZoneInfo(TZ)).strftime("%Y-%m")
    row = re.search(rf'data-month="{this_month}">(.*?)</tr>', browser.get("/messages/usage").get_data(as_text=True), re.S)
    cells = re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row.group(1))
    assert cells[1:5] == ["2", "1", "1", "1"]  # sent, delivered, not delivered, segments charged
    assert 'data-cents="12"' in row.group(1)


def test_a_delivery_report_without_a_valid_signature_is_refused_and_changes_nothing(app, client, agenda):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    appointment_id = book(app, agenda, _sms_client(app, "+31612345678"))
    send_due(app)
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
        reference, signature = str(message.id), reports.report_signature(str(message.id))
        unknown_signature = reports.report_signature("999")
        assert message.status == MessageStatus.HANDED_OVER
    for arguments in ({"ref": reference, "outcome": "delivered"},
                      {"ref": reference, "outcome": "delivered", "sig": "0" * 32},
                      {"ref": reference, "outcome": "exploded", "sig": signature},
                      {"ref": "999", "outcome": "delivered", "sig": unknown_signature}):
        assert client.get("/callbacks/sms/sink", query_string=arguments).status_code in (400, 403)
    with app.app_context():
        assert db.session.get(Message, int(reference)).status == MessageStatus.HANDED_OVER
    ok = {"ref": reference, "outcome": "delivered", "sig": signature}
    assert client.get("/callbacks/sms/sink", query_string=ok).status_code == 200
    # A late "handed over" after "delivered" does not move it back.
    with app.app_context():
        message = db.session.get(Message, int(reference))
        assert message.status == MessageStatus.DELIVERED
        reports.record_report(_KannelLike(), {"ref": reference, "sig": signature, "type": "8"}, datetime.now(UTC))
        assert db.session.get(Message, int(reference)).status == MessageStatus.DELIVERED


class _KannelLike:
    name = "kannel"

    def read_report(self, arguments):
        from practice.channels.sms_gateways import KannelGateway

        return KannelGateway("", "", "").read_report(arguments)
