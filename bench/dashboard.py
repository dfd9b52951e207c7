"""How fast the owner's dashboard renders with a year of history of a busy practice: 12 practitioners,
about 80,000 appointments, 200,000 messages in every outcome, online moves and no-shows. Prints, per period,
the median and 95th percentile render time (in-process, through the Flask test client, full page and htmx
fragment) and the SQL queries per render.

    .venv/bin/python bench/dashboard.py [--messages 200000] [--runs 40] [--stack embedded|production|both]

--stack (bench/stacks.py): SQLite, a throw-away PostgreSQL cluster, or both one after the other with the
figures side by side (the default, unless PRACTICE_TEST_STACK names one).
"""
import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PRACTICE_INSTANCE", tempfile.mkdtemp(prefix="practice-bench-"))
os.environ.setdefault("HUEY_URL", "memory://")

from sqlalchemy import event, func, insert, select  # noqa: E402

from bench import stacks  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.enums import (  # noqa: E402
    AppointmentStatus, Channel, Channels, MessageKind, MessageStatus, NotSentReason, Role,
)
from practice.models import (  # noqa: E402
    Appointment, AppointmentType, Client, Location, Message, OnlineMove, Practice, Practitioner, SettledFigure, User,
    WorkerBeat, WorkingHours,
)

ZONE = ZoneInfo("Europe/Amsterdam")
PRACTITIONERS, PER_DAY, CLIENTS = 12, 25, 8000  # 12 x 25 appointments x 5 days = 1,500 a week
CHANNELS = (Channels.EMAIL, Channels.SMS, Channels.BOTH, Channels.NONE)
SMS_OUTCOMES = ((MessageStatus.DELIVERED, None), (MessageStatus.HANDED_OVER, None), (MessageStatus.UNDELIVERABLE, None),
                (MessageStatus.EXPIRED, None), (MessageStatus.NOT_SENT, NotSentReason.NO_CONSENT),
                (MessageStatus.NOT_SENT, NotSentReason.BOOKED_TOO_LATE))
SMS_WEIGHTS = (86, 3, 5, 2, 2, 2)
EMAIL_OUTCOMES = ((MessageStatus.HANDED_OVER, None), (MessageStatus.PROVIDER_REFUSED, None),
                  (MessageStatus.NOT_SENT, NotSentReason.BOOKED_TOO_LATE))
EMAIL_WEIGHTS = (95, 3, 2)
# As long as the rendered default templates: the message table is read straight through, so its width counts.
SUBJECT = "Herinnering: uw afspraak bij Fysio Bench op dinsdag 3 maart"
EMAIL_BODY = ("Beste Client1234,\n\nDit is een herinnering aan uw afspraak (Behandeling) bij Practitioner 3 op "
              "dinsdag 3 maart 2026 om 10:40 uur.\n\nLocatie: Centrum, Hoofdstraat 1, 1011 AB Amsterdam.\n\n"
              "Past dit moment toch niet? Verplaats uw afspraak via https://practice.example.com/a/"
              "0123456789abcdef0123456789abcdef of bel ons op +31 20 555 0100.\n\nMet vriendelijke groet,\n"
              "Fysio Bench")
SMS_BODY = ("Herinnering: afspraak bij Fysio Bench op di 3 mrt om 10:40 (Practitioner 3, Centrum). Verplaatsen: "
            "https://practice.example.com/a/0123456789abcdef")


