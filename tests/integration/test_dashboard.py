"""The owner's dashboard, checked figure by figure against a history built for it: messages in every outcome,
online moves, no-shows beside reminders, SMS cost to the cent against the invoices page, and what needs
attention. Now is Wednesday 8 April 2026, 12:00 in Amsterdam: the weeks begin on Mondays 16, 23 and 30 March
and 6 April, and summer time began on 29 March."""
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import event, func, select

from practice.extensions import db
from practice.enums import AppointmentStatus, Channel, Channels, MessageKind, MessageStatus, NotSentReason, Role
from practice.models import SettledFigure, Appointment, Message, OnlineMove, Practice, WorkerBeat
from tests.conftest import log_in, make_client, make_user

ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 4, 8, 12, 0, tzinfo=ZONE).astimezone(UTC)
keys = count(1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def owner_browser(app, traveller):
    return log_in(app.test_client(), make_user(app, Role.OWNER))


def appointment(app, agenda, client_id, start, status=AppointmentStatus.BOOKED, channels=Channels.EMAIL) -> int:
    with app.app_context():
        booked = Appointment(client_id=client_id, practitioner_id=agenda.practitioner, location_id=agenda.location,
                             appointment_type_id=agenda.treatment, start=start, end=start + timedelta(minutes=30),
                             status=status, confirmation_channels=channels, reminder_channels=channels)
        db.session.add(booked)
        db.session.commit()
        return booked.id


def message(app, appointment_id, channel, status, due_at, *, kind=MessageKind.REMINDER, reason=None, segments=0,
            price_cents=0, handed_over_at=None, status_at=None) -> int:
    with app.app_context():
        sent = Message(dedupe_key=f"test-{next(keys)}", appointment_id=appointment_id, kind=kind, channel=channel,
                       recipient="+31612345678" if channel == Channel.SMS else "anna@example.com", due_at=due_at,
                       status=status, reason=reason, segments=segments, price_cents=price_cents,
                       handed_over_at=handed_over_at, status_at=status_at or due_at)
        db.session.add(sent)
        db.session.commit()
        return sent.id


class Figures(HTMLParser):
    """What the dashboard's charts draw: per chart, per column (or row) key, per series, the value; and the
    totals each column says, and the shares its line shows."""

    def __init__(self, html: str):
        super().__init__()
        self.charts: dict[str, dict[str, dict[str, int]]] = {}
        self.totals: dict[str, dict[str, str]] = {}
        self.shares: dict[str, dict[str, float]] = {}
        self._chart = self._key = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg" and "data-chart" in attrs:
            self._chart = attrs["data-chart"]
            self.charts[self._chart], self.totals[self._chart], self.shares[self._chart] = {}, {}, {}
        elif tag == "g" and self._chart and "data-key" in attrs:
            self._key = attrs["data-key"]
            self.charts[self._chart][self._key] = {}
            self.totals[self._chart][self._key] = attrs["data-total"]
        elif tag == "rect" and "bar" in attrs.get("class", "").split():
            self.charts[self._chart][self._key][attrs["data-series"]] = int(attrs["data-value"])
        elif tag == "circle" and "data-share" in attrs:
            self.shares[self._chart][attrs["data-key"]] = float(attrs["data-share"])

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = self._key = None


def attribute_rows(html: str, test: str) -> dict[str, dict[str, str]]:
    """The rows marked data-test=`test`, by their data-month (or data-appointment, data-message), with all their
    data- attributes."""
    found = {}
    for tag in re.findall(rf'<tr data-test="{test}"[^>]*>', html):
        attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag))
        found[attrs.get("month") or attrs.get("appointment") or attrs.get("message")] = attrs
    return found


def dashboard(browser, period="4w", *, again=False, **headers) -> str:
    """The page as the owner sees it; `again` clicks "count now" (the page is kept for a minute otherwise)."""
    response = browser.get(f"/dashboard/?period={period}" + ("&again=1" if again else ""), headers=headers,
                           follow_redirects=again)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- messages ---------------------------------------------------------------------------------------------------

