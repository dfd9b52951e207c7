"""A client's data on request, their erasure, and retention. The owner downloads everything the practice holds on a
client, every message text they were sent among it; after erasure their name, address, number and message texts are
nowhere in the database, while the dashboard's figures and the month's SMS invoice stay as they were; message texts
older than the retention lose their text and recipient, and their counts and costs stay."""
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlalchemy import LargeBinary, String, func, select, text

from practice import localtime
from practice.audit.models import AuditEvent
from practice.dashboard.services import load_dashboard
from practice.data import retention
from practice.data.client_data import erase_client
from practice.enums import (
    AppointmentStatus, AuditAction, Channel, Channels, MessageKind, MessageStatus, Role, WaitingStatus,
)
from practice.errors import FieldError
from practice.extensions import db
from practice.data.models import ImportUpload
from practice.inbox.models import InboundSms
from practice.clients.services import search_clients
from practice.messages import reports, sending
from practice.messages.usage import load_usage
from practice.models import Appointment, Client, Message, MessageEvent, Practice
from practice.periods import period_of
from practice.waiting import services as waiting
from practice.waiting.models import WaitingEntry, WaitingOffer
from tests.conftest import csrf_token, log_in, make_client, make_user, utc
from tests.integration.test_messages import rechoose_channels, use_smtp
from tests.integration.test_rescheduling import NEXT_WEEK, csrf, local, token_of
from tests.integration.test_two_way_sms import wait_for

TZ = "Europe/Amsterdam"
FIRST, LAST = "Zwaantje", "Quirijnsdochter"
EMAIL, MOBILE = "zwaantje.quirijnsdochter@example.org", "+31612345678"  # the simulator delivers to …78
NUMBER_WRITTEN = (MOBILE, MOBILE.lstrip("+"), "0612345678", "06 12345678", "06-12345678")
CARD_NOTES, CONSENT_NOTE = "Knie links; belt liever na vijven", "Gezegd aan de balie door Zwaantje zelf"
MISSED_NOTES, REPLY = "Kwam niet, belde achteraf", "Kan ik ook om 11 uur komen? Groet, Zwaantje"
ANSWER, WAITING_NOTES = "Ja hoor Zwaantje, 11:00 kan ook. Tot dan!", "Liefst vroeg in de ochtend"
SECRET = "inbound-secret-for-the-data-tests-0123"


# --- a client the practice wrote to ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Story:
    client_id: int
    appointment_id: int  # next week, moved online by the client
    owner: object  # a logged-in test client