def seed(total_messages: int, now: datetime) -> None:
    rng = random.Random(1)
    stacks.configure(Practice.current(), name="Fysio Bench", email="info@example.com", phone="+31 20 555 0100",
                     timezone="Europe/Amsterdam", country="NL", sms_enabled=True)
    owner = User(email="owner@example.com", name="Owner", role=Role.OWNER)
    owner.set_password("bench-password")
    locations = [Location(name="Centrum", address="Hoofdstraat 1"), Location(name="Zuid", address="Zuidplein 3")]
    types = [AppointmentType(name=f"Type {n}", duration_minutes=20, colour=f"#{n}0{n}0{n}0") for n in range(1, 5)]
    practitioners = [Practitioner(name=f"Practitioner {n}") for n in range(1, PRACTITIONERS + 1)]
    db.session.add_all([owner, *locations, *types, *practitioners, WorkerBeat(seen_at=now - timedelta(seconds=40))])
    for practitioner in practitioners:
        for weekday in range(5):
            practitioner.working_hours.append(WorkingHours(location=locations[weekday % 2], weekday=weekday,
                                                           start_time=time(8), end_time=time(17)))
    db.session.flush()
    clients = []
    for n in range(CLIENTS):
        channels = rng.choices(CHANNELS, weights=(8, 4, 7, 1))[0]
        mobile = "" if rng.random() < 0.05 else f"+316{rng.randrange(10_000_000, 99_999_999)}"
        clients.append({"first_name": f"Client{n}", "last_name": f"Bench{n}", "email": "" if rng.random() < 0.02
                        else f"c{n}@example.com", "mobile": mobile, "language": "nl", "notes": "",
                        "confirmation_channels": channels, "reminder_channels": channels,
                        "sms_consent": bool(mobile) and rng.random() < 0.97})
    db.session.execute(insert(Client), clients)

    # A year of working days up to two weeks ahead, each practitioner fully booked.
    today = now.astimezone(ZONE).date()
    appointments, day = [], today - timedelta(days=365)
    while day <= today + timedelta(days=14):
        if day.weekday() < 5:
            for practitioner in practitioners:
                for slot in range(PER_DAY):
                    start = datetime.combine(day, time(8), ZONE).astimezone(UTC) + timedelta(minutes=20 * slot)
                    chance = rng.random()
                    status = (AppointmentStatus.NO_SHOW if chance < 0.05 and start < now else
                              AppointmentStatus.CANCELLED if chance < 0.08 else AppointmentStatus.BOOKED)
                    client = rng.randrange(CLIENTS)
                    appointments.append({
                        "client_id": client + 1, "practitioner_id": practitioner.id,
                        "appointment_type_id": types[slot % 4].id, "location_id": locations[day.weekday() % 2].id,
                        "start": start, "end": start + timedelta(minutes=20), "status": status,
                        "confirmation_channels": clients[client]["confirmation_channels"],
                        "reminder_channels": clients[client]["reminder_channels"],
                        "created_at": start - timedelta(days=rng.randint(1, 20))})
        day += timedelta(days=1)
    for chunk in range(0, len(appointments), 10_000):
        db.session.execute(insert(Appointment), appointments[chunk:chunk + 10_000])

    # Messages of the appointments that have begun, newest first, until there are as many as asked for.
    rows, moves = [], []
    past = [(index + 1, row) for index, row in enumerate(appointments) if row["start"] < now]
    for appointment_id, row in reversed(past):
        if len(rows) >= total_messages:
            break
        reminder_due = datetime.combine(row["start"].astimezone(ZONE).date() - timedelta(days=2), time(7), ZONE)
        for kind, channels, due in ((MessageKind.CONFIRMATION, row["confirmation_channels"], row["created_at"]),
                                    (MessageKind.REMINDER, row["reminder_channels"], reminder_due)):
            for channel in [c for c, on in ((Channel.EMAIL, channels.email), (Channel.SMS, channels.sms)) if on]:
                if channel == Channel.SMS:
                    status, reason = rng.choices(SMS_OUTCOMES, weights=SMS_WEIGHTS)[0]
                else:
                    status, reason = rng.choices(EMAIL_OUTCOMES, weights=EMAIL_WEIGHTS)[0]
                handed_over = due if status not in (MessageStatus.NOT_SENT, MessageStatus.PROVIDER_REFUSED) else None
                segments = (1 if rng.random() < 0.7 else 2) if channel == Channel.SMS and handed_over else 0
                sms = channel == Channel.SMS
                rows.append({"dedupe_key": f"{appointment_id}:{kind}:{channel}", "appointment_id": appointment_id,
                             "kind": kind, "channel": channel, "language": "nl", "due_at": due,
                             "recipient": "+31612345678" if sms else f"client{row['client_id']}@example.com",
                             "status": status, "reason": reason, "error": "", "attempts": 1,
                             "subject": "" if sms else SUBJECT, "body": SMS_BODY if sms else EMAIL_BODY,
                             "segments": segments,
                             "encoding": "GSM-7" if segments else "",
                             "price_cents": 10 * segments if status == MessageStatus.DELIVERED else 0,
                             "handed_over_at": handed_over, "status_at": due + timedelta(minutes=1),
                             "created_at": row["created_at"]})
        if row["status"] != AppointmentStatus.CANCELLED and rng.random() < 0.03:
            moves.append({"appointment_id": appointment_id, "from_start": row["start"] + timedelta(days=1),
                          "to_start": row["start"], "moved_at": row["start"] - timedelta(days=rng.randint(1, 6))})
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(Message), rows[chunk:chunk + 10_000])
    db.session.execute(insert(OnlineMove), moves)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    stacks.add_argument(parser)
    args = parser.parse_args()
    stacks.run(args, f"dashboard, {args.messages:,} messages, {args.runs} renders each (first 3 not counted)",
               lambda url: measure(url, args))


