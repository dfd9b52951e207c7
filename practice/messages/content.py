"""What a message says: the template that applies, its variables in the client's language and the practice's
time zone, the rendered text, and the e-mail it becomes (with its calendar file)."""
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_currency
from flask import current_app, g
from sqlalchemy import select

from .. import links, localtime, templating
from ..channels.email import CalendarEvent, Email, Outgoing, appointment_ics, compose, message_id
from ..enums import AppointmentStatus, Channel, MessageKind
from ..extensions import db
from ..i18n import gettext as _, in_language
from ..models import Appointment, Message, MessageTemplate, OnlineCancellation, Practice
from ..rescheduling import link_offered
from . import budget
from .defaults import DEFAULTS

LINK_KINDS = {MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.RESCHEDULED}  # carry the reschedule link
CALENDAR_KINDS = {MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.CANCELLED,  # carry a .ics
                  MessageKind.SERIES_CONFIRMATION, MessageKind.SERIES_CANCELLED}


def template_for(kind: MessageKind, channel: Channel, language: str, appointment_type_id: int | None) -> dict | None:
    """The owner's version for the appointment type, else the owner's general one, else the default.
    Looked up once per request or worker run (an edit shows from the next one on)."""
    found = g.setdefault("message_templates", {})
    key = (kind, channel, language, appointment_type_id)
    if key not in found:
        found[key] = _load_template(*key)
    return found[key]


def _load_template(kind: MessageKind, channel: Channel, language: str, appointment_type_id: int | None) -> dict | None:
    rows = db.session.scalars(select(MessageTemplate).where(
        MessageTemplate.kind == kind, MessageTemplate.channel == channel, MessageTemplate.language == language,
        (MessageTemplate.appointment_type_id == appointment_type_id) | MessageTemplate.appointment_type_id.is_(None)))
    own = sorted(rows, key=lambda row: row.appointment_type_id is None)
    if own:
        return {"subject": own[0].subject, "body": own[0].body, "html_body": own[0].html_body}
    return DEFAULTS.get((kind, channel, language))


def variables(appointment: Appointment, practice: Practice, language: str, old_start: datetime | None = None,
              reschedule_link: str = "", cancel_reason: str = "", series: list[Appointment] = ()) -> dict[str, str]:
    """What a template may use, localised in the client's language and the practice's time zone."""
    values = {
        "client_name": appointment.client.name,
        "client_first_name": appointment.client.first_name,
        **moment_variables(appointment.start, practice.timezone, language),
        "practitioner": appointment.practitioner.name,
        "appointment_type": appointment.appointment_type.name,
        "location": appointment.location.name,
        "location_address": appointment.location.address,
        "location_sms_note": appointment.location.sms_note,
        "practice_name": practice.name,
        "practice_phone": practice.phone,
        "reschedule_link": reschedule_link,
        "cancel_reason": cancel_reason,
        "series_dates": "\n".join(short_moment(each.start, practice.timezone, language) for each in series),
        "series_count": str(len(series)),
    }
    old = moment_variables(old_start, practice.timezone, language, prefix="old_") if old_start else {
        "old_date": values["date"], "old_time": values["time"]}
    return values | old


def _cancel_reason(message: Message) -> str:
    """The reason a client gave when they cancelled online, for the practice's notice of it."""
    if message.kind != MessageKind.PRACTICE_CANCEL_NOTICE:
        return ""
    return db.session.scalar(select(OnlineCancellation.reason)
                             .where(OnlineCancellation.appointment_id == message.appointment_id)) or ""


def series_of(message: Message) -> list[Appointment]:
    """The appointments a series message is about, in order: a series confirmation, those of the series still
    booked; a series cancellation, those cancelled from its appointment on."""
    appointment = message.appointment
    if message.kind == MessageKind.SERIES_CONFIRMATION:
        which = Appointment.status == AppointmentStatus.BOOKED
    else:
        which = (Appointment.status == AppointmentStatus.CANCELLED) & (Appointment.start >= appointment.start)
    return list(db.session.scalars(select(Appointment).where(Appointment.series_id == appointment.series_id, which)
                                   .order_by(Appointment.start)))


