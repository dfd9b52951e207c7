"""The waiting list: a freed time is offered to the waiting clients it suits, longest waiting first, by their
channels; the first to take it over HTTP gets it, the others see it is gone and stay on the list; offers expire and
never outlast the cutoff; the desk sees every offer and its outcome and can offer a time by hand."""
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from http.cookiejar import CookieJar

import time_machine
from sqlalchemy import func, select

from practice.agenda import services as booking
from practice.enums import AppointmentStatus, Channels, MessageKind, MessageStatus, OfferOutcome, Role, WaitingStatus
from practice.extensions import db
from practice.messages import sending
from practice.models import Appointment, Message, Practice
from practice.waiting import offers
from practice.waiting.models import WaitingEntry, WaitingOffer
from tests.conftest import csrf_token, log_in, make_client, make_user
from tests.integration.test_messages import use_smtp
from tests.integration.test_rescheduling import NEXT_WEEK, book, csrf, local

HTMX = {"HX-Request": "true"}
TEN = local(NEXT_WEEK, 10)


def wait(app, agenda, *, email, practitioner=None, days=0, earliest=None, latest=None, expires=None, kind=None,
         since=None, language="nl", channels=Channels.EMAIL) -> int:
    """A client with `email` on the waiting list."""
    client_id = make_client(app, email=email, first_name=email.split("@")[0].title(), language=language,
                            confirmation_channels=channels)
    with app.app_context():
        entry = WaitingEntry(client_id=client_id, practitioner_id=practitioner, appointment_type_id=kind or agenda.treatment,
                             location_id=agenda.location, weekdays=days, earliest=earliest, latest=latest,
                             expires_on=expires or NEXT_WEEK + timedelta(days=30))
        if since:
            entry.created_at = since
        db.session.add(entry)
        db.session.commit()
        return entry.id


def cancel(app, appointment_id) -> None:
    with app.app_context():
        booking.cancel(db.session.get(Appointment, appointment_id))


def offered(app) -> list[tuple[str, OfferOutcome]]:
    """Who was offered what, in the order of the offers: (client's e-mail, outcome)."""
    with app.app_context():
        now = datetime.now(UTC)
        return [(offer.entry.client.email, offer.outcome_at(now)) for offer in db.session.scalars(
            select(WaitingOffer).order_by(WaitingOffer.id))]


def send_due(app) -> int:
    with app.app_context():
        return sending.send_due(datetime.now(UTC) + timedelta(seconds=1))


def offer_link(smtp_server, address: str) -> str:
    [received] = [m for m in smtp_server.inbox.to(address) if "vrij" in m["Subject"] or "free" in m["Subject"]]
    return re.search(r"https?://\S+/o/\S+", received.get_body(("plain",)).get_content()).group(0)


