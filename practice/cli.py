"""flask commands: demo data, accounts, the worker, and `flask dev` that runs it all at once."""
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import run_simple

from .auth.services import create_user
from .config import ROOT
from .data.backup import BackupError, NotEmpty, backup_folder, count_due, restore_backup, store_backup, store_nightly_backup
from .demo import COUNTRIES, DEMO_PASSWORD, OWNER_EMAIL, STAFF_EMAIL, load_demo
from .errors import FieldError
from .extensions import db
from .i18n import in_language
from .messages.forecast import load_forecast
from .enums import LANGUAGES, Role
from .models import Practice, User


def init_app(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(create_owner)
    app.cli.add_command(worker)
    app.cli.add_command(dev)
    app.cli.add_command(translations)
    app.cli.add_command(forecast)
    app.cli.add_command(backup)
    app.cli.add_command(restore)


@click.command()
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Centre the two weeks on this day.")
@click.option("--country", type=click.Choice(sorted(COUNTRIES)), default="NL", show_default=True,
              help="NL: a Dutch practice; BE: a bilingual one in Brussels.")
def demo(today, country):
    """Load the demo practice into an empty database."""
    load_demo(today.date() if today else date.today(), country=country)
    click.echo(f"Demo practice loaded. Owner: {OWNER_EMAIL}, desk: {STAFF_EMAIL}, password: {DEMO_PASSWORD}")


@click.command("create-owner")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_owner(email, name, password):
    """Create an owner account."""
    try:
        create_user(email, name, password, Role.OWNER)
    except FieldError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Owner {email} created.")


@click.command()
@click.option("-w", "--workers", default=2, show_default=True)
def worker(workers):
    """Run the Huey consumer (timed sends and the heartbeat) until Ctrl-C."""
    os.execvp(sys.executable, [sys.executable, "-m", "huey.bin.huey_consumer", *consumer_arguments(workers)])


def consumer_arguments(workers: int = 2) -> list[str]:
    # Threads; SIGTERM finishes running tasks (Huey's default would interrupt them); stale locks flushed at start;
    # an idle poll of at most 2 s (the SQLite queue is polled, so a new task waits at most that long).
    return ["practice.consumer.huey", "-w", str(workers), "-k", "thread", "-g", "TERM", "-t", "30", "-f", "-m", "2"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--country", type=click.Choice(sorted(COUNTRIES)), default="NL", show_default=True,
              help="The demo loaded into an empty database: NL, or BE (bilingual, Brussels).")
def dev(host, port, country):
    """Set up the embedded default (database, demo data) and run the web server and the worker."""
    upgrade()
    if not db.session.scalar(select(func.count(User.id))):
        load_demo(date.today(), country=country)
    consumer = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", *consumer_arguments()])
    click.echo(
        f"\n  practice runs at http://{host}:{port}/\n"
        f"  log in as {OWNER_EMAIL} (owner) or {STAFF_EMAIL} (desk), password {DEMO_PASSWORD}\n"
        "  Ctrl-C stops the web server and the worker.\n"
    )
    signal.signal(signal.SIGTERM, _stop)  # a SIGTERM stops the worker too, like Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started from a shell that ignores it
    try:
        # Not app.run(): Flask ignores it inside a `flask` command.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        consumer.terminate()
        consumer.wait(timeout=40)


def _stop(signum, frame):
    raise KeyboardInterrupt


@click.command()
@click.option("--days", default=3, show_default=True, help="Appointments starting within this many days.")
def forecast(days):
    """The reminders of the coming days, and why an appointment gets none."""
    settings = Practice.current()
    zone = ZoneInfo(settings.timezone)
    entries = load_forecast(datetime.now(UTC), days, settings)
    with in_language("en"):
        for entry in entries:
            appointment = entry.appointment
            lines = [" ".join(filter(None, (
                f"{line.due_at.astimezone(zone):%a %d %b %H:%M} {line.channel}" if line.due_at else "",
                f"not: {line.reason.label}" if line.reason else ""))) for line in entry.lines]
            click.echo(f"{appointment.start.astimezone(zone):%a %d %b %H:%M}  {appointment.client.name:<28} "
                       f"{' | '.join(lines) or '-'}")
    going = sum(entry.goes_out for entry in entries)
    click.echo(f"{going} of {len(entries)} appointments in the next {days} days get a reminder.")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def backup(path):
    """Write a consistent copy of the database to PATH while the app runs (without PATH: a new file in BACKUP_DIR,
    the newest 14 kept, as the worker does every night)."""
    try:
        made = store_backup(path) if path else store_nightly_backup(backup_folder(), datetime.now(UTC))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    if made.tool == "pg_dump":
        click.echo(f"Backup written to {made.path} by pg_dump (PostgreSQL's custom format; `flask restore` or "
                   "pg_restore reads it).")
    else:
        click.echo(f"Backup written to {made.path} by SQLite's online backup (a complete SQLite database file).")


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds the practice's data.")
def restore(path, force):
    """Bring the backup at PATH back into this instance's database, which must be empty (or --force), and upgrade it
    to the newest migration."""
    try:
        revision = restore_backup(path, force=force)
    except NotEmpty as error:
        raise click.ClickException(f"{error} Nothing was changed; --force overwrites it with the backup.") from None
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored from {path}" + (f" (made at migration {revision}, now at the newest)." if revision else "."))
    if due := count_due(datetime.now(UTC)):
        click.echo(f"{due} messages were due by now: they go out when the worker starts, also any that went out "
                   "after the backup was made (the backup cannot know of those).")


@click.group()
def translations():
    """Keep the catalogue of every language in step with the code."""


@translations.command("update")
def update_translations():
    """Extract the strings, merge them into every catalogue and compile."""
    folder = ROOT / "translations"
    pot = folder / "messages.pot"
    run = CommandLineInterface().run
    run(["pybabel", "-q", "extract", "-F", str(folder / "babel.cfg"), "-k", "_l", "--no-location",
         "--omit-header", "--sort-output", "-o", str(pot), str(ROOT)])
    for language in LANGUAGES:
        command = "update" if (folder / language / "LC_MESSAGES" / "messages.po").exists() else "init"
        run(["pybabel", "-q", command, "-i", str(pot), "-d", str(folder), "-l", language, "-w", "100"]
            + (["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []))
    pot.unlink()
    _fill_source_language(folder / "en" / "LC_MESSAGES" / "messages.po")
    run(["pybabel", "-q", "compile", "-d", str(folder), "--statistics"])


def _fill_source_language(path) -> None:
    """The code is written in English: the English catalogue says what the code says."""
    with open(path, "rb") as file:
        catalogue = read_po(file, locale="en")
    for message in catalogue:
        if message.id and not (message.string if isinstance(message.string, str) else all(message.string)):
            message.string = message.id
    with open(path, "wb") as file:
        write_po(file, catalogue, width=100, sort_output=True)
