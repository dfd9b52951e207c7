"""How fast the outbox sends: 10,000 confirmation e-mails to a local SMTP sink and 10,000 confirmation SMS to
a local Kannel-shaped sendsms server, each through the app's own path (send_due: claim, render the template in
the sandbox with Babel dates, build the MIME message with its .ics or measure the SMS, hand it over, record
the status). Beside it, a bare baseline measured in the same run: the same number of pre-rendered messages
sent with plain smtplib and plain http.client GETs, one connection per message like the app. Prints messages
per second for both, the app's share of the baseline (target: at least 50 %) and what the servers received.

The SMTP sink (aiosmtpd) and the sendsms server run in a child process, as a real mail server and Kannel
would, so they do not share the interpreter lock with the sender.

    .venv/bin/python bench/send_rate.py [--count 10000] [--profile 25] [--stack embedded|production|both]

--count 500 gives a quick look; --profile N runs the app's sends under cProfile (slower) and prints the N
functions with the most cumulative time. Figures are printed, never asserted.

--stack (bench/stacks.py): the app's sends on SQLite, on a throw-away PostgreSQL cluster, or both one after the
other (the default, unless PRACTICE_TEST_STACK names one). The servers and the baseline are shared: the baseline
runs once, after the app's runs, in this process, and every stack is compared against that one measurement.
"""
import argparse
import cProfile
import email.policy
import http.client
import io
import multiprocessing
import os
import pstats
import smtplib
import sys
import tempfile
import time as clock
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PRACTICE_INSTANCE", tempfile.mkdtemp(prefix="practice-bench-"))
os.environ.setdefault("HUEY_URL", "memory://")

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench import stacks  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.messages.planning import plan_change  # noqa: E402
from practice.messages.sending import due_message_ids, send_due  # noqa: E402
from practice.enums import Channel, Channels, MessageKind, MessageStatus  # noqa: E402
from practice.models import (  # noqa: E402
    Appointment, AppointmentType, Client, Location, Message, Practice, Practitioner, utcnow,
)

SENDSMS_PATH = "/cgi-bin/sendsms"
SENDER = "practice@fysio-bench.example"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
       b"UID:appointment-%d@fysio-bench.example\r\nDTSTAMP:20261123T080000Z\r\nDTSTART:20261124T090000Z\r\n"
       b"DTEND:20261124T093000Z\r\nSUMMARY:Behandeling \xe2\x80\x93 Fysio Bench\r\n"
       b"LOCATION:Centrum\\, Hoofdstraat 1\\, Amsterdam\r\nDESCRIPTION:Sophie Verbeek\r\nSEQUENCE:%d\r\n"
       b"STATUS:CONFIRMED\r\nORGANIZER:mailto:info@fysio-bench.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


# --- the servers, in a child process ----------------------------------------------------------------------------

def _count(counter, amount: int = 1) -> None:
    with counter.get_lock():
        counter.value += amount


class CountingSink:
    """An aiosmtpd handler that accepts everything and only counts (parsing would slow the sink, not the app)."""

    def __init__(self, received, with_ics):
        self.received, self.with_ics = received, with_ics

    async def handle_DATA(self, server, session, envelope):
        _count(self.received)
        if b"text/calendar" in envelope.content:
            _count(self.with_ics)
        return "250 Message accepted for delivery"


def sendsms_handler(received):
    class SendSms(BaseHTTPRequestHandler):
        """Shaped like Kannel's smsbox: 202 and `0: Accepted for delivery` for a well-formed sendsms."""

        def do_GET(self):
            path, _, query = self.path.partition("?")
            arguments = urllib.parse.parse_qs(query)
            if path == SENDSMS_PATH and arguments.get("to") and arguments.get("text"):
                _count(received)
                status, answer = 202, b"0: Accepted for delivery"
            else:
                status, answer = 400, b"-1: missing to or text"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return SendSms


def serve(smtp_port, http_port, counters, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(CountingSink(counters["smtp"], counters["ics"]), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), sendsms_handler(counters["sms"]))
    server.daemon_threads = True
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ready.set()
    stop.wait()
    server.shutdown()
    server.server_close()
    controller.stop()


# --- the app's side ---------------------------------------------------------------------------------------------

