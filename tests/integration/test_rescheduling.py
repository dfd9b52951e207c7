"""The client's public page: who may move what, when; unguessable links; a race for one time; friendly
answers to broken links and to too many tries."""
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, time as clock, timedelta
from http.cookiejar import CookieJar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.agenda import services as booking
from practice.extensions import db
from practice.messages import content
from practice.enums import AppointmentStatus, MessageKind, Role
from practice.models import Appointment, Message, OnlineMove, Practice
from practice.messages.content import issue_token as link_token
from tests.conftest import log_in, make_client, make_user

ZONE = ZoneInfo("Europe/Amsterdam")
NEXT_WEEK = datetime.now(ZONE).date() + timedelta(days=7)


def book(app, agenda, start: datetime, **client) -> int:
    with app.app_context():
        return booking.book(booking.Booking(client_id=make_client(app, **client), practitioner_id=agenda.practitioner,
                                            appointment_type_id=agenda.treatment, location_id=agenda.location,
                                            start=start.astimezone(UTC)), "Europe/Amsterdam").id


def token_of(app, appointment_id) -> str:
    with app.app_context():
        token = link_token(db.session.get(Appointment, appointment_id))
        db.session.commit()
        return token


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), ZONE)


def csrf(html: str) -> str:
    """The page's CSRF token, from a form or from the header htmx sends (pages without a form have that)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    return found.group(1)


def start_of(app, appointment_id) -> datetime:
    with app.app_context():
        return db.session.get(Appointment, appointment_id).start


def test_the_link_is_unguessable_holds_no_personal_data_and_is_stored_only_as_a_hash(app, agenda, online):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), first_name="Annelies", last_name="Verhoeven")
    token = token_of(app, appointment_id)
    assert token == token_of(app, appointment_id)  # the same link in every message
    assert len(token) >= 22 and "nnelies" not in token.lower() and "verhoeven" not in token.lower()
    with app.app_context():
        stored = db.session.get(Appointment, appointment_id)
        assert stored.link_hash and token not in (stored.link_hash, stored.link_nonce)
        other = book(app, agenda, local(NEXT_WEEK, 11), email="b@example.com")
        assert link_token(db.session.get(Appointment, other)) != token


def test_the_page_shows_the_appointment_in_the_clients_language_and_the_practitioners_free_times(
        app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), language="de", first_name="Jonas")
    book(app, agenda, local(NEXT_WEEK, 14), email="other@example.com", first_name="Bettina")  # busy 14:00-14:30
    page = client.get(f"/r/{token_of(app, appointment_id)}").get_data(as_text=True)
    assert "Ihr Termin" in page and "Sophie Verbeek" in page and "Behandeling" in page
    times = re.findall(r'data-test="time">(\d\d:\d\d)<', page)
    assert "07:00" in times and "19:30" in times and "10:00" not in times  # its own time is not offered
    assert "14:00" not in times and "13:45" not in times and "14:30" in times  # the other appointment's time
    assert "Bettina" not in page and "other@example.com" not in page  # nothing of another client


def test_a_move_changes_the_agenda_plans_notices_and_records_the_activity(app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10))
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    target = local(NEXT_WEEK + timedelta(days=1), 15, 30)
    response = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "start": target.isoformat(),
                                                 "action": "confirm"})
    assert response.status_code == 200 and 'data-test="moved"' in response.get_data(as_text=True)
    assert start_of(app, appointment_id) == target
    with app.app_context():
        [move] = db.session.scalars(select(OnlineMove)).all()
        assert (move.appointment_id, move.from_start, move.to_start) == (
            appointment_id, local(NEXT_WEEK, 10), target)
        kinds = {(m.kind, m.recipient) for m in db.session.scalars(
            select(Message).where(Message.appointment_id == appointment_id, Message.status == "planned"))}
    assert (MessageKind.RESCHEDULED, "anna@example.com") in kinds
    assert (MessageKind.PRACTICE_NOTICE, "info@fysio.test") in kinds


def test_a_tapped_time_is_shown_beside_the_old_one_and_nothing_moves_without_the_confirm_step(app, agenda, online,
                                                                                            client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10))
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    target = local(NEXT_WEEK + timedelta(days=1), 15, 30)
    asked = client.get(f"/r/{token}/times", query_string={"start": target.isoformat()},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    old, new = (re.search(rf'data-test="{name}">(.*?)</p>', asked, re.S).group(1) for name in ("old-time", "new-time"))
    assert "10:00" in old and "15:30" in new and 'data-test="confirm"' in asked
    # The tap itself as a plain POST (what the page sent before there was a confirm step) moves nothing: it asks.
    tapped = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "start": target.isoformat()})
    assert tapped.status_code == 200 and 'data-test="confirm-move"' in tapped.get_data(as_text=True)
    assert start_of(app, appointment_id) == local(NEXT_WEEK, 10)
    without_csrf = client.post(f"/r/{token}", data={"start": target.isoformat(), "action": "confirm"})
    assert without_csrf.status_code == 400 and start_of(app, appointment_id) == local(NEXT_WEEK, 10)
    confirmed = client.post(f"/r/{token}", data={"csrf_token": csrf(asked), "start": target.isoformat(),
                                                  "action": "confirm"})
    assert 'data-test="moved"' in confirmed.get_data(as_text=True) and start_of(app, appointment_id) == target


@pytest.mark.parametrize("case", ["within the cutoff", "past", "cancelled", "switched off"])
def test_a_move_that_the_rules_forbid_is_refused_on_the_page_and_on_a_hand_made_post(app, agenda, online, client,
                                                                                        case):
    starts = {"within the cutoff": datetime.now(ZONE) + timedelta(hours=5), "past": datetime.now(ZONE) - timedelta(
        hours=5)}
    start = starts.get(case, local(NEXT_WEEK, 10)).replace(second=0, microsecond=0)
    with app.app_context():
        appointment = Appointment(client_id=make_client(app), practitioner_id=agenda.practitioner,
                                  appointment_type_id=agenda.treatment, location_id=agenda.location,
                                  start=start.astimezone(UTC), end=(start + timedelta(minutes=30)).astimezone(UTC))
        db.session.add(appointment)
        if case == "cancelled":
            appointment.status = AppointmentStatus.CANCELLED
        if case == "switched off":
            Practice.current().online_rescheduling = False
        db.session.commit()
        appointment_id = appointment.id
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-test="closed"' in html and "+31 20 555 0100" in html
    assert 'data-test="time"' not in html
    target = local(NEXT_WEEK + timedelta(days=2), 9)
    response = client.post(f"/r/{token}", data={"csrf_token": csrf(html), "start": target.isoformat()})
    assert response.status_code == 409 and 'data-test="closed"' in response.get_data(as_text=True)
    assert start_of(app, appointment_id) == start.astimezone(UTC)
    with app.app_context():
        assert db.session.scalar(select(func.count(OnlineMove.id))) == 0


def test_a_time_that_is_no_longer_free_is_refused_with_fresh_times(app, agenda, online, client):
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10))
    token = token_of(app, appointment_id)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    book(app, agenda, local(NEXT_WEEK, 16), email="quick@example.com")  # someone takes 16:00 meanwhile
    response = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "start": local(NEXT_WEEK, 16).isoformat(),
                                                 "action": "confirm"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "niet meer vrij" in html
    assert "16:00" not in re.findall(r'data-test="time">(\d\d:\d\d)<', html) and "16:30" in html
    assert start_of(app, appointment_id) == local(NEXT_WEEK, 10)
    off_grid = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "start": local(NEXT_WEEK, 16, 7).isoformat(),
                                                "action": "confirm"})
    assert off_grid.status_code == 409
    garbage = client.post(f"/r/{token}", data={"csrf_token": csrf(page), "start": "tomorrow", "action": "confirm"})
    assert garbage.status_code == 400 and start_of(app, appointment_id) == local(NEXT_WEEK, 10)


def test_twenty_clients_racing_for_one_time_exactly_one_gets_it(app, agenda, online, live_server):
    day = NEXT_WEEK + timedelta(days=1)
    appointments = [book(app, agenda, local(day, 7) + timedelta(minutes=30 * n), email=f"c{n}@example.com")
                    for n in range(20)]
    wanted = local(day, 18)
    prepared = []
    for appointment_id in appointments:  # each client opens their own page first (own cookies, own token)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        url = f"{live_server.url}/r/{token_of(app, appointment_id)}"
        prepared.append((opener, url, csrf(opener.open(url).read().decode())))
    start_together, results = threading.Barrier(len(prepared)), []

    def confirm(opener, url, token):
        data = urllib.parse.urlencode({"csrf_token": token, "start": wanted.isoformat(), "action": "confirm"}).encode()
        start_together.wait()
        try:
            response = opener.open(url, data=data, timeout=30)
            results.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            results.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=confirm, args=entry) for entry in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * 19
    assert all("niet meer vrij" in body for status, body in results if status == 409)
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.start == wanted)) == 1
        assert db.session.scalar(select(func.count(OnlineMove.id))) == 1


def test_an_unknown_or_broken_link_gets_a_friendly_404(client):
    for path in ("/r/AAAAAAAAAAAAAAAAAAAAAAAA", "/r/x", "/r/" + "y" * 80, "/r/AAAAAAAAAAAAAAAAAAAAAAAA/times?day=x"):
        response = client.get(path)
        assert response.status_code == 404 and 'data-test="unknown-link"' in response.get_data(as_text=True)


def test_the_public_page_is_rate_limited_with_a_friendly_answer(app, agenda, online, client):
    app.config["PUBLIC_RATE_LIMIT"] = "5/minute"
    token = token_of(app, book(app, agenda, local(NEXT_WEEK, 10)))
    codes = [client.get(f"/r/{token}").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert "Please wait a minute" in client.get(f"/r/{token}").get_data(as_text=True)


def test_switching_on_tells_the_owner_about_confirmations_without_the_link_and_adds_it(app, agenda):
    browser = log_in(app.test_client(), make_user(app, Role.OWNER))
    page = browser.get("/settings/online").get_data(as_text=True)
    browser.post("/settings/online", data={"csrf_token": csrf(page), "online_rescheduling": "y",
                                           "reschedule_cutoff_hours": "24", "reschedule_horizon_days": "28",
                                           "reschedule_moves_per_link": "3", "reschedule_step_minutes": "15",
                                           "offer_hours": "2"})
    page = browser.get("/settings/online").get_data(as_text=True)
    assert 'data-test="missing-link"' in page and "SMS · NL" in page and "E-mail · NL" not in page
    browser.post("/settings/online/add-link", data={"csrf_token": csrf(page)})
    assert 'data-test="missing-link"' not in browser.get("/settings/online").get_data(as_text=True)
    appointment_id = book(app, agenda, local(NEXT_WEEK, 10), confirmation_channels="both", sms_consent=True)
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
        sms = db.session.scalar(select(Message).where(Message.appointment_id == appointment_id,
                                                      Message.kind == MessageKind.CONFIRMATION,
                                                      Message.channel == "sms"))
        body = content.render_message(sms, Practice.current())["body"]
    assert f"/r/{token_of(app, appointment_id)}" in body