def test_messages_are_counted_per_week_channel_and_outcome_and_the_not_sent_per_reason(app, agenda, owner_browser):
    visit = appointment(app, agenda, make_client(app), local(2026, 4, 20, 10))
    # E-mail: three handed over (one at 00:30 on Monday 23 March: that week, not the one before), one refused,
    # one not sent for want of an address.
    message(app, visit, Channel.EMAIL, MessageStatus.HANDED_OVER, local(2026, 3, 16, 9), kind=MessageKind.CONFIRMATION)
    message(app, visit, Channel.EMAIL, MessageStatus.HANDED_OVER, local(2026, 3, 23, 0, 30))
    message(app, visit, Channel.EMAIL, MessageStatus.HANDED_OVER, local(2026, 3, 29, 23, 59))
    message(app, visit, Channel.EMAIL, MessageStatus.PROVIDER_REFUSED, local(2026, 3, 30, 7))
    message(app, visit, Channel.EMAIL, MessageStatus.NOT_SENT, local(2026, 4, 6, 7), reason=NotSentReason.NO_EMAIL)
    # SMS: two delivered, three failed in three ways (an unknown outcome counts as failed: someone must look),
    # one handed over without a report yet, three not sent for two reasons.
    message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 3, 17, 7), segments=1, price_cents=10)
    message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 4, 7, 7), segments=2, price_cents=20)
    message(app, visit, Channel.SMS, MessageStatus.UNDELIVERABLE, local(2026, 3, 24, 7), segments=1)
    message(app, visit, Channel.SMS, MessageStatus.EXPIRED, local(2026, 3, 24, 8), segments=1)
    message(app, visit, Channel.SMS, MessageStatus.UNKNOWN, local(2026, 4, 8, 11))
    message(app, visit, Channel.SMS, MessageStatus.HANDED_OVER, local(2026, 4, 8, 11, 30), segments=1)
    message(app, visit, Channel.SMS, MessageStatus.NOT_SENT, local(2026, 3, 31, 7), reason=NotSentReason.NO_CONSENT)
    message(app, visit, Channel.SMS, MessageStatus.NOT_SENT, local(2026, 4, 1, 7), reason=NotSentReason.NO_CONSENT)
    message(app, visit, Channel.SMS, MessageStatus.NOT_SENT, local(2026, 4, 2, 7), reason=NotSentReason.BOOKED_TOO_LATE)
    # Not in the figures: before the period, due later today, still planned, withdrawn, being sent.
    message(app, visit, Channel.EMAIL, MessageStatus.HANDED_OVER, local(2026, 3, 15, 23, 59))
    message(app, visit, Channel.SMS, MessageStatus.NOT_SENT, local(2026, 4, 8, 13), reason=NotSentReason.NO_CONSENT)
    message(app, visit, Channel.EMAIL, MessageStatus.PLANNED, local(2026, 4, 7, 7))
    message(app, visit, Channel.SMS, MessageStatus.WITHDRAWN, local(2026, 4, 7, 7))
    message(app, visit, Channel.SMS, MessageStatus.SENDING, local(2026, 4, 8, 11, 59))

    html = dashboard(owner_browser)
    figures = Figures(html)
    assert figures.charts["messages-email"] == {
        "2026-03-16": {"handed_over": 1}, "2026-03-23": {"handed_over": 2}, "2026-03-30": {"failed": 1},
        "2026-04-06": {"not_sent": 1}}
    assert figures.charts["messages-sms"] == {
        "2026-03-16": {"delivered": 1}, "2026-03-23": {"failed": 2}, "2026-03-30": {"not_sent": 3},
        "2026-04-06": {"delivered": 1, "handed_over": 1, "failed": 1}}
    assert figures.totals["messages-sms"]["2026-04-06"] == "3"
    assert figures.charts["not-sent"] == {"no_consent": {"sms": 2}, "no_email": {"email": 1},
                                          "booked_too_late": {"sms": 1}}
    assert list(figures.charts["not-sent"]) == ["no_consent", "no_email", "booked_too_late"]  # most frequent first
    outcomes = {channel: dict(re.findall(r'data-test="outcome-(\w+)">(\d+)<', part)) for channel, part in
                re.findall(r'data-test="channel-(\w+)"(.*?)</dl>', html, re.S)}
    assert outcomes == {"email": {"delivered": "0", "handed_over": "3", "failed": "1", "not_sent": "1"},
                        "sms": {"delivered": "2", "handed_over": "1", "failed": "3", "not_sent": "3"}}
    assert 'data-test="channel-email" data-total="5"' in html and 'data-test="channel-sms" data-total="9"' in html

    # Twelve months: the same messages per month (the one of 15 March now counts too).
    figures = Figures(dashboard(owner_browser, "12m"))
    assert figures.charts["messages-email"]["2026-03-01"] == {"handed_over": 4, "failed": 1}
    assert figures.charts["messages-sms"]["2026-04-01"] == {"delivered": 1, "handed_over": 1, "failed": 1,
                                                             "not_sent": 2}
    assert set(figures.charts["messages-sms"]) == {f"{month[:7]}-01" for month in (
        "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01",
        "2026-02", "2026-03", "2026-04")}