def seed(count: int) -> None:
    """A practice with SMS on, and per client one appointment confirmed by e-mail and one by SMS."""
    stacks.configure(Practice.current(), name="Fysio Bench", email="info@fysio-bench.example", phone="+31 20 555 0100",
                     timezone="Europe/Amsterdam", country="NL", sms_enabled=True, sms_sender_id="FysioBench")
    location = Location(name="Centrum", address="Hoofdstraat 1, Amsterdam", sms_note="Bel aan bij de zijdeur.")
    kind = AppointmentType(name="Behandeling", duration_minutes=30, colour="#4f7cac")
    practitioner = Practitioner(name="Sophie Verbeek")
    db.session.add_all([location, kind, practitioner])
    db.session.flush()
    db.session.execute(insert(Client), [
        {"first_name": f"Client{n}", "last_name": f"Bench{n}", "email": f"client{n}@example.com",
         "mobile": f"+316{12340000 + n:08d}", "language": "nl", "notes": "", "sms_consent": True,
         "confirmation_channels": Channels.BOTH, "reminder_channels": Channels.BOTH} for n in range(count)])
    client_ids = list(db.session.scalars(select(Client.id).order_by(Client.id)))
    first = datetime(2030, 3, 4, 8, tzinfo=UTC)
    rows = []
    for channels in (Channels.EMAIL, Channels.SMS):
        for n, client_id in enumerate(client_ids):
            start = first + timedelta(days=n // 24, minutes=30 * (n % 24))
            rows.append({"client_id": client_id, "practitioner_id": practitioner.id, "appointment_type_id": kind.id,
                         "location_id": location.id, "start": start, "end": start + timedelta(minutes=30),
                         "confirmation_channels": channels, "reminder_channels": Channels.NONE})
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(Appointment), rows[chunk:chunk + 10_000])
    db.session.commit()


def plan(channels: Channels) -> int:
    """Confirmations for the appointments confirmed on this channel, planned by the service as a booking does."""
    now = utcnow()
    ids = list(db.session.scalars(select(Appointment.id).where(Appointment.confirmation_channels == channels)
                                  .order_by(Appointment.id)))
    planned = 0
    for chunk in range(0, len(ids), 1000):
        appointments = db.session.scalars(select(Appointment).where(Appointment.id.in_(ids[chunk:chunk + 1000]))
                                          .options(selectinload(Appointment.client)))
        for appointment in appointments:
            planned += sum(m.status == MessageStatus.PLANNED
                           for m in plan_change(appointment, MessageKind.CONFIRMATION, now))
        db.session.commit()
        db.session.expunge_all()
    return planned


def send_everything_due() -> int:
    """What the worker's minute dispatcher does, until nothing is due (send_due takes 1,000 at a time)."""
    handed_over = 0
    while True:
        handed_over += send_due(utcnow())
        if not due_message_ids(utcnow(), limit=1):
            return handed_over


def status_counts(channel: Channel) -> dict[str, int]:
    rows = db.session.execute(select(Message.status, func.count()).where(Message.channel == channel)
                              .group_by(Message.status))
    return {str(status): number for status, number in rows}


# --- the bare baseline ------------------------------------------------------------------------------------------

def prerendered_emails(count: int) -> list[tuple[str, bytes]]:
    """The app's own rendered texts, packed as the app packs them (text, HTML, .ics), serialised in advance."""
    rows = db.session.execute(select(Message.id, Message.recipient, Message.subject, Message.body)
                              .where(Message.channel == Channel.EMAIL).order_by(Message.id).limit(count)).all()
    messages = []
    for message_id, recipient, subject, body in rows:
        mail = EmailMessage()
        mail["From"] = formataddr(("Fysio Bench", SENDER))
        mail["To"] = recipient
        mail["Subject"] = subject
        mail["Message-ID"] = make_msgid(idstring=f"baseline-{message_id}", domain="fysio-bench.example")
        mail["Reply-To"] = "info@fysio-bench.example"
        mail.set_content(body)
        mail.add_alternative("".join(f"<p>{p}</p>" for p in body.split("\n\n")), subtype="html")
        mail.add_attachment(ICS % (message_id, message_id), maintype="text", subtype="calendar",
                            filename="appointment.ics", params={"method": "PUBLISH"})
        messages.append((recipient, mail.as_bytes(policy=email.policy.SMTP)))  # CRLF, as send_message does
    return messages