def measure(database_url: str, args) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        started = clock.perf_counter()
        seed(args.messages, now)
        seconds = clock.perf_counter() - started
        counted = db.session.execute(select(func.count(Message.id), func.min(Message.due_at))).one()
        appointments = db.session.scalar(select(func.count(Appointment.id)))
        moves = db.session.scalar(select(func.count(OnlineMove.id)))
        print(f"seeded {counted[0]:,} messages since {counted[1]:%Y-%m-%d}, {appointments:,} appointments, "
              f"{moves:,} online moves in {seconds:.1f} s")
        stacks.settle_statistics(db.engine)
        figures = {"messages / appointments / online moves seeded": f"{counted[0]:,} / {appointments:,} / {moves:,}",
                   "seed time": f"{seconds:.1f} s"}

    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "owner@example.com", "password": "bench-password", "csrf_token": token})

    gc.freeze()  # as wsgi.py does once the app is built: startup objects are never garbage
    queries = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    # Cold: nothing counted yet, as on the very first visit (afterwards the worker keeps the settled months warm).
    for period in ("4w", "3m", "12m"):
        with app.app_context():
            db.session.query(SettledFigure).delete()
            db.session.commit()
        queries.clear()
        started = clock.perf_counter()
        assert client.get(f"/dashboard/?period={period}").status_code == 200
        figures[f"{period:>3} cold (settled months counted and kept): time / SQL statements"] = (
            f"{(clock.perf_counter() - started) * 1000:.1f} ms / {len(queries)}")
    worst = 0.0
    for period in ("4w", "3m", "12m"):
        for label, headers in (("full page", {}), ("htmx fragment", {"HX-Request": "true"})):
            timings, counts = [], []
            for _ in range(args.runs):
                queries.clear()
                started = clock.perf_counter()
                response = client.get(f"/dashboard/?period={period}", headers=headers)
                timings.append((clock.perf_counter() - started) * 1000)
                counts.append(len(queries))
                assert response.status_code == 200, response.status_code
                assert response.get_data(as_text=True).count('data-test="chart"') >= 4
            timings = timings[3:]  # the first renders compile templates and warm caches
            p95 = statistics.quantiles(timings, n=20)[-1]
            worst = max(worst, p95)
            figures |= {f"{period:>3} {label}: median / p95": f"{statistics.median(timings):.1f} / {p95:.1f} ms",
                        f"{period:>3} {label}: SQL queries per render": f"{max(counts)}"}
    figures["worst p95, settled months kept (target < 150 ms)"] = f"{worst:.1f} ms"
    with app.app_context():
        figures |= breakdown(now)
        db.engine.dispose()
    return figures


def breakdown(now: datetime) -> dict[str, str]:
    """Where a render's time goes: each figure's query on its own, median of a few runs."""
    from practice.dashboard import services
    from practice.messages.usage import load_usage
    from practice.periods import period_of

    practice, figures = Practice.current(), {}
    for name in ("4w", "3m", "12m"):
        period = period_of(name, now, practice.timezone)
        parts = {
            "messages": lambda: services._load_messages(period),
            "no-shows": lambda: services._load_no_shows(period),
            "SMS usage (load_usage)": lambda: load_usage(period.months[0], period.today, period.tz),
            "online moves": lambda: (services._load_moves(period), services._load_moves_per_week(period)),
            "attention": lambda: services.load_attention(now, practice),
        }
        for label, part in parts.items():
            runs = []
            for _ in range(5):
                started = clock.perf_counter()
                part()
                runs.append((clock.perf_counter() - started) * 1000)
            figures[f"{name:>3} by figure, median of 5: {label}"] = f"{statistics.median(runs):.1f} ms"
    return figures


if __name__ == "__main__":
    main()
