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
from sqlalchemy import func, insert, make_url, select

from practice.cli import consumer_arguments
from practice.extensions import db
from practice.messages import sending
from practice.enums import Channel, Channels, MessageKind, MessageStatus, Note, in_words
from practice.models import Appointment, Client, Message
from tests.conftest import free_port
from tests.integration.test_messages import use_smtp
from tests.servers.latency_proxy import LatencyProxy
from tests.integration.test_worker import ROOT, _wait_for

REMINDERS = 500
CLAIM_SECONDS = 12
KILLS = 8


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
                                                                                      environment, stack):
    """No reminder is lost and none arrives twice, except one whose history says it went out again after an
    unclear hand-over, with the same Message-ID. The windows a kill can land in are widened on purpose: the mail
    server waits a little before answering the final dot, and on PostgreSQL the consumers reach the database
    through a proxy that holds every packet back, so each commit takes a slow round trip."""
    _due_reminders(app, agenda, REMINDERS)
    smtp_server.inbox.reply_delay = 0.01
    environment = environment | {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "MAIL_FROM": "agenda@example.com",
        # A claim must outlive the slowest live send (SMTP timeouts, SQLite lock waits under a loaded machine).
        "SMTP_TIMEOUT": "3", "MESSAGE_CLAIM_SECONDS": str(CLAIM_SECONDS),
        # Small claims, so that each killed consumer strands few and the next one has work left to be killed in.
        "MESSAGE_CLAIM_BATCH": "10"}
    proxy = None
    if stack.name == "production":
        url = make_url(environment["DATABASE_URL"])
        proxy = LatencyProxy(free_port(), url.port, delay=0.002).start()
        environment["DATABASE_URL"] = url.set(port=proxy.port).render_as_string(hide_password=False)
    received = lambda: len(smtp_server.inbox.messages)  # noqa: E731
    chance = random.Random()
    interrupted = []
    try:
        for _ in range(KILLS):
            consumer = _start_consumer(environment)
            before = received()
            progressed = _wait_for(lambda: received() > before or received() >= REMINDERS, 60)
            time.sleep(chance.uniform(0, 0.4))
            consumer.send_signal(signal.SIGKILL)
            consumer.wait(10)
            interrupted.append(received())
            if not progressed or received() >= REMINDERS:
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
    finally:
        if proxy:
            proxy.stop()

    arrived = Counter(message["To"] for message in smtp_server.inbox.messages)
    missing = {f"client{n}@example.com" for n in range(REMINDERS)} - set(arrived)
    assert not missing, f"lost: {sorted(missing)}; kills after {interrupted} messages; {_history(app)}"
    with app.app_context():
        histories = {message.provider_ref: [event.detail for event in message.events]
                     for message in db.session.scalars(select(Message))}
    ids = Counter(message["Message-ID"] for message in smtp_server.inbox.messages)
    assert set(ids) == set(histories), "every reminder arrived under the Message-ID its log shows"
    # A message arrives once, plus at most once more for each unclear hand-over its history records (a resend
    # can itself be cut short by the next kill).
    doubts = {message_id: sum(in_words(detail).startswith("in doubt") for detail in history)
              for message_id, history in histories.items()}
    too_often = {message_id: (times, doubts[message_id]) for message_id, times in ids.items()
                 if times > 1 + doubts[message_id] or (times > 1 and Note.RESENT not in histories[message_id])}
    assert too_often == {}, f"arrived more often than its unclear hand-overs explain: {too_often}"
    twice = sum(times > 1 for times in ids.values())
    print(f"\nkill test on {stack.name}: kills after {interrupted} messages; {sum(doubts.values())} hand-overs in "
          f"doubt ({sum(bool(n) for n in doubts.values())} messages), {twice} messages arrived more than once, "
          f"{sum(times - 1 for times in ids.values())} repeats in all")


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
        assert sending.send_due(datetime.now(UTC)) == 0
    assert _statuses(app) == {MessageStatus.PLANNED: 20}
    with app.app_context():
        attempts = db.session.scalars(select(Message)).all()
        assert {m.attempts for m in attempts} == {1}
        assert all("attempt 1 failed" in in_words(m.events[-1].detail) for m in attempts)
    # Still down at the first retry a minute later: the back-off grows.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1, seconds=5), tick=True):
        with app.app_context():
            assert sending.send_due(datetime.now(UTC)) == 0
            assert {m.attempts for m in db.session.scalars(select(Message))} == {2}
            nexts = {m.due_at - datetime.now(UTC) for m in db.session.scalars(select(Message))}
            assert all(timedelta(minutes=4) < gap <= timedelta(minutes=5) for gap in nexts)
    smtp_server.start()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=7), tick=True):
        with app.app_context():
            assert sending.send_due(datetime.now(UTC)) == 20
            assert sending.send_due(datetime.now(UTC)) == 0
    assert _statuses(app) == {MessageStatus.HANDED_OVER: 20}
    assert len(smtp_server.inbox.messages) == 20
    with app.app_context():
        history = [event.status for event in db.session.scalars(select(Message)).first().events]
    assert history == [MessageStatus.PLANNED, MessageStatus.PLANNED, MessageStatus.HANDED_OVER]
