"""The weaknesses a probe of the running app found, each reproduced and closed: sessions that outlive a logout,
a link that moves an appointment again and again, 500s for out-of-range input, login timing that tells which
addresses exist, a lockout of the shared address, weak secrets, world-readable instance files, secrets in logs,
replayed delivery reports, and a cacheable public page."""
import logging
import stat
import time
from datetime import UTC, datetime, timedelta
from statistics import median

import pytest
import time_machine
from sqlalchemy import func, select

from practice.config import ConfigError, load_config
from practice.enums import Channel, MessageKind, MessageStatus
from practice.extensions import db
from practice.messages import reports
from practice.models import Appointment, Message, MessageEvent, OnlineMove, Practice, TimeOff
from tests.conftest import PASSWORD, Account, csrf_token, log_in, make_client
from tests.integration.test_rescheduling import NEXT_WEEK, book, csrf, local, token_of

HUGE = "9" * 31


# --- sessions that end --------------------------------------------------------------------------------------------

def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(app, owner):
    browser = log_in(app.test_client(), owner)
    copied = browser.get_cookie("session").value
    assert browser.get("/agenda/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser)})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    for page in ("/agenda/", "/settings/"):
        response = thief.get(page)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), page


# --- one link, a limited number of moves ----------------------------------------------------------------------

def test_one_link_moves_an_appointment_a_limited_number_of_times_and_never_twice_in_a_row(app, agenda, online):
    day = NEXT_WEEK + timedelta(days=1)
    appointment_id = book(app, agenda, local(day, 9), language="en")  # the page speaks the client's language
    url, visitor = f"/r/{token_of(app, appointment_id)}", app.test_client()

    def move_to(hour):
        token = csrf(visitor.get(url).get_data(as_text=True))
        return visitor.post(url, data={"csrf_token": token, "start": local(day, hour).isoformat(), "action": "confirm"})

    assert move_to(10).status_code == 200
    again = move_to(11)  # straight away
    assert again.status_code == 409 and "a few minutes" in again.get_data(as_text=True)
    with app.app_context():
        limit = Practice.current().reschedule_moves_per_link
    assert limit == 3
    for hour in (11, 12):
        with app.app_context():  # the short interval has passed
            for move in db.session.scalars(select(OnlineMove)):
                move.moved_at -= timedelta(hours=1)
            db.session.commit()
        assert move_to(hour).status_code == 200
    with app.app_context():
        for move in db.session.scalars(select(OnlineMove)):
            move.moved_at -= timedelta(hours=1)
        db.session.commit()
    fourth = move_to(13)
    assert fourth.status_code == 409 and "3 times" in fourth.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).start == local(day, 12)
        assert db.session.scalar(select(func.count(OnlineMove.id))) == 3


# --- out-of-range input answers 400 or 404, and changes nothing ------------------------------------------------

@pytest.mark.parametrize("path", [
    "/agenda/?day=0001-01-01", "/agenda/?day=9999-12-31&view=week", "/messages/?from=0001-01-01&to=9999-12-31",
    "/messages/forecast?days=99999999999999999999", f"/agenda/appointments/{HUGE}", f"/clients/{HUGE}",
    f"/messages/{HUGE}", f"/settings/locations/{HUGE}", f"/settings/practitioners/{HUGE}",
    f"/agenda/appointments/new?client={HUGE}&day=9999-12-31",
])
def test_out_of_range_addresses_answer_400_or_404(app, owner, path):
    browser = log_in(app.test_client(), owner)
    assert browser.get(path).status_code in (200, 400, 404), path


