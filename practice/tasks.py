"""The queue and the timed work, made from the app's configuration (HUEY_URL) in create_app. Huey is only the
clock: each task runs in an app context and calls a service, and the database stays the truth about what was
done. Domains never call a task; they send a signal (signals.py) that the tasks here answer."""
import threading
from datetime import UTC, datetime
from functools import wraps

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from .config import private_sqlite
from .data import backup
from .data import retention
from .dashboard.services import load_dashboard
from .messages import planning, reports, sending
from .models import Practice
from .periods import SPANS, period_of
from .signals import messages_planned, reminder_rules_changed
from .worker import store_heartbeat

NAME = "practice"


def huey_from_url(url: str):
    if url.startswith("sqlite:///"):
        private_sqlite(url)
        return SqliteHuey(NAME, filename=url.removeprefix("sqlite:///"), results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url == "memory://":
        return MemoryHuey(NAME, results=False)
    raise ValueError(f"HUEY_URL must be sqlite:///<path>, redis://… or memory://, not {url!r}")


# --- the work, each in an app context ---------------------------------------------------------------------------

def heartbeat():
    """Every minute: note that the consumer is alive."""
    store_heartbeat()


def send_due_messages():
    """Every minute, and at consumer start: everything due, including what was missed while down."""
    sending.send_due(datetime.now(UTC))


def send_message(message_id: int):
    """Right after a change: send this one message now (the minute round covers a lost enqueue)."""
    sending.send_message(message_id, datetime.now(UTC))


def replan_reminders():
    """After the reminder rules changed: every upcoming appointment's reminders follow the new rules."""
    planning.replan_upcoming_reminders(datetime.now(UTC))


def warm_figures():
    """At night: count the months that settled since yesterday, so the owner's morning dashboard is quick."""
    practice = Practice.current()
    for span in SPANS:
        load_dashboard(period_of(span, datetime.now(UTC), practice.timezone))


def store_nightly_backup():
    """At night: a backup of the database into BACKUP_DIR, the newest 14 kept (the dashboard warns when it stops)."""
    backup.store_nightly_backup(backup.backup_folder(), datetime.now(UTC))


def remove_old_texts():
    """At night: message texts and recipients older than the owner's retention go (counts and costs stay), and the
    files of imports left unfinished for a day."""
    retention.remove_old_texts(datetime.now(UTC))


def deliver_sink_report(arguments: dict):
    """The development SMS sink's simulated delivery report, a few seconds after the hand-over."""
    gateway = current_app.extensions["practice.sms_gateway"]
    reports.record_report(gateway, arguments | {"sig": reports.report_signature(arguments["ref"])},
                           datetime.now(UTC))


class Tasks:
    """The app's queue with the tasks registered on it (app.extensions["practice.tasks"]), answering the
    domains' signals. The web process enqueues; `huey_consumer practice.consumer.huey` runs them."""

    def __init__(self, app: Flask):
        self.app = app
        self.huey = huey = huey_from_url(app.config["HUEY_URL"])
        every_minute = crontab()
        self.heartbeat = huey.periodic_task(every_minute)(self._in_app(heartbeat))
        huey.periodic_task(every_minute)(self._in_app(send_due_messages))
        huey.periodic_task(crontab(hour="3", minute="30"))(self._in_app(warm_figures))
        huey.periodic_task(crontab(hour="3", minute="10"))(self._in_app(remove_old_texts))
        huey.periodic_task(crontab(hour="2", minute="15"))(self._in_app(store_nightly_backup))
        self.send_message = huey.task(retries=0)(self._in_app(send_message))
        self.replan_reminders = huey.task()(self._in_app(replan_reminders))
        self.deliver_sink_report = huey.task()(self._in_app(deliver_sink_report))
        self._caught_up = threading.Lock()
        huey.on_startup()(self.catch_up)
        messages_planned.connect(self._send_now, sender=app)
        reminder_rules_changed.connect(self._replan, sender=app)
        app.extensions["practice.tasks"] = self

    def _in_app(self, work):
        @wraps(work)
        def run(*args, **kwargs):
            with self.app.app_context():
                return work(*args, **kwargs)

        return run

    def catch_up(self):
        """A consumer that was down catches up at once instead of at the next minute (once per process, though
        every worker thread runs this hook)."""
        if self._caught_up.acquire(blocking=False):
            self._in_app(send_due_messages)()

    def schedule_sink_report(self, arguments: dict, delay: int) -> None:
        self.deliver_sink_report.schedule((arguments,), delay=delay)

    def _send_now(self, app, message_ids: list[int], due_at: datetime | None = None) -> None:
        """Send the messages now, or at `due_at` (notices in the undo window; "send now" enqueues them again)."""
        for message_id in message_ids:
            if due_at and due_at > datetime.now(UTC):
                self.send_message.schedule((message_id,), eta=due_at)
            else:
                self.send_message(message_id)

    def _replan(self, app) -> None:
        self.replan_reminders()
