"""No message is lost in silence: one that cannot be sent fails alone with its reason, an unclear hand-over says
"in doubt" and follows the channel's rule, and international e-mail addresses go out as the server allows."""
import html
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from practice import localtime
from practice.extensions import db
from practice.messages import reports, sending
from practice.enums import Channel, Channels, MessageKind, MessageStatus, NotSentReason, Role, in_words
from practice.models import Message, MessageTemplate, Practice
from tests.conftest import csrf_token, free_port, log_in, make_client, make_user
from tests.integration.test_messages import book, use_smtp
from tests.servers.smtp import SmtpServer

CHRISTMAS = date(2026, 12, 7)


def send_due(app, later=timedelta(seconds=1)) -> int:
    with app.app_context():
        return sending.send_due(datetime.now(UTC) + later)


def confirmation_of(app, appointment_id) -> Message:
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id,
                                                          Message.kind == MessageKind.CONFIRMATION))
        message.events  # noqa: B018  loaded for the caller
        return message


def test_a_unicode_domain_goes_out_in_its_idna_form(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app, email="info@müller.example"))
    assert send_due(app) == 1
    [(sender, recipients, options)] = smtp_server.inbox.envelopes
    assert recipients == ["info@xn--mller-kva.example"] and "SMTPUTF8" not in options
    assert smtp_server.inbox.messages[0]["To"] == "info@xn--mller-kva.example"
    assert confirmation_of(app, appointment_id).status == MessageStatus.HANDED_OVER


def test_a_mailbox_name_outside_ascii_goes_out_with_smtputf8_when_the_server_offers_it(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app, email="jörg@müller.example"))
    assert send_due(app) == 1
    [(sender, recipients, options)] = smtp_server.inbox.envelopes
    assert recipients == ["jörg@xn--mller-kva.example"] and "SMTPUTF8" in options
    assert confirmation_of(app, appointment_id).status == MessageStatus.HANDED_OVER


def test_without_smtputf8_such_an_address_is_not_sent_with_the_reason_and_the_others_go_out(app, agenda):
    server = SmtpServer(free_port(), smtputf8=False).start()
    try:
        use_smtp(app, server)
        refused = book(app, agenda, make_client(app, email="jörg@müller.example"), hour=10)
        fine = book(app, agenda, make_client(app, email="anna@example.com"), hour=11)
        assert send_due(app) == 1
        assert [m["To"] for m in server.inbox.messages] == ["anna@example.com"]
    finally:
        server.stop()
    message = confirmation_of(app, refused)
    assert (message.status, message.reason) == (MessageStatus.NOT_SENT, NotSentReason.BAD_ADDRESS)
    assert "SMTPUTF8" in in_words(message.error) and "SMTPUTF8" in in_words(message.events[-1].detail)
    assert "jörg@xn--mller-kva.example" in message.error  # the address as the server was offered it
    assert confirmation_of(app, fine).status == MessageStatus.HANDED_OVER
    assert send_due(app, later=timedelta(hours=2)) == 0  # never tried again
    assert confirmation_of(app, refused).attempts == 1


def test_the_development_sink_takes_the_same_addresses_as_a_modern_mail_server(app, agenda, tmp_path):
    app.extensions["practice.mailer"].folder = tmp_path / "mail"
    international = book(app, agenda, make_client(app, email="jörg@müller.example"), hour=10)
    assert send_due(app) == 1
    message = confirmation_of(app, international)
    assert message.status == MessageStatus.HANDED_OVER
    [written] = _sink(app).glob("*.eml")
    assert b"To: j\xc3\xb6rg@xn--mller-kva.example" in written.read_bytes()
    sink = app.extensions["practice.mailer"]
    sink.smtputf8 = False  # as a server without SMTPUTF8: refused the same way, nothing written
    refused = book(app, agenda, make_client(app, email="zoë@example.com", last_name="Z"), hour=12)
    assert send_due(app) == 0
    assert confirmation_of(app, refused).reason == NotSentReason.BAD_ADDRESS
    assert len(list(_sink(app).glob("*.eml"))) == 1 and not list(_sink(app).glob(".*"))


def _sink(app):
    return app.extensions["practice.mailer"].folder