@pytest.fixture
def story(app, agenda, online, smtp_server, kannel, live_server) -> Story:
    """A client with SMS consent given at the desk, a missed appointment, one next week that they moved online (the
    old time offered back to them from the waiting list), a reply by SMS and the desk's answer: e-mails through the
    SMTP server, SMS through Kannel, each delivered with its report and charged."""
    use_smtp(app, smtp_server)
    app.config.update(SMS_GATEWAY="kannel", KANNEL_SENDSMS_URL=kannel.sendsms_url, KANNEL_USERNAME=kannel.username,
                      KANNEL_PASSWORD=kannel.password, PUBLIC_BASE_URL=live_server.url, SMS_INBOUND_SECRET=SECRET)
    rechoose_channels(app)
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id, practice.sms_price_cents = True, "FysioZuid", 12
        db.session.commit()
    client_id = make_client(app, first_name=FIRST, last_name=LAST, email=EMAIL, mobile=MOBILE, notes=CARD_NOTES,
                            confirmation_channels=Channels.BOTH, reminder_channels=Channels.BOTH)
    owner = log_in(app.test_client(), make_user(app, Role.OWNER))
    consent = owner.post(f"/clients/{client_id}/consent", headers={"HX-Request": "true"}, data={
        "csrf_token": csrf_token(owner), "granted": "yes", "source": "in_person", "note": CONSENT_NOTE})
    assert consent.status_code == 200
    with app.app_context():
        ten_days_ago = localtime.utc_moment(date.today() - timedelta(days=10), clock(9), TZ)
        db.session.add(Appointment(client_id=client_id, practitioner_id=agenda.practitioner, location_id=agenda.location,
                                   appointment_type_id=agenda.treatment, start=ten_days_ago,
                                   end=ten_days_ago + timedelta(minutes=30), status=AppointmentStatus.NO_SHOW,
                                   notes=MISSED_NOTES))
        db.session.commit()
        waiting.add_entry(waiting.Wish(client_id=client_id, practitioner_id=None, appointment_type_id=agenda.treatment,
                                       location_id=agenda.location, weekdays=0, earliest=None, latest=None,
                                       expires_on=NEXT_WEEK + timedelta(days=30), notes=WAITING_NOTES),
                          date.today())
        from practice.agenda import services as booking

        appointment_id = booking.book(booking.Booking(
            client_id=client_id, practitioner_id=agenda.practitioner, appointment_type_id=agenda.treatment,
            location_id=agenda.location, start=local(NEXT_WEEK, 10).astimezone(UTC)), TZ).id
    send_due(app)  # the confirmation by e-mail and by SMS

    token = token_of(app, appointment_id)
    phone = app.test_client()  # the client's own browser
    page = phone.get(f"/r/{token}").get_data(as_text=True)
    moved = phone.post(f"/r/{token}", data={
        "csrf_token": csrf(page), "start": local(NEXT_WEEK + timedelta(days=1), 15, 30).isoformat(), "action": "confirm"})
    assert moved.status_code == 200 and 'data-test="moved"' in moved.get_data(as_text=True)
    send_due(app)  # the notice of the move to the client and to the practice, and the old time offered back
    wait_for(lambda: sms_settled(app), what="the SMS delivery reports")

    replied = app.test_client().get("/callbacks/sms-inbound", query_string={
        "key": SECRET, "from": MOBILE.lstrip("+"), "to": "FysioZuid", "text": REPLY, "id": "kannel-reply-1"})
    assert replied.status_code == 200
    with app.app_context():
        reply_id = db.session.scalar(select(InboundSms.id))
    answered = owner.post(f"/inbox/{reply_id}/answer", data={"csrf_token": csrf_token(owner), "text": ANSWER,
                                                             "action": "send"})
    assert answered.status_code == 303
    send_due(app)
    wait_for(lambda: sms_settled(app), what="the delivery report of the answer")
    return Story(client_id, appointment_id, owner)


def send_due(app) -> None:
    with app.app_context():
        while sending.send_due(datetime.now(UTC) + timedelta(seconds=1)):
            pass


def sms_settled(app) -> bool:
    """Every SMS that went out has its delivery report."""
    with app.app_context():
        return not db.session.scalar(select(Message.id).where(Message.channel == Channel.SMS,
                                                              Message.status == MessageStatus.HANDED_OVER).limit(1))


def sent_to_them(app, client_id) -> list[Message]:
    """The messages that went out about the client, found here without the export's help."""
    with app.app_context():
        appointments = select(Appointment.id).where(Appointment.client_id == client_id)
        offers = select(WaitingOffer.id).join(WaitingEntry).where(WaitingEntry.client_id == client_id)
        found = db.session.scalars(select(Message).where(
            Message.appointment_id.in_(appointments) | (Message.client_id == client_id) | Message.offer_id.in_(offers),
            Message.status.in_([MessageStatus.HANDED_OVER, MessageStatus.DELIVERED]))).all()
        for message in found:
            db.session.expunge(message)
        return found


def masked(text_: str) -> str:
    """A message's text with its links left out (the log keeps an offer's without it) and its line ends as stored."""
    return re.sub(r"https?://\S+|…", "<link>", text_.replace("\r\n", "\n")).strip()


# --- the client's data --------------------------------------------------------------------------------------------