def prerendered_sms(count: int, report_base: str) -> list[str]:
    """The app's own SMS texts as complete sendsms request paths with Kannel's arguments, built in advance."""
    rows = db.session.execute(select(Message.id, Message.recipient, Message.body)
                              .where(Message.channel == Channel.SMS).order_by(Message.id).limit(count)).all()
    return [f"{SENDSMS_PATH}?" + urllib.parse.urlencode({
        "username": "bench", "password": "bench-password", "from": "FysioBench", "to": recipient.lstrip("+"),
        "text": body, "dlr-mask": "31",
        "dlr-url": f"{report_base}/callbacks/sms/kannel?ref={message_id}&sig={'0' * 32}&type=%d&answer=%A"})
        for message_id, recipient, body in rows]


def baseline_smtp(port: int, messages: list[tuple[str, bytes]]) -> None:
    for recipient, data in messages:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(SENDER, [recipient], data)


def baseline_http(port: int, paths: list[str]) -> None:
    for path in paths:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 202:
            raise RuntimeError(f"the sendsms server answered {response.status}")


# --- the run ----------------------------------------------------------------------------------------------------

def timed(profiler: cProfile.Profile | None, work, *args):
    """The result, the wall-clock seconds and this process's CPU seconds (the rest is waiting: sockets, fsync)."""
    started, cpu = clock.perf_counter(), clock.process_time()
    if profiler:
        profiler.enable()
    result = work(*args)
    if profiler:
        profiler.disable()
    return result, clock.perf_counter() - started, clock.process_time() - cpu


def print_profile(label: str, profiler: cProfile.Profile, seconds: float, lines: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = max(stats.total_tt, 1e-9)
    print(f"\nprofile of the app's {label} send ({seconds:.1f} s wall, {total:.1f} s profiled); "
          f"cumulative share of the profiled time:")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)[:lines]
    for (filename, line, name), (_, calls, own, cumulative, _) in rows:
        where = filename.replace(str(Path(sys.prefix)), "<venv>").replace(str(Path(__file__).parents[1]), ".")
        print(f"  {100 * cumulative / total:5.1f} % cum  {100 * own / total:5.1f} % own  {calls:>8} calls  "
              f"{name}  {where}:{line}")


LABELS = (("e-mail", Channel.EMAIL, Channels.EMAIL, "smtp"), ("SMS", Channel.SMS, Channels.SMS, "sms"))
BASE_URL = "http://127.0.0.1:5000"


@dataclass
class AppRun:
    """What one stack's run hands back: its figures (all, then per label), the app's send seconds per label, and
    the messages it rendered, pre-rendered for the baseline."""
    figures: dict[str, str]
    per_label: dict[str, dict[str, str]]
    seconds: dict[str, float]
    emails: list[tuple[str, bytes]]
    sms_paths: list[str]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000, help="e-mails and SMS each (default 10,000)")
    parser.add_argument("--profile", type=int, default=0, metavar="LINES",
                        help="profile the app's sends with cProfile and print this many functions")
    stacks.add_argument(parser)
    args = parser.parse_args()
    count = args.count

    # The servers first, before this process has any threads to fork.
    smtp_port, http_port = stacks.free_port(), stacks.free_port()
    context = multiprocessing.get_context("fork")
    counters = {name: context.Value("q", 0) for name in ("smtp", "ics", "sms")}
    ready, stop = context.Event(), context.Event()
    servers = context.Process(target=serve, args=(smtp_port, http_port, counters, ready, stop), daemon=True)
    servers.start()
    if not ready.wait(15):
        raise SystemExit("the SMTP sink and sendsms server did not start")

    try:
        runs = stacks.measure_each(args, measure, args, smtp_port, http_port, counters)
        done = [run for run in runs.values() if not isinstance(run, stacks.Failed)]
        baseline = {}
        if done:
            print("\n--- baseline (bare smtplib and http.client, pre-rendered) ---")
            bare = ((baseline_smtp, smtp_port, done[0].emails), (baseline_http, http_port, done[0].sms_paths))
            for (label, _, _, counter), (work, port, items) in zip(LABELS, bare):
                before = counters[counter].value
                _, seconds, cpu = timed(None, work, port, items)
                received = counters[counter].value - before
                print(f"{label}: baseline sent {len(items):,} pre-rendered in {seconds:.1f} s ({cpu:.1f} s CPU); "
                      f"server received {received:,} (expected {count:,})")
                baseline[label] = (seconds, cpu, received)
        print(f"SMTP sink: {counters['smtp'].value:,} messages in all, {counters['ics'].value:,} with an .ics; "
              f"sendsms server: {counters['sms'].value:,} requests in all")
        table = {stack: run if isinstance(run, stacks.Failed) else table_of(run, baseline, count)
                 for stack, run in runs.items()}
        stacks.print_table(f"send rate, {count:,} e-mails and {count:,} SMS; one baseline for every stack", table)
        if len(done) < len(runs):
            raise SystemExit(1)
    finally:
        stop.set()
        servers.join(10)
        if servers.is_alive():
            servers.terminate()