def test_a_period_without_messages_says_so_instead_of_an_empty_chart(app, owner_browser):
    html = dashboard(owner_browser)
    assert 'data-chart="messages-email"' not in html and "No messages on this channel in this period." in html
    assert "Every message of this period could be sent." in html
    assert "No client moved an appointment online in this period." in html


# --- online activity --------------------------------------------------------------------------------------------

def test_online_moves_are_listed_newest_first_with_their_appointment_and_counted_per_week(app, agenda, owner_browser):
    anna, bram = make_client(app), make_client(app, first_name="Bram", last_name="Bakker")
    first = appointment(app, agenda, anna, local(2026, 4, 14, 10))
    second = appointment(app, agenda, bram, local(2026, 4, 15, 11))
    with app.app_context():
        for appointment_id, moved_at in ((first, local(2026, 3, 15, 20)),  # before the four weeks
                                         (first, local(2026, 3, 16, 0, 5)), (second, local(2026, 3, 25, 9)),
                                         (second, local(2026, 4, 6, 8)), (first, local(2026, 4, 8, 11, 45))):
            db.session.add(OnlineMove(appointment_id=appointment_id, moved_at=moved_at,
                                      from_start=local(2026, 4, 13, 10), to_start=local(2026, 4, 14, 10)))
        db.session.commit()

    html = dashboard(owner_browser)
    assert re.search(r'data-test="moves-total">(\d+)<', html).group(1) == "4"
    assert Figures(html).charts["moves"] == {"2026-03-16": {"moves": 1}, "2026-03-23": {"moves": 1},
                                             "2026-03-30": {}, "2026-04-06": {"moves": 2}}
    rows = re.findall(r'<tr data-test="move" data-appointment="(\d+)">(.*?)</tr>', html, re.S)
    assert [int(appointment_id) for appointment_id, _ in rows] == [first, second, second, first]
    newest = rows[0][1]
    assert f'href="/agenda/appointments/{first}"' in newest and f'href="/clients/{anna}"' in newest
    assert "8 Apr, 11:45" in newest  # moved at, in the practice's time
    assert "<s>13 Apr, 10:00</s>" in newest and "14 Apr, 10:00" in newest  # from, to
    assert "Bram Bakker" in rows[1][1]

    # Thirteen weeks (three months from 1 February, from the Monday before it): the early move counts too.
    assert re.search(r'data-test="moves-total">(\d+)<', dashboard(owner_browser, "3m")).group(1) == "5"


# --- SMS usage --------------------------------------------------------------------------------------------------

