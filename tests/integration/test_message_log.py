"""The message log: a page at a time (history newest first by when each went out, planned ones by when they are
due), filters in the query string, clear words for a filter it cannot read, and index-only page reads."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from practice.enums import Channel, MessageKind, MessageStatus, NotSentReason
from practice.extensions import db
from practice.messages import log as message_log
from practice.models import Appointment, Message
from tests.conftest import log_in, make_client, make_user

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _appointment(app, agenda, client_id) -> int:
    with app.app_context():
        appointment = Appointment(client_id=client_id, practitioner_id=agenda.practitioner, location_id=agenda.location,
                                  appointment_type_id=agenda.treatment, start=NOW, end=NOW + timedelta(minutes=30))
        db.session.add(appointment)
        db.session.commit()
        return appointment.id


def _messages(app, appointment_id, *rows) -> list[int]:
    """rows: dicts with at least due_at; went out (handed over) at due_at unless told otherwise."""
    with app.app_context():
        messages = []
        for n, row in enumerate(rows):
            values = {"dedupe_key": f"{appointment_id}:{n}:{row['due_at'].isoformat()}", "appointment_id": appointment_id,
                      "kind": MessageKind.REMINDER, "channel": Channel.EMAIL, "recipient": "anna@example.com",
                      "status": MessageStatus.HANDED_OVER, "status_at": row["due_at"],
                      "handed_over_at": row["due_at"]} | row
            messages.append(Message(**values))
        db.session.add_all(messages)
        db.session.commit()
        return [message.id for message in messages]


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-test="message" data-status="\w+" data-id="(\d+)"', html)]


def _link(html: str, label: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*>[^<]*{label}', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_log_pages_through_the_history_newest_first_by_when_each_went_out(app, client, staff, agenda):
    appointment_id = _appointment(app, agenda, make_client(app))
    ids = _messages(app, appointment_id, *({"due_at": NOW - timedelta(hours=n)} for n in range(120)))
    # Due long ago but handed over only now (the worker was down): it went out last, so it leads the log.
    [late] = _messages(app, appointment_id, {"due_at": NOW - timedelta(days=30), "handed_over_at": NOW + timedelta(minutes=5)})
    [planned] = _messages(app, appointment_id, {"due_at": NOW + timedelta(days=1), "status": MessageStatus.PLANNED,
                                                "handed_over_at": None})
    log_in(client, staff)
    seen, url, pages = [], "/messages/", []
    while url:
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert html.lstrip().startswith('<div id="message-log"')
        pages.append(html)
        seen += _ids(html)
        url = _link(html, "Older")
    assert [len(_ids(page)) for page in pages] == [25, 25, 25, 25, 21]
    assert seen == [late, *ids] and planned not in seen
    back = client.get(_link(pages[4], "Newer"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _ids(back) == _ids(pages[3])
    assert _link(pages[0], "Newer") is None


def test_a_row_says_when_it_went_out_what_it_was_for_whom_and_how_it_ended(app, client, agenda):
    reader = make_user(app, language="en")
    zoe = make_client(app, first_name="Zoë", last_name="Dupont")
    appointment_id = _appointment(app, agenda, zoe)
    # Handed over at 11:05 UTC: 12:05 PM in Amsterdam, the practice's zone.
    [sent] = _messages(app, appointment_id, {"due_at": NOW - timedelta(hours=2),
                                             "handed_over_at": NOW - timedelta(minutes=55)})
    [refused] = _messages(app, appointment_id, {"due_at": NOW - timedelta(hours=3), "channel": Channel.SMS,
                                                "recipient": "+31612345678", "status": MessageStatus.NOT_SENT,
                                                "reason": NotSentReason.NO_CONSENT, "handed_over_at": None})
    [about_no_appointment] = _messages(app, None, {"due_at": NOW - timedelta(hours=4), "client_id": zoe})
    log_in(client, reader)
    html = client.get("/messages/").get_data(as_text=True)
    rows = {int(found.group(1)): found.group(0)
            for found in re.finditer(r'<tr data-test="message"[^>]* data-id="(\d+)">.*?</tr>', html, re.S)}
    assert list(rows) == [sent, refused, about_no_appointment]
    assert f'<a href="/messages/{sent}">12/7/26, 12:05\u202fPM</a>' in rows[sent]
    assert f'<a href="/agenda/appointments/{appointment_id}">Zoë Dupont</a>' in rows[sent]
    assert "Reminder" in rows[sent] and "E-mail" in rows[sent] and ">Handed over</span>" in rows[sent]
    assert ">Not sent</span>" in rows[refused] and "no SMS consent" in rows[refused] and "SMS" in rows[refused]
    assert "/agenda/appointments/" not in rows[about_no_appointment] and "Zoë" not in rows[about_no_appointment]


def test_planned_messages_have_their_own_tab_soonest_first(app, client, staff, agenda):
    appointment_id = _appointment(app, agenda, make_client(app))
    later, sooner = _messages(app, appointment_id, *({"due_at": NOW + timedelta(days=days), "handed_over_at": None,
                                                      "status": MessageStatus.PLANNED} for days in (3, 1)))
    [sent] = _messages(app, appointment_id, {"due_at": NOW})
    log_in(client, staff)
    html = client.get("/messages/?status=planned").get_data(as_text=True)
    assert _ids(html) == [sooner, later]
    assert re.search(r'<a href="/messages/\?status=planned"\s+aria-current="page">Planned</a>', html)
    assert _ids(client.get("/messages/").get_data(as_text=True)) == [sent]


def test_the_log_filters_by_client_channel_status_kind_and_local_days_in_the_address(app, client, staff, agenda):
    anna, bram = make_client(app), make_client(app, first_name="Bram", last_name="Jansen")
    annas, brams = _appointment(app, agenda, anna), _appointment(app, agenda, bram)
    # 23:30 UTC on 6 December is 00:30 on 7 December in Amsterdam, the practice's zone.
    evening, sms, failed, confirmation = _messages(
        app, annas, {"due_at": datetime(2026, 12, 6, 23, 30, tzinfo=UTC)},
        {"due_at": NOW - timedelta(days=3), "channel": Channel.SMS, "recipient": "+31612345678"},
        {"due_at": NOW - timedelta(days=4), "status": MessageStatus.UNDELIVERABLE},
        {"due_at": NOW - timedelta(days=5), "kind": MessageKind.CONFIRMATION})
    [other] = _messages(app, brams, {"due_at": NOW - timedelta(days=1)})
    # To Anna about no appointment (the last SMS after her STOP), and one with both (the desk's answer to her reply).
    to_anna = {"client_id": anna, "channel": Channel.SMS, "recipient": "+31612345678"}
    [stopped, answered] = _messages(
        app, None, to_anna | {"due_at": NOW - timedelta(days=6), "kind": MessageKind.SMS_STOPPED},
        to_anna | {"due_at": NOW - timedelta(days=7), "appointment_id": annas, "kind": MessageKind.ANSWER})
    log_in(client, staff)
    for query, expected in ((f"client={anna}", [evening, sms, failed, confirmation, stopped, answered]),
                            (f"client={bram}", [other]), ("channel=sms", [sms, stopped, answered]),
                            ("status=undeliverable", [failed]), ("kind=confirmation", [confirmation]),
                            ("from=2026-12-07&to=2026-12-07", [evening]),
                            ("to=2026-12-06", [other, sms, failed, confirmation, stopped, answered]),
                            (f"client={anna}&channel=email&kind=reminder", [evening, failed])):
        html = client.get(f"/messages/?{query}").get_data(as_text=True)
        assert _ids(html) == expected, query
    page = client.get(f"/messages/?client={anna}&status=undeliverable").get_data(as_text=True)
    assert 'name="client" value="%d"' % anna in page and '<option value="undeliverable" selected>' in page


@pytest.mark.parametrize("query, words", [
    ("from=yesterday", "is not a date"), ("to=2026-13-01", "is not a date"), ("from=0001-01-01", "is not a date"),
    ("status=lost", "There is no message status"), ("channel=pigeon", "There is no channel"),
    ("kind=postcard", "There is no kind of message"), ("client=abc", "is not a number"),
    ("client=99999999999999", "is not a number"), ("client=4242", "There is no such client"),
    ("after=4242", "This page of the log no longer exists"),
])
def test_a_filter_the_log_cannot_read_gets_a_clear_message_not_an_error_page(app, client, staff, query, words):
    log_in(client, staff)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(f"/messages/?{query}", headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and words in html and 'data-test="log-problem"' in html, query


@pytest.mark.stack("embedded", reason="reads SQLite's query plans")
def test_every_page_of_the_log_is_read_along_an_index_without_sorting(app, agenda):
    with app.app_context():
        practice_tz = "Europe/Amsterdam"
        for filters in (message_log.Filters(), message_log.Filters(status=MessageStatus.DELIVERED),
                        message_log.Filters(status=MessageStatus.PLANNED), message_log.Filters(channel=Channel.SMS),
                        message_log.Filters(first_day=NOW.date(), last_day=NOW.date())):
            statements = []
            listen = lambda *args: statements.append((args[2], args[3]))  # noqa: E731
            db.event.listen(db.engine, "before_cursor_execute", listen)
            message_log.load_page(filters, practice_tz)
            db.event.remove(db.engine, "before_cursor_execute", listen)
            [(statement, parameters)] = [each for each in statements if "FROM message" in each[0]]
            explained = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " | ".join(row[3] for row in explained)
            assert "USING INDEX ix_message_" in plan and "TEMP B-TREE" not in plan, (filters, plan)

