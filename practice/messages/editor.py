"""The owner's template editor: which templates exist, storing one after checking it in the sandbox,
and a preview on sample data with the SMS length, encoding, segments and cost."""
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from .. import localtime
from .. import sms as sms_rules
from .. import templating
from ..audit import services as audit
from ..errors import FieldError
from ..extensions import db
from ..enums import AuditAction, Channel, LANGUAGES, MessageKind
from ..i18n import lazy_gettext as _l
from ..models import AppointmentType, Location, MessageTemplate, Practice, Practitioner
from ..replies import how_to_reply, switched_on
from ..sender_rules import sender_for
from .defaults import DEFAULTS
from .content import LINK_KINDS, moment_variables, short_moment

FIELDS = {Channel.EMAIL: ("subject", "body", "html_body"), Channel.SMS: ("body",)}


@dataclass(frozen=True)
class Slot:
    """One template: kind, channel, language and, for an override, the appointment type."""
    kind: MessageKind
    channel: Channel
    language: str
    type_id: int | None = None

    @property
    def described(self) -> str:
        """For the audit trail: confirmation · email · nl (· type 3)."""
        return " · ".join([self.kind, self.channel, self.language] + ([f"type {self.type_id}"] if self.type_id else []))

    @property
    def exists(self) -> bool:
        return (self.kind, self.channel, self.language) in DEFAULTS


def load_own(slot: Slot) -> MessageTemplate | None:
    return db.session.scalar(select(MessageTemplate).where(
        MessageTemplate.kind == slot.kind, MessageTemplate.channel == slot.channel,
        MessageTemplate.language == slot.language, _type_is(slot.type_id)))


def load_source(slot: Slot) -> dict[str, str]:
    """What the editor starts from: the owner's own version, else the general one (for a type), else the default."""
    for candidate in (slot, Slot(slot.kind, slot.channel, slot.language)):
        own = load_own(candidate)
        if own is not None:
            return {"subject": own.subject, "body": own.body, "html_body": own.html_body}
    return {"subject": "", "html_body": "", **DEFAULTS[(slot.kind, slot.channel, slot.language)]}


def load_own_slots() -> set[Slot]:
    return {Slot(row.kind, row.channel, row.language, row.appointment_type_id)
            for row in db.session.scalars(select(MessageTemplate))}


def variables_for(kind: MessageKind) -> list[str]:
    """The variables the editor offers for a kind: the old date and time where an appointment moved, the
    reschedule link where messages carry it, the client's reason where they cancelled online (the sandbox accepts
    every variable everywhere)."""
    moved = kind in (MessageKind.RESCHEDULED, MessageKind.PRACTICE_NOTICE)
    return [name for name in templating.VARIABLE_ORDER
            if (moved or not name.startswith("old_")) and (kind in LINK_KINDS or name != "reschedule_link")
            and (kind == MessageKind.PRACTICE_CANCEL_NOTICE or name != "cancel_reason")
            and (kind.about_a_series or not name.startswith("series_"))]


def reply_help(slot: Slot, practice: Practice) -> dict | None:
    """For an SMS to clients: the sender a Dutch and a Belgian number get, and while replies are read the sentence
    that tells clients how to reply (in the slot's language, for the keywords on)."""
    if slot.channel != Channel.SMS or slot.kind.to_the_practice:
        return None
    on = switched_on(practice.sms_reply_keywords)
    return {"sentence": how_to_reply(slot.language, on) if practice.sms_replies else "",
            "senders": {number: sender_for(number, practice.sms_sender, practice.sms_sender_number,
                                           replies_on=practice.sms_replies) for number in ("+31612345678", "+32470123456")}}


def uses_link(slot: Slot, fields: dict[str, str]) -> bool:
    return any("reschedule_link" in templating.variables_used(fields.get(name) or "") for name in FIELDS[slot.channel])


def part_of(channel: Channel, name: str) -> str:
    """Which of templating.LIMITS a field is held to: an SMS body, an e-mail's text, HTML or subject."""
    if name == "body":
        return "sms" if channel == Channel.SMS else "text"
    return {"subject": "subject", "html_body": "html"}[name]


def checked(slot: Slot, fields: dict[str, str]) -> dict[str, str]:
    """The fields normalised (LF line breaks, NFC) and checked; raises FieldError on the first problem."""
    clean = {}
    for name in FIELDS[slot.channel]:
        source = templating.normalise(fields.get(name) or "")
        if name == "subject":
            source = " ".join(source.split())
        if not source.strip() and name != "html_body":
            raise FieldError(_l("This part cannot be empty."), name)
        try:
            templating.check(source, part_of(slot.channel, name))
        except templating.TemplateProblem as problem:
            raise FieldError(explain(problem), name) from None
        clean[name] = source
    return clean