def test_sms_cost_per_month_matches_the_invoices_page_to_the_cent(app, agenda, owner_browser):
    visit = appointment(app, agenda, make_client(app), local(2026, 4, 20, 10))
    sent = [  # (handed over, status, segments, cents); prices as they were when sent
        (local(2026, 4, 1, 0, 15), MessageStatus.DELIVERED, 3, 37),  # first minutes of April, local time
        (local(2026, 3, 31, 23, 50), MessageStatus.DELIVERED, 1, 12),  # last minutes of March
        (local(2026, 3, 29, 3, 30), MessageStatus.DELIVERED, 2, 23),  # the night summer time began
        (local(2026, 3, 10, 9), MessageStatus.UNDELIVERABLE, 1, 0),
        (local(2026, 2, 2, 9), MessageStatus.DELIVERED, 1234, 12_345),
        (local(2026, 1, 15, 9), MessageStatus.DELIVERED, 1, 11),  # outside three months, inside twelve
        (local(2025, 4, 30, 23, 0), MessageStatus.DELIVERED, 1, 999),  # thirteen months ago: on neither page
    ]
    for handed_over_at, status, segments, cents in sent:
        message(app, visit, Channel.SMS, status, handed_over_at, segments=segments, price_cents=cents,
                handed_over_at=handed_over_at)

    invoices = owner_browser.get("/messages/usage").get_data(as_text=True)
    invoice_rows = re.findall(r'data-month="(\d{4}-\d\d)">(.*?)</tr>', invoices, re.S)
    invoice = {month: re.search(r'data-cents="(\d+)">([^<]*)<', row).groups() for month, row in invoice_rows}
    assert invoice["2026-04"] == ("37", "€0.37") and invoice["2026-03"] == ("35", "€0.35")
    assert invoice["2026-02"] == ("12345", "€123.45")
    for period, months in (("12m", 12), ("3m", 3), ("4w", 2)):
        html = dashboard(owner_browser, period)
        rows = re.findall(r'data-test="usage-month" data-month="(\d{4}-\d\d)">(.*?)</tr>', html, re.S)
        shown = {month: re.search(r'data-cents="(\d+)">([^<]*)<', row).groups() for month, row in rows}
        assert len(shown) == months
        assert all(shown[month] == invoice[month] for month in shown), (period, shown)
        total = sum(int(cents) for cents, _ in shown.values())
        assert f'data-test="total" data-cents="{total}"' in html
    assert 'data-test="total" data-cents="12428"' in dashboard(owner_browser, "12m")  # 0.37 + 0.35 + 123.45 + 0.11
    assert 'data-test="total" data-cents="12428"' in invoices
    march = re.search(r'data-month="2026-03">(.*?)</tr>', dashboard(owner_browser, "3m"), re.S).group(1)
    assert re.findall(r'<td class="number">(\d+)</td>', march) == ["3", "2", "1", "3"]  # sent, delivered, not, segments


# --- no-shows beside reminders ----------------------------------------------------------------------------------

def test_no_shows_per_month_stand_beside_the_share_of_appointments_that_got_a_reminder(app, agenda, owner_browser):
    anna = make_client(app)

    def kept(start, status=AppointmentStatus.BOOKED, reminder=None):
        appointment_id = appointment(app, agenda, anna, start, status)
        if reminder:
            message(app, appointment_id, Channel.EMAIL, reminder, start - timedelta(days=2))
        return appointment_id

    # February: four appointments, one no-show; three got a reminder (handed over or delivered), the no-show not.
    kept(local(2026, 2, 2, 9), reminder=MessageStatus.HANDED_OVER)
    kept(local(2026, 2, 3, 9), reminder=MessageStatus.DELIVERED)
    kept(local(2026, 2, 4, 9), reminder=MessageStatus.HANDED_OVER)
    kept(local(2026, 2, 5, 9), AppointmentStatus.NO_SHOW, reminder=MessageStatus.UNDELIVERABLE)
    kept(local(2026, 2, 6, 9), AppointmentStatus.CANCELLED, reminder=MessageStatus.HANDED_OVER)  # not counted
    # March: two no-shows of three, one of them reminded; two reminders for one appointment count it once.
    reminded_twice = kept(local(2026, 3, 10, 9), AppointmentStatus.NO_SHOW, reminder=MessageStatus.HANDED_OVER)
    message(app, reminded_twice, Channel.SMS, MessageStatus.DELIVERED, local(2026, 3, 9, 9))
    kept(local(2026, 3, 11, 9), AppointmentStatus.NO_SHOW, reminder=MessageStatus.NOT_SENT)
    kept(local(2026, 3, 31, 23, 30))  # late on 31 March in Amsterdam: March, though 21:30 UTC
    # a confirmation is not a reminder
    confirmed = kept(local(2026, 3, 12, 9))
    message(app, confirmed, Channel.EMAIL, MessageStatus.HANDED_OVER, local(2026, 3, 1, 9), kind=MessageKind.CONFIRMATION)
    # April: only what has begun by now counts.
    kept(local(2026, 4, 8, 11), reminder=MessageStatus.DELIVERED)
    kept(local(2026, 4, 8, 13), reminder=MessageStatus.DELIVERED)

    html = dashboard(owner_browser, "3m")
    months = attribute_rows(html, "no-show-month")
    assert {month: (row["appointments"], row["no-shows"], row["reminded"], row["no-shows-reminded"])
            for month, row in months.items()} == {
        "2026-02": ("4", "1", "3", "0"), "2026-03": ("4", "2", "1", "1"), "2026-04": ("1", "0", "1", "0")}
    assert list(months) == ["2026-04", "2026-03", "2026-02"]  # newest first
    february = re.search(r'data-month="2026-02"[^>]*>(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="number">(.*?)</td>', february, re.S)
    assert cells == ["4", '1 <small class="muted">25%</small>', "75%", "0%", "100%"]
    figures = Figures(html)
    assert figures.charts["no-shows"] == {"2026-02-01": {"no_shows": 1}, "2026-03-01": {"no_shows": 2},
                                          "2026-04-01": {}}
    assert figures.shares["no-shows"] == {"2026-02-01": 0.75, "2026-03-01": 0.25, "2026-04-01": 1.0}