def test_three_waiting_clients_take_a_freed_time_at_once_and_exactly_one_gets_it(app, agenda, live_server,
                                                                                  smtp_server):
    use_smtp(app, smtp_server)
    app.config["PUBLIC_BASE_URL"] = live_server.url
    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    assert send_due(app) == 1  # the leaving client's confirmation
    waiting_ids = [wait(app, agenda, email=f"w{n}@example.nl", since=datetime.now(UTC) - timedelta(days=10 - n))
                   for n in range(3)]
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    assert desk.post(f"/agenda/appointments/{appointment_id}/cancel", data={"csrf_token": csrf_token(desk)},
                     headers=HTMX).status_code == 200
    assert send_due(app) == 4  # the leaving client's cancellation, and three offers
    addresses = [f"w{n}@example.nl" for n in range(3)]
    prepared = []
    for address in addresses:  # each client opens their own link from their own e-mail
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        url = offer_link(smtp_server, address)
        page = opener.open(url).read().decode()
        assert 'data-test="take-it"' in page and "10:00" in page
        prepared.append((address, opener, url, csrf(page)))
    together, results = threading.Barrier(len(prepared)), {}

    def take(address, opener, url, token):
        data = urllib.parse.urlencode({"csrf_token": token}).encode()
        together.wait()
        try:
            response = opener.open(url, data=data, timeout=30)
            results[address] = (response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            results[address] = (error.code, error.read().decode())

    threads = [threading.Thread(target=take, args=entry) for entry in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results.values()) == [200, 409, 409]
    [winner] = [address for address, (status, _) in results.items() if status == 200]
    assert 'data-test="taken"' in results[winner][1]
    assert all('data-test="gone"' in body for status, body in results.values() if status == 409)
    with app.app_context():
        [taken] = db.session.scalars(select(Appointment).where(Appointment.start == TEN.astimezone(UTC),
                                                               Appointment.status == AppointmentStatus.BOOKED)).all()
        assert taken.client.email == winner
        statuses = {db.session.get(WaitingEntry, entry_id).client.email: db.session.get(WaitingEntry, entry_id).status
                    for entry_id in waiting_ids}
        assert statuses == {address: WaitingStatus.BOOKED if address == winner else WaitingStatus.WAITING
                            for address in addresses}  # the others are still on the list
        assert db.session.scalar(select(WaitingOffer.appointment_id).where(
            WaitingOffer.outcome == OfferOutcome.TAKEN)) == taken.id
    assert sorted(outcome for _, outcome in offered(app)) == sorted([OfferOutcome.TAKEN] + [OfferOutcome.GONE] * 2)
    [(_, winner_opener, winner_url, winner_token)] = [p for p in prepared if p[0] == winner]
    second_tap = winner_opener.open(winner_url, data=urllib.parse.urlencode({"csrf_token": winner_token}).encode())
    assert second_tap.status == 200 and 'data-test="taken"' in second_tap.read().decode()  # still theirs, once
    assert send_due(app) == 1  # the winner's confirmation
    [confirmation] = [m for m in smtp_server.inbox.to(winner) if m["Subject"].startswith("Bevestiging")]
    assert "10:00" in confirmation.get_body(("plain",)).get_content()
    loser = next(address for address in addresses if address != winner)
    later = urllib.request.urlopen(offer_link(smtp_server, loser)).read().decode()  # opened after it was taken
    assert 'data-test="gone"' in later and 'data-test="take-it"' not in later


def test_a_freed_time_goes_to_the_clients_it_suits_longest_waiting_first_and_at_most_five(app, agenda):
    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    weekday = TEN.weekday()
    old = datetime.now(UTC) - timedelta(days=30)
    for n in range(6):  # six who would all do; the five who waited longest get it
        wait(app, agenda, email=f"fits{n}@example.nl", since=old + timedelta(hours=n))
    wait(app, agenda, email="colleague@example.nl", practitioner=agenda.colleague, since=old)
    wait(app, agenda, email="otherday@example.nl", days=1 << ((weekday + 1) % 7), since=old)
    wait(app, agenda, email="afternoon@example.nl", earliest=time(13), since=old)
    wait(app, agenda, email="expired@example.nl", expires=date.today() - timedelta(days=1), since=old)
    wait(app, agenda, email="intake@example.nl", kind=agenda.intake, since=old)  # 60 min: 10:30 is booked next
    book(app, agenda, local(NEXT_WEEK, 10, 30), email="next@example.nl")
    wait(app, agenda, email="sameday@example.nl", days=1 << weekday, earliest=time(9), latest=time(11),
         practitioner=agenda.practitioner, since=old - timedelta(days=1))
    cancel(app, appointment_id)
    assert [address for address, _ in offered(app)] == ["sameday@example.nl"] + [
        f"fits{n}@example.nl" for n in range(4)]


def test_a_move_frees_the_old_time_and_an_offer_never_outlasts_the_cutoff(app, agenda):
    with app.app_context():
        practice = Practice.current()
        practice.offer_hours, practice.reschedule_cutoff_hours = 48, 24
        db.session.commit()
    now = local(NEXT_WEEK - timedelta(days=3), 12)
    far, near = local(now.date() + timedelta(days=2), 14), local(now.date() + timedelta(days=1), 10)
    with time_machine.travel(now):
        moved, soon = book(app, agenda, far, email="mover@example.nl"), book(app, agenda, near, email="soon@example.nl")
        wait(app, agenda, email="waiting@example.nl")
        with app.app_context():
            appointment = db.session.get(Appointment, moved)
            booking.change(appointment, booking.Booking(
                client_id=appointment.client_id, practitioner_id=agenda.practitioner,
                appointment_type_id=agenda.treatment, location_id=agenda.location,
                start=(far + timedelta(days=7)).astimezone(UTC)), "Europe/Amsterdam")
            [offer] = db.session.scalars(select(WaitingOffer)).all()
            assert offer.start == far.astimezone(UTC)
            assert offer.expires_at == far.astimezone(UTC) - timedelta(hours=24)  # not 48 hours from now
        cancel(app, soon)  # 22 hours ahead: inside the cutoff, so nobody is offered it
    assert len(offered(app)) == 1


def test_an_expired_offer_cannot_be_taken_and_its_unsent_message_is_withdrawn(app, agenda, client, smtp_server):
    use_smtp(app, smtp_server)
    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    wait(app, agenda, email="late@example.nl")
    cancel(app, appointment_id)
    with app.app_context():
        offer = db.session.scalar(select(WaitingOffer))
        token = offers.offer_token(offer)
        expires = offer.expires_at
    with time_machine.travel(expires + timedelta(minutes=1)):
        assert send_due(app) == 0  # the offer's e-mail is withdrawn (and the leaver had heard nothing yet)
        page = client.get(f"/o/{token}").get_data(as_text=True)
        assert 'data-test="expired"' in page and 'data-test="take-it"' not in page
        refused = client.post(f"/o/{token}", data={"csrf_token": csrf(page)})
        assert refused.status_code == 409
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.kind == MessageKind.WAITING_LIST_OFFER))
        assert message.status == MessageStatus.WITHDRAWN
        assert db.session.scalar(select(func.count(Appointment.id)).where(
            Appointment.start == TEN.astimezone(UTC), Appointment.status == AppointmentStatus.BOOKED)) == 0
    assert smtp_server.inbox.to("late@example.nl") == []