def test_the_owner_downloads_every_message_text_the_client_was_sent_and_reads_it_on_a_page(app, story, smtp_server):
    messages = sent_to_them(app, story.client_id)
    kinds = {(message.kind, message.channel) for message in messages}
    assert {(MessageKind.CONFIRMATION, Channel.EMAIL), (MessageKind.CONFIRMATION, Channel.SMS),
            (MessageKind.RESCHEDULED, Channel.SMS), (MessageKind.PRACTICE_NOTICE, Channel.EMAIL),
            (MessageKind.WAITING_LIST_OFFER, Channel.SMS), (MessageKind.ANSWER, Channel.SMS)} <= kinds
    assert all(m.status == MessageStatus.DELIVERED and m.price_cents == 12 * m.segments for m in messages
               if m.channel == Channel.SMS), [(m.kind, m.status, m.segments, m.price_cents) for m in messages]

    response = story.owner.get(f"/data/clients/{story.client_id}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.get_data(as_text=True))
    exported = {message["id"]: message for message in document["messages"]}
    for message in messages:  # every message that went out, with its text and recipient
        assert message.body and exported[message.id]["body"] == message.body
        assert (exported[message.id]["subject"], exported[message.id]["recipient"]) == (message.subject,
                                                                                       message.recipient)
    mails = smtp_server.inbox.to(EMAIL)
    assert len(mails) >= 3  # confirmation, move, offer
    for mail in mails:  # as the client received them
        [same] = [m for m in document["messages"] if m["subject"] == mail["Subject"] and m["recipient"] == EMAIL]
        assert masked(same["body"]) == masked(mail.get_body(("plain",)).get_content())
    assert [(m["body"], m["channel"]) for m in document["messages"] if m["kind"] == "answer"] == [(ANSWER, "sms")]
    assert document["client"] | {"created_at": None} == {
        "id": story.client_id, "first_name": FIRST, "last_name": LAST, "email": EMAIL, "mobile": MOBILE,
        "language": "nl", "notes": CARD_NOTES, "confirmation_channels": "both", "reminder_channels": "both",
        "sms_consent": True, "created_at": None, "erased_at": None}
    assert [(e["granted"], e["source"], e["note"]) for e in document["consent_history"]] == [
        (True, "in_person", CONSENT_NOTE)]
    appointment = next(a for a in document["appointments"] if a["id"] == story.appointment_id)
    assert appointment["start"]["local"] == local(NEXT_WEEK + timedelta(days=1), 15, 30).isoformat()
    assert datetime.fromisoformat(appointment["start"]["utc"]) == local(NEXT_WEEK + timedelta(days=1), 15, 30)
    assert (appointment["status"], appointment["practitioner"], appointment["appointment_type"]) == (
        "booked", "Sophie Verbeek", "Behandeling")
    assert [move["from"]["local"] for move in document["online_moves"]] == [local(NEXT_WEEK, 10).isoformat()]
    assert [(r["text"], r["sender"]) for r in document["sms_replies"]] == [(REPLY, MOBILE)]
    [entry] = document["waiting_list"]
    assert entry["notes"] == WAITING_NOTES and [o["start"]["local"] for o in entry["offers"]] == [
        local(NEXT_WEEK, 10).isoformat()]
    assert MISSED_NOTES in [a["notes"] for a in document["appointments"]]

    page = story.owner.get(f"/data/clients/{story.client_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-test="client-data"' in html
    for message in messages:
        assert str(escape(message.body)) in html
    for shown in (REPLY, CONSENT_NOTE, CARD_NOTES, WAITING_NOTES, EMAIL):
        assert str(escape(shown)) in html
    card = story.owner.get(f"/clients/{story.client_id}").get_data(as_text=True)
    assert f"/data/clients/{story.client_id}.json" in card and f"/data/clients/{story.client_id}/erase" in card
    with app.app_context():
        assert [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == AuditAction.CLIENT_DATA_EXPORTED))] == ["json", "page"]

    staff = log_in(app.test_client(), make_user(app, Role.STAFF))
    for url in (f"/data/clients/{story.client_id}.json", f"/data/clients/{story.client_id}",
                f"/data/clients/{story.client_id}/erase"):
        assert staff.get(url).status_code == 403
    assert staff.post(f"/data/clients/{story.client_id}/erase", data={"csrf_token": csrf_token(staff), "name": FIRST + " "
                                                                  + LAST}).status_code == 403
    assert f"/data/clients/{story.client_id}" not in staff.get(f"/clients/{story.client_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Client, story.client_id).erased_at is None


# --- erasure ------------------------------------------------------------------------------------------------------

def stored_texts(app) -> str:
    """Every text the database holds, one per line: each String, Text and binary column (an upload's file) of every
    table the models describe, and on SQLite every column of every other table (the search index's own)."""
    with app.app_context():
        found = []
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns
                       if isinstance(getattr(column.type, "impl_instance", column.type), (String, LargeBinary))]
            if columns:
                found += [value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                          for row in db.session.execute(select(*columns)) for value in row if value]
        if db.engine.dialect.name == "sqlite":
            for (name,) in db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")):
                if name not in db.metadata.tables:
                    found += [value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                              for row in db.session.execute(text(f'SELECT * FROM "{name}"')) for value in row
                              if value is not None]
        return "\n".join(found).casefold()


