"""Backup and restore while the app runs: `flask backup` takes one moment of the database while a real consumer
sends to a real SMTP server and the desk books over HTTP; `flask restore` brings it into a new, empty instance,
whose app shows the same appointments and messages; a non-empty instance is refused without --force; the nightly
backups keep the last 14; and the dashboard warns when the newest backup is older than two days."""
import html
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, time as clock, timedelta
from itertools import count
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from practice.app import create_app
from practice.data.backup import newest_backup, store_nightly_backup
from practice.enums import MessageKind, MessageStatus, Role
from practice.extensions import db
from practice.models import Appointment, Client, Message, User
from tests.conftest import PASSWORD, free_port, log_in, make_client, make_user
from tests.integration.test_dashboard import dashboard
from tests.integration.test_exactly_once import _due_reminders, _start_consumer
from tests.integration.test_worker import ROOT, _wait_for

ZONE = ZoneInfo("Europe/Amsterdam")  # the practice's time zone (the default)
DUE = 400  # reminders due at once: the consumer is sending them when the backup starts
BOOKED_FROM = 5  # days ahead: the desk's bookings stay clear of the due reminders' appointments (the next two days)
SLOTS = 26  # half hours from 07:00 to 20:00, per practitioner and day


@pytest.fixture
def database_url(stack, tmp_path):
    """Instead of conftest's: a database built by the migrations, as an instance's is (a restore upgrades the
    backup from the migration it was made at)."""
    url = stack.database(tmp_path, empty=True)
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": "memory://"})
    with migrated.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    stack.release()


def flask(environment: dict, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    """A `flask` command of the instance `environment` describes, as whoever looks after the server runs it."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=300, check=False)
    assert not check or result.returncode == 0, result.stdout + result.stderr
    return result


def new_instance(stack, folder: Path) -> tuple[str, dict]:
    """An empty database and the environment of an instance of its own in `folder` (its own queue too)."""
    folder.mkdir()
    url = stack.database(folder, empty=True)
    return url, stack.environment(folder, url) | {"HUEY_URL": f"sqlite:///{folder / 'huey.db'}"}


# --- what the database holds, and what the app shows -------------------------------------------------------------

class Booked(NamedTuple):
    start: datetime
    status: str
    client_id: int
    practitioner_id: int


class Sent(NamedTuple):
    kind: str
    channel: str
    status: MessageStatus
    appointment_id: int | None
    due_at: datetime
    recipient: str
    provider_ref: str | None


class Snapshot(NamedTuple):
    appointments: dict[int, Booked]
    messages: dict[int, Sent]
    users: set[str]


def read(url: str) -> Snapshot:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            appointments = {row.id: Booked(*row[1:]) for row in connection.execute(select(
                Appointment.id, Appointment.start, Appointment.status, Appointment.client_id,
                Appointment.practitioner_id))}
            messages = {row.id: Sent(*row[1:]) for row in connection.execute(select(
                Message.id, Message.kind, Message.channel, Message.status, Message.appointment_id, Message.due_at,
                Message.recipient, Message.provider_ref))}
            users = set(connection.scalars(select(User.email)))
    finally:
        engine.dispose()
    return Snapshot(appointments, messages, users)


class Browser:
    """A browser over plain HTTP with its own cookies (development cookies are not Secure)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, form: dict | None = None, htmx: bool = False) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, urllib.parse.urlencode(form).encode() if form else None,
                                         {"HX-Request": "true"} if htmx else {})
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        return response.status, response.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.open(path)[1]).group(1)

    def log_in(self, email: str) -> "Browser":
        status, page = self.open("/login", {"csrf_token": self.token("/login"), "email": email,
                                            "password": PASSWORD})
        assert status == 200 and 'data-test="agenda-day"' in page, page[:500]
        return self


def shown(base: str, email: str, days: set[date]) -> tuple[set[tuple[int, str]], dict[int, str]]:
    """What the app shows someone who logs in: the appointments in the agenda of `days` (id and start) and every
    message in the log, the history and the planned ones, page after page (id and status)."""
    browser = Browser(base).log_in(email)
    appointments = set()
    for day in sorted(days):
        page = browser.open(f"/agenda/?day={day.isoformat()}")[1]
        appointments |= {(int(found), moment) for found, moment in re.findall(
            r'href="/agenda/appointments/(\d+)" hx-get="[^"]*" data-test="appointment"><time datetime="([^"]+)"', page)}
    messages = {}
    for path in ("/messages/", "/messages/?status=planned"):
        while path:
            status, page = browser.open(path)
            assert status == 200, page[:500]
            messages |= {int(found): state for state, found in re.findall(
                r'<tr data-test="message" data-status="([^"]+)" data-id="(\d+)">', page)}
            later = re.search(r'href="(/messages/\?[^"]*after=[^"]*)"', page)
            path = html.unescape(later.group(1)) if later else None
    return appointments, messages