def short_moment(moment: datetime, tz: str, language: str) -> str:
    """"di 8 dec. 10:00": one line of a series' dates."""
    local = localtime.local(moment, tz)
    return f"{format_date(local.date(), 'EEE d MMM', locale=language)} {local:%H:%M}"


def moment_variables(moment: datetime, tz: str, language: str, prefix: str = "") -> dict[str, str]:
    local = localtime.local(moment, tz)
    day, clock = _spoken_date(local.date(), language), local.strftime("%H:%M")  # HH:mm, the same in nl, de, en and fr
    values = {f"{prefix}date": day, f"{prefix}time": clock}
    return values if prefix else {**values, "date_time": f"{day} {clock}"}


def render_message(message: Message, practice: Practice) -> dict | None:
    if message.kind.about_an_account:
        return account_message(message, practice)
    if message.kind == MessageKind.WAITING_LIST_OFFER:
        return offer_message(message, practice)
    if message.kind == MessageKind.ANSWER:  # written by the desk, as it stands
        return {"subject": "", "body": message.body}
    if message.kind == MessageKind.BUDGET_WARNING:
        spent = budget.load_budget(practice, message.created_at or datetime.now(UTC))
        with in_language(message.language):
            body = str(_("This month's SMS have cost %(spent)s of the budget of %(budget)s. When it is spent, SMS "
                         "reminders and notices go by e-mail to clients with an address; the others wait. The budget "
                         "is in Settings → messages.", spent=format_cents(spent.spent_cents if spent else 0, message.language),
                         budget=format_cents(practice.sms_budget_cents or 0, message.language)))
            subject = str(_("%(practice)s: 80 %% of the SMS budget is spent", practice=practice.name))
        return {"subject": subject, "body": body, "html": templating.text_to_html(body)}
    if message.kind == MessageKind.SMS_STOPPED:
        with in_language(message.language):
            return {"subject": "", "body": str(_(
                "%(practice)s: you will get no more SMS from us. Changed your mind? Tell us at %(phone)s.",
                practice=practice.name, phone=practice.phone))}
    appointment = message.appointment
    source = template_for(message.kind, message.channel, message.language, appointment.appointment_type_id)
    if source is None:
        return None
    # No link the public page would refuse: switched off, cancelled, past, or already inside both cutoffs.
    offered = message.kind in LINK_KINDS and link_offered(appointment, practice, datetime.now(UTC))
    values = variables(appointment, practice, message.language, old_start=message.moved_from,
                       reschedule_link=reschedule_url(appointment) if offered else "",
                       cancel_reason=_cancel_reason(message),
                       series=series_of(message) if message.kind.about_a_series else [])
    if message.channel == Channel.SMS:
        return {"subject": "", "body": templating.render(source["body"], values, part="sms").strip()}
    body = templating.render(source["body"], values, part="text").strip()
    html = (templating.render(source["html_body"], values, part="html") if source.get("html_body")
            else templating.text_to_html(body))
    return {"subject": templating.render(source["subject"], values, part="subject").strip(), "body": body,
            "html": html}


def account_message(message: Message, practice: Practice) -> dict:
    """An invitation or a password reset, in the message's language, with its one-time link. The log keeps the
    text with the link left out (`kept`): it opens an account."""
    link = message.account_link
    token = links.token_for(current_app.config["SECRET_KEY"], f"account-{link.purpose}", link.id, link.nonce)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    invitation = message.kind == MessageKind.INVITATION
    url = f"{base}/welcome/{token}" if invitation else f"{base}/password/reset/{token}"
    with in_language(message.language):
        if invitation:
            subject = _("Your account at %(practice)s", practice=practice.name)
            body = _("Hello %(name)s,\n\n%(practice)s invites you to its agenda. Choose your password here within "
                     "48 hours:\n\n%(link)s\n\nThe link works once.", name=link.name, practice=practice.name, link=url)
        else:
            subject = _("A new password for %(practice)s", practice=practice.name)
            body = _("Hello,\n\nChoose a new password here within an hour:\n\n%(link)s\n\nThe link works once. If you "
                     "did not ask for this, you can ignore this e-mail: your password stays as it is.", link=url)
    return {"subject": str(subject), "body": str(body), "html": templating.text_to_html(str(body)),
            "kept": str(body).replace(url, "…")}