def figures(app, period) -> dict:
    """What the owner's dashboard counts, and the month's SMS usage as the invoice page shows it."""
    with app.app_context():
        dashboard = load_dashboard(period)
        return {"messages": dashboard.messages, "reasons": dashboard.reasons, "usage": dashboard.usage,
                "no_shows": dashboard.no_shows, "replies": dashboard.replies, "moves": dashboard.moves_per_week,
                "moves_listed": len(dashboard.moves),
                "this_month": load_usage(period.months[-1], period.today, TZ)}


def invoice_row(owner) -> str:
    month = datetime.now(ZoneInfo(TZ)).strftime("%Y-%m")
    return re.search(rf'data-month="{month}">(.*?)</tr>', owner.get("/messages/usage").get_data(as_text=True),
                     re.S).group(1)


def test_after_erasure_the_client_is_nowhere_in_the_database_and_every_figure_stays(app, story):
    document = json.loads(story.owner.get(f"/data/clients/{story.client_id}.json").get_data(as_text=True))
    texts = {m[part] for m in document["messages"] for part in ("subject", "body") if m[part]}
    assert len(texts) >= 8
    traces = {FIRST, LAST, EMAIL, *NUMBER_WRITTEN, CARD_NOTES, CONSENT_NOTE, MISSED_NOTES, REPLY, ANSWER,
              WAITING_NOTES, *texts}
    period = period_of("3m", datetime.now(UTC), TZ)
    counted, invoiced = figures(app, period), invoice_row(story.owner)
    assert counted["this_month"][0].delivered >= 4 and counted["this_month"][0].cost_cents >= 48
    assert sum(counted["replies"].per_week) == 1 and sum(m.no_shows for m in counted["no_shows"]) == 1
    before = stored_texts(app)
    assert all(trace.casefold() in before for trace in (FIRST, LAST, EMAIL, MOBILE, REPLY, ANSWER, *texts))

    erase_page = story.owner.get(f"/data/clients/{story.client_id}/erase").get_data(as_text=True)
    assert 'data-test="ahead"' in erase_page  # the moved appointment is still ahead: it will be cancelled
    wrong = story.owner.post(f"/data/clients/{story.client_id}/erase",
                             data={"csrf_token": csrf_token(story.owner), "name": "Zwaantje Quirijnsdochters"})
    assert wrong.status_code == 422 and "The name does not match" in wrong.get_data(as_text=True)
    assert stored_texts(app) == before

    done = story.owner.post(f"/data/clients/{story.client_id}/erase",
                            data={"csrf_token": csrf_token(story.owner), "name": "  zwaantje   QUIRIJNSDOCHTER "})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/clients/{story.client_id}")
    after = stored_texts(app)
    left = [trace for trace in traces if trace.casefold() in after]
    assert not left, left

    assert figures(app, period) == counted
    assert invoice_row(story.owner) == invoiced
    with app.app_context():
        client = db.session.get(Client, story.client_id)
        assert client.erased_at is not None and (client.email, client.mobile, client.sms_consent) == ("", "", False)
        statuses = dict(db.session.execute(select(Appointment.id, Appointment.status)
                                           .where(Appointment.client_id == story.client_id)).all())
        assert statuses[story.appointment_id] == AppointmentStatus.CANCELLED  # it was ahead
        assert AppointmentStatus.NO_SHOW in statuses.values()  # history stays as it was
        assert all(m.removed_at and not m.recipient for m in db.session.scalars(
            select(Message).where(Message.id.in_([m["id"] for m in document["messages"]]))))
        assert db.session.scalar(select(Message.id).where(Message.status == MessageStatus.PLANNED).limit(1)) is None
        erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENT_ERASED))
        assert erased.subject_id == story.client_id and erased.user_id is not None
    card = story.owner.get(f"/clients/{story.client_id}")
    html = card.get_data(as_text=True)
    assert 'data-test="erased"' in html and 'id="client-form"' not in html and "/erase" not in html
    assert "erased" in html.lower()
    assert story.owner.post(f"/clients/{story.client_id}", data={"csrf_token": csrf_token(story.owner),
                                                                 "first_name": "X"}).status_code == 403
    again = story.owner.post(f"/data/clients/{story.client_id}/erase",
                             data={"csrf_token": csrf_token(story.owner), "name": "anything"})
    assert again.status_code == 422 and 'data-test="erased"' in again.get_data(as_text=True)
    with app.app_context():
        assert search_clients(LAST, "NL") == [] and search_clients(EMAIL, "NL") == []