# --- what needs attention ---------------------------------------------------------------------------------------

def test_attention_lists_unreachable_clients_recent_failures_and_a_silent_worker_with_links_to_act(
        app, agenda, owner_browser):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    soon = local(2026, 4, 10, 10)
    no_consent = make_client(app, first_name="Sms", last_name="Only", sms_consent=False)
    no_mobile = make_client(app, first_name="No", last_name="Mobile", mobile="")
    no_email = make_client(app, first_name="No", last_name="Email", email="")
    nothing = make_client(app, first_name="No", last_name="Details", email="", mobile="")
    fine = make_client(app, first_name="Fine", last_name="Both", sms_consent=True)
    unreachable = {
        appointment(app, agenda, no_consent, soon, channels=Channels.SMS): ["no_consent"],
        appointment(app, agenda, no_mobile, soon + timedelta(hours=1), channels=Channels.SMS): ["no_mobile"],
        appointment(app, agenda, no_email, soon + timedelta(hours=2), channels=Channels.EMAIL): ["no_email"],
        appointment(app, agenda, nothing, soon + timedelta(hours=3), channels=Channels.BOTH): ["no_email", "no_mobile"],
        appointment(app, agenda, nothing, soon + timedelta(hours=4), channels=Channels.NONE): ["no_email", "no_mobile"],
    }
    appointment(app, agenda, no_consent, soon + timedelta(hours=5), channels=Channels.BOTH)  # e-mail reaches them
    appointment(app, agenda, fine, soon + timedelta(hours=6), channels=Channels.SMS)
    appointment(app, agenda, no_consent, local(2026, 4, 8, 11), channels=Channels.SMS)  # has begun
    appointment(app, agenda, no_consent, local(2026, 4, 23, 10), channels=Channels.SMS)  # beyond two weeks
    appointment(app, agenda, no_consent, soon, AppointmentStatus.CANCELLED, channels=Channels.SMS)
    visit = next(iter(unreachable))
    failed = [message(app, visit, Channel.SMS, status, local(2026, 4, 7, 7), status_at=at)
              for status, at in ((MessageStatus.UNDELIVERABLE, local(2026, 4, 7, 7, 1)),
                                 (MessageStatus.PROVIDER_REFUSED, local(2026, 4, 2, 9)),
                                 (MessageStatus.UNKNOWN, local(2026, 4, 8, 11)))]
    message(app, visit, Channel.SMS, MessageStatus.EXPIRED, local(2026, 3, 30, 7), status_at=local(2026, 3, 31, 11))
    message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 4, 7, 7))
    overdue = message(app, visit, Channel.EMAIL, MessageStatus.PLANNED, local(2026, 4, 8, 11, 50))
    message(app, visit, Channel.EMAIL, MessageStatus.PLANNED, local(2026, 4, 8, 11, 58))  # within the minute's slack

    html = dashboard(owner_browser)
    rows = attribute_rows(html, "unreachable-appointment")
    assert [int(appointment_id) for appointment_id in rows] == list(unreachable)  # soonest first
    assert 'data-test="unreachable-total">5<' in html
    for appointment_id, reasons in unreachable.items():
        row = re.search(rf'data-appointment="{appointment_id}">(.*?)</tr>', html, re.S).group(1)
        assert re.findall(r'data-reason="(\w+)"', row) == reasons
        assert f'href="/agenda/appointments/{appointment_id}"' in row
    assert f'href="/clients/{no_consent}"' in html and f'href="/clients/{nothing}"' in html
    assert "no SMS consent" in html and "no mobile number" in html and "no e-mail address" in html

    assert [int(m) for m in attribute_rows(html, "failed-message")] == [failed[2], failed[0], failed[1]]
    assert 'data-test="failed-total">3<' in html
    assert all(f'href="/messages/{message_id}"' in html for message_id in failed)
    assert "In doubt: it may have arrived" in html

    assert 'data-test="worker" data-alive="false"' in html and "has never run" in html
    assert 'data-test="overdue" data-count="1"' in html and 'href="/messages/?status=planned"' in html
    with app.app_context():
        db.session.add(WorkerBeat(seen_at=local(2026, 4, 8, 11, 58)))
        db.session.commit()
    html = dashboard(owner_browser, again=True)
    assert 'data-test="worker" data-alive="true"' in html and "last ran at Wed 8 Apr, 11:58" in html
    with app.app_context():
        db.session.query(WorkerBeat).update({"seen_at": local(2026, 4, 8, 11, 50)})
        db.session.get(Message, overdue).status = MessageStatus.HANDED_OVER
        db.session.commit()
    html = dashboard(owner_browser, again=True)
    assert 'data-test="worker" data-alive="false"' in html and "has not run since Wed 8 Apr, 11:50" in html
    assert 'data-test="overdue"' not in html


