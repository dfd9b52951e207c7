"""The monthly SMS budget: at 80 % the owner gets one e-mail and the dashboard says so; once spent, an SMS reminder
for a client with an e-mail address goes by e-mail (the log says why), one for a client without waits as "not sent:
the month's SMS budget is spent", and the forecast counts it. The SMS that confirms a STOP is never held."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from practice.enums import Channel, Channels, MessageKind, MessageStatus, NotSentReason, Role, in_words
from practice.extensions import db
from practice.messages import sending
from practice.messages.forecast import load_forecast
from practice.models import Message, Practice
from tests.conftest import csrf_token, log_in, make_client, make_user
from tests.integration.test_messages import use_smtp
from tests.integration.test_reminders import book, local
from tests.integration.test_rescheduling import NEXT_WEEK


def with_budget(app, budget_cents: int, spent_cents: int) -> None:
    """SMS on, a budget, and this month's delivered SMS costing `spent_cents` already."""
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id, practice.sms_budget_cents = True, "FysioTest", budget_cents
        now = datetime.now(UTC)
        db.session.add(Message(dedupe_key="earlier-sms", kind=MessageKind.REMINDER, channel=Channel.SMS,
                               due_at=now, status=MessageStatus.DELIVERED, status_at=now, handed_over_at=now,
                               recipient="+31600000000", segments=spent_cents // 10, price_cents=spent_cents))
        db.session.commit()


def reminder_now(app, appointment_id) -> None:
    with app.app_context():
        db.session.execute(update(Message).where(Message.appointment_id == appointment_id,
                                                 Message.kind == MessageKind.REMINDER).values(due_at=datetime.now(UTC)))
        db.session.commit()


def messages_of(app, appointment_id) -> list[tuple[Channel, MessageStatus, NotSentReason | None, str]]:
    with app.app_context():
        return [(m.channel, m.status, m.reason, in_words(m.error)) for m in db.session.scalars(
            select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.REMINDER)
            .order_by(Message.id))]


def test_with_the_budget_spent_a_reminder_goes_by_email_where_it_can_and_waits_where_it_cannot(
        app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    with_budget(app, budget_cents=100, spent_cents=100)
    sms_only = dict(reminder_channels=Channels.SMS, confirmation_channels=Channels.NONE, sms_consent=True)
    with_email = book(app, agenda, make_client(app, email="mail@example.nl", **sms_only), local(NEXT_WEEK, 9))
    without = book(app, agenda, make_client(app, email="", mobile="+31611111111", **sms_only), local(NEXT_WEEK, 10))
    with app.app_context():  # the forecast already says why the SMS will not go
        entries = {e.appointment.id: e for e in load_forecast(datetime.now(UTC), 8, Practice.current())}
        assert [line.reason for line in entries[without].lines] == [NotSentReason.BUDGET_SPENT]
    for appointment_id in (with_email, without):
        reminder_now(app, appointment_id)
    with app.app_context():
        assert sending.send_due(datetime.now(UTC) + timedelta(seconds=1)) == 1  # the e-mail instead
    assert messages_of(app, with_email) == [
        (Channel.SMS, MessageStatus.NOT_SENT, NotSentReason.BUDGET_SPENT, "sent by e-mail instead"),
        (Channel.EMAIL, MessageStatus.HANDED_OVER, None, "")]
    assert messages_of(app, without) == [(Channel.SMS, MessageStatus.NOT_SENT, NotSentReason.BUDGET_SPENT, "")]
    [received] = smtp_server.inbox.messages
    assert received["To"] == "mail@example.nl" and received["Subject"].startswith("Herinnering")
    log = log_in(app.test_client(), make_user(app, Role.STAFF)).get("/messages/?status=not_sent").get_data(True)
    assert "the month&#39;s SMS budget is spent" in log or "the month's SMS budget is spent" in log


def test_at_eighty_percent_the_owner_hears_once_and_the_dashboard_says_so(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    with_budget(app, budget_cents=1000, spent_cents=850)
    client_id = make_client(app, email="c@example.nl", reminder_channels=Channels.SMS, sms_consent=True)
    appointment_id = book(app, agenda, client_id, local(NEXT_WEEK, 9))
    reminder_now(app, appointment_id)
    with app.app_context():
        sending.send_due(datetime.now(UTC) + timedelta(seconds=1))  # the reminder goes: 850 < 1000
        sending.send_due(datetime.now(UTC) + timedelta(seconds=2))  # the warning, planned by the first run
        sending.send_due(datetime.now(UTC) + timedelta(seconds=3))
    assert messages_of(app, appointment_id)[0][1] == MessageStatus.HANDED_OVER
    warnings = [m for m in smtp_server.inbox.messages if "budget" in m["Subject"] and "80" in m["Subject"]]
    assert len(warnings) == 1 and warnings[0]["To"] == "info@fysio.test"
    assert "€" in warnings[0].get_body(("plain",)).get_content()
    owner = log_in(app.test_client(), make_user(app, Role.OWNER))
    page = owner.get("/dashboard/").get_data(as_text=True)
    assert 'data-test="sms-budget"' in page and 'data-spent="false"' in page


def test_the_budget_is_a_setting_in_euros_and_empty_means_none(app, owner):
    browser = log_in(app.test_client(), owner)
    form = {"csrf_token": csrf_token(browser), "first_reminder-kind": "days_before", "first_reminder-days": "2",
            "first_reminder-at": "07:00", "second_reminder-kind": "", "confirmation_email": "y",
            "notice_delay_minutes": "3", "sms_price_cents": "10"}
    assert browser.post("/settings/messaging", data=form | {"sms_budget_euros": "0"}).status_code == 422
    assert browser.post("/settings/messaging", data=form | {"sms_budget_euros": "25"}).status_code == 302
    with app.app_context():
        assert Practice.current().sms_budget_cents == 2500
    assert browser.post("/settings/messaging", data=form | {"sms_budget_euros": ""}).status_code == 302
    with app.app_context():
        assert Practice.current().sms_budget_cents is None