def test_out_of_range_form_values_are_refused_with_a_message_and_store_nothing(app, owner, agenda):
    browser = log_in(app.test_client(), owner)
    client_id = make_client(app)
    base = {"client_id": client_id, "practitioner_id": agenda.practitioner, "appointment_type_id": agenda.treatment,
            "location_id": agenda.location, "time": "10:00", "notes": "", "csrf_token": csrf_token(browser)}
    for changes in ({"day": "9999-12-31"}, {"day": "0001-01-01"}, {"client_id": HUGE, "day": "2026-12-07"},
                    {"practitioner_id": HUGE, "day": "2026-12-07"}):
        response = browser.post("/agenda/appointments/new", data=base | changes)
        assert response.status_code == 422, changes
    time_off = {"start_day": "9999-12-31", "start_at": "09:00", "end_day": "9999-12-31", "end_at": "10:00",
                "reason": "", "csrf_token": csrf_token(browser)}
    assert browser.post(f"/settings/practitioners/{agenda.practitioner}/time-off", data=time_off).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id))) == 0
        assert db.session.scalar(select(func.count(TimeOff.id))) == 0


def test_the_public_page_refuses_a_time_at_the_end_of_the_calendar(app, agenda, online):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 9))
    url, visitor = f"/r/{token_of(app, appointment_id)}", app.test_client()
    token = csrf(visitor.get(url).get_data(as_text=True))
    for start in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:00+00:00", "x" * 1000):
        assert visitor.post(url, data={"csrf_token": token, "start": start, "action": "confirm"}).status_code in (400,
                                                                                                                    409)
    assert visitor.get(f"{url}/times?day=9999-12-31").status_code in (200, 400)
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).start == local(NEXT_WEEK, 9)


def test_a_delivery_report_with_a_non_ascii_signature_is_refused_plainly(client):
    assert client.get("/callbacks/sms/sink?ref=1&sig=%C3%A9%C3%A9&outcome=delivered").status_code == 403


# --- logins: no timing oracle, no lockout of the desk ----------------------------------------------------------

def test_a_login_takes_as_long_for_an_unknown_address_as_for_a_known_one(app, staff):
    browser = app.test_client()

    def attempt(email):
        token = csrf_token(browser)
        started = time.perf_counter()
        browser.post("/login", data={"email": email, "password": "wrong password!", "csrf_token": token})
        return time.perf_counter() - started

    app.config["RATELIMIT_ENABLED"] = False
    known = median(attempt(staff.email) for _ in range(5))
    unknown = median(attempt(f"nobody{n}@fysio.test") for n in range(5))
    assert unknown > known / 2, (known, unknown)  # today: ~13 ms against ~117 ms


def test_failed_logins_slow_down_that_account_and_never_lock_out_the_address(app, staff, owner):
    browser = app.test_client()

    def login(account, password):
        return browser.post("/login", data={"email": account.email, "password": password,
                                            "csrf_token": csrf_token(browser)})

    with time_machine.travel(datetime.now(UTC), tick=False):  # the first wait is a second: the clock stands still
        answers = [login(staff, "wrong password!").status_code for _ in range(7)]
        assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
        waiting = login(staff, PASSWORD)  # the account waits, even with the right password
        assert waiting.status_code == 429 and "seconds" in waiting.get_data(as_text=True)
        assert login(owner, PASSWORD).status_code == 302  # a colleague at the same desk gets in
        browser.post("/logout", data={"csrf_token": csrf_token(browser)})
        nobody = Account(0, "nobody@fysio.test")  # an address nobody has gets the very same answers
        assert [login(nobody, "wrong password!").status_code for _ in range(7)] == answers
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2), tick=False):  # the wait is over
        assert login(staff, PASSWORD).status_code == 302


# --- secrets, files and logs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", ["a" * 32, "password" * 4, "0123456789" * 4, "abcdefghijklmnopqrstuvwxyzabcdef"])
def test_a_guessable_secret_key_is_refused_in_production(tmp_path, secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"PRACTICE_ENV": "production", "PRACTICE_INSTANCE": str(tmp_path), "SECRET_KEY": secret})


def test_a_random_secret_key_is_accepted(tmp_path):
    import secrets

    config = load_config({"PRACTICE_ENV": "production", "PRACTICE_INSTANCE": str(tmp_path),
                          "SECRET_KEY": secrets.token_urlsafe(32)})
    assert config["PRODUCTION"]


