"""A demo practice to look around in: 3 practitioners, 2 locations, 4 appointment types,
60 clients, two weeks of appointments around today, and thirteen weeks of history before them (messages in
every outcome, no-shows, online moves) so the owner's dashboard has something to show. Dutch by default;
`--country BE` gives a bilingual practice in Brussels (Dutch and French clients, +32 numbers)."""
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from . import schedule
from .auth.services import create_user
from .extensions import db
from .messages.planning import replan_upcoming_reminders
from .enums import AppointmentStatus, Channel, Channels, ConsentSource, MessageKind, MessageStatus, NotSentReason, Role
from .models import (
    Appointment, AppointmentType, Client, ConsentEvent, Location, Message, OnlineMove, Practice, Practitioner, User, WorkingHours, utcnow,
)
from .waiting.models import WaitingEntry

OWNER_EMAIL, STAFF_EMAIL, DEMO_PASSWORD = "owner@example.com", "desk@example.com", "practice-demo"


@dataclass(frozen=True)
class Country:
    """What makes the demo look like a practice of that country."""
    practice: tuple[str, str, str]  # name, phone, time zone
    locations: tuple[tuple[str, str, str], ...]  # name, address, SMS note
    types: tuple[str, ...]  # intake, treatment, short consult, sports massage
    practitioners: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    languages: dict[str, int]  # client language: weight
    mobile: tuple[str, int, int]  # prefix, and the range of the random digits after it


COUNTRIES = {
    "NL": Country(
        practice=("Fysio Centrum Zuid", "+31 20 123 4567", "Europe/Amsterdam"),
        locations=(("Centrum", "Hoofdstraat 12, 1011 AB Amsterdam", "Bel aan bij nr. 12."),
                   ("Zuid", "Zuidplein 3, 1077 XV Amsterdam", "Parkeren achter het gebouw.")),
        types=("Intake", "Behandeling", "Kort consult", "Sportmassage"),
        practitioners=("Sophie Verbeek", "Mark de Jong", "Lotte Kramer"),
        first_names=tuple("Anna Bram Carmen Daan Eva Femke Gijs Hanna Ilse Jeroen Karin Lars Maud Niels Olga Pieter "
                          "Quinten Roos Sanne Thijs Ursula Vera Willem Yara Zoë Lukas Mia Jonas Lea Felix".split()),
        last_names=tuple("de Vries|Jansen|van Dijk|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|Vos|Peters|"
                         "Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|Müller|Schmidt|Schneider|"
                         "Fischer|Weber|Wagner".split("|")),
        languages={"nl": 8, "de": 1, "en": 1},
        mobile=("+316", 10_000_000, 99_999_999),
    ),
    "BE": Country(
        practice=("Kinécentre Ixelles", "+32 2 512 34 56", "Europe/Brussels"),
        locations=(("Ixelles", "Chaussée d'Ixelles 112, 1050 Bruxelles", "Sonnez au 2e étage."),
                   ("Jette", "Kardinaal Mercierplein 4, 1090 Jette", "Bel aan bij de kinepraktijk.")),
        types=("Bilan / Intake", "Séance / Behandeling", "Consultation courte / Kort consult",
               "Massage sportif / Sportmassage"),
        practitioners=("Claire Dubois", "Pieter Janssens", "Nadia El Amrani"),
        first_names=tuple("Amélie Antoine Bart Céline Elif Emma Hélène Hugo Inès Jef Julie Lien Louis Lucas Manon "
                          "Marie Mathis Noor Olivier Sofie Stijn Thomas Wout Yasmine Zoë Lotte Chloé Arne Léa Mehmet"
                          .split()),
        last_names=tuple("Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|"
                         "Lambert|Dupont|Martin|Simon|Laurent|Lejeune|Renard|Van den Broeck|Vermeulen|Çelik|"
                         "Dupont-Çelik|El Idrissi|Lefèvre|François|Verhoeven".split("|")),
        languages={"nl": 5, "fr": 5, "en": 1},
        mobile=("+3247", 1_000_000, 9_999_999),  # +32 47x xx xx xx
    ),
}
MORNING, AFTERNOON = (time(8, 30), time(12, 30)), (time(13, 0), time(17, 0))