def table_of(run: AppRun, baseline: dict[str, tuple[float, float, int]], count: int) -> dict[str, str]:
    """The run's figures, each label's followed by the shared baseline and the comparison."""
    figures = dict(run.figures)
    for label, (seconds, cpu, received) in baseline.items():
        app_rate, base_rate = count / run.seconds[label], count / seconds
        figures |= run.per_label[label] | {
            f"{label}: baseline received": f"{received:,}",
            f"{label}: baseline wall / CPU": f"{seconds:.1f} s / {cpu:.1f} s",
            f"{label}: app rate": f"{app_rate:,.0f} msg/s",
            f"{label}: baseline rate (one run)": f"{base_rate:,.0f} msg/s",
            f"{label}: app's share of baseline (target >= 50 %)": f"{100 * app_rate / base_rate:.0f} %"}
    return figures


def measure(database_url: str, args, smtp_port: int, http_port: int, counters) -> AppRun:
    """The app's sends on one stack: seed, plan, send everything due, and render the baseline's messages."""
    count = args.count
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": BASE_URL, "MAIL_FROM": SENDER,
        "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port,
        "SMS_GATEWAY": "kannel", "KANNEL_SENDSMS_URL": f"http://127.0.0.1:{http_port}{SENDSMS_PATH}",
        "KANNEL_USERNAME": "bench", "KANNEL_PASSWORD": "bench-password",
    })
    figures, per_label, seconds_of = {}, {}, {}
    with app.app_context():
        db.create_all()
        started = clock.perf_counter()
        seed(count)
        seconds = clock.perf_counter() - started
        print(f"seeded {count:,} clients and {2 * count:,} appointments in {seconds:.1f} s")
        figures["seed time"] = f"{seconds:.1f} s"
        stacks.settle_statistics(db.engine)

        for label, channel, channels, counter in LABELS:
            started = clock.perf_counter()
            planned = plan(channels)
            seconds = clock.perf_counter() - started
            print(f"{label}: planned {planned:,} confirmations with plan_change in {seconds:.1f} s")
            before = counters[counter].value
            profiler = cProfile.Profile() if args.profile else None
            handed_over, seconds_of[label], cpu = timed(profiler, send_everything_due)
            received = counters[counter].value - before
            statuses = status_counts(channel)
            print(f"{label}: app handed over {handed_over:,} in {seconds_of[label]:.1f} s ({cpu:.1f} s CPU); "
                  f"server received {received:,} (expected {count:,}); statuses {statuses}")
            if profiler:
                print_profile(label, profiler, seconds_of[label], args.profile)
            per_label[label] = {f"{label}: planned with plan_change": f"{planned:,} in {seconds:.1f} s",
                        f"{label}: app handed over / server received": f"{handed_over:,} / {received:,}",
                        f"{label}: app wall / CPU": f"{seconds_of[label]:.1f} s / {cpu:.1f} s",
                        f"{label}: statuses": ", ".join(f"{status} {n:,}" for status, n in statuses.items())}
            db.session.expunge_all()

        emails, paths = prerendered_emails(count), prerendered_sms(count, BASE_URL)
        db.engine.dispose()
    return AppRun(figures, per_label, seconds_of, emails, paths)


if __name__ == "__main__":
    main()
