"""Timed sends at scale: 1,000,000 appointments (10,000 a day over 100 days), half of them already past with
their reminders sent. Prints how long planning one day's 10,000 reminders takes (plan_reminders_for, as a rules
change does it), and how long the worker's due-selection query takes when they are all due at 07:00.
The send run's rate against the bare baseline is bench/send_rate.py (the same path: send_due).

    .venv/bin/python bench/reminders.py [--per-day 10000] [--days 100] [--runs 30] [--stack embedded|production|both]

--stack (bench/stacks.py): SQLite, a throw-away PostgreSQL cluster, or both one after the other with the
figures side by side (the default, unless PRACTICE_TEST_STACK names one). Both get the full million; loading it
takes a few minutes on PostgreSQL.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PRACTICE_INSTANCE", tempfile.mkdtemp(prefix="practice-bench-"))
os.environ.setdefault("HUEY_URL", "memory://")

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import joinedload  # noqa: E402

from bench import stacks  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.messages import planning, sending  # noqa: E402
from practice.enums import AppointmentStatus, Channel, Channels, MessageKind, MessageStatus  # noqa: E402
from practice.models import (  # noqa: E402
    Appointment, AppointmentType, Client, Location, Message, Practice, Practitioner,
)

TZ = "Europe/Amsterdam"
PRACTITIONERS, CLIENTS = 200, 20_000
SHOWN = date(2026, 12, 9)  # the day whose reminders are planned and selected (a Wednesday)


def seed(per_day: int, days: int) -> None:
    zone = ZoneInfo(TZ)
    stacks.configure(Practice.current(), name="Fysio Bench", email="info@example.com", phone="+31 20 555 0100", timezone=TZ,
                     country="NL", reminder_rules="days_before:2@07:00")
    location, kind = Location(name="Centrum", address="Hoofdstraat 1"), AppointmentType(name="Behandeling")
    db.session.add_all([location, kind, *(Practitioner(name=f"Practitioner {n}") for n in range(PRACTITIONERS))])
    db.session.flush()
    db.session.execute(insert(Client), [
        {"first_name": "Client", "last_name": str(n), "email": f"c{n}@example.com", "mobile": "", "language": "nl",
         "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL} for n in range(CLIENTS)])
    first_day = SHOWN - timedelta(days=days // 2)
    per_practitioner = per_day // PRACTITIONERS
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        opening = datetime.combine(day, time(8), zone).astimezone(UTC)
        rows = [{"client_id": 1 + (offset * per_day + n) % CLIENTS, "practitioner_id": 1 + n // per_practitioner,
                 "appointment_type_id": kind.id, "location_id": location.id,
                 "start": opening + timedelta(minutes=10 * (n % per_practitioner)),
                 "end": opening + timedelta(minutes=10 * (n % per_practitioner) + 10),
                 "status": AppointmentStatus.BOOKED, "confirmation_channels": Channels.EMAIL,
                 "reminder_channels": Channels.EMAIL} for n in range(per_day)]
        db.session.execute(insert(Appointment), rows)
        if day < SHOWN:  # the past: their reminders went out
            ids = db.session.scalars(select(Appointment.id).where(Appointment.start >= opening,
                                                                  Appointment.start < opening + timedelta(days=1)))
            sent_at = opening - timedelta(days=2)
            db.session.execute(insert(Message), [
                {"dedupe_key": f"{i}:reminder1:email:past", "appointment_id": i, "kind": MessageKind.REMINDER,
                 "channel": Channel.EMAIL, "recipient": "c@example.com", "due_at": sent_at,
                 "status": MessageStatus.HANDED_OVER, "handed_over_at": sent_at, "status_at": sent_at}
                for i in ids])
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    stacks.add_argument(parser)
    args = parser.parse_args()
    stacks.run(args, f"reminders at {args.per_day * args.days:,} appointments, due-selection {args.runs} runs",
               lambda url: measure(url, args))


def measure(database_url: str, args) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    zone = ZoneInfo(TZ)
    with app.app_context():
        db.create_all()
        started = clock.perf_counter()
        seed(args.per_day, args.days)
        seconds = clock.perf_counter() - started
        appointments = db.session.scalar(select(func.count(Appointment.id)))
        past = db.session.scalar(select(func.count(Message.id)))
        print(f"seeded {appointments:,} appointments and {past:,} past reminders in {seconds:.0f} s")
        stacks.settle_statistics(db.engine)
        figures = {"appointments seeded": f"{appointments:,}", "past reminders seeded": f"{past:,}",
                   "seed time": f"{seconds:.0f} s"}

        day_start = datetime.combine(SHOWN, time(0), zone).astimezone(UTC)
        booked_at = day_start - timedelta(days=10)
        started = clock.perf_counter()
        practice = Practice.current()
        appointments = db.session.scalars(select(Appointment).where(
            Appointment.overlapping(day_start, day_start + timedelta(days=1)))
            .options(joinedload(Appointment.client), joinedload(Appointment.appointment_type))).all()
        for start in range(0, len(appointments), 1000):  # as replan_upcoming_reminders does it
            planning.plan_reminders_for(appointments[start:start + 1000], practice, booked_at)
            db.session.commit()
        took = clock.perf_counter() - started
        print(f"planning {len(appointments):,} reminders for {SHOWN}: {took:.2f} s")
        figures |= {f"planning one day's reminders ({SHOWN})": f"{took:.2f} s",
                    "planning rate": f"{len(appointments) / took:,.0f}/s"}

        due = datetime.combine(SHOWN - timedelta(days=2), time(7, 0, 30), zone).astimezone(UTC)
        timings = []
        for _ in range(args.runs):
            db.session.expire_all()
            started = clock.perf_counter()
            batch = sending.due_message_ids(due)
            timings.append((clock.perf_counter() - started) * 1000)
        started = clock.perf_counter()
        everything = db.session.scalars(select(Message.id).where(
            Message.status == MessageStatus.PLANNED, Message.due_at <= due)).all()
        every = (clock.perf_counter() - started) * 1000
        db.engine.dispose()
    return figures | {
        "due-selection: batch / all due": f"{len(batch):,} / {len(everything):,}",
        "due-selection of a batch: median": f"{statistics.median(timings):.1f} ms",
        "due-selection of a batch: p95 (target < 100 ms)": f"{statistics.quantiles(timings, n=20)[-1]:.1f} ms",
        "all due ids at once": f"{every:.1f} ms"}


if __name__ == "__main__":
    main()
