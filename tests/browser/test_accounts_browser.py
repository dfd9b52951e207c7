"""The owner invites a colleague, who joins, switches on two-step login and logs in with a code; the owner then
deactivates them and their open session ends. The audit trail shows it all, in order, with who and when."""
import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select

from practice.extensions import db
from practice.messages import sending
from practice.models import User
from practice.enums import Role
from tests.conftest import PASSWORD, make_user
from tests.integration.test_messages import use_smtp

COLLEAGUE_PASSWORD = "seven green lanterns glow"


def _log_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _next_time_step():
    """Wait until the authenticator shows a new code (a code is good once)."""
    time.sleep(30 - time.time() % 30 + 0.5)


def test_invite_join_two_step_login_and_deactivation_in_the_browser(app, page, browser, live_server, smtp_server):
    use_smtp(app, smtp_server)
    owner = make_user(app, Role.OWNER, email="owner@fysio.test")
    _log_in(page, owner.email, PASSWORD)
    page.locator("[data-test=agenda-day]").wait_for()

    # The owner invites a colleague.
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Name").fill("Sanne Bakker")
    page.get_by_label("E-mail address").fill("sanne@fysio.test")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("The invitation is on its way to sanne@fysio.test.").wait_for()
    with app.app_context():  # the worker's minute round
        sending.send_due(datetime.now(UTC) + timedelta(seconds=1))
    [mail] = smtp_server.inbox.to("sanne@fysio.test")
    link = re.search(r"https?://\S+/welcome/\S+", mail.get_body(("plain",)).get_content()).group(0)

    # The colleague, in a browser of their own, chooses a password and is in.
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/Amsterdam")
    colleague = context.new_page()
    colleague.goto(link.replace(app.config["PUBLIC_BASE_URL"].rstrip("/"), live_server.url))
    colleague.get_by_label("New password", exact=True).fill(COLLEAGUE_PASSWORD)
    colleague.get_by_label("The new password again").fill(COLLEAGUE_PASSWORD)
    colleague.get_by_role("button", name="Save and log in").click()
    colleague.locator("[data-test=agenda-day]").wait_for()

    # Two-step login, set up with the key shown beside the QR code.
    colleague.get_by_role("link", name="Sanne Bakker").click()
    colleague.get_by_role("link", name="Switch two-step login on").click()
    assert colleague.locator("[data-test=qr]").get_attribute("src").startswith("data:image/svg+xml")
    secret = colleague.locator("[data-test=secret]").inner_text()
    colleague.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    colleague.get_by_role("button", name="Switch on").click()
    assert len(colleague.locator("[data-test=recovery-codes] li").all()) == 10
    colleague.get_by_role("button", name="Log out").click()
    colleague.get_by_role("heading", name="Log in").wait_for()

    # In again: the password, then a fresh code from the app.
    _next_time_step()
    _log_in(colleague, "sanne@fysio.test", COLLEAGUE_PASSWORD)
    colleague.get_by_role("heading", name="Your code").wait_for()
    colleague.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    colleague.get_by_role("button", name="Log in").click()
    colleague.locator("[data-test=agenda-day]").wait_for()

    # The owner deactivates the account; the colleague's open session ends at once.
    page.get_by_role("link", name="Users").click()
    page.locator("[data-email='sanne@fysio.test']").get_by_role("button", name="Deactivate").click()
    page.get_by_text("Account deactivated; its sessions have ended.").wait_for()
    colleague.reload()
    colleague.get_by_role("heading", name="Log in").wait_for()
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.email == "sanne@fysio.test")).active

    # The audit trail: newest first, who and when.
    page.get_by_role("link", name="Audit trail").click()
    rows = page.locator("[data-test=audit-event]")
    actions = [row.get_attribute("data-action") for row in rows.all()]
    assert actions == ["user_deactivated", "two_step_on", "user_joined", "user_invited"], actions
    who = [row.locator("td").nth(1).inner_text() for row in rows.all()]
    assert who == ["Owner User", "Sanne Bakker", "Sanne Bakker", "Owner User"], who
    assert all(row.locator("time").get_attribute("datetime") for row in rows.all())
    assert page.console_errors == []
    context.close()