def test_without_sms_an_sms_only_client_cannot_be_reached_because_the_channel_is_off(app, agenda, owner_browser):
    client_id = make_client(app, sms_consent=True)
    appointment_id = appointment(app, agenda, client_id, local(2026, 4, 9, 10), channels=Channels.SMS)
    html = dashboard(owner_browser)
    row = re.search(rf'data-appointment="{appointment_id}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'data-reason="(\w+)"', row) == ["channel_off"]


# --- the page ---------------------------------------------------------------------------------------------------

def test_the_period_selector_swaps_only_the_figures(app, owner_browser):
    full = owner_browser.get("/dashboard/")
    page = full.get_data(as_text=True)
    assert "<html" in page and 'data-test="attention"' in page and 'data-period="4w"' in page
    assert 'data-test="period-4w" aria-current="page"' in page
    fragment = owner_browser.get("/dashboard/?period=12m", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'data-test="attention"' not in html
    assert 'id="dashboard"' in html and 'data-period="12m"' in html
    assert 'data-test="period-12m" aria-current="page"' in html and 'hx-target="#dashboard"' in html
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'data-period="4w"' in owner_browser.get("/dashboard/?period=forever").get_data(as_text=True)


def test_figures_and_dates_speak_the_owners_language(app, agenda, traveller):
    visit = appointment(app, agenda, make_client(app), local(2026, 4, 20, 10))
    message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 3, 2, 9), segments=1234, price_cents=123_456,
            handed_over_at=local(2026, 3, 2, 9))
    for language, month, segments, cost in (("de", "März 2026", "1.234", "1.234,56\xa0€"),
                                            ("nl", "maart 2026", "1.234", "€\xa01.234,56"),
                                            ("en", "March 2026", "1,234", "€1,234.56")):
        browser = log_in(app.test_client(), make_user(app, Role.OWNER, email=f"{language}@fysio.test",
                                                      language=language))
        html = dashboard(browser, "3m")
        row = re.search(r'data-month="2026-03">(.*?)</tr>', html, re.S).group(1)
        assert month in row and f">{segments}<" in row and cost in row, (language, row)