def test_the_client_card_warns_about_a_mailbox_name_outside_ascii(app):
    browser = log_in(app.test_client(), make_user(app, Role.STAFF))
    form = {"first_name": "Jörg", "last_name": "Müller", "email": "jörg@müller.example", "mobile": "",
            "language": "de", "confirmation_channels": "email", "reminder_channels": "email", "notes": "",
            "csrf_token": csrf_token(browser)}
    response = browser.post("/clients/new", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert 'data-test="email-warning"' in response.get_data(as_text=True)
    plain = browser.post("/clients/new", data=form | {"email": "info@müller.example"}, follow_redirects=True)
    assert 'data-test="email-warning"' not in plain.get_data(as_text=True)


def test_a_template_that_fails_at_send_time_fails_alone_with_its_reason(app, agenda, smtp_server):
    """Stored before the editor's check knew better: it passes the old check but cannot render."""
    use_smtp(app, smtp_server)
    with app.app_context():
        db.session.add(MessageTemplate(kind=MessageKind.CONFIRMATION, channel=Channel.EMAIL, language="nl",
                                       appointment_type_id=agenda.intake, subject="Afspraak",
                                       body='{{ client_name|replace("a", "b", 99999999999999999999) }}'))
        db.session.commit()
    broken = _book_type(app, agenda, agenda.intake, make_client(app, email="broken@example.com"), hour=9)
    others = [book(app, agenda, make_client(app, email=f"c{n}@example.com", last_name=str(n)), hour=10 + n)
              for n in range(3)]
    assert send_due(app) == 3  # one run: the broken one did not stop the rest
    assert sorted(m["To"] for m in smtp_server.inbox.messages) == ["c0@example.com", "c1@example.com",
                                                                   "c2@example.com"]
    message = confirmation_of(app, broken)
    assert (message.status, message.reason) == (MessageStatus.NOT_SENT, NotSentReason.TEMPLATE_ERROR)
    assert message.events[-1].status == MessageStatus.NOT_SENT and message.events[-1].detail
    assert all(confirmation_of(app, other).status == MessageStatus.HANDED_OVER for other in others)
    assert send_due(app, later=timedelta(hours=2)) == 0 and confirmation_of(app, broken).attempts == 1
    # The appointment panel says so.
    browser = log_in(app.test_client(), make_user(app, Role.STAFF))
    panel = browser.get(f"/agenda/appointments/{broken}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "the template could not be filled in for this message" in panel


def _book_type(app, agenda_ids, type_id, client_id, hour):
    from datetime import time as clock

    from practice.agenda import services as agenda

    with app.app_context():
        booking = agenda.Booking(client_id=client_id, practitioner_id=agenda_ids.practitioner,
                                 appointment_type_id=type_id, location_id=agenda_ids.location,
                                 start=localtime.utc_moment(CHRISTMAS, clock(hour), "Europe/Amsterdam"))
        return agenda.book(booking, "Europe/Amsterdam").id


def test_an_email_whose_hand_over_is_unclear_goes_out_again_with_the_same_message_id(app, agenda, smtp_server):
    """The server takes the whole message and drops the connection instead of answering the final dot."""
    use_smtp(app, smtp_server)
    smtp_server.inbox.hang_up_after_data = 1
    appointment_id = book(app, agenda, make_client(app))
    assert send_due(app) == 0
    message = confirmation_of(app, appointment_id)
    assert message.status == MessageStatus.PLANNED and message.in_doubt
    said = in_words(message.events[-1].detail)
    assert said.startswith("in doubt") and "same Message-ID" in said and "no answer after the whole message" in said
    assert send_due(app, later=timedelta(minutes=2)) == 1
    first, second = smtp_server.inbox.messages
    assert first["Message-ID"] == second["Message-ID"] == confirmation_of(app, appointment_id).provider_ref
    message = confirmation_of(app, appointment_id)
    assert message.status == MessageStatus.HANDED_OVER
    assert in_words(message.events[-1].detail) == "resent after an unclear hand-over"


def test_a_dutch_reader_sees_the_history_in_dutch_and_the_mail_servers_answer_as_it_came(app, agenda, smtp_server):
    """Stored as notes, read in the reader's language; what the server said stays word for word (it is evidence)."""
    refusal = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
    use_smtp(app, smtp_server)
    smtp_server.inbox.hang_up_after_data = 1
    doubtful = book(app, agenda, make_client(app), hour=10)
    unusable = book(app, agenda, make_client(app, email="anna at example.com", last_name="Z"), hour=11)
    assert send_due(app) == 0
    smtp_server.inbox.refusal = refusal
    assert send_due(app, later=timedelta(minutes=2)) == 0
    message = confirmation_of(app, doubtful)
    assert message.status == MessageStatus.UNKNOWN
    assert [event.detail.partition(": ")[0] for event in message.events] == ["in-doubt-email", "smtp-refused"]
    desk = log_in(app.test_client(), make_user(app, Role.STAFF, language="nl"))
    history = html.unescape(desk.get(f"/messages/{message.id}").get_data(as_text=True))
    assert ("onzeker, dus het gaat opnieuw uit met dezelfde Message-ID: geen antwoord nadat het hele bericht was "
            "verstuurd") in history
    assert f"de mailserver weigerde het bericht: {refusal}" in history
    not_sent = html.unescape(desk.get(f"/messages/{confirmation_of(app, unusable).id}").get_data(as_text=True))
    assert "het adres is onbruikbaar: geen e-mailadres: anna at example.com" in not_sent
    assert "in doubt" not in history + not_sent and "not an e-mail address" not in not_sent
    log = html.unescape(desk.get("/messages/").get_data(as_text=True))
    assert f'title="de mailserver weigerde het bericht: {refusal}"' in log


def test_a_worker_killed_after_its_point_of_no_return_leaves_the_email_in_doubt_and_it_goes_out_again(
        app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app))
    with app.app_context():  # as a worker that died between its marker and the server's answer
        message_id = confirmation_of(app, appointment_id).id
        [claimed] = sending._claim([message_id], datetime.now(UTC) + timedelta(seconds=1))
        db.session.get(Message, claimed).final_write_at = datetime.now(UTC)
        db.session.commit()
    stale = timedelta(seconds=app.config["MESSAGE_CLAIM_SECONDS"] + 5)
    assert send_due(app, later=stale) == 1
    message = confirmation_of(app, appointment_id)
    assert [e.status for e in message.events][-2:] == [MessageStatus.UNKNOWN, MessageStatus.HANDED_OVER]
    assert in_words(message.events[-1].detail) == "resent after an unclear hand-over" and message.in_doubt


def test_a_worker_killed_before_its_point_of_no_return_sends_it_again_without_doubt(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app))
    with app.app_context():
        sending._claim([confirmation_of(app, appointment_id).id], datetime.now(UTC) + timedelta(seconds=1))
    assert send_due(app, later=timedelta(seconds=app.config["MESSAGE_CLAIM_SECONDS"] + 5)) == 1
    message = confirmation_of(app, appointment_id)
    assert not message.in_doubt and message.events[-1].detail == ""
    assert "stopped before handing it over" in in_words(message.events[-2].detail)