def test_erasure_leaves_a_card_that_shares_the_number_alone_and_nothing_comes_back_afterwards(app, story):
    """A parent's card with the client's number and a reply of its own; an import left at its preview with the client
    in its file; and after the erasure, a late delivery report that quotes the number and the start of the text."""
    parent = make_client(app, first_name="Pieter", last_name="Ouder", email="pieter@example.org", mobile=MOBILE)
    with app.app_context():
        db.session.add(InboundSms(gateway_id="kannel-parent-1", sender=MOBILE, text="Papa hier: wij komen samen",
                                  meaning="other", client_id=parent))
        db.session.add(ImportUpload(kind="clients", filename="oud.csv",
                                    content=f"Voornaam;Achternaam;E-mail\n{FIRST};{LAST};{EMAIL}\n".encode()))
        db.session.commit()
        sms_id = db.session.scalar(select(Message.id).where(Message.channel == Channel.SMS,
                                                            Message.kind == MessageKind.ANSWER))
    document = json.loads(story.owner.get(f"/data/clients/{story.client_id}.json").get_data(as_text=True))
    assert "Papa hier" not in json.dumps(document)  # the parent's reply is not the client's

    done = story.owner.post(f"/data/clients/{story.client_id}/erase",
                            data={"csrf_token": csrf_token(story.owner), "name": f"{FIRST} {LAST}"})
    assert done.status_code == 303
    with app.app_context():
        signature = reports.report_signature(str(sms_id))
    late = app.test_client().get("/callbacks/sms/kannel", query_string={
        "ref": str(sms_id), "sig": signature, "type": "2",
        "answer": f"id:77 sub:001 dlvrd:000 stat:UNDELIV err:000 text:Ja hoor {FIRST} 11:00 {MOBILE.lstrip('+')}"})
    assert late.status_code == 200
    after = stored_texts(app)
    for trace in (FIRST, LAST, EMAIL, "text:Ja hoor"):
        assert trace.casefold() not in after, trace
    with app.app_context():
        reply = db.session.scalar(select(InboundSms).where(InboundSms.client_id == parent))
        assert (reply.text, reply.sender, reply.handled_at) == ("Papa hier: wij komen samen", MOBILE, None)
        assert db.session.get(Client, parent).mobile == MOBILE
        assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0
        assert db.session.scalar(select(MessageEvent.status).where(MessageEvent.message_id == sms_id)
                                 .order_by(MessageEvent.id.desc()).limit(1)) == MessageStatus.UNDELIVERABLE