def test_a_time_the_desk_books_meanwhile_is_gone_for_the_client(app, agenda, client):
    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    wait(app, agenda, email="slow@example.nl")
    cancel(app, appointment_id)
    book(app, agenda, TEN, email="walkin@example.nl")  # the desk gives the time to someone on the phone
    with app.app_context():
        token = offers.offer_token(db.session.scalar(select(WaitingOffer)))
    page = client.get(f"/o/{token}").get_data(as_text=True)
    assert 'data-test="gone"' in page
    assert client.post(f"/o/{token}", data={"csrf_token": csrf(page)}).status_code == 409
    assert offered(app) == [("slow@example.nl", OfferOutcome.GONE)]


def test_the_offer_goes_by_the_clients_channels_in_their_language_and_the_log_keeps_no_link(app, agenda):
    """SMS through the development sink: what the log keeps is what went out, with the link left out."""
    with app.app_context():
        practice = Practice.current()
        practice.sms_enabled, practice.sms_sender_id = True, "FysioTest"
        db.session.commit()
    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    entry_id = wait(app, agenda, email="claire@example.be", language="fr", channels=Channels.BOTH)
    no_consent = wait(app, agenda, email="noconsent@example.nl", channels=Channels.SMS)
    with app.app_context():
        client = db.session.get(WaitingEntry, entry_id).client
        client.mobile, client.sms_consent = "+32470123456", True
        db.session.get(WaitingEntry, no_consent).client.sms_consent = False
        db.session.commit()
    cancel(app, appointment_id)
    send_due(app)
    with app.app_context():
        sent = {(m.recipient, m.channel): m for m in db.session.scalars(
            select(Message).where(Message.kind == MessageKind.WAITING_LIST_OFFER))}
        sms = sent[("+32470123456", "sms")]
        assert sms.status == MessageStatus.HANDED_OVER and "s'est libéré" in sms.body and "10:00" in sms.body
        assert "/o/" not in sms.body and "…" in sms.body
        assert sent[("claire@example.be", "email")].status == MessageStatus.HANDED_OVER
        refused = sent[("+31612345678", "sms")]
        assert refused.status == MessageStatus.NOT_SENT and refused.reason == "no_consent"


