"""What clients receive: every standard text in every language renders with real breaks and links, a moved
appointment's notice names the old and the new time, the reschedule link only where the page would accept it,
and a confirmation sent again on request, through the outbox, once."""
import re
from datetime import UTC, date, datetime, time as clock, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from practice import localtime
from practice.agenda import services as agenda_services
from practice.enums import AppointmentStatus, Channel, Language, MessageKind, MessageStatus, Role, in_words
from practice.extensions import db
from practice.messages import editor, sending
from practice.messages.defaults import DEFAULTS
from practice.models import Appointment, Message, Practice
from tests.conftest import csrf_token, log_in, make_client, make_user
from tests.integration.test_messages import TZ, book, send_due, use_smtp

ZONE = ZoneInfo(TZ)
ESCAPED = ("&lt;", "&gt;", "&amp;lt;", "&amp;gt;")


def parts(received) -> tuple[str, str]:
    return received.get_body(("plain",)).get_content(), received.get_body(("html",)).get_content()


@pytest.mark.parametrize("language", list(Language))
def test_every_standard_template_renders_with_sample_data_and_its_html_has_breaks_and_links(app, agenda, language):
    with app.test_request_context():
        practice = Practice.current()
        kinds = [(kind, channel) for (kind, channel, lang) in DEFAULTS if lang == language]
        assert len(kinds) == 14  # every kind on every channel it has, in this language too
        for kind, channel in kinds:
            slot = editor.Slot(kind, channel, language)
            shown = editor.preview(slot, editor.load_source(slot), practice)
            assert shown.problem is None and shown.body, slot
            if channel == Channel.SMS:
                continue
            assert shown.subject and not any(escaped in shown.html for escaped in ESCAPED), (slot, shown.html)
            paragraphs = [p for p in re.split(r"\n[ \t]*\n", shown.body) if p.strip()]
            assert shown.html.count("<p>") == len(paragraphs), slot
            assert shown.html.count("<br") == sum(p.strip("\n").count("\n") for p in paragraphs), slot
            if not kind.to_the_practice:  # a line or two, without breaks
                assert "<br" in shown.html, slot
            if "reschedule_link" in DEFAULTS[(kind, channel, language)]["body"]:
                link = editor.sample_variables(practice, language)["reschedule_link"]
                assert f'<a href="{link}">{link}</a>' in shown.html, slot