# --- retention ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("today, months, cutoff", [
    (date(2027, 3, 31), 1, date(2027, 2, 28)),
    (date(2028, 3, 31), 1, date(2028, 2, 29)),
    (date(2027, 1, 15), 3, date(2026, 10, 15)),
    (date(2027, 5, 31), 120, date(2017, 5, 31)),
])
def test_months_are_counted_on_the_calendar(today, months, cutoff):
    assert localtime.months_before(today, months) == cutoff


def test_the_cutoff_is_midnight_on_the_practices_clock():
    # 00:30 on 1 April in Amsterdam is still 31 March in UTC: a month back from the local day is 1 March.
    assert retention.retention_cutoff(utc(2027, 3, 31, 22, 30), TZ, 1) == utc(2027, 2, 28, 23, 0)


def sms(app, key: str, at: datetime, **values) -> int:
    with app.app_context():
        message = Message(**{"dedupe_key": key, "kind": MessageKind.REMINDER, "channel": Channel.SMS, "due_at": at,
                             "status_at": at, "handed_over_at": at, "status": MessageStatus.DELIVERED,
                             "recipient": MOBILE, "segments": 2, "price_cents": 24,
                             "body": f"Herinnering {key}: morgen om 10:00 bij Fysio Test."} | values)
        db.session.add(message)
        db.session.flush()
        db.session.add(MessageEvent(message_id=message.id, at=at, status=MessageStatus.DELIVERED,
                                    detail=f"id:1 stat:DELIVRD err:000 text:Herinnering {key}"))
        db.session.commit()
        return message.id


def test_texts_older_than_the_retention_go_and_their_counts_and_costs_stay(app, owner):
    browser = log_in(app.test_client(), owner)
    form = {"csrf_token": csrf_token(browser), "first_reminder-kind": "days_before", "first_reminder-days": "2",
            "first_reminder-at": "07:00", "second_reminder-kind": "", "confirmation_email": "y",
            "notice_delay_minutes": "3", "sms_price_cents": "12"}
    for refused in ("0", "121", "drie"):
        assert browser.post("/settings/messaging", data=form | {"retention_months": refused}).status_code == 422
    assert browser.post("/settings/messaging", data=form | {"retention_months": "3"}).status_code == 302
    with app.app_context():
        assert Practice.current().retention_months == 3
    assert 'name="retention_months"' in browser.get("/settings/messaging").get_data(as_text=True)

    now = datetime.now(UTC)
    old_at, new_at = now - timedelta(days=150), now - timedelta(days=20)
    old = [sms(app, f"old-{n}", old_at) for n in range(3)]
    doubtful = sms(app, "in-doubt", old_at, status=MessageStatus.UNKNOWN, in_doubt=True)
    settled = sms(app, "was-in-doubt", old_at, in_doubt=True)  # in doubt once, delivered in the end: it goes too
    new = sms(app, "new", new_at)
    with app.app_context():
        db.session.add_all([InboundSms(gateway_id="r-old", received_at=old_at, sender=MOBILE, text="Ja, tot dan!",
                                       meaning="confirm"),
                            InboundSms(gateway_id="r-new", received_at=new_at, sender=MOBILE, text="Nee, sorry",
                                       meaning="decline")])
        db.session.commit()
    old_month = localtime.local_date(old_at, TZ)

    def usage():
        with app.app_context():
            return load_usage(old_month, localtime.today(now, TZ), TZ)

    before = usage()
    assert (before[-1].sent, before[-1].segments, before[-1].cost_cents) == (5, 8, 96)  # the one in doubt: not charged

    with app.app_context():
        assert retention.remove_old_texts(now, batch=2) == 4
    with app.app_context():
        for message in db.session.scalars(select(Message).where(Message.id.in_([*old, settled]))):
            assert (message.body, message.recipient, message.removed_at is not None) == ("", "", True)
            assert (message.status, message.segments, message.price_cents) == (MessageStatus.DELIVERED, 2, 24)
            assert [event.detail for event in message.events] == [""]  # the report quoted the text
        for kept in (doubtful, new):
            message = db.session.get(Message, kept)
            assert message.body and message.recipient == MOBILE and message.removed_at is None
        replies = dict(db.session.execute(select(InboundSms.gateway_id, InboundSms.text)).all())
        assert replies == {"r-old": "", "r-new": "Nee, sorry"}
    assert usage() == before

    staff = log_in(app.test_client(), make_user(app, Role.STAFF))
    detail = staff.get(f"/messages/{old[0]}").get_data(as_text=True)
    assert 'data-test="text-removed"' in detail and "Text and recipient removed on" in detail
    assert "Herinnering old-0" not in detail
    assert "Herinnering new" in staff.get(f"/messages/{new}").get_data(as_text=True)

    nightly = app.extensions["practice.tasks"].huey.read_periodic(datetime(2027, 1, 1, 3, 10))
    assert "remove_old_texts" in [task.name for task in nightly]


