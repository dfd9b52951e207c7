"""A demo practice to look around in: 3 practitioners, 2 locations, 4 appointment types,
60 clients and two weeks of appointments around today."""
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .auth.services import create_user
from .extensions import db
from .messages.services import replan_upcoming_reminders
from .models import (
    Appointment, AppointmentType, Channels, Client, ConsentEvent, ConsentSource, Location, Practice, Practitioner, Role,
    User, WorkingHours, utcnow,
)

OWNER_EMAIL, STAFF_EMAIL, DEMO_PASSWORD = "owner@example.com", "desk@example.com", "practice-demo"
FIRST_NAMES = (
    "Anna Bram Carmen Daan Eva Femke Gijs Hanna Ilse Jeroen Karin Lars Maud Niels Olga Pieter Quinten Roos "
    "Sanne Thijs Ursula Vera Willem Yara Zoë Lukas Mia Jonas Lea Felix"
).split()
LAST_NAMES = (
    "de Vries|Jansen|van Dijk|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|Peters|Hendriks|"
    "van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|Müller|Schmidt|Schneider|Fischer|Weber|Wagner"
).split("|")
MORNING, AFTERNOON = (time(8, 30), time(12, 30)), (time(13, 0), time(17, 0))


def load_demo(today: date, seed: int = 7) -> None:
    """Fill an empty database with the demo practice."""
    if db.session.scalar(select(func.count(User.id))):
        raise RuntimeError("the database already holds data; the demo goes into an empty one")
    rng = random.Random(seed)
    practice = Practice.load()
    practice.name, practice.email, practice.phone = "Fysio Centrum Zuid", "info@example.com", "+31 20 123 4567"
    practice.timezone, practice.country = "Europe/Amsterdam", "NL"
    practice.sms_enabled = True
    create_user(OWNER_EMAIL, "Olga Owner", DEMO_PASSWORD, Role.OWNER)
    desk = create_user(STAFF_EMAIL, "Daan Desk", DEMO_PASSWORD, Role.STAFF)

    centre = Location(name="Centrum", address="Hoofdstraat 12, 1011 AB Amsterdam", sms_note="Bel aan bij nr. 12.")
    south = Location(name="Zuid", address="Zuidplein 3, 1077 XV Amsterdam", sms_note="Parkeren achter het gebouw.")
    types = [
        AppointmentType(name="Intake", duration_minutes=60, colour="#2f7d5b"),
        AppointmentType(name="Behandeling", duration_minutes=30, colour="#4f7cac"),
        AppointmentType(name="Kort consult", duration_minutes=15, colour="#c28a2c"),
        AppointmentType(name="Sportmassage", duration_minutes=45, colour="#9b4f96"),
    ]
    practitioners = [Practitioner(name=name) for name in ("Sophie Verbeek", "Mark de Jong", "Lotte Kramer")]
    db.session.add_all([centre, south, *types, *practitioners])
    for index, practitioner in enumerate(practitioners):
        for weekday in range(5):
            location = centre if (weekday + index) % 3 else south
            for start, end in (MORNING, AFTERNOON):
                practitioner.working_hours.append(
                    WorkingHours(location=location, weekday=weekday, start_time=start, end_time=end)
                )
    clients = [_demo_client(rng, n) for n in range(60)]
    db.session.add_all(clients)
    db.session.flush()
    for client in clients:  # those who chose SMS gave consent at the desk, a week ago
        if client.mobile and (client.confirmation_channels.sms or client.reminder_channels.sms):
            client.sms_consent = True
            db.session.add(ConsentEvent(client=client, granted=True, source=rng.choice(list(ConsentSource)),
                                        recorded_by=desk, recorded_at=utcnow() - timedelta(days=7)))

    zone = ZoneInfo(practice.timezone)
    first = today - timedelta(days=today.weekday())  # Monday of this week
    for offset in range(14):
        day = first + timedelta(days=offset)
        for practitioner in practitioners:
            for hours in practitioner.working_hours:
                if hours.weekday == day.weekday():
                    _fill_block(rng, day, hours, practitioner, types, clients, zone)
    db.session.commit()
    replan_upcoming_reminders(utcnow())


def _demo_client(rng: random.Random, n: int) -> Client:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    language = rng.choices(("nl", "de", "en"), weights=(8, 1, 1))[0]
    preference = rng.choices(list(Channels), weights=(1, 5, 2, 2))[0]
    mobile = f"+316{rng.randrange(10_000_000, 99_999_999)}" if rng.random() < 0.8 else ""
    if not mobile and preference.sms:
        preference = Channels.EMAIL
    return Client(
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.replace(' ', '').lower()}{n}@example.com".replace("ü", "u").replace("ë", "e"),
        mobile=mobile,
        language=language,
        confirmation_channels=preference,
        reminder_channels=preference,
    )


def _fill_block(rng, day, hours, practitioner, types, clients, zone) -> None:
    moment = datetime.combine(day, hours.start_time, zone)
    block_end = datetime.combine(day, hours.end_time, zone)
    while True:
        kind = rng.choice(types)
        end = moment + timedelta(minutes=kind.duration_minutes)
        if end > block_end:
            return
        if rng.random() < 0.7:
            client = rng.choice(clients)
            db.session.add(
                Appointment(
                    client=client, practitioner=practitioner, appointment_type=kind, location=hours.location,
                    start=moment, end=end,
                    confirmation_channels=client.confirmation_channels, reminder_channels=client.reminder_channels,
                )
            )
            moment = end
        else:
            moment += timedelta(minutes=15)