def test_the_desk_puts_clients_on_the_list_offers_by_hand_and_sees_every_outcome(app, agenda, smtp_server):
    use_smtp(app, smtp_server)
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    client_id = make_client(app, email="eager@example.nl", first_name="Eager")
    form = {"client_id": str(client_id), "appointment_type_id": str(agenda.treatment), "practitioner_id": "0",
            "location_id": str(agenda.location), "weekdays": ["0", "2"], "earliest": "08:00", "latest": "12:00",
            "expires_on": (NEXT_WEEK + timedelta(days=30)).isoformat(), "notes": "Liefst vroeg"}
    wrong = desk.post("/waiting/", data=form | {"csrf_token": csrf_token(desk), "earliest": "13:00"})
    assert wrong.status_code == 422 and "The earliest time must come before the latest." in wrong.get_data(as_text=True)
    past = desk.post("/waiting/", data=form | {"csrf_token": csrf_token(desk), "expires_on": "2020-01-01"})
    assert past.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(WaitingEntry.id))) == 0
    assert desk.post("/waiting/", data=form | {"csrf_token": csrf_token(desk)}).status_code == 303
    page = desk.get("/waiting/").get_data(as_text=True)
    assert page.count('data-test="waiting-entry"') == 1 and "Eager" in page and "Liefst vroeg" in page
    with app.app_context():
        entry = db.session.scalar(select(WaitingEntry))
        assert entry.weekdays == 0b101 and entry.practitioner_id is None
    taken = book(app, agenda, local(NEXT_WEEK, 11), email="busy@example.nl")
    by_hand = {"practitioner_id": str(agenda.practitioner), "day": NEXT_WEEK.isoformat()}
    refused = desk.post(f"/waiting/{entry.id}/offer", data=by_hand | {"time": "11:00", "csrf_token": csrf_token(desk)},
                        follow_redirects=True)
    assert "not free" in refused.get_data(as_text=True)
    assert desk.post(f"/waiting/{entry.id}/offer", data=by_hand | {"time": "09:00", "csrf_token": csrf_token(desk)}
                     ).status_code == 303
    assert send_due(app) == 2  # the busy client's confirmation, and the offer
    assert offer_link(smtp_server, "eager@example.nl")
    page = desk.get("/waiting/").get_data(as_text=True)
    assert 'data-outcome="open"' in page and "by hand" in page
    assert taken
    assert desk.post(f"/waiting/{entry.id}/remove", data={"csrf_token": csrf_token(desk)}).status_code == 303
    assert 'data-test="waiting-entry"' not in desk.get("/waiting/").get_data(as_text=True)


def test_a_client_who_cancels_online_frees_the_time_for_the_waiting_list(app, agenda, online):
    from practice.public import services as public

    appointment_id = book(app, agenda, TEN, email="leaving@example.nl")
    wait(app, agenda, email="next@example.nl")
    with app.app_context():
        public.cancel_online(db.session.get(Appointment, appointment_id), "Verhuisd", Practice.current(),
                             datetime.now(UTC))
    assert offered(app) == [("next@example.nl", OfferOutcome.OPEN)]
