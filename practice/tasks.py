"""The Huey instance and the timed work. Huey is only the clock: each task opens an app context and
calls a service, and the database stays the truth about what was done."""
import threading
from contextlib import nullcontext
from functools import wraps
from pathlib import Path

from flask import has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from .config import huey_url

NAME = "practice"


def huey_from_url(url: str):
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, filename=str(path), results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url == "memory://":
        return MemoryHuey(NAME, results=False)
    raise ValueError(f"HUEY_URL must be sqlite:///<path>, redis://… or memory://, not {url!r}")


huey = huey_from_url(huey_url())
_app = None


def _app_context():
    """The web process already has an app; the consumer makes one, once."""
    if has_app_context():
        return nullcontext()
    global _app
    if _app is None:
        from . import create_app

        _app = create_app()
    return _app.app_context()


def _in_app_context(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        with _app_context():
            return fn(*args, **kwargs)

    return run


def task(**options):
    return lambda fn: huey.task(**options)(_in_app_context(fn))


def periodic_task(schedule, **options):
    return lambda fn: huey.periodic_task(schedule, **options)(_in_app_context(fn))


@periodic_task(crontab())
def heartbeat():
    """Every minute: note that the consumer is alive."""
    from .worker import store_heartbeat

    store_heartbeat()


@task(retries=0)
def send_message(message_id: int):
    """Right after a change: send this one message now (the minute dispatcher covers a lost enqueue)."""
    from datetime import UTC, datetime

    from .messages.services import send_message as send

    send(message_id, datetime.now(UTC))


_caught_up = threading.Lock()


@huey.on_startup()
def catch_up():
    """A consumer that was down catches up at once instead of at the next minute (once per process, though
    every worker thread runs this hook)."""
    if _caught_up.acquire(blocking=False):
        send_due_messages()


@periodic_task(crontab())
def send_due_messages():
    """Every minute, and at consumer start: everything due, including what was missed while down."""
    from datetime import UTC, datetime

    from .messages.services import send_due

    send_due(datetime.now(UTC))


@periodic_task(crontab(hour="3", minute="30"))
def warm_figures():
    """At night: count the months that settled since yesterday, so the owner's morning dashboard is quick."""
    from datetime import UTC, datetime

    from . import practice
    from .dashboard.services import PERIODS, load_dashboard, period_of

    settings = practice()
    for name in PERIODS:
        load_dashboard(period_of(name, datetime.now(UTC), settings.timezone), settings, with_attention=False)


@task()
def replan_reminders():
    """After the reminder settings changed: every upcoming appointment's reminders follow the new rules."""
    from datetime import UTC, datetime

    from .messages.services import replan_upcoming_reminders

    replan_upcoming_reminders(datetime.now(UTC))


@task()
def deliver_sink_report(arguments: dict):
    """The development SMS sink's simulated delivery report, a few seconds after the hand-over."""
    from datetime import UTC, datetime

    from flask import current_app

    from .messages.services import record_report, report_signature

    gateway = current_app.extensions["practice.sms_gateway"]
    record_report(gateway, arguments | {"sig": report_signature(arguments["ref"])}, datetime.now(UTC))