def test_instance_files_are_private_from_the_start(tmp_path, monkeypatch):
    from practice.app import create_app

    folder = tmp_path / "instance"
    monkeypatch.setenv("PRACTICE_INSTANCE", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("HUEY_URL", f"sqlite:///{folder / 'huey.db'}")
    app = create_app()
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    for name in ("secret_key", "practice.db", "huey.db"):
        mode = stat.S_IMODE((folder / name).stat().st_mode)
        assert mode & 0o077 == 0, (name, oct(mode))


def test_links_signatures_and_typed_addresses_stay_out_of_the_logs(app, agenda, online, caplog):
    from practice.web import redacted

    token = token_of(app, book(app, agenda, local(NEXT_WEEK, 9)))
    assert token not in redacted(f'"GET /r/{token}/times?day=2026-12-08 HTTP/1.1" 200')
    assert "abcdef0123456789" not in redacted('"GET /callbacks/sms/kannel?ref=4&sig=abcdef0123456789&type=1 HTTP/1.1"')
    with caplog.at_level(logging.INFO):
        browser = app.test_client()
        browser.post("/login", data={"email": "someone.secret@example.com", "password": "nope nope nope",
                                     "csrf_token": csrf_token(browser)})
    assert "someone.secret" not in caplog.text


# --- delivery reports ---------------------------------------------------------------------------------------------

def test_a_repeated_delivery_report_is_recorded_once_and_a_late_one_never_moves_the_status_back(app):
    from practice.channels.sms_gateways import KannelGateway

    gateway = KannelGateway("http://127.0.0.1:1/cgi-bin/sendsms", "app", "secret")
    with app.app_context():
        message = Message(dedupe_key="report-test", kind=MessageKind.CONFIRMATION, channel=Channel.SMS,
                          recipient="+31612345678", due_at=datetime.now(UTC), status=MessageStatus.HANDED_OVER,
                          segments=1)
        db.session.add(message)
        db.session.commit()
        reference = str(message.id)
        report = {"ref": reference, "sig": reports.report_signature(reference), "answer": "id:1 stat:DELIVRD"}
        for _ in range(3):  # the same report, replayed
            reports.record_report(gateway, report | {"type": "1"}, datetime.now(UTC))
        reports.record_report(gateway, report | {"type": "8", "answer": "ACK"}, datetime.now(UTC))  # late "sent"
        message = db.session.get(Message, message.id)
        assert message.status == MessageStatus.DELIVERED and message.price_cents == 10
        statuses = db.session.scalars(select(MessageEvent.status).where(MessageEvent.message_id == message.id)
                                      .order_by(MessageEvent.id)).all()
        assert statuses == [MessageStatus.DELIVERED, MessageStatus.HANDED_OVER]


def test_delivery_reports_are_taken_only_from_the_gateways_addresses(app, client):
    with app.app_context():
        message = Message(dedupe_key="report-from", kind=MessageKind.CONFIRMATION, channel=Channel.SMS,
                          recipient="+31612345678", due_at=datetime.now(UTC), status=MessageStatus.HANDED_OVER)
        db.session.add(message)
        db.session.commit()
        reference = str(message.id)
        url = f"/callbacks/sms/sink?ref={reference}&sig={reports.report_signature(reference)}&outcome=delivered"
    app.config["SMS_REPORT_ADDRESSES"] = "10.1.2.3"
    assert client.get(url).status_code == 403
    app.config["SMS_REPORT_ADDRESSES"] = "127.0.0.1"
    assert client.get(url, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200


# --- the public page is not kept --------------------------------------------------------------------------------

def test_the_public_page_is_neither_cached_nor_referred(app, agenda, online):
    url = f"/r/{token_of(app, book(app, agenda, local(NEXT_WEEK, 9)))}"
    response = app.test_client().get(url)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
