"""How fast the agenda's week view renders with a big history: 5 practitioners, 100,000 appointments,
about 500 of them in the week shown. Prints the median and 95th percentile render time (in-process,
through the Flask test client: full page, htmx fragment, and the full page with its grid laid out anew as after a
change) and the SQL queries per render.

    .venv/bin/python bench/week_view.py [--appointments 100000] [--runs 60] [--stack embedded|production|both]

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
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PRACTICE_INSTANCE", tempfile.mkdtemp(prefix="practice-bench-"))
os.environ.setdefault("HUEY_URL", "memory://")

from sqlalchemy import event, insert  # noqa: E402

from bench import stacks  # noqa: E402
from practice.agenda import grid  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.enums import Channels, Role  # noqa: E402
from practice.models import (  # noqa: E402
    Appointment, AppointmentType, Client, Location, Practice, Practitioner, User, WorkingHours,
)

PRACTITIONERS, PER_DAY = 5, 20  # 5 practitioners x 20 appointments x 5 working days = 500 a week
SHOWN_WEEK = date(2026, 11, 23)


def seed(total: int) -> None:
    rng = random.Random(1)
    stacks.configure(Practice.current(), name="Fysio Bench", email="info@example.com", phone="+31 20 555 0100",
                     timezone="Europe/Amsterdam", country="NL")
    owner = User(email="owner@example.com", name="Owner", role=Role.OWNER)
    owner.set_password("bench-password")
    locations = [Location(name="Centrum", address="Hoofdstraat 1"), Location(name="Zuid", address="Zuidplein 3")]
    types = [AppointmentType(name=f"Type {n}", duration_minutes=20, colour=f"#{n}0{n}0{n}0") for n in range(1, 5)]
    practitioners = [Practitioner(name=f"Practitioner {n}") for n in range(1, PRACTITIONERS + 1)]
    db.session.add_all([owner, *locations, *types, *practitioners])
    for practitioner in practitioners:
        for weekday in range(5):
            practitioner.working_hours.append(WorkingHours(location=locations[weekday % 2], weekday=weekday,
                                                           start_time=time(8), end_time=time(16)))
    db.session.flush()
    db.session.execute(insert(Client), [
        {"first_name": f"Client{n}", "last_name": f"Bench{n}", "email": f"c{n}@example.com", "mobile": "",
         "language": "nl", "notes": "", "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL,
         "sms_consent": False} for n in range(3000)])
    zone = ZoneInfo("Europe/Amsterdam")
    weeks = total // (PRACTITIONERS * PER_DAY * 5)
    first_monday = SHOWN_WEEK - timedelta(weeks=weeks // 2)
    rows = []
    for week in range(weeks):
        for weekday in range(5):
            day = first_monday + timedelta(weeks=week, days=weekday)
            for index, practitioner in enumerate(practitioners):
                for slot in range(PER_DAY):
                    start = datetime.combine(day, time(8), zone).astimezone(UTC) + timedelta(minutes=20 * slot)
                    rows.append({"client_id": rng.randint(1, 3000), "practitioner_id": practitioner.id,
                                 "appointment_type_id": types[slot % 4].id, "location_id": locations[weekday % 2].id,
                                 "start": start, "end": start + timedelta(minutes=20),
                                 "confirmation_channels": Channels.EMAIL, "reminder_channels": Channels.EMAIL})
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(Appointment), rows[chunk:chunk + 10_000])
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    stacks.add_argument(parser)
    args = parser.parse_args()
    stacks.run(args, f"week view, {args.appointments:,} appointments, {args.runs} renders each "
                     f"(first 3 not counted)", lambda url: measure(url, args))


def measure(database_url: str, args) -> dict[str, str]:
    figures = {}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        started = clock.perf_counter()
        seed(args.appointments)
        seconds = clock.perf_counter() - started
        count = db.session.query(Appointment).count()
        print(f"seeded {count:,} appointments, {PRACTITIONERS} practitioners in {seconds:.1f} s")
        stacks.settle_statistics(db.engine)
        figures |= {"appointments seeded": f"{count:,}", "seed time": f"{seconds:.1f} s"}

    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "owner@example.com", "password": "bench-password", "csrf_token": token})

    gc.freeze()  # as wsgi.py does once the app is built: startup objects are never garbage
    queries = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    url = f"/agenda/?view=week&day={SHOWN_WEEK.isoformat()}"
    # The agenda remembers the grids it laid out (agenda.grid._laid_out); "laid out anew" forgets them before each
    # render, as after every change to the week.
    for label, headers, anew in (("full page", {}, False), ("htmx fragment", {"HX-Request": "true"}, False),
                                 ("full page, laid out anew", {}, True)):
        timings, counts, shown = [], [], 0
        for _ in range(args.runs):
            if anew:
                grid._laid_out.cache_clear()
            queries.clear()
            started = clock.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((clock.perf_counter() - started) * 1000)
            counts.append(len(queries))
            assert response.status_code == 200, response.status_code
            shown = response.get_data(as_text=True).count('class="appointment ')
        timings = timings[3:]  # the first renders compile templates and warm caches
        p95 = statistics.quantiles(timings, n=20)[-1]
        figures |= {f"{label}: appointments shown": f"{shown}",
                    f"{label}: median": f"{statistics.median(timings):.1f} ms",
                    f"{label}: p95 (target < 60 ms)": f"{p95:.1f} ms",
                    f"{label}: SQL queries per render (target <= 10)": f"{max(counts)}"}
    with app.app_context():
        db.engine.dispose()
    return figures


if __name__ == "__main__":
    main()