def explain(problem: templating.TemplateProblem):
    line, kind = problem.line or 1, problem.kind
    if kind == "syntax" and problem.detail.lower().startswith("unexpected end of template"):
        return _l("Line %(line)d cannot be read: the template ends before every {{ has its }} and every {%% if %%} "
                  "its {%% endif %%}.", line=line)
    if kind == "syntax" and problem.detail.startswith("Encountered unknown tag"):
        return _l("Line %(line)d cannot be read: only if, elif, else and endif may stand between {%% and %%}.",
                  line=line)
    if kind == "syntax":  # Jinja's own words are English: the line and what to look for
        return _l("Line %(line)d cannot be read. Check that every {{ has its }} and every {%% if %%} its "
                  "{%% endif %%}.", line=line)
    if kind == "unknown_variable":
        return _l("Line %(line)d: there is no variable “%(name)s”. Use one of the variables listed beside the "
                  "editor.", line=line, name=problem.detail)
    if kind == "too_long":
        return _l("The template is too long: at most %(max)d characters.", max=problem.limit or templating.MAX_LENGTH)
    if kind == "number_too_big":
        return _l("A number in this template is too large: numbers may be at most %(max)d.", max=problem.limit)
    if kind == "bad_argument":
        return _l("Line %(line)d: the filter “%(name)s” is given values it cannot use. Give it plain texts and "
                  "numbers, such as |replace(\"old\", \"new\") or |truncate(40).", line=line, name=problem.detail)
    if kind == "too_deep":
        return _l("This template nests too deeply: at most %(max)d brackets, filters and conditions inside each "
                  "other. Simplify it.", max=problem.limit)
    if kind == "too_complex":
        return _l("This template has too many parts: at most %(max)d variables, texts, filters and conditions. "
                  "Simplify it.", max=problem.limit)
    if kind == "too_big":
        return _l("This template could grow to %(size)d characters with the longest names and addresses; at most "
                  "%(max)d are allowed. Shorten the text, use fewer variables or |truncate, and remove repeated "
                  "replace filters.", size=problem.size, max=problem.limit)
    if kind == "too_much_work":
        return _l("This template takes too much work to fill in. Remove repeated filters and comparisons.")
    if kind == "render_error":
        return _l("This template fails when it is filled in. Check its filters and conditions.")
    return _l("Line %(line)d: “%(detail)s” is not allowed in a template. Use the listed variables, "
              "if/else and simple filters only.", line=line, detail=problem.detail)


def store_template(slot: Slot, fields: dict[str, str]) -> MessageTemplate:
    """Check and save the owner's version; nothing is stored when a part is refused."""
    clean = checked(slot, fields)
    row = load_own(slot) or MessageTemplate(kind=slot.kind, channel=slot.channel, language=slot.language,
                                            appointment_type_id=slot.type_id)
    for name, value in clean.items():
        setattr(row, name, value)
    db.session.add(row)
    audit.record(AuditAction.TEMPLATE_SAVED, None, slot.described)
    db.session.commit()
    return row


def reset_template(slot: Slot) -> None:
    """Back to the default (or, for an appointment type, to the general template)."""
    row = load_own(slot)
    if row is not None:
        db.session.delete(row)
        audit.record(AuditAction.TEMPLATE_RESET, None, slot.described)
        db.session.commit()


def _type_is(type_id: int | None):
    column = MessageTemplate.appointment_type_id
    return column.is_(None) if type_id is None else column == type_id


# --- preview ------------------------------------------------------------------------------------------------

def sample_variables(practice: Practice, language: str, type_id: int | None = None) -> dict[str, str]:
    """Realistic sample values: the practice's own practitioner, type and location, next Tuesday at 09:30."""
    today = localtime.today(datetime.now(UTC), practice.timezone)
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    start = localtime.utc_moment(tuesday, time(9, 30), practice.timezone)
    practitioner = db.session.scalar(select(Practitioner).where(Practitioner.active).order_by(Practitioner.id))
    kind = (db.session.get(AppointmentType, type_id) if type_id else None) or db.session.scalar(
        select(AppointmentType).where(AppointmentType.active).order_by(AppointmentType.id))
    location = db.session.scalar(select(Location).where(Location.active).order_by(Location.id))
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "client_name": "Anna de Vries", "client_first_name": "Anna",
        **moment_variables(start, practice.timezone, language),
        "practitioner": practitioner.name if practitioner else "Sophie Verbeek",
        "appointment_type": kind.name if kind else "Behandeling",
        "location": location.name if location else "Centrum",
        "location_address": location.address if location else "Hoofdstraat 12, 1011 AB Amsterdam",
        "location_sms_note": location.sms_note if location else "",
        "practice_name": practice.name, "practice_phone": practice.phone,
        "reschedule_link": f"{base}/r/Xq3vT9bLkP2mW8sR4nYc",
        **moment_variables(start - timedelta(days=2), practice.timezone, language, prefix="old_"),
        "cancel_reason": SAMPLE_REASONS[language],
        "series_dates": "\n".join(short_moment(start + timedelta(days=3 * n + (n % 2)), practice.timezone, language)
                                   for n in range(3)),
        "series_count": "3",
    }