def test_staff_get_403_and_visitors_the_login(app, client, staff, traveller):
    assert client.get("/dashboard/").headers["Location"].startswith("/login")
    log_in(client, staff)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/?period=12m", headers={"HX-Request": "true"}).status_code == 403
    assert 'href="/dashboard/"' not in client.get("/agenda/").get_data(as_text=True)


def test_the_dashboard_takes_the_same_few_queries_however_long_the_history(app, agenda, owner_browser):
    def queries() -> int:
        seen = []
        with app.app_context():
            db.session.query(SettledFigure).delete()  # counted afresh each time: the cold, slowest case
            db.session.commit()
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            dashboard(owner_browser, "12m")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    before = queries()
    anna = make_client(app, mobile="", email="")
    for day in range(1, 25):
        visit = appointment(app, agenda, anna, local(2026, 3, day, 10), AppointmentStatus.NO_SHOW)
        message(app, visit, Channel.SMS, MessageStatus.UNDELIVERABLE, local(2026, 3, day, 7), status_at=NOW)
        upcoming = appointment(app, agenda, anna, local(2026, 4, 9, 7) + timedelta(minutes=30 * day))
        with app.app_context():
            db.session.add(OnlineMove(appointment_id=upcoming, moved_at=local(2026, 4, 1, 9),
                                      from_start=local(2026, 4, 20, 9), to_start=local(2026, 4, 9, 7)))
            db.session.commit()
    # cold: counting and keeping the settled months and the page too (34 since the SMS replies, the budget and the
    # inbox count in the navigation)
    assert queries() == before <= 34


def test_settled_months_are_counted_once_and_then_read_back_with_the_same_figures(app, agenda, owner_browser):
    anna = make_client(app)
    for day in range(1, 25):  # January: settled by NOW (April), see settled.SETTLED_AFTER
        visit = appointment(app, agenda, anna, local(2026, 1, day, 10), AppointmentStatus.NO_SHOW)
        message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 1, day, 7), status_at=NOW)
    cold = dashboard(owner_browser, "12m")
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(SettledFigure))
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        warm = dashboard(owner_browser, "12m", again=True)  # counted now, the settled months read back
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    without_tokens = lambda html: re.sub(r'[A-Za-z0-9_.-]{40,}', "token", html)  # noqa: E731
    assert stored > 0 and without_tokens(warm) == without_tokens(cold)
    # two requests ("count now" and its redirect), what needs attention counted again too; cold took about 34
    assert len(seen) <= 27 and not any(sql.lstrip().upper().startswith("INSERT") for sql in seen)


def test_the_page_is_kept_for_a_minute_says_when_it_was_counted_and_counts_again_on_request(app, agenda, owner_browser):
    anna = make_client(app)
    visit = appointment(app, agenda, anna, local(2026, 4, 6, 10))
    message(app, visit, Channel.SMS, MessageStatus.DELIVERED, local(2026, 4, 6, 7), status_at=NOW)
    html = dashboard(owner_browser)
    assert channel_total(html, "sms") == 1 and "Counted at 12:00" in html and "As of 12:00" in html
    message(app, visit, Channel.SMS, MessageStatus.UNDELIVERABLE, local(2026, 4, 7, 7), status_at=NOW)

    with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
        assert channel_total(dashboard(owner_browser), "sms") == 1  # what everyone saw this minute
        assert channel_total(dashboard(owner_browser, "3m"), "sms") == 2  # another period: counted now
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        html = dashboard(owner_browser)
        assert channel_total(html, "sms") == 2 and "Counted at 12:01" in html
        message(app, visit, Channel.EMAIL, MessageStatus.DELIVERED, local(2026, 4, 7, 7), status_at=NOW)
        assert channel_total(dashboard(owner_browser), "email") == 0
        response = owner_browser.get("/dashboard/?period=4w&again=1")
        assert response.status_code == 302 and response.headers["Location"] == "/dashboard/?period=4w"
        assert channel_total(dashboard(owner_browser), "email") == 1
        assert channel_total(dashboard(owner_browser, HX_Request="true"), "email") == 1  # the period switch too


def channel_total(html: str, channel: str) -> int:
    return int(re.search(rf'data-test="channel-{channel}" data-total="(\d+)"', html).group(1))
