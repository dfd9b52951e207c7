"""How long the public page takes to compute a day's free times for a practitioner with a full agenda:
working hours 07:00-20:00 at one location, the day packed with 15-minute appointments with a few gaps, time
off, and a year of other appointments around it. Prints median and 95th percentile (target: p95 under 20 ms),
for the pure computation and for the whole service call with its three queries.

    .venv/bin/python bench/free_times.py [--runs 200] [--stack embedded|production|both]

--stack (bench/stacks.py): SQLite, a throw-away PostgreSQL cluster, or both one after the other with the
figures side by side (the default, unless PRACTICE_TEST_STACK names one). The pure computation does not touch
the database; it is measured on both as a yardstick for the noise between the two runs.
"""
import argparse
import gc
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

from sqlalchemy import insert, select  # noqa: E402

from bench import stacks  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.availability import Interval, WeeklyHours, free_times  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.enums import Channels  # noqa: E402
from practice.models import (  # noqa: E402
    Appointment, AppointmentType, Client, Location, Practice, Practitioner, TimeOff, WorkingHours,
)
from practice.public import services  # noqa: E402

TZ = "Europe/Amsterdam"
DAY = date(2026, 12, 9)


def seed() -> int:
    zone = ZoneInfo(TZ)
    stacks.configure(Practice.current(), name="Fysio Bench", email="info@example.com", phone="+31 20 555 0100", timezone=TZ,
                     online_rescheduling=True, reschedule_cutoff_hours=24, reschedule_step_minutes=5)
    location, kind = Location(name="Centrum"), AppointmentType(name="Kort", duration_minutes=15)
    practitioner = Practitioner(name="Sophie Verbeek")
    practitioner.working_hours = [WorkingHours(location=location, weekday=d, start_time=time(7), end_time=time(20))
                                  for d in range(7)]
    db.session.add_all([location, kind, practitioner, Client(first_name="Anna", last_name="de Vries")])
    db.session.flush()
    rows = []
    for offset in range(-180, 180):  # a year around the day, every quarter hour but a few
        day = DAY + timedelta(days=offset)
        opening = datetime.combine(day, time(7), zone).astimezone(UTC)
        for slot in range(52):
            if slot % 9 == 4:
                continue  # gaps where the free times are
            start = opening + timedelta(minutes=15 * slot)
            rows.append({"client_id": 1, "practitioner_id": practitioner.id, "appointment_type_id": kind.id,
                         "location_id": location.id, "start": start, "end": start + timedelta(minutes=15),
                         "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL})
    db.session.execute(insert(Appointment), rows)
    db.session.add(TimeOff(practitioner_id=practitioner.id, reason="Lunch walk",
                           start=datetime.combine(DAY, time(12), zone), end=datetime.combine(DAY, time(12, 30), zone)))
    db.session.commit()
    return len(rows)


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    stacks.add_argument(parser)
    args = parser.parse_args()
    stacks.run(args, f"free times of a full day, {args.runs} runs each", lambda url: measure(url, args))


def measure(database_url: str, args) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
        seeded = seed()
        print(f"seeded {seeded:,} appointments for one practitioner (a year, every quarter hour but a few)")
        stacks.settle_statistics(db.engine)
        practice = Practice.current()
        moving = db.session.scalar(select(Appointment).where(Appointment.start > datetime.now(UTC) + timedelta(days=2))
                                   .order_by(Appointment.start))
        now = datetime(2026, 12, 1, 9, tzinfo=UTC)
        gc.freeze()
        service, found = [], []
        for _ in range(args.runs):
            db.session.expire_all()
            started = clock.perf_counter()
            found = services.free_times_for(moving, DAY, practice, now)
            service.append((clock.perf_counter() - started) * 1000)
        busy = [Interval(a.start, a.end) for a in db.session.scalars(select(Appointment).where(
            Appointment.overlapping(*[datetime.combine(DAY, time(0), ZoneInfo(TZ)) + timedelta(days=n)
                                      for n in (0, 1)])))]
        hours = [WeeklyHours(DAY.weekday(), time(7), time(20))]
        pure = []
        for _ in range(args.runs):
            started = clock.perf_counter()
            free_times(DAY, hours=hours, busy=busy, duration=timedelta(minutes=15), tz=TZ,
                       step=timedelta(minutes=5), not_before=now)
            pure.append((clock.perf_counter() - started) * 1000)
        db.engine.dispose()
    return {"appointments seeded": f"{seeded:,}", "appointments that day": f"{len(busy)}",
            "free times offered (5-minute grid)": f"{len(found)}",
            "free_times (pure): median": f"{statistics.median(pure):.2f} ms",
            "free_times (pure): p95": f"{p95(pure):.2f} ms",
            "free_times_for (with queries): median": f"{statistics.median(service):.2f} ms",
            "free_times_for (with queries): p95 (target < 20 ms)": f"{p95(service):.2f} ms"}


if __name__ == "__main__":
    main()