def test_without_a_retention_nothing_goes(app):
    old = sms(app, "old", datetime.now(UTC) - timedelta(days=4000))
    with app.app_context():
        assert retention.remove_old_texts(datetime.now(UTC)) == 0
        assert db.session.get(Message, old).body


def test_erasure_cancels_what_is_ahead_offers_its_time_to_others_on_the_list_and_not_to_the_client(app, agenda):
    def on_the_list(client_id) -> int:
        return waiting.add_entry(waiting.Wish(
            client_id=client_id, practitioner_id=None, appointment_type_id=agenda.treatment, location_id=agenda.location,
            weekdays=0, earliest=None, latest=None, expires_on=NEXT_WEEK + timedelta(days=30), notes="ochtend"),
            date.today()).id

    wim = make_client(app, first_name="Wim", last_name="Wachter", email="wim@example.nl")
    els = make_client(app, first_name="Els", last_name="Ernst", email="els@example.nl")
    with app.app_context():
        from practice.agenda import services as booking

        ahead = booking.book(booking.Booking(client_id=wim, practitioner_id=agenda.practitioner,
                                             appointment_type_id=agenda.treatment, location_id=agenda.location,
                                             start=local(NEXT_WEEK, 10).astimezone(UTC)), TZ).id
        wims, elses = on_the_list(wim), on_the_list(els)
        with pytest.raises(FieldError, match="does not match"):
            erase_client(db.session.get(Client, wim), "Wim Wachters", None, datetime.now(UTC))
        erase_client(db.session.get(Client, wim), "wim wachter", None, datetime.now(UTC))
    with app.app_context():
        assert db.session.get(Appointment, ahead).status == AppointmentStatus.CANCELLED
        assert [(entry.status, entry.notes) for entry in db.session.scalars(
            select(WaitingEntry).where(WaitingEntry.id.in_([wims, elses])).order_by(WaitingEntry.id))] == [
            (WaitingStatus.REMOVED, ""), (WaitingStatus.WAITING, "ochtend")]
        assert [(offer.entry_id, offer.start) for offer in db.session.scalars(select(WaitingOffer))] == [
            (elses, local(NEXT_WEEK, 10))]
        cancelled = db.session.scalar(select(Message).where(Message.appointment_id == ahead,
                                                            Message.kind == MessageKind.CANCELLED))
        assert cancelled is None  # nobody left to tell
        with pytest.raises(FieldError, match="erased already"):
            erase_client(db.session.get(Client, wim), "anything", None, datetime.now(UTC))


def test_an_erased_client_cannot_be_booked_or_put_on_the_waiting_list(app, agenda):
    from practice.agenda.services import Booking, book
    from practice.waiting.services import Wish, add_entry

    client_id = make_client(app)
    with app.app_context():
        db.session.get(Client, client_id).erased_at = datetime.now(UTC)
        db.session.commit()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        with pytest.raises(FieldError, match="erased"):
            book(Booking(client_id, agenda.practitioner, agenda.treatment, agenda.location, start), "Europe/Amsterdam")
        with pytest.raises(FieldError, match="erased"):
            add_entry(Wish(client_id, None, agenda.treatment, agenda.location, 0, None, None,
                           date.today() + timedelta(days=30)), date.today())
        assert db.session.scalars(select(Appointment)).all() == []