def days_of(snapshot: Snapshot) -> set[date]:
    return {booked.start.astimezone(ZONE).date() for booked in snapshot.appointments.values()}


def serve(environment: dict) -> tuple[subprocess.Popen, str]:
    """The app of an instance on HTTP, as `flask run` serves it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return urllib.request.urlopen(base + "/login", timeout=2).status == 200
        except OSError:
            return False

    assert _wait_for(answers, 60), "the web server did not come up"
    return server, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


class Desk(threading.Thread):
    """The front desk booking over HTTP, one appointment after the other, until told to stop: two clients, each
    with one practitioner, every half hour from the first day on."""

    def __init__(self, base: str, email: str, agenda, clients: tuple[int, int], first_day: date):
        super().__init__(daemon=True)
        self.base, self.email, self.agenda, self.clients, self.first_day = base, email, agenda, clients, first_day
        self.booked, self.problems, self.halt = 0, [], threading.Event()

    def run(self):
        try:
            browser = Browser(self.base).log_in(self.email)
            token = browser.token("/agenda/appointments/new")
            for n in count():
                if self.halt.is_set():
                    return
                day, slot = divmod(n, 2 * SLOTS)
                at = datetime.combine(self.first_day + timedelta(days=day), clock(7, 0)) \
                    + timedelta(minutes=30 * (slot // 2))
                status, page = browser.open("/agenda/appointments/new", {
                    "csrf_token": token, "client_id": self.clients[slot % 2],
                    "practitioner_id": (self.agenda.practitioner, self.agenda.colleague)[slot % 2],
                    "appointment_type_id": self.agenda.treatment, "location_id": self.agenda.location,
                    "day": at.date().isoformat(), "time": at.strftime("%H:%M"), "confirmation_channels": "",
                    "reminder_channels": ""}, htmx=True)
                if status != 200:
                    self.problems.append((status, page[:500]))
                    return
                self.booked += 1
        except Exception as error:  # the test reads it after the join
            self.problems.append(repr(error))


# --- the must-show: a backup while the app works, restored into a new instance ----------------------------------

def test_a_backup_taken_while_the_worker_sends_and_the_desk_books_restores_into_a_new_instance_that_shows_it(
        app, agenda, owner, staff, smtp_server, environment, stack, tmp_path):
    _due_reminders(app, agenda, DUE)
    clients = (make_client(app, first_name="Eva", email="eva@example.com", mobile=""),
               make_client(app, first_name="Noor", email="noor@example.com", mobile=""))
    smtp_server.inbox.reply_delay = 0.02  # a mail server that takes its time: the sending lasts
    environment = environment | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port),
                                 "MAIL_FROM": "agenda@example.com"}
    original = app.config["SQLALCHEMY_DATABASE_URI"]
    received = lambda: len(smtp_server.inbox.messages)  # noqa: E731
    first_day = datetime.now(ZONE).date() + timedelta(days=BOOKED_FROM)
    consumer = _start_consumer(environment)
    web, base = serve(environment)
    desk = Desk(base, staff.email, agenda, clients, first_day)
    servers = [consumer, web]
    try:
        desk.start()
        # The backup starts while both are at work, and they go on after it: by design, not by luck.
        assert _wait_for(lambda: received() >= 20 and desk.booked >= 5 or bool(desk.problems), 120), desk.problems
        before = read(original)
        flask(environment, "backup", str(tmp_path / "while-busy.sqlite"))
        after, booked_then, received_then = read(original), desk.booked, received()
        assert _wait_for(lambda: desk.booked >= booked_then + 5 and received() > received_then
                         or bool(desk.problems), 120), desk.problems
        desk.halt.set()
        desk.join(60)
        assert desk.problems == [] and not desk.is_alive()

        # Restored into a new, empty instance: one moment between the reads before and after the backup.
        url, restored_environment = new_instance(stack, tmp_path / "restored")
        flask(restored_environment, "restore", str(tmp_path / "while-busy.sqlite"))
        restored = read(url)
        assert set(before.appointments) <= set(restored.appointments) <= set(after.appointments)
        assert set(before.messages) <= set(restored.messages) <= set(after.messages)
        assert all(restored.appointments[n] == after.appointments[n] for n in restored.appointments)
        for n, message in restored.messages.items():  # a status only moves on: planned, being sent, handed over
            assert (before.messages[n].status.rank if n in before.messages else 0) <= message.status.rank \
                <= after.messages[n].status.rank, (n, before.messages.get(n), message, after.messages[n])
        # Every appointment the desk booked came with its confirmation, in the same commit: never one without it.
        confirmed = {message.appointment_id for message in restored.messages.values()
                     if message.kind == MessageKind.CONFIRMATION}
        booked = {n for n, appointment in restored.appointments.items()
                  if appointment.start.astimezone(ZONE).date() >= first_day}
        assert booked and booked <= confirmed
        # What the backup says went out did reach the mail server.
        arrived = {mail["Message-ID"] for mail in smtp_server.inbox.messages}
        handed_over = {m.provider_ref for m in restored.messages.values() if m.status == MessageStatus.HANDED_OVER}
        assert handed_over and handed_over <= arrived
        assert restored.users == {owner.email, staff.email}

        restored_web, restored_base = serve(restored_environment)
        servers.append(restored_web)
        appointments, messages = shown(restored_base, owner.email, days_of(restored))
        assert {n for n, _ in appointments} == set(restored.appointments)
        assert messages == {n: str(m.status) for n, m in restored.messages.items()}

        # Once the work stops, a second backup brings back exactly what the original holds.
        stop(consumer)
        flask(environment, "backup", str(tmp_path / "quiet.sqlite"))
        url, quiet_environment = new_instance(stack, tmp_path / "quiet")
        flask(quiet_environment, "db", "upgrade")  # empty all the same: tables, but none of the practice's data
        flask(quiet_environment, "restore", str(tmp_path / "quiet.sqlite"))
        assert read(url) == read(original)
        quiet_web, quiet_base = serve(quiet_environment)
        servers.append(quiet_web)
        days = days_of(read(original))
        assert shown(quiet_base, owner.email, days) == shown(base, owner.email, days)
        def went_out(snapshot):
            return sum(message.status == MessageStatus.HANDED_OVER for message in snapshot.messages.values())

        print(f"\nbackup while busy on {stack.name}: appointments {len(before.appointments)} before, "
              f"{len(restored.appointments)} restored, {len(after.appointments)} after; messages handed over "
              f"{went_out(before)} before, {went_out(restored)} restored, {went_out(after)} after")
    finally:
        desk.halt.set()
        for process in servers:
            stop(process)


# --- refusing, and what goes wrong ------------------------------------------------------------------------------

def test_a_restore_refuses_an_instance_that_holds_data_and_changes_nothing_and_force_overwrites_it(
        app, owner, environment, stack, tmp_path):
    make_client(app, first_name="Anna")
    flask(environment, "backup", str(tmp_path / "anna.sqlite"))
    url, elsewhere = new_instance(stack, tmp_path / "elsewhere")
    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": "memory://"})
    with other.app_context():
        upgrade()
        db.engine.dispose()
    make_user(other, Role.OWNER, email="bert@elsewhere.test")
    make_client(other, first_name="Bert")
    held = read(url)

    refused = flask(elsewhere, "restore", str(tmp_path / "anna.sqlite"), check=False)
    assert refused.returncode == 1 and "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert "already holds the practice's data" in refused.stderr
    assert read(url) == held
    with other.app_context():
        assert db.session.scalars(select(Client.first_name)).all() == ["Bert"]
        db.engine.dispose()

    flask(elsewhere, "restore", "--force", str(tmp_path / "anna.sqlite"))
    assert read(url) == read(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.app_context():
        assert db.session.scalars(select(Client.first_name)).all() == ["Anna"]
        db.engine.dispose()


def test_a_backup_made_at_an_older_migration_restores_into_an_instance_at_the_newest(stack, tmp_path):
    """The new instance has the newest tables (`flask db upgrade`), the backup those of migration 0019: the restore
    replaces the whole schema, and the migrations bring the backup up to the newest."""
    old_url, old = new_instance(stack, tmp_path / "old")
    with create_app({"SQLALCHEMY_DATABASE_URI": old_url, "HUEY_URL": "memory://"}).app_context():
        upgrade(revision="030318db361a")  # 0019, before the practice's data
        db.session.execute(text(
            "INSERT INTO client (first_name, last_name, email, mobile, language, notes, confirmation_channels, "
            "reminder_channels, sms_consent, created_at, search_text) VALUES ('Oud', 'Klant', 'oud@example.nl', '', "
            "'nl', '', 'email', 'email', false, CURRENT_TIMESTAMP, 'klant oud oud@example.nl')"))
        db.session.commit()
        db.engine.dispose()
    flask(old, "backup", str(tmp_path / "old.backup"))
    url, new = new_instance(stack, tmp_path / "new")
    flask(new, "db", "upgrade")
    restored = flask(new, "restore", str(tmp_path / "old.backup"))
    assert "made at migration 030318db361a, now at the newest" in restored.stdout
    with create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": "memory://"}).app_context():
        assert db.session.execute(select(Client.first_name, Client.erased_at)).all() == [("Oud", None)]
        assert db.session.scalar(text("SELECT count(*) FROM import_upload")) == 0
        db.engine.dispose()


def test_a_damaged_file_is_refused_with_a_message_not_a_traceback_and_even_with_force_changes_nothing(
        app, owner, environment, stack, tmp_path):
    make_client(app, first_name="Anna")
    held = read(app.config["SQLALCHEMY_DATABASE_URI"])
    # It starts like a backup of its kind, so that SQLite or pg_restore itself reads it and fails.
    broken = tmp_path / "broken.backup"
    broken.write_bytes((b"PGDMP" if stack.name == "production" else b"SQLite format 3\x00") + b"\x01" * 2000)
    result = flask(environment, "restore", "--force", str(broken), check=False)
    assert result.returncode == 1 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert ("holds no practice's database" if stack.name == "production" else "SQLite could not restore") in result.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not a backup")
    result = flask(environment, "restore", "--force", str(text), check=False)
    assert result.returncode == 1 and "is not" in result.stderr and "Traceback" not in result.stderr
    assert read(app.config["SQLALCHEMY_DATABASE_URI"]) == held


def test_the_backup_says_which_tool_made_it_and_a_half_written_one_never_carries_the_name(environment, stack,
                                                                                        tmp_path):
    made = flask(environment, "backup", str(tmp_path / "copy.backup"))
    assert ("by pg_dump" if stack.name == "production" else "by SQLite's online backup") in made.stdout
    assert (tmp_path / "copy.backup").stat().st_mode & 0o077 == 0  # the practice's data: the owner's eyes only
    assert not list(tmp_path.glob(".*partial"))


# --- the nightly backups ----------------------------------------------------------------------------------------

def test_the_nightly_backups_keep_the_newest_fourteen_and_leave_other_files_alone(ctx, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    first = datetime(2026, 3, 1, 2, 15, tzinfo=UTC)
    own = folder / "before-the-update.sqlite"
    own.write_text("the owner's own")
    os.utime(own, (first.timestamp(), first.timestamp()))  # counts by its time of writing: older than the nightly
    made = [store_nightly_backup(folder, first + timedelta(days=night)).path for night in range(16)]
    kept = sorted(file.name for file in folder.iterdir())
    assert kept == sorted(["before-the-update.sqlite", *(path.name for path in made[2:])])
    assert made[-1].name in {"practice-20260316-021500.sqlite", "practice-20260316-021500.dump"}
    assert newest_backup(folder) == first + timedelta(days=15)


def test_flask_backup_without_a_path_and_the_nightly_task_write_into_the_backup_folder(app, environment, tmp_path):
    from practice.tasks import store_nightly_backup as nightly_task

    folder = tmp_path / "backups"  # the instance folder's, as the environment names it
    flask(environment, "backup")
    assert len(list(folder.iterdir())) == 1
    app.config["BACKUP_DIR"] = str(tmp_path / "elsewhere")
    with app.app_context():
        nightly_task()
    assert newest_backup(tmp_path / "elsewhere") > datetime.now(UTC) - timedelta(minutes=1)


# --- the dashboard ----------------------------------------------------------------------------------------------

def test_the_dashboard_warns_without_a_backup_and_with_one_three_days_old_but_not_with_a_fresh_one(
        app, owner, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    browser = log_in(app.test_client(), owner)
    page = dashboard(browser, again=True)
    assert 'data-test="backup" data-made=""' in page and "There is no backup of the practice’s data yet." in page
    assert "“flask backup” makes one at once" in page
    now = datetime.now(UTC)
    with app.app_context():
        store_nightly_backup(tmp_path / "backups", now - timedelta(days=3))
    page = dashboard(browser, again=True)
    assert 'data-test="backup"' in page and "more than two days ago" in page
    with app.app_context():
        store_nightly_backup(tmp_path / "backups", now - timedelta(hours=1))
    assert 'data-test="backup"' not in dashboard(browser, again=True)