def test_a_client_whose_name_looks_like_markup_reads_it_as_text(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    book(app, agenda, make_client(app, first_name="<b>Bold</b>", last_name="& Co"))
    assert send_due(app) == 1
    [received] = smtp_server.inbox.messages
    text, html = parts(received)
    assert "<b>Bold</b> & Co" in text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html and "<b>" not in html and "<br>" in html


def test_a_french_speaking_client_gets_french_messages(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    book(app, agenda, make_client(app, email="zoe@example.be", language="fr"), day=date(2026, 12, 7), hour=10)
    assert send_due(app) == 1
    [received] = smtp_server.inbox.to("zoe@example.be")
    text, html = parts(received)
    assert received["Subject"] == "Confirmation de votre rendez-vous du lundi 7 décembre 2026"
    assert text.startswith("Bonjour Anna de Vries,") and "lundi 7 décembre 2026 à 10:00" in text
    assert "<p>Bonjour Anna de Vries,</p>" in html


def test_the_rescheduled_email_names_the_old_and_the_new_time(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, make_client(app, email="moved@example.nl"), day=date(2026, 12, 7), hour=10)
    assert send_due(app) == 1
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        agenda_services.change(appointment, agenda_services.Booking(
            client_id=appointment.client_id, practitioner_id=agenda.practitioner, appointment_type_id=agenda.treatment,
            location_id=agenda.location, start=localtime.utc_moment(date(2026, 12, 8), clock(15, 30), TZ)), TZ)
    assert send_due(app) == 1
    [_, moved] = smtp_server.inbox.to("moved@example.nl")
    text, html = parts(moved)
    assert "verplaatst" in moved["Subject"] and "dinsdag 8 december 2026" in moved["Subject"]
    for part in (text, html):
        assert "maandag 7 december 2026 om 10:00" in part and "dinsdag 8 december 2026 om 15:30" in part


def _online(app, cutoff_hours=24):
    with app.app_context():
        practice = Practice.current()
        practice.online_rescheduling, practice.reschedule_cutoff_hours = True, cutoff_hours
        db.session.commit()


def _book_at(app, agenda, start: datetime, email: str) -> int:
    with app.app_context():
        return agenda_services.book(agenda_services.Booking(
            client_id=make_client(app, email=email), practitioner_id=agenda.practitioner,
            appointment_type_id=agenda.treatment, location_id=agenda.location, start=start.astimezone(UTC)), TZ).id


def _within_a_day_in_working_hours(now: datetime) -> datetime:
    """A start less than 24 hours ahead inside the agenda fixture's hours (07:00-20:00), whatever the time now."""
    soon = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if soon.hour < 7:
        return datetime.combine(soon.date(), clock(7, 30), ZONE)
    if soon.hour >= 19:
        return datetime.combine(soon.date() + timedelta(days=1), clock(7, 30), ZONE)
    return soon


def test_no_reschedule_link_inside_the_cutoff_and_a_working_one_outside(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    app.config["PUBLIC_BASE_URL"] = "https://practice.example"
    _online(app, cutoff_hours=24)
    soon = _within_a_day_in_working_hours(datetime.now(ZONE))
    later = datetime.combine(datetime.now(ZONE).date() + timedelta(days=7), clock(10), ZONE)
    _book_at(app, agenda, soon, "soon@example.nl")
    _book_at(app, agenda, later, "later@example.nl")
    assert send_due(app) == 2
    [inside] = smtp_server.inbox.to("soon@example.nl")
    [outside] = smtp_server.inbox.to("later@example.nl")
    for part in parts(inside):
        assert "/r/" not in part and "Verplaats uw afspraak" not in part  # the sentence goes with the link
    text, html = parts(outside)
    link = re.search(r"https://practice\.example/r/[\w-]+", text).group(0)
    assert f'<a href="{link}">{link}</a>' in html


def test_a_reminder_carries_the_link_while_the_appointment_may_still_be_moved(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    _online(app, cutoff_hours=24)
    start = datetime.combine(datetime.now(ZONE).date() + timedelta(days=4), clock(10), ZONE)
    appointment_id = _book_at(app, agenda, start, "remind@example.nl")
    with app.app_context():
        [reminder] = db.session.scalars(select(Message).where(Message.appointment_id == appointment_id,
                                                              Message.kind == MessageKind.REMINDER))
        due = reminder.due_at
        assert sending.send_due(due + timedelta(seconds=1)) == 2  # the confirmation, and the reminder
    [_, received] = smtp_server.inbox.to("remind@example.nl")
    assert "Herinnering" in received["Subject"] and "/r/" in parts(received)[0]


def test_resend_confirmation_plans_one_through_the_outbox_and_it_arrives_once(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    start = datetime.combine(datetime.now(ZONE).date() + timedelta(days=3), clock(11), ZONE)
    appointment_id = _book_at(app, agenda, start, "again@example.nl")
    assert send_due(app) == 1
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    response = desk.post(f"/messages/appointments/{appointment_id}/resend-confirmation",
                         data={"csrf_token": csrf_token(desk)}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-test="action-done"' in html
    assert html.count('data-test="message"') == 3  # the first confirmation, the reminder, and the new one
    assert [send_due(app) for _ in range(3)] == [1, 0, 0]
    assert [m["Subject"].startswith("Bevestiging") for m in smtp_server.inbox.to("again@example.nl")] == [True, True]
    with app.app_context():
        resent = db.session.scalars(select(Message).where(Message.appointment_id == appointment_id,
                                                          Message.kind == MessageKind.CONFIRMATION)
                                    .order_by(Message.id)).all()[-1]
        assert resent.status == MessageStatus.HANDED_OVER
        assert in_words(resent.events[0].detail) == "sent again on request"
    panel = desk.get(f"/agenda/appointments/{appointment_id}").get_data(as_text=True)
    assert 'data-action="confirmation_resent"' in panel


@pytest.mark.parametrize("case", ["cancelled", "past"])
def test_resend_confirmation_is_refused_for_a_cancelled_or_past_appointment(app, agenda, case):
    day = datetime.now(ZONE).date() + (timedelta(days=2) if case == "cancelled" else -timedelta(days=1))
    appointment_id = _book_at(app, agenda, datetime.combine(day, clock(10), ZONE), "no@example.nl")
    if case == "cancelled":
        with app.app_context():
            agenda_services.cancel(db.session.get(Appointment, appointment_id))
    with app.app_context():
        before = len(db.session.scalars(select(Message.id)).all())
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    response = desk.post(f"/messages/appointments/{appointment_id}/resend-confirmation",
                         data={"csrf_token": csrf_token(desk)}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and 'data-test="action-problem"' in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Message.id)).all()) == before
        assert db.session.get(Appointment, appointment_id).status in (AppointmentStatus.BOOKED,
                                                                       AppointmentStatus.CANCELLED)


def test_the_panel_says_why_a_planned_message_will_not_go_out_as_things_stand(app, agenda, staff):
    start = datetime.combine(datetime.now(ZONE).date() + timedelta(days=5), clock(11), ZONE)
    appointment_id = _book_at(app, agenda, start, "gone@example.nl")
    with app.app_context():
        db.session.get(Appointment, appointment_id).client.email = ""  # the client's address was taken off the card
        db.session.commit()
    desk = log_in(app.test_client(), staff)
    html = desk.get(f"/agenda/appointments/{appointment_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    planned = re.findall(r'<li data-test="message" data-status="planned">(.*?)</li>', html, re.S)
    assert planned and all("will not go out: no e-mail address" in item for item in planned)
