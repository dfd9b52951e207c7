"""Every due reminder reaches the SMTP server exactly once: across SIGKILLed and restarted huey_consumer
processes, two consumers at once, and an SMTP server that is down for a while."""
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, insert, select

from practice.cli import consumer_arguments
from practice.extensions import db
from practice.messages import services
from practice.models import Appointment, Channel, Channels, Client, Message, MessageKind, MessageStatus
from tests.integration.test_messages import use_smtp
from tests.integration.test_worker import ROOT, _wait_for

REMINDERS = 500
CLAIM_SECONDS = 12


def _due_reminders(app, agenda, count: int) -> None:
    """`count` booked appointments tomorrow, each with one e-mail reminder due a minute ago."""
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(insert(Client), [
            {"first_name": "Client", "last_name": str(n), "email": f"client{n}@example.com", "mobile": "",
             "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL} for n in range(count)])
        client_ids = db.session.scalars(select(Client.id).order_by(Client.id)).all()
        start = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        db.session.execute(insert(Appointment), [
            {"client_id": client_id, "practitioner_id": agenda.practitioner if n % 2 else agenda.colleague,
             "appointment_type_id": agenda.treatment, "location_id": agenda.location,
             "start": start + timedelta(minutes=15 * (n // 2)), "end": start + timedelta(minutes=15 * (n // 2) + 15),
             "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL}
            for n, client_id in enumerate(client_ids)])
        for appointment in db.session.scalars(select(Appointment)):
            # As plan_reminders keys them: appointment, rule, channel, start.
            db.session.add(Message(dedupe_key=f"{appointment.id}:reminder1:email:{appointment.start.isoformat()}",
                                   appointment=appointment, kind=MessageKind.REMINDER, channel=Channel.EMAIL,
                                   recipient=appointment.client.email, language="nl",
                                   due_at=now - timedelta(minutes=1)))
        db.session.commit()


def _start_consumer(environment) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", *consumer_arguments()], cwd=ROOT,
                            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _statuses(app) -> Counter:
    with app.app_context():
        return Counter(dict(db.session.execute(select(Message.status, func.count()).group_by(Message.status)).all()))


def test_reminders_arrive_exactly_once_though_consumers_are_killed_at_random_moments(app, agenda, smtp_server,
                                                                                      environment):
    _due_reminders(app, agenda, REMINDERS)
    environment = environment | {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "MAIL_FROM": "agenda@example.com",
        # A claim must outlive the slowest live send (SMTP timeouts, SQLite lock waits under a loaded machine).
        "SMTP_TIMEOUT": "3", "MESSAGE_CLAIM_SECONDS": str(CLAIM_SECONDS)}
    received = lambda: len(smtp_server.inbox.messages)  # noqa: E731
    chance = random.Random()
    interrupted = []
    for _ in range(5):
        consumer = _start_consumer(environment)
        before = received()
        sending = _wait_for(lambda: received() > before or received() == REMINDERS, 60)
        time.sleep(chance.uniform(0, 0.5))
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)
        interrupted.append(received())
        if not sending or received() == REMINDERS:
            break
    assert any(0 < count < REMINDERS for count in interrupted), f"no kill landed mid-run: {interrupted}"

    time.sleep(CLAIM_SECONDS + 0.5)  # the killed workers' claims are now stale: the next run settles them
    finishing = [_start_consumer(environment), _start_consumer(environment)]  # two consumers at once
    try:
        assert _wait_for(lambda: _statuses(app)[MessageStatus.HANDED_OVER] == REMINDERS, 120), _statuses(app)
    finally:
        for consumer in finishing:
            consumer.send_signal(signal.SIGKILL)
            consumer.wait(10)

    recipients = Counter(message["To"] for message in smtp_server.inbox.messages)
    assert len(smtp_server.inbox.messages) == REMINDERS, f"kills after {interrupted} messages; {_history(app)}"
    assert set(recipients.values()) == {1} and len(recipients) == REMINDERS
    assert len({message["Message-ID"] for message in smtp_server.inbox.messages}) == REMINDERS


def _history(app) -> Counter:
    """What the workers recorded, for a failure message: each settled claim says which side it was on."""
    with app.app_context():
        from practice.models import MessageEvent

        return Counter(db.session.scalars(select(MessageEvent.detail)).all())


def test_reminders_are_retried_while_the_smtp_server_is_down_and_all_arrive_once_it_is_back(app, agenda,
                                                                                            smtp_server):
    use_smtp(app, smtp_server)
    app.config["SMTP_TIMEOUT"] = 2
    _due_reminders(app, agenda, 20)
    smtp_server.stop()
    with app.app_context():
        assert services.send_due(datetime.now(UTC)) == 0
    assert _statuses(app) == {MessageStatus.PLANNED: 20}
    with app.app_context():
        attempts = db.session.scalars(select(Message)).all()
        assert {m.attempts for m in attempts} == {1}
        assert all("attempt 1 failed" in m.events[-1].detail for m in attempts)
    # Still down at the first retry a minute later: the back-off grows.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1, seconds=5), tick=True):
        with app.app_context():
            assert services.send_due(datetime.now(UTC)) == 0
            assert {m.attempts for m in db.session.scalars(select(Message))} == {2}
            nexts = {m.due_at - datetime.now(UTC) for m in db.session.scalars(select(Message))}
            assert all(timedelta(minutes=4) < gap <= timedelta(minutes=5) for gap in nexts)
    smtp_server.start()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=7), tick=True):
        with app.app_context():
            assert services.send_due(datetime.now(UTC)) == 20
            assert services.send_due(datetime.now(UTC)) == 0
    assert _statuses(app) == {MessageStatus.HANDED_OVER: 20}
    assert len(smtp_server.inbox.messages) == 20
    with app.app_context():
        history = [event.status for event in db.session.scalars(select(Message)).first().events]
    assert history == [MessageStatus.PLANNED, MessageStatus.PLANNED, MessageStatus.HANDED_OVER]