def load_demo(today: date, seed: int = 7, country: str = "NL") -> None:
    """Fill an empty database with the demo practice of that country (NL or BE)."""
    if db.session.scalar(select(func.count(User.id))):
        raise RuntimeError("the database already holds data; the demo goes into an empty one")
    rng, demo = random.Random(seed), COUNTRIES[country]
    practice = Practice.current()
    practice.name, practice.phone, practice.timezone = demo.practice
    practice.email, practice.country = "info@example.com", country
    practice.sms_enabled = True
    create_user(OWNER_EMAIL, "Olga Owner", DEMO_PASSWORD, Role.OWNER)
    desk = create_user(STAFF_EMAIL, "Daan Desk", DEMO_PASSWORD, Role.STAFF)

    centre, south = (Location(name=name, address=address, sms_note=note) for name, address, note in demo.locations)
    types = [AppointmentType(name=name, duration_minutes=minutes, colour=colour) for name, minutes, colour in
             zip(demo.types, (60, 30, 15, 45), ("#2f7d5b", "#4f7cac", "#c28a2c", "#9b4f96"))]
    practitioners = [Practitioner(name=name) for name in demo.practitioners]
    db.session.add_all([centre, south, *types, *practitioners])
    for index, practitioner in enumerate(practitioners):
        for weekday in range(5):
            location = centre if (weekday + index) % 3 else south
            for start, end in (MORNING, AFTERNOON):
                practitioner.working_hours.append(
                    WorkingHours(location=location, weekday=weekday, start_time=start, end_time=end)
                )
    clients = [_demo_client(rng, n, demo) for n in range(60)]
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
    db.session.flush()
    _load_history(rng, first, practice, practitioners, types, clients, desk, zone, utcnow())
    for n, client in enumerate(rng.sample(clients, 4)):  # waiting for an earlier time, the longest first
        db.session.add(WaitingEntry(client=client, practitioner=practitioners[n % 2] if n % 3 else None,
                                    appointment_type=types[1], location=centre, weekdays=0b11111 if n % 2 else 0,
                                    expires_on=today + timedelta(weeks=6), created_at=utcnow() - timedelta(days=9 - n)))
    db.session.commit()
    replan_upcoming_reminders(utcnow())


def _demo_client(rng: random.Random, n: int, demo: Country) -> Client:
    first, last = rng.choice(demo.first_names), rng.choice(demo.last_names)
    language = rng.choices(list(demo.languages), weights=list(demo.languages.values()))[0]
    preference = rng.choices(list(Channels), weights=(1, 5, 2, 2))[0]
    prefix, low, high = demo.mobile
    mobile = f"{prefix}{rng.randrange(low, high)}" if rng.random() < 0.8 else ""
    if not mobile and preference.sms:
        preference = Channels.EMAIL
    return Client(
        first_name=first,
        last_name=last,
        email=f"{_ascii(first)}.{_ascii(last)}{n}@example.com",
        mobile=mobile,
        language=language,
        confirmation_channels=preference,
        reminder_channels=preference,
    )


def _ascii(name: str) -> str:
    """"Dupont-Çelik" -> "dupont-celik": the name as people write it in an e-mail address."""
    return unicodedata.normalize("NFKD", name.replace(" ", "").lower()).encode("ascii", "ignore").decode()


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


# --- the history before the two weeks: what the dashboard shows -----------------------------------------------

HISTORY_WEEKS = 13
SMS_OUTCOMES = (  # (status, reason, weight): most SMS arrive; some fail at the phone or the provider
    (MessageStatus.DELIVERED, None, 86), (MessageStatus.HANDED_OVER, None, 3), (MessageStatus.UNDELIVERABLE, None, 4),
    (MessageStatus.EXPIRED, None, 2), (MessageStatus.REJECTED, None, 1), (MessageStatus.UNREACHABLE, None, 1),
    (MessageStatus.NOT_SENT, NotSentReason.NO_CONSENT, 2), (MessageStatus.NOT_SENT, NotSentReason.NO_CREDIT, 1),
)
EMAIL_OUTCOMES = ((MessageStatus.HANDED_OVER, None, 95), (MessageStatus.PROVIDER_REFUSED, None, 3),
                  (MessageStatus.PROVIDER_ERROR, None, 2))