def test_a_slow_worker_whose_claim_was_released_does_not_send_it_too(app, agenda, smtp_server):
    """A live worker slower than the claim's lifetime: the next round releases its claim and sends the message;
    at its point of no return the slow worker finds the claim gone and stops before the final dot."""
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app))
    now = datetime.now(UTC) + timedelta(seconds=1)
    with app.app_context():
        with sending._objects_kept_after_commit():
            slow = sending._claim([confirmation_of(app, appointment_id).id], now)
            with app.app_context():  # meanwhile, another worker's round, after the claim went stale
                later = now + timedelta(seconds=app.config["MESSAGE_CLAIM_SECONDS"] + 5)
                assert sending.send_due(later) == 1
            assert sending._send_claimed(slow, now) == 0
    assert len(smtp_server.inbox.messages) == 1
    assert confirmation_of(app, appointment_id).status == MessageStatus.HANDED_OVER


def test_a_delivery_report_that_arrives_before_the_hand_over_is_recorded_is_not_moved_back(app, agenda):
    """A fast gateway: the report comes in while the worker still waits to record its answer."""
    from practice.channels.sms_gateways import SinkGateway
    from practice.models import ConsentEvent, ConsentSource

    def report_at_once(arguments, delay):
        with app.app_context():
            gateway = app.extensions["practice.sms_gateway"]
            reports.record_report(gateway, arguments | {"sig": reports.report_signature(arguments["ref"])},
                                   datetime.now(UTC))

    app.extensions["practice.sms_gateway"] = SinkGateway(report_at_once)
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    client_id = make_client(app, confirmation_channels=Channels.SMS, sms_consent=True)
    with app.app_context():
        db.session.add(ConsentEvent(client_id=client_id, granted=True, source=ConsentSource.IN_PERSON))
        db.session.commit()
    appointment_id = book(app, agenda, client_id)
    assert send_due(app) == 1  # handed over, and the report had already moved it on
    message = confirmation_of(app, appointment_id)
    assert message.status == MessageStatus.DELIVERED and message.handed_over_at and message.price_cents == 10
    assert {e.status for e in message.events} == {MessageStatus.DELIVERED, MessageStatus.HANDED_OVER}


def test_a_template_that_could_grow_past_its_limit_is_refused_when_saved_and_nothing_is_stored(app):
    browser = log_in(app.test_client(), make_user(app, Role.OWNER))
    growing = "Hallo {{ client_name" + '|replace("a", "aaaaaaaaaa")' * 7 + " }}"
    for source, says in ((growing, "could grow to"),
                         ('{{ client_name|replace("a", "b", 99999999999999999999) }}', "too large")):
        response = browser.post("/messages/templates/confirmation/sms/nl",
                                data={"body": source, "action": "save", "csrf_token": csrf_token(browser)})
        assert response.status_code == 422 and says in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MessageTemplate)) is None
