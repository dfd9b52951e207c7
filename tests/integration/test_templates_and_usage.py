"""The owner's template editor (sandbox checks, live preview, per-type versions), the messaging settings and
the SMS usage page that invoices only delivered segments."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.extensions import db
from practice.messages import content
from practice.enums import Channel, MessageKind, MessageStatus, Role
from practice.models import Message, MessageTemplate, Practice
from tests.conftest import log_in, make_client, make_user
from tests.integration.test_messages import book

SMS_EDITOR = "/messages/templates/confirmation/sms/nl"


@pytest.fixture
def owner_browser(app):
    return log_in(app.test_client(), make_user(app, Role.OWNER))


def alerts(response) -> list[str]:
    return re.findall(r'class="field-error" role="alert">([^<]*)<', response.get_data(as_text=True))


def stored_templates(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(MessageTemplate.id)))


def post(browser, url, **fields):
    from tests.conftest import csrf_token

    return browser.post(url, data={"csrf_token": csrf_token(browser), **fields})


@pytest.mark.parametrize("source, says", [
    ("Hallo {{ ''.__class__ }}", "“.__class__” is not allowed"),
    ("Hallo {{ client_name.__init__.__globals__ }}", "is not allowed"),
    ("Hallo {{ cycler }}", "there is no variable “cycler”"),
    ("Hallo {{ klant }}", "there is no variable “klant”"),
    ("Hallo\n{% if date %}{{ date }}", "Line 2 cannot be read"),
])
def test_a_template_reaching_for_internals_or_unknown_names_is_refused_with_a_pointer(app, owner_browser, source, says):
    response = post(owner_browser, SMS_EDITOR, body=source, action="save")
    assert response.status_code == 422
    assert any(says in alert for alert in alerts(response)), alerts(response)
    assert stored_templates(app) == 0


def test_a_saved_template_is_normalised_and_used_for_the_next_message(app, agenda, owner_browser):
    response = post(owner_browser, "/messages/templates/confirmation/email/nl", action="save",
                    subject="Tot  {{ date }}", body="Dag {{ client_first_name }},\r\ntot {{ time }}.\r\n")
    assert response.status_code == 303
    with app.app_context():
        own = db.session.scalar(select(MessageTemplate))
        assert own.body == "Dag {{ client_first_name }},\ntot {{ time }}.\n" and own.subject == "Tot {{ date }}"
    appointment_id = book(app, agenda, make_client(app, language="nl"))
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id, Message.kind == MessageKind.CONFIRMATION))
        rendered = content.render_message(message, Practice.current())
    assert rendered["subject"] == "Tot maandag 7 december 2026"
    assert rendered["body"] == "Dag Anna,\ntot 10:00."


def test_an_appointment_type_version_wins_over_the_general_one_and_reset_returns_to_it(app, agenda, owner_browser):
    post(owner_browser, SMS_EDITOR, body="Algemeen {{ time }}", action="save")
    post(owner_browser, f"{SMS_EDITOR}?type={agenda.treatment}", body="Behandeling {{ time }}", action="save")
    with app.app_context():
        general = content.template_for(MessageKind.CONFIRMATION, Channel.SMS, "nl", agenda.intake)
        special = content.template_for(MessageKind.CONFIRMATION, Channel.SMS, "nl", agenda.treatment)
    assert (general["body"], special["body"]) == ("Algemeen {{ time }}", "Behandeling {{ time }}")
    assert post(owner_browser, f"{SMS_EDITOR}?type={agenda.treatment}", action="reset").status_code == 303
    with app.app_context():
        assert content.template_for(MessageKind.CONFIRMATION, Channel.SMS, "nl", agenda.treatment)["body"] == \
            "Algemeen {{ time }}"
    assert stored_templates(app) == 1


def test_the_sms_preview_shows_length_encoding_segments_cost_and_the_characters_that_force_unicode(app, agenda,
                                                                                                   owner_browser):
    with app.app_context():
        Practice.current().sms_price_cents = 9
        db.session.commit()
    response = post(owner_browser, f"{SMS_EDITOR}/preview", body="Tot {{ time }} – groet 😀 " + "x" * 60)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<mark title="Forces Unicode">–</mark>' in html and '<mark title="Forces Unicode">😀</mark>' in html
    assert re.search(r'data-test="encoding">Unicode', html)
    # "Tot 09:30 – groet 😀 " is 20 code points; the emoji is 2 UTF-16 units: 81 units, 2 segments of 67.
    assert re.search(r'data-test="characters">80<', html)
    assert re.search(r'data-test="segments">2 \(81 of 67 per segment\)', html)
    assert "€0.18" in html
    plain = post(owner_browser, f"{SMS_EDITOR}/preview", body="Tot {{ time }}, groet").get_data(as_text=True)
    assert "Standard (GSM-7)" in plain and "<mark" not in plain and 'data-test="forcing"' not in plain


def test_the_preview_points_at_a_problem_instead_of_rendering(owner_browser):
    html = post(owner_browser, f"{SMS_EDITOR}/preview", body="{{ naam }}").get_data(as_text=True)
    assert 'data-test="preview-problem"' in html and "naam" in html


def test_an_invalid_sender_id_is_refused_and_nothing_changes(app, owner_browser):
    for sender in ("Fysio Zuid", "AB", "FysioCentrumZuid", "12345678901234567"):
        response = post(owner_browser, "/settings/messaging", sms_enabled="y", sms_sender_id=sender,
                        sms_price_cents="10")
        assert response.status_code == 422 and alerts(response), sender
    with app.app_context():
        assert Practice.current().sms_sender_id == "" and not Practice.current().sms_enabled
    response = post(owner_browser, "/settings/messaging", sms_enabled="y", sms_sender_id="+31201234567",
                    sms_price_cents="8", confirmation_email="y", notice_delay_minutes="3")
    assert response.status_code == 302
    with app.app_context():
        practice = Practice.current()
        assert (practice.sms_sender_id, practice.sms_price_cents, practice.sms_enabled) == ("+31201234567", 8, True)
        assert practice.confirmation_email and not practice.confirmation_sms


def _sms(app, appointment_id, handed_over_at, status, segments, price_cents=0):
    with app.app_context():
        db.session.add(Message(dedupe_key=f"usage-{handed_over_at.isoformat()}-{status}", appointment_id=appointment_id,
                               kind=MessageKind.REMINDER, channel=Channel.SMS, recipient="+31612345678",
                               due_at=handed_over_at, handed_over_at=handed_over_at, status=status,
                               segments=segments, price_cents=price_cents))
        db.session.commit()


def test_usage_counts_only_delivered_segments_by_the_practices_month_and_exports_them(app, agenda, owner_browser):
    appointment_id = book(app, agenda, make_client(app))
    now = datetime.now(UTC)
    zone = ZoneInfo("Europe/Amsterdam")
    this_month = now.astimezone(zone).date().replace(day=1)
    local_midnight = datetime.combine(this_month, datetime.min.time(), zone).astimezone(UTC)
    _sms(app, appointment_id, local_midnight + timedelta(minutes=30), MessageStatus.DELIVERED, 2, 20)  # 00:30 local
    _sms(app, appointment_id, local_midnight + timedelta(hours=5), MessageStatus.DELIVERED, 3, 30)
    _sms(app, appointment_id, local_midnight + timedelta(hours=6), MessageStatus.UNDELIVERABLE, 1)
    _sms(app, appointment_id, local_midnight + timedelta(hours=7), MessageStatus.HANDED_OVER, 1)
    _sms(app, appointment_id, local_midnight - timedelta(minutes=30), MessageStatus.DELIVERED, 1, 10)  # last month
    html = owner_browser.get("/messages/usage").get_data(as_text=True)
    row = re.search(rf'data-month="{this_month:%Y-%m}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row)[1:] == ["4", "2", "1", "5", "€0.50"]
    last = (this_month - timedelta(days=1)).replace(day=1)
    assert 'data-cents="10"' in re.search(rf'data-month="{last:%Y-%m}">(.*?)</tr>', html, re.S).group(1)
    assert 'data-test="total" data-cents="60"' in html
    exported = list(csv.DictReader(io.StringIO(owner_browser.get("/messages/usage.csv").get_data(as_text=True))))
    lines = {line["month"]: line for line in exported}
    assert lines[f"{this_month:%Y-%m}"]["cost_eur"] == "0.50" and lines[f"{last:%Y-%m}"]["cost_eur"] == "0.10"
    assert lines[f"{this_month:%Y-%m}"]["segments_charged"] == "5" and len(exported) == 12


def test_staff_cannot_open_the_editor_or_the_invoices(app):
    browser = log_in(app.test_client(), make_user(app, Role.STAFF))
    for url in (SMS_EDITOR, "/messages/templates/", "/messages/usage", "/messages/usage.csv", "/settings/messaging"):
        assert browser.get(url).status_code == 403
