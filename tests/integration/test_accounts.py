"""Accounts the practice runs itself: invitations and password resets by e-mail (one-time links through the
outbox), roles and deactivation, passwords, two-step login, sessions that end, and the audit trail of it all."""
import re
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import select

from practice.enums import AuditAction, MessageKind, MessageStatus, Role
from practice.extensions import db
from practice.messages import sending
from practice.models import Message, User
from tests.conftest import PASSWORD, Account, csrf_token, log_in
from tests.integration.test_messages import use_smtp

NEW_PASSWORD = "a river of silver lamps"


def post(browser, url, **fields):
    return browser.post(url, data={"csrf_token": csrf_token(browser), **fields})


def send_due(app):
    with app.app_context():
        return sending.send_due(datetime.now(UTC) + timedelta(seconds=1))


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/\S+)", text).group(1)


def trail(app) -> list[tuple[str, str]]:
    from practice.audit.models import AuditEvent

    with app.app_context():
        return [(event.action, event.actor_label) for event in db.session.scalars(select(AuditEvent)
                                                                                  .order_by(AuditEvent.id))]


def test_an_invited_colleague_chooses_a_password_once_and_the_link_then_no_longer_works(app, owner, smtp_server):
    use_smtp(app, smtp_server)
    boss = log_in(app.test_client(), owner)
    assert post(boss, "/users/", name="Sanne Bakker", email="Sanne@Fysio.test", role="staff").status_code == 303
    assert send_due(app) == 1
    [mail] = smtp_server.inbox.messages
    assert mail["To"] == "sanne@fysio.test"
    welcome = link_in(mail)
    with app.app_context():  # the log keeps the text, not the link that opens an account
        message = db.session.scalar(select(Message).where(Message.kind == MessageKind.INVITATION))
        assert message.status == MessageStatus.HANDED_OVER and welcome.rsplit("/", 1)[1] not in message.body
    newcomer = app.test_client()
    assert "Sanne Bakker" in newcomer.get(welcome).get_data(as_text=True)
    refused = post(newcomer, welcome, password="password123", repeat="password123")
    assert refused.status_code == 422 and "most common" in refused.get_data(as_text=True)
    assert post(newcomer, welcome, password=NEW_PASSWORD, repeat=NEW_PASSWORD).status_code == 302
    assert newcomer.get("/agenda/").status_code == 200
    assert newcomer.get(welcome).status_code == 404
    with app.app_context():
        joined = db.session.scalar(select(User).where(User.email == "sanne@fysio.test"))
        assert joined.role == Role.STAFF and joined.check_password(NEW_PASSWORD)
    assert trail(app) == [(AuditAction.USER_INVITED, "Owner User"), (AuditAction.USER_JOINED, "Sanne Bakker")]


def test_an_invitation_expires_after_two_days(app, owner, smtp_server):
    use_smtp(app, smtp_server)
    post(log_in(app.test_client(), owner), "/users/", name="Late Comer", email="late@fysio.test", role="staff")
    send_due(app)
    welcome = link_in(smtp_server.inbox.messages[0])
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=49)):
        assert app.test_client().get(welcome).status_code == 404