ERRORS = {MessageStatus.UNDELIVERABLE: "phone switched off or number not in use",
          MessageStatus.EXPIRED: "not delivered within 48 hours", MessageStatus.REJECTED: "refused by the recipient",
          MessageStatus.UNREACHABLE: "SMS service did not answer after 5 attempts",
          MessageStatus.PROVIDER_REFUSED: "550 5.1.1 mailbox unavailable",
          MessageStatus.PROVIDER_ERROR: "connection refused by the mail server"}
HISTORY_TEXTS = {  # the gist of what went out, in the client's language
    "nl": ("Herinnering", "Bevestiging", "uw afspraak op {day} om {time} bij {practice}."),
    "fr": ("Rappel", "Confirmation", "votre rendez-vous le {day} à {time} chez {practice}."),
    "de": ("Erinnerung", "Bestätigung", "Ihr Termin am {day} um {time} bei {practice}."),
    "en": ("Reminder", "Confirmation", "your appointment on {day} at {time} at {practice}."),
}
HANDED_OVER = {MessageStatus.DELIVERED, MessageStatus.HANDED_OVER, MessageStatus.UNDELIVERABLE, MessageStatus.EXPIRED,
               MessageStatus.REJECTED}


def _load_history(rng, first, practice, practitioners, types, clients, desk, zone, now) -> None:
    """Thirteen weeks of appointments before `first` (bulk inserted, some missed or cancelled), every message
    whose moment has passed (the reminder under the planner's own key, so planning leaves it be), online moves,
    and one client who withdrew SMS consent. Draws from `rng` only after the two weeks around today are made,
    so those stay as they were."""
    rows = []
    for offset in range(-7 * HISTORY_WEEKS, 0):
        day = first + timedelta(days=offset)
        for practitioner in practitioners:
            for hours in practitioner.working_hours:
                if hours.weekday == day.weekday():
                    rows.extend(_history_block(rng, day, hours, practitioner, types, clients, zone))
    ids = db.session.scalars(insert(Appointment).returning(Appointment.id, sort_by_parameter_order=True), rows).all()
    appointments = list(zip(ids, rows))
    two_weeks = select(Appointment).where(Appointment.start >= datetime.combine(first, time(0), zone))
    for appointment in db.session.scalars(two_weeks.order_by(Appointment.start, Appointment.id)):
        booked = appointment.start - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
        appointment.created_at = booked if booked < now else now - timedelta(hours=rng.randint(1, 72))
        appointments.append((appointment.id, {
            "client_id": appointment.client_id, "start": appointment.start.astimezone(timezone.utc),
            "created_at": appointment.created_at,
            "status": appointment.status, "confirmation_channels": appointment.confirmation_channels,
            "reminder_channels": appointment.reminder_channels}))
    by_id = {client.id: client for client in clients}
    rule = schedule.rules_from_text(practice.reminder_rules)[0]
    messages = []
    for appointment_id, row in appointments:
        reminder_due = schedule.send_moment(row["start"], rule, tz=practice.timezone, country=practice.country)
        messages.extend(_history_messages(rng, appointment_id, row, reminder_due, by_id[row["client_id"]], practice,
                                          zone, now))
    for chunk in range(0, len(messages), 2000):
        db.session.execute(insert(Message), messages[chunk:chunk + 2000])
    moves = [_history_move(rng, appointment_id, row["start"], now) for appointment_id, row in appointments
             if row["start"] < now and row["status"] != AppointmentStatus.CANCELLED and rng.random() < 0.05]
    ahead = [(appointment_id, row) for appointment_id, row in appointments if row["start"] > now + timedelta(days=1)]
    for appointment_id, row in ahead[::25]:  # a few clients moved an appointment that is still ahead, lately
        moves.append({"appointment_id": appointment_id, "to_start": row["start"],
                      "from_start": row["start"] + timedelta(days=rng.randint(1, 3)),
                      "moved_at": now - timedelta(hours=rng.randint(1, 96))})
    db.session.execute(insert(OnlineMove), moves)
    # One client told the desk on the phone they want no more SMS: their SMS-only appointments cannot be reached.
    soon = {row["client_id"] for _, row in ahead if row["start"] < now + timedelta(days=10)}
    for client in clients:
        if client.id in soon and client.reminder_channels == Channels.SMS and client.sms_consent:
            client.sms_consent = False
            db.session.add(ConsentEvent(client=client, granted=False, source=ConsentSource.PHONE, recorded_by=desk,
                                        note="Wil geen sms meer.", recorded_at=now - timedelta(days=1)))
            break


