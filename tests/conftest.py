"""Factories and real servers for the tests: each test gets its own database on the stack the run uses
(tests/stack.py: SQLite by default, PostgreSQL and Redis with PRACTICE_TEST_STACK=production); servers bind
127.0.0.1 on a free port and stop at teardown."""
import os
import re
import socket
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, settings

from practice.app import create_app
from practice.extensions import db
from practice.enums import Role
from practice.models import Practice, User
from tests import stack as stacks

# A throw-away instance folder for the secret key and whatever a test app keeps there.
os.environ["PRACTICE_INSTANCE"] = tempfile.mkdtemp(prefix="practice-test-")

# Property tests check rules, not speed (bench/ measures that): no per-example deadline (Hypothesis's default is
# 200 ms, which a loaded CI machine can pass on any example) and no complaint about slow data generation.
settings.register_profile("practice", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("practice")

PASSWORD = "correct-horse-battery"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_configure(config):
    config.addinivalue_line("markers", "stack(name, reason): the test only makes sense on that stack")


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("stack")
        if marker and marker.args[0] != stacks.NAME:
            item.add_marker(pytest.mark.skip(reason=f"{marker.args[0]} stack only: {marker.kwargs['reason']}"))


@pytest.fixture(scope="session")
def stack():
    """The parts this run stands on: started once, stopped at the end of the run."""
    parts = stacks.start(free_port)
    yield parts
    parts.stop()


@pytest.fixture
def database_url(stack, tmp_path):
    """A database of the test's own, with the tables (created from the models, as the migrations would)."""
    yield stack.database(tmp_path)
    stack.release()


@pytest.fixture
def empty_database_url(stack, tmp_path):
    """A database of the test's own without tables, for the migrations to build."""
    yield stack.database(tmp_path, empty=True)
    stack.release()


@pytest.fixture
def app(database_url):
    """A fresh app and database. No app context stays pushed: like in production, every request and
    every `with app.app_context()` block of a test gets its own (its own `g` and its own DB session)."""
    # Huey in memory: nothing consumes the test app's queue (a test that wants a worker starts a consumer).
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "HUEY_URL": "memory://"})
    with app.app_context():
        db.create_all()
        practice = Practice.current()
        practice.name, practice.email, practice.phone = "Fysio Test", "info@fysio.test", "+31 20 555 0100"
        practice.notice_delay_minutes = 0  # notices go at once, except in the tests of the undo window
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def environment(app, stack, tmp_path) -> dict:
    """The environment for a process the test starts (consumer, flask command, web server): the test's
    database and a queue of its own on the run's stack."""
    return stack.environment(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture
def online(app):
    """Online rescheduling switched on, up to 24 hours before an appointment."""
    with app.app_context():
        practice = Practice.current()
        practice.online_rescheduling, practice.reschedule_cutoff_hours = True, 24
        db.session.commit()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str = PASSWORD


def make_user(app, role=Role.STAFF, email=None, language=None) -> Account:
    with app.app_context():
        user = User(email=email or f"{role}@fysio.test", name=f"{role.title()} User", role=role, language=language)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return Account(user.id, user.email)


@pytest.fixture
def owner(app):
    return make_user(app, Role.OWNER)


@pytest.fixture
def staff(app):
    return make_user(app, Role.STAFF)


def csrf_token(client) -> str:
    """The token the pages would carry, taken from a rendered form as a browser would."""
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def log_in(client, user: Account):
    response = client.post("/login", data={"email": user.email, "password": user.password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on 127.0.0.1, for the browser and for concurrent clients."""
    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{port}"
    yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the README's test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


@dataclass(frozen=True)
class Agenda:
    """Ids of a small practice: two practitioners working every day 07:00–20:00 at one location."""

    practitioner: int
    colleague: int
    location: int
    treatment: int  # 30 minutes
    intake: int  # 60 minutes


@pytest.fixture
def agenda(app) -> Agenda:
    from datetime import time

    from practice.models import AppointmentType, Location, Practitioner, WorkingHours

    with app.app_context():
        location = Location(name="Centrum", address="Hoofdstraat 1, Amsterdam", sms_note="Bel aan.")
        treatment = AppointmentType(name="Behandeling", duration_minutes=30, colour="#4f7cac")
        intake = AppointmentType(name="Intake", duration_minutes=60, colour="#2f7d5b")
        people = [Practitioner(name="Sophie Verbeek"), Practitioner(name="Mark de Jong")]
        for person in people:
            person.working_hours = [WorkingHours(location=location, weekday=day, start_time=time(7),
                                                 end_time=time(20)) for day in range(7)]
        db.session.add_all([location, treatment, intake, *people])
        db.session.commit()
        return Agenda(people[0].id, people[1].id, location.id, treatment.id, intake.id)


def make_client(app, **fields) -> int:
    from practice.models import Client

    values = {"first_name": "Anna", "last_name": "de Vries", "email": "anna@example.com",
              "mobile": "+31612345678"} | fields
    with app.app_context():
        client = Client(**values)
        db.session.add(client)
        db.session.commit()
        return client.id


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; `.inbox.messages` holds what it received."""
    from tests.servers.smtp import SmtpServer

    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def kannel(tmp_path):
    """A real Kannel on 127.0.0.1 with the SMPP simulator behind it (tests/servers/kannel.py)."""
    from tests.servers.kannel import BEARERBOX, start_kannel

    if not os.path.exists(BEARERBOX):
        pytest.fail("Kannel is missing: apt-get install kannel (the README's test command does)")
    folder = tmp_path / "kannel"
    folder.mkdir()
    gateway = start_kannel(folder, free_port)
    yield gateway
    gateway.stop()