def offer_message(message: Message, practice: Practice) -> dict:
    """A freed time offered to a client on the waiting list, in their language, with the link that takes it. The
    log keeps the text with the link left out (`kept`): it books the time."""
    offer = message.offer
    entry, tz = offer.entry, practice.timezone
    url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/o/" + links.offer_token(
        current_app.config["SECRET_KEY"], offer.id, offer.nonce)
    when = moment_variables(offer.start, tz, message.language)
    closes = moment_variables(offer.expires_at, tz, message.language)
    deadline = closes["time"] if closes["date"] == moment_variables(offer.offered_at, tz, message.language)["date"] \
        else closes["date_time"]
    values = {"name": entry.client.name, "practice": practice.name, "phone": practice.phone, "date": when["date"],
              "time": when["time"], "type": entry.appointment_type.name, "practitioner": offer.practitioner.name,
              "location": offer.location.name, "address": offer.location.address, "deadline": deadline, "link": url}
    with in_language(message.language):
        if message.channel == Channel.SMS:
            body = _("%(practice)s: a time has come free on %(date)s at %(time)s with %(practitioner)s. Take it "
                     "before %(deadline)s: %(link)s (first come, first served)", **values)
            return {"subject": "", "body": str(body), "kept": str(body).replace(url, "…")}
        subject = _("A time has come free: %(date)s at %(time)s", **values)
        body = _("Hello %(name)s,\n\nYou are on our waiting list, and a time has come free:\n\n%(type)s with "
                 "%(practitioner)s\n%(date)s at %(time)s\n%(location)s, %(address)s\n\nWould you like it? Take it "
                 "here before %(deadline)s:\n%(link)s\n\nWhoever takes it first gets it. If it is gone, you stay on "
                 "the waiting list.\n\nKind regards,\n%(practice)s\n%(phone)s", **values)
    return {"subject": str(subject), "body": str(body), "html": templating.text_to_html(str(body)),
            "kept": str(body).replace(url, "…")}


def format_cents(cents: int, language: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=language)


@lru_cache(maxsize=4096)
def _spoken_date(day, language: str) -> str:
    """"maandag 7 december 2026": the same few days come up for every message of a run."""
    return format_date(day, "full", locale=language)


def issue_token(appointment: Appointment) -> str:
    """The client's token for the public page; notes its hash on the appointment (committed with the message)."""
    token = links.link_token(current_app.config["SECRET_KEY"], appointment.id, appointment.link_nonce)
    appointment.link_hash = links.token_hash(token)
    return token


def reschedule_url(appointment: Appointment) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/r/{issue_token(appointment)}"


def email_of(message: Message, content: dict, practice: Practice) -> Outgoing:
    """The message as an e-mail ready for the wire (AddressProblem when an address cannot be used)."""
    return compose(_email(message, content, practice))


def _email(message: Message, content: dict, practice: Practice) -> Email:
    config = current_app.config
    appointment = message.appointment
    ics = None
    if message.kind in CALENDAR_KINDS:
        ics = appointment_ics([
            CalendarEvent(uid=f"appointment-{each.id}@{mail_domain()}", start=each.start, end=each.end,
                          summary=f"{each.appointment_type.name} – {practice.name}",
                          location=f"{each.location.name}, {each.location.address}",
                          description=each.practitioner.name)
            for each in (series_of(message) if message.kind.about_a_series else [appointment])],
            organizer=practice.email, sequence=message.id,
            cancelled=message.kind in (MessageKind.CANCELLED, MessageKind.SERIES_CANCELLED))
    return Email(to=message.recipient, subject=content["subject"], text=content["body"], html=content["html"],
                 sender=config["MAIL_FROM"], sender_name=practice.name, reply_to=practice.email,
                 message_id=message_id(f"message-{message.id}.{message.created_at:%Y%m%d%H%M%S%f}", mail_domain()),
                 ics=ics)


def mail_domain() -> str:
    """The domain of the sender address: for Message-IDs and calendar UIDs."""
    return current_app.config["MAIL_FROM"].rpartition("@")[2] or "localhost"