SAMPLE_REASONS = {"nl": "Ik ben ziek.", "de": "Ich bin krank.", "en": "I am ill.", "fr": "Je suis malade."}


@dataclass(frozen=True)
class Preview:
    subject: str = ""
    body: str = ""
    html: str = ""
    problem: FieldError | None = None
    measure: sms_rules.Measure | None = None
    cost_cents: int = 0
    pieces: tuple[tuple[str, bool], ...] = ()  # the SMS text in runs, True where a character forces Unicode
    forcing: tuple[str, ...] = ()


def preview(slot: Slot, fields: dict[str, str], practice: Practice) -> Preview:
    try:
        clean = checked(slot, fields)
    except FieldError as problem:
        return Preview(problem=problem)
    values = sample_variables(practice, slot.language, slot.type_id)
    filled = {}
    for name, source in clean.items():
        # The check passed, but the practice's own names take branches the check's samples may not have.
        try:
            filled[name] = templating.render(source, values, part=part_of(slot.channel, name)) if source else ""
        except templating.TemplateProblem as problem:
            return Preview(problem=FieldError(explain(problem), name))
    body = filled["body"].strip()
    if slot.channel == Channel.SMS:
        measured = sms_rules.measure(body)
        forcing = sms_rules.unicode_characters(body)
        return Preview(body=body, measure=measured, cost_cents=sms_rules.cost_cents(
            measured.segments, practice.sms_price_cents), pieces=_runs(body, set(forcing)), forcing=tuple(forcing))
    html = filled["html_body"] if clean.get("html_body") else templating.text_to_html(body)
    return Preview(subject=filled["subject"].strip(), body=body, html=html)


def _runs(text: str, forcing: set[str]) -> tuple[tuple[str, bool], ...]:
    runs: list[tuple[str, bool]] = []
    for char in text:
        flag = char in forcing
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + char, flag)
        else:
            runs.append((char, flag))
    return tuple(runs)


def overview(types: list[AppointmentType]) -> list[dict]:
    """Every template slot with whether the owner has an own version, per kind, channel and language."""
    own = load_own_slots()
    rows = []
    for kind in MessageKind:
        for channel in Channel:
            slots = [Slot(kind, channel, language) for language in LANGUAGES]
            if not slots[0].exists:
                continue
            rows.append({"kind": kind, "channel": channel,
                         "cells": [(slot, slot in own) for slot in slots],
                         "overrides": sorted(((s, t) for s in own for t in types
                                              if s.type_id == t.id and s.kind == kind and s.channel == channel),
                                             key=lambda pair: (pair[1].name, pair[0].language))})
    return rows


# --- the reschedule link in confirmations ---------------------------------------------------------------------

LINK_LINES = {"nl": "Past het niet? Verplaats uw afspraak via {{ reschedule_link }}",
              "de": "Passt es nicht? Verschieben Sie Ihren Termin unter {{ reschedule_link }}",
              "en": "Doesn't suit you? Move your appointment at {{ reschedule_link }}",
              "fr": "Ce moment ne vous convient pas ? Déplacez votre rendez-vous ici : {{ reschedule_link }}"}


def confirmations_without_link() -> list[Slot]:
    """The confirmation templates in use that would not show the client their reschedule link."""
    slots = [Slot(MessageKind.CONFIRMATION, channel, language) for channel in Channel for language in LANGUAGES]
    slots += [slot for slot in load_own_slots() if slot.kind == MessageKind.CONFIRMATION and slot.type_id]
    return [slot for slot in slots
            if "reschedule_link" not in templating.variables_used(load_source(slot)["body"])]


def add_link_to_confirmations() -> int:
    """Append the link line to every confirmation that lacks it, as the owner's own version."""
    missing = confirmations_without_link()
    for slot in missing:
        source = load_source(slot)
        separator = " " if slot.channel == Channel.SMS else "\n\n"
        store_template(slot, {**source, "body": source["body"].rstrip() + separator + LINK_LINES[slot.language]})
    return len(missing)