def _history_block(rng, day, hours, practitioner, types, clients, zone) -> list[dict]:
    rows, moment = [], datetime.combine(day, hours.start_time, zone)
    block_end = datetime.combine(day, hours.end_time, zone)
    while True:
        kind = rng.choice(types)
        end = moment + timedelta(minutes=kind.duration_minutes)
        if end > block_end:
            return rows
        if rng.random() < 0.7:
            client = rng.choice(clients)
            chance = rng.random()
            status = (AppointmentStatus.NO_SHOW if chance < 0.06 else
                      AppointmentStatus.CANCELLED if chance < 0.09 else AppointmentStatus.BOOKED)
            start = moment.astimezone(timezone.utc)
            rows.append({"client_id": client.id, "practitioner_id": practitioner.id, "appointment_type_id": kind.id,
                         "location_id": hours.location.id, "start": start, "end": end.astimezone(timezone.utc),
                         "status": status, "confirmation_channels": client.confirmation_channels,
                         "reminder_channels": client.reminder_channels, "notes": "", "outside_hours": False,
                         "created_at": start - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)),
                         "updated_at": start})
            moment = end
        else:
            moment += timedelta(minutes=15)


def _history_messages(rng, appointment_id, row, reminder_due, client, practice, zone, now) -> list[dict]:
    """The confirmation when it was booked and the reminder at its moment, on each chosen channel: those whose
    moment has passed, each with an outcome."""
    start, local = row["start"], row["start"].astimezone(zone)
    wanted = [(MessageKind.CONFIRMATION, row["confirmation_channels"], row["created_at"])]
    if row["status"] != AppointmentStatus.CANCELLED:
        wanted.append((MessageKind.REMINDER, row["reminder_channels"], reminder_due))
    messages = []
    for kind, channels, due in wanted:
        for channel in [c for c, on in ((Channel.EMAIL, channels.email), (Channel.SMS, channels.sms)) if on]:
            if due >= now:
                continue
            if kind == MessageKind.REMINDER and row["created_at"] > due:
                status, reason = MessageStatus.NOT_SENT, NotSentReason.BOOKED_TOO_LATE
            else:
                outcomes = SMS_OUTCOMES if channel == Channel.SMS else EMAIL_OUTCOMES
                status, reason, _ = rng.choices(outcomes, weights=[weight for *_, weight in outcomes])[0]
            handed_over_at = due + timedelta(seconds=rng.randint(2, 50)) if status in HANDED_OVER else None
            segments = rng.choices((1, 2), weights=(7, 3))[0] if channel == Channel.SMS and handed_over_at else 0
            reminder, confirmation, text = HISTORY_TEXTS[client.language]
            body = f"{reminder if kind == MessageKind.REMINDER else confirmation}: " + text.format(
                day=f"{local:%d-%m-%Y}", time=f"{local:%H:%M}", practice=practice.name)
            messages.append({
                "dedupe_key": (f"{appointment_id}:reminder1:{channel}:{start.isoformat()}" if kind == MessageKind.REMINDER
                               else f"{appointment_id}:{kind}:{channel}:{due.isoformat()}"),  # as the planner keys them
                "appointment_id": appointment_id,
                "kind": kind, "channel": channel, "language": client.language,
                "recipient": client.mobile if channel == Channel.SMS else client.email,
                "due_at": due, "status": status, "reason": reason, "error": ERRORS.get(status, ""), "attempts": 1,
                "subject": "" if channel == Channel.SMS else body.split(":")[0], "body": body,
                "segments": segments, "encoding": "GSM-7" if segments else "",
                "price_cents": segments * practice.sms_price_cents if status == MessageStatus.DELIVERED else 0,
                "handed_over_at": handed_over_at,
                "status_at": (handed_over_at or due) + timedelta(minutes=rng.randint(0, 240) if handed_over_at else 0),
                "created_at": row["created_at"], "claim_id": None, "claimed_at": None, "provider_ref": None,
            })
    return messages


def _history_move(rng, appointment_id, start, now) -> dict:
    """The client moved it on the public page, from a time a day or three away, some days before."""
    from_start = start + timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))
    return {"appointment_id": appointment_id, "from_start": from_start, "to_start": start,
            "moved_at": min(min(from_start, start) - timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 10)), now)}
