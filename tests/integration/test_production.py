"""The README's production section, run as written: gunicorn with two workers and two Huey consumers on
PostgreSQL and Redis, a real SMTP server, over real HTTP. Twenty clients race for one free time through the
public page (exactly one wins, every confirmation and notice arrives once), and the login rate limit is shared
by the web workers through Redis."""
import http.cookies
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, time as clock, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.app import create_app
from practice.extensions import db
from tests.conftest import free_port
from tests.integration.test_worker import ROOT, _wait_for

pytestmark = pytest.mark.stack("production", reason="gunicorn, PostgreSQL and Redis are the production parts")
ZONE = ZoneInfo("Europe/Amsterdam")
BIN = Path(sys.executable).parent
OWNER, PASSWORD = "owner@fysio.example", "amber tide under quiet hills"


def production_commands() -> list[str]:
    """The commands of the README's production block, as a practice would run them."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- production-commands -->", 1)[1].split("```")[1]
    return [line.strip() for line in block.strip().splitlines()]


class Visitor:
    """A browser over plain HTTP that keeps its own cookies: production cookies are Secure, which cookie jars
    send only over HTTPS, and the TLS proxy in front of gunicorn is left out here."""

    def __init__(self, base: str):
        self.base, self.cookies = base, {}

    def open(self, path: str, form: dict | None = None, timeout: float = 30) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.read().decode()


def csrf(html: str) -> str:
    """The token of a form, or of the page's htmx headers (the public page's forms come with its times)."""
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"', html)
    return found.group(1) or found.group(2)


@pytest.fixture
def production(stack, empty_database_url, smtp_server, tmp_path):
    """The README's commands with the production environment: migrate, create the owner, then gunicorn and two
    consumers. Yields the address, the environment and the access log; stops everything at the end."""
    port = free_port()
    environment = stack.environment(tmp_path, empty_database_url) | {
        "PRACTICE_ENV": "production", "SECRET_KEY": "z7Qv2kLm9Xc4Rt8Wp1Ny6Bh3Jd5Fg0Sa",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "MAIL_FROM": "agenda@fysio.example",
        "RATELIMIT_STORAGE_URI": stack.redis.url, "LOGIN_RATE_LIMIT": "5/minute",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PATH": f"{BIN}:{os.environ['PATH']}"}
    commands = production_commands()
    assert commands[0].startswith("pip install") and commands[1].startswith("export PRACTICE_ENV=production")
    run = lambda line, *extra: subprocess.run(shlex.split(line) + list(extra), cwd=ROOT, env=environment,  # noqa: E731
                                              check=True, capture_output=True, timeout=120)
    run(commands[2])
    run(commands[3], "--email", OWNER, "--name", "Owner", "--password", PASSWORD)
    access_log = tmp_path / "access.log"
    [web] = [line for line in commands if line.startswith("gunicorn")]
    web = web.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    consumers = [line for line in commands if line.startswith("huey_consumer")]
    assert "-w 2" in web and "--threads 4" in web and len(consumers) == 2
    processes = [subprocess.Popen(shlex.split(web) + ["--access-logfile", str(access_log),
                                                      "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"],
                                  cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    processes += [subprocess.Popen(shlex.split(line), cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) for line in consumers]
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: _answers(base), 60), "gunicorn did not come up"
        yield base, environment, access_log
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(base: str) -> bool:
    try:
        return urllib.request.urlopen(base + "/login", timeout=2).status == 200
    except OSError:
        return False


def test_twenty_clients_race_for_one_time_through_gunicorn_and_every_message_arrives_once(
        production, smtp_server, empty_database_url):
    from practice.agenda import services as agenda
    from practice.models import (
        Appointment, Client, Location, Message, MessageKind, MessageStatus, OnlineMove, Practice, Practitioner,
        AppointmentType, WorkingHours,
    )
    from practice.messages.content import issue_token as link_token

    base, environment, _ = production
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": environment["SECRET_KEY"],
                      "PUBLIC_BASE_URL": base})
    day = datetime.now(ZONE).date() + timedelta(days=8)
    with app.app_context():
        practice = Practice.current()
        practice.name, practice.email = "Fysio Productie", "praktijk@fysio.example"
        practice.online_rescheduling = True
        practice.notice_delay_minutes = 0  # the confirmations at once: this race is not about the undo window
        location = Location(name="Centrum", address="Hoofdstraat 1")
        kind = AppointmentType(name="Behandeling", duration_minutes=30)
        person = Practitioner(name="Sophie Verbeek")
        person.working_hours = [WorkingHours(location=location, weekday=d, start_time=clock(7), end_time=clock(20))
                                for d in range(7)]
        db.session.add_all([location, kind, person])
        db.session.commit()
        tokens = []
        for n in range(20):
            client = Client(first_name="Client", last_name=str(n), email=f"c{n}@example.com", language="nl")
            db.session.add(client)
            db.session.commit()
            start = datetime.combine(day, clock(7), ZONE) + timedelta(minutes=30 * n)
            booked = agenda.book(agenda.Booking(client_id=client.id, practitioner_id=person.id,
                                                appointment_type_id=kind.id, location_id=location.id,
                                                start=start.astimezone(UTC)), practice.timezone)
            tokens.append(link_token(booked))
            db.session.commit()
    wanted = datetime.combine(day, clock(18), ZONE)
    # The consumers send the confirmations (the web process's queue is not theirs here: their minute round and
    # start-up catch-up find them); clients follow the link in them.
    assert _wait_for(lambda: len(smtp_server.inbox.messages) == 20, 90), _log(app)

    visitors = []
    for token in tokens:  # each client opens their own page first: own cookies, own CSRF token
        visitor = Visitor(base)
        status, page = visitor.open(f"/r/{token}")
        assert status == 200, page
        visitors.append((visitor, token, csrf(page)))
    together, results = threading.Barrier(len(visitors)), []

    def confirm(visitor, token, csrf_token):
        together.wait()
        results.append(visitor.open(f"/r/{token}", {"csrf_token": csrf_token, "start": wanted.isoformat(),
                                                    "action": "confirm"}))

    threads = [threading.Thread(target=confirm, args=entry) for entry in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results) == [200] + [409] * 19, [s for s, _ in results]
    assert all("niet meer vrij" in body for status, body in results if status == 409)

    def settled():
        with app.app_context():
            waiting = db.session.scalar(select(func.count(Message.id)).where(
                Message.status.in_((MessageStatus.PLANNED, MessageStatus.SENDING)),
                Message.kind != MessageKind.REMINDER))  # the reminders are due next week
        return waiting == 0 and len(smtp_server.inbox.messages) >= 22

    assert _wait_for(settled, 90), _log(app)
    time.sleep(3)  # a second consumer's minute round or a repeated task would show up now
    with app.app_context():
        assert db.session.scalar(select(func.count(Appointment.id)).where(Appointment.start == wanted)) == 1
        assert db.session.scalar(select(func.count(OnlineMove.id))) == 1
        kinds = Counter(db.session.scalars(select(Message.kind).where(Message.status == MessageStatus.HANDED_OVER)))
    assert kinds == {MessageKind.CONFIRMATION: 20, MessageKind.RESCHEDULED: 1, MessageKind.PRACTICE_NOTICE: 1}
    arrived = Counter(message["Message-ID"] for message in smtp_server.inbox.messages)
    assert len(arrived) == 22 and set(arrived.values()) == {1}
    assert Counter(message["To"] for message in smtp_server.inbox.messages)["praktijk@fysio.example"] == 1


def _log(app) -> list:
    from practice.models import Message

    with app.app_context():
        return [(m.kind, m.status, m.reason, m.error, m.recipient) for m in db.session.scalars(select(Message))
                if m.kind != "reminder" and (m.kind != "confirmation" or m.status != "handed_over")]


def test_the_login_limit_holds_across_both_web_workers(production):
    """Five tries a minute per address, counted in Redis: with a count per worker twice as many would pass."""
    base, _, access_log = production
    answers = []
    for _ in range(16):
        visitor = Visitor(base)
        _, page = visitor.open("/login")
        answers.append(visitor.open("/login", {"csrf_token": csrf(page), "email": OWNER, "password": "wrong"})[0])
    assert answers == [401] * 5 + [429] * 11
    workers = {line.split()[0] for line in access_log.read_text().splitlines() if " POST /login " in line}
    assert len(workers) == 2, "both web workers answered login attempts"