def test_a_forgotten_password_answers_alike_for_any_address_and_resets_once(app, staff, smtp_server):
    use_smtp(app, smtp_server)
    old_session = log_in(app.test_client(), staff)
    visitor = app.test_client()
    answers = []
    for seconds, address in enumerate((staff.email, "nobody@fysio.test")):
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=2 * seconds)):  # a new second: new CSRF tokens
            page = post(visitor, "/password/forgot", email=address).get_data(as_text=True)
        answers.append(re.sub(r'[\w-]+\.[\w-]{6}\.[\w-]{27}', "TOKEN", page))
    assert answers[0] == answers[1] and 'data-test="reset-sent"' in answers[0]
    assert send_due(app) == 1  # one e-mail, to the address that has an account
    reset = link_in(smtp_server.inbox.messages[0])
    assert post(visitor, reset, password=NEW_PASSWORD, repeat="something else").status_code == 422
    assert post(visitor, reset, password=NEW_PASSWORD, repeat=NEW_PASSWORD).status_code == 303
    assert old_session.get("/agenda/").status_code == 302  # every session ended with the old password
    assert visitor.get(reset).status_code == 404
    assert log_in(app.test_client(), Account(staff.id, staff.email, NEW_PASSWORD)).get("/agenda/").status_code == 200


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app, staff):
    here, elsewhere = log_in(app.test_client(), staff), log_in(app.test_client(), staff)
    wrong = post(here, "/account/password", current="not it at all", new=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    assert post(here, "/account/password", current=PASSWORD, new=NEW_PASSWORD, repeat=NEW_PASSWORD).status_code == 302
    assert here.get("/agenda/").status_code == 200
    assert elsewhere.get("/agenda/").status_code == 302
    assert post(here, "/account/sign-out-everywhere").status_code == 303
    assert here.get("/agenda/").status_code == 302


def test_the_owner_changes_roles_and_a_deactivated_colleague_is_out_at_once(app, owner, staff):
    boss, colleague = log_in(app.test_client(), owner), log_in(app.test_client(), staff)
    assert colleague.get("/users/").status_code == 403
    post(boss, f"/users/{staff.id}/role", role="owner")
    assert colleague.get("/settings/").status_code == 200  # an owner now
    post(boss, f"/users/{staff.id}/active", active="no")
    with app.app_context():
        assert not db.session.get(User, staff.id).active
    assert colleague.get("/agenda/").status_code == 302
    assert post(app.test_client(), "/login", email=staff.email, password=PASSWORD).status_code == 401


def test_the_last_owner_cannot_be_demoted_or_deactivated(app, owner):
    boss = log_in(app.test_client(), owner)
    post(boss, f"/users/{owner.id}/role", role="staff")
    post(boss, f"/users/{owner.id}/active", active="no")
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert user.role == Role.OWNER and user.active


def test_two_step_login_with_an_app_and_with_a_recovery_code(app, staff):
    browser = log_in(app.test_client(), staff)
    page = browser.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r'data-test="secret">([A-Z2-7]+)<', page).group(1)
    assert 'src="data:image/svg+xml' in page
    assert post(browser, "/account/two-step", code="000000").status_code == 422
    shown = post(browser, "/account/two-step", code=pyotp.TOTP(secret).now()).get_data(as_text=True)
    codes = re.findall(r"<code>(\d{5}-\d{5})</code>", shown)
    assert len(codes) == 10
    post(browser, "/logout")

    later = datetime.now(UTC) + timedelta(seconds=31)  # the code used to switch it on is spent
    with time_machine.travel(later, tick=False):
        fresh = app.test_client()
        step = post(fresh, "/login", email=staff.email, password=PASSWORD)
        assert step.status_code == 302 and step.headers["Location"].endswith("/login/code")
        assert fresh.get("/agenda/").status_code == 302  # a password alone opens nothing
        assert post(fresh, "/login/code", code="123456").status_code == 401
        code = pyotp.TOTP(secret).at(later)
        assert post(fresh, "/login/code", code=code).status_code == 302
        assert fresh.get("/agenda/").status_code == 200

        replay = app.test_client()
        post(replay, "/login", email=staff.email, password=PASSWORD)
        assert post(replay, "/login/code", code=code).status_code == 401  # a code is good once
        assert post(replay, "/login/code", code=codes[0]).status_code == 302  # a recovery code, once
        again = app.test_client()
        post(again, "/login", email=staff.email, password=PASSWORD)
        assert post(again, "/login/code", code=codes[0]).status_code == 401


def test_when_the_practice_requires_two_step_login_it_comes_first(app, owner, staff):
    post(log_in(app.test_client(), owner), "/settings/security", two_step_required="y", session_idle_minutes="120",
         session_hours="10")
    browser = log_in(app.test_client(), staff)
    response = browser.get("/agenda/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-step")


def test_a_session_ends_when_idle_too_long_and_after_its_hours_whatever_happens(app, staff):
    browser = log_in(app.test_client(), staff)
    now = datetime.now(UTC)
    with time_machine.travel(now + timedelta(minutes=110)):
        assert browser.get("/agenda/").status_code == 200  # within two idle hours
    with time_machine.travel(now + timedelta(minutes=110 + 121)):
        assert browser.get("/agenda/").status_code == 302  # idle too long
    busy = log_in(app.test_client(), staff)
    for hours in range(1, 12):
        with time_machine.travel(now + timedelta(hours=hours)):
            code = busy.get("/agenda/").status_code
        if hours < 10:
            assert code == 200, hours
    assert code == 302  # ten hours after the login, however busy


def test_the_audit_page_shows_who_did_what_and_is_the_owners(app, owner, staff, agenda):
    from tests.conftest import make_client

    desk = log_in(app.test_client(), staff)
    client_id = make_client(app)
    post(desk, f"/clients/{client_id}/consent", granted="yes", source="in_person", note="signed form")
    assert desk.get("/audit/").status_code == 403
    page = log_in(app.test_client(), owner).get("/audit/").get_data(as_text=True)
    assert 'data-action="consent_granted"' in page and "Staff User" in page
