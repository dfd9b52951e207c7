"""Importing clients and future appointments from another program's export: the upload kept until it is imported,
the preview of every row (new, already there, or left out with the reason), and the import itself in one
transaction. The preview and the import run the very same checks, so the import does what the preview said."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from .. import localtime
from ..agenda.services import Booking, apply_booking, first_overlap
from ..audit import services as audit
from ..clients.services import normalised_email, normalised_mobile, usual_channels
from ..consent import ConsentChange, add_consent_event
from ..enums import AppointmentStatus, AuditAction, ConsentSource, ImportOutcome
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..messages import planning
from ..columns import utcnow
from ..models import Appointment, AppointmentType, Client, Location, Practice, Practitioner, User
from . import tabular
from .models import ImportUpload

MOST_BYTES = 20 * 1024 * 1024  # an export of tens of thousands of clients is a few MB

FIELD_LABELS = {
    "first_name": _l("First name"), "last_name": _l("Last name"), "full_name": _l("Full name"),
    "email": _l("E-mail"), "mobile": _l("Mobile number"), "language": _l("Language"), "notes": _l("Notes"),
    "sms_consent": _l("SMS consent (yes/no)"), "date": _l("Date"), "time": _l("Time"),
    "practitioner": _l("Practitioner"), "appointment_type": _l("Appointment type"), "location": _l("Location"),
}
KIND_LABELS = {"clients": _l("Clients"), "appointments": _l("Appointments")}


@dataclass(frozen=True)
class Mapping:
    """The sheet to read and, per column, the field it holds ("" for a column left out)."""

    sheet: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]
    outcome: ImportOutcome
    reason: str = ""


@dataclass
class Preview:
    kind: str
    filename: str
    rows: list[Row] = field(default_factory=list)

    def count(self, outcome: ImportOutcome) -> int:
        return sum(row.outcome == outcome for row in self.rows)


def store_upload(kind: str, filename: str, content: bytes, by: User) -> ImportUpload:
    """Keep the file for the next steps, or FieldError when it cannot be read."""
    if kind not in tabular.KINDS:
        raise FieldError(_l("Choose what the file holds."), "kind")
    if not content:
        raise FieldError(_l("Choose a file."), "file")
    if len(content) > MOST_BYTES:
        raise FieldError(_l("The file is larger than 20 MB."), "file")
    sheets_of(filename, content)  # readable, or the reason
    drop_stale_uploads(utcnow())
    upload = ImportUpload(kind=kind, filename=filename[-200:] or "import", content=content, uploaded_by_id=by.id)
    db.session.add(upload)
    db.session.commit()
    return upload


STALE = timedelta(days=1)  # an upload nobody imported or cancelled: its file goes (it holds the clients' details)


def drop_stale_uploads(now: datetime) -> None:
    """Remove the uploads left at the mapping or the preview for a day; not committed."""
    db.session.execute(delete(ImportUpload).where(ImportUpload.uploaded_at < now - STALE))


def sheets_of(filename: str, content: bytes) -> list[tabular.Sheet]:
    try:
        sheets = tabular.read_sheets(filename, content)
    except tabular.UnreadableFile:
        raise FieldError(_l("This file cannot be read. Save it as CSV or as an Excel workbook (.xlsx) and try "
                            "again."), "file") from None
    if not any(sheet.records for sheet in sheets):
        raise FieldError(_l("The file holds no rows below its headers."), "file")
    return sheets


def sheet_named(upload: ImportUpload, name: str, sheets: list[tabular.Sheet] | None = None) -> tabular.Sheet:
    """The sheet of that name, else the first (a workbook takes seconds to read: pass its sheets if you have them)."""
    sheets = sheets or sheets_of(upload.filename, upload.content)
    return next((sheet for sheet in sheets if sheet.name == name), sheets[0])


def checked_mapping(upload: ImportUpload, sheet: str, columns: list[str]) -> Mapping:
    """The mapping as chosen, or FieldError: a field chosen twice, or too few to make a card or an appointment."""
    chosen = [column for column in columns if column]
    if any(column not in tabular.FIELDS[upload.kind] for column in chosen):
        raise FieldError(_l("Choose the fields from the list."))
    if len(chosen) != len(set(chosen)):
        raise FieldError(_l("Each field can come from one column only."))
    if upload.kind == "clients" and not ({"last_name", "full_name"} & set(chosen)):
        raise FieldError(_l("Choose the column with the last name or the full name."))
    if upload.kind == "appointments":
        missing = [FIELD_LABELS[name] for name in ("date", "time", "practitioner", "appointment_type", "location")
                   if name not in chosen]
        if missing:
            raise FieldError(_l("Choose the columns with: %(fields)s.", fields=", ".join(map(str, missing))))
        if not {"email", "mobile", "full_name"} & set(chosen):
            raise FieldError(_l("Choose a column that names the client: e-mail, mobile number or full name."))
    return Mapping(sheet, tuple(columns))


def _values(cells: list[str], mapping: Mapping) -> dict[str, str]:
    return {name: cells[index].strip() for index, name in enumerate(mapping.columns) if name and index < len(cells)}


# --- clients -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientRow:
    first_name: str
    last_name: str
    email: str
    mobile: str
    language: str
    notes: str
    sms_consent: bool


def _client_row(values: dict[str, str], practice: Practice) -> ClientRow:
    first, last = values.get("first_name", ""), values.get("last_name", "")
    if not last and values.get("full_name"):
        full = values["full_name"]
        if "," in full:  # "Jansen, Jan"
            last, _, given = full.partition(",")
            first = first or given.strip()
        else:  # "Jan van der Berg"
            given, _, last = full.partition(" ")
            first, last = (first or given, last) if last else (first, given)
    if not (first.strip() or last.strip()):
        raise FieldError(_l("No name."))
    language = planning.practice_language(practice)
    if values.get("language"):
        language = tabular.language_of(values["language"])
        if language is None:
            raise FieldError(_l("Unknown language: %(value)s.", value=values["language"]))
    consent = tabular.yes_or_no(values.get("sms_consent", ""))
    if consent is None:
        raise FieldError(_l("SMS consent is neither yes nor no: %(value)s.", value=values["sms_consent"]))
    mobile = normalised_mobile(values.get("mobile", ""), practice.country)
    if consent and not mobile:
        consent = False  # nothing to consent to
    return ClientRow(first.strip()[:80], last.strip()[:80], normalised_email(values.get("email", "")), mobile,
                     language, values.get("notes", ""), consent)


def _known_cards() -> list:
    """The cards an import compares its rows with: every one not erased, as light rows."""
    return db.session.execute(select(Client.id, Client.email, Client.mobile, Client.first_name, Client.last_name)
                              .where(Client.erased_at.is_(None))).all()


def _preview_clients(upload: ImportUpload, mapping: Mapping) -> tuple[Preview, list[ClientRow]]:
    practice = Practice.current()
    by_email, by_mobile = {}, {}
    for client in _known_cards():
        name = f"{client.first_name} {client.last_name}".strip()
        if client.email:
            by_email.setdefault(client.email.casefold(), _l("Same e-mail address as the card of %(name)s.", name=name))
        if client.mobile:
            by_mobile.setdefault(client.mobile, _l("Same mobile number as the card of %(name)s.", name=name))
    preview, new = Preview(upload.kind, upload.filename), []
    for line, cells in sheet_named(upload, mapping.sheet).records:
        try:
            row = _client_row(_values(cells, mapping), practice)
        except FieldError as error:
            preview.rows.append(Row(line, cells, ImportOutcome.ERROR, str(error.message)))
            continue
        same = (row.email and by_email.get(row.email.casefold())) or (row.mobile and by_mobile.get(row.mobile))
        if same:
            preview.rows.append(Row(line, cells, ImportOutcome.DUPLICATE, str(same)))
            continue
        earlier = _l("The same client as on line %(line)s.", line=line)
        if row.email:
            by_email[row.email.casefold()] = earlier
        if row.mobile:
            by_mobile[row.mobile] = earlier
        preview.rows.append(Row(line, cells, ImportOutcome.NEW))
        new.append(row)
    return preview, new


def _store_clients(upload: ImportUpload, rows: list[ClientRow], by: User) -> None:
    practice, consenting = Practice.current(), []
    for row in rows:
        confirmation, reminders = usual_channels(bool(row.email), practice.sms_enabled and row.sms_consent)
        client = Client(first_name=row.first_name, last_name=row.last_name, email=row.email, mobile=row.mobile,
                        language=row.language, notes=row.notes, confirmation_channels=confirmation,
                        reminder_channels=reminders)
        db.session.add(client)
        if row.sms_consent:  # only where the file says so, with the file's name in the history
            consenting.append(client)
    db.session.flush()  # their ids, for the consent's line in each client's audit trail
    for client in consenting:
        add_consent_event(client, ConsentChange(True, ConsentSource.IMPORTED, upload.filename), by)


# --- appointments ------------------------------------------------------------------------------------------------

def _named(model) -> dict[str, object]:
    return {tabular.plain(row.name): row for row in db.session.scalars(select(model).where(model.active))}


class _Clients:
    """The cards an appointment row may name: by e-mail, by mobile number, or by a full name only one card has."""

    def __init__(self, region: str):
        self.region = region
        rows = _known_cards()
        self.by_email = {row.email.casefold(): row.id for row in rows if row.email}
        self.by_mobile = {row.mobile: row.id for row in rows if row.mobile}
        self.by_name: dict[str, list[int]] = {}
        for row in rows:
            self.by_name.setdefault(tabular.plain(f"{row.first_name} {row.last_name}"), []).append(row.id)

    def find(self, values: dict[str, str]) -> int:
        if values.get("email"):
            found = self.by_email.get(normalised_email(values["email"]).casefold())
            if found:
                return found
        if values.get("mobile"):
            found = self.by_mobile.get(normalised_mobile(values["mobile"], self.region))
            if found:
                return found
        named = self.by_name.get(tabular.plain(values.get("full_name", "")), []) if values.get("full_name") else []
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise FieldError(_l("More than one client has this name; add their e-mail address or mobile number."))
        raise FieldError(_l("No client card matches; import the clients first."))


def _preview_appointments(upload: ImportUpload, mapping: Mapping, now: datetime, *, store: bool
                          ) -> tuple[Preview, list[Appointment]]:
    """What becomes of every row; with `store`, the new appointments booked in the session (not committed) through
    the agenda's own checks, each practitioner's agenda locked. Without, nothing is written or locked (the desk goes
    on booking while the owner reads the preview): an overlap with the agenda or with an earlier row is found by the
    same rule."""
    practice = Practice.current()
    tz = practice.timezone
    practitioners, kinds, locations = _named(Practitioner), _named(AppointmentType), _named(Location)
    clients = _Clients(practice.country)
    preview, new, earlier = Preview(upload.kind, upload.filename), [], {}
    for line, cells in sheet_named(upload, mapping.sheet).records:
        values = _values(cells, mapping)
        try:
            day, at = tabular.date_of(values.get("date", "")), tabular.time_of(values.get("time", ""))
            if at is None and " " in values.get("date", ""):  # one cell with both: 2027-01-05 09:30
                at = tabular.time_of(values["date"].split(" ", 1)[1])
            if day is None or at is None:
                raise FieldError(_l("No date and time that can be read."))
            start = localtime.utc_moment(day, at, tz)
            if start <= now:
                raise FieldError(_l("In the past: only appointments still ahead are imported."))
            practitioner = practitioners.get(tabular.plain(values.get("practitioner", "")))
            kind = kinds.get(tabular.plain(values.get("appointment_type", "")))
            location = locations.get(tabular.plain(values.get("location", "")))
            if practitioner is None:
                raise FieldError(_l("Unknown practitioner: %(name)s.", name=values.get("practitioner", "")))
            if kind is None:
                raise FieldError(_l("Unknown appointment type: %(name)s.", name=values.get("appointment_type", "")))
            if location is None:
                raise FieldError(_l("Unknown location: %(name)s.", name=values.get("location", "")))
            client = db.session.get(Client, clients.find(values))
            if db.session.scalar(select(func.count()).where(
                    Appointment.client_id == client.id, Appointment.practitioner_id == practitioner.id,
                    Appointment.start == start, Appointment.status != AppointmentStatus.CANCELLED)):
                preview.rows.append(Row(line, cells, ImportOutcome.DUPLICATE, str(_l("Already in the agenda."))))
                continue
            appointment = Appointment(client=client, status=AppointmentStatus.BOOKED,
                                      confirmation_channels=client.confirmation_channels,
                                      reminder_channels=client.reminder_channels)
            if store:
                # Working hours may not be set up yet when the agenda moves in: the import books outside them too.
                apply_booking(appointment, Booking(client.id, practitioner.id, kind.id, location.id, start,
                                                   values.get("notes", ""), outside_hours=True, by_owner=True), tz)
            else:
                _refuse_overlap(practitioner, start, start + timedelta(minutes=kind.duration_minutes), earlier,
                                client.name)
        except FieldError as error:
            preview.rows.append(Row(line, cells, ImportOutcome.ERROR, str(error.message)))
            continue
        if store:
            db.session.add(appointment)
            db.session.flush()  # the next rows' overlap check sees it
            new.append(appointment)
        preview.rows.append(Row(line, cells, ImportOutcome.NEW))
    return preview, new


def _refuse_overlap(practitioner: Practitioner, start: datetime, end: datetime, earlier: dict, name: str) -> None:
    """agenda.services.apply_booking's overlap rule, read without a lock: against the agenda and the file's rows
    before this one (`earlier`: start, end and client name per practitioner, added to here)."""
    clash = first_overlap(practitioner.id, start, end, exclude_id=None)
    other = clash.client.name if clash is not None else next(
        (client for begins, ends, client in earlier.get(practitioner.id, []) if begins < end and start < ends), None)
    if other is not None:
        raise FieldError(_l("%(practitioner)s already has an appointment with %(client)s at that time.",
                            practitioner=practitioner.name, client=other), "time")
    earlier.setdefault(practitioner.id, []).append((start, end, name))


# --- both ----------------------------------------------------------------------------------------------------------

def preview_import(upload: ImportUpload, mapping: Mapping, now: datetime) -> Preview:
    """What the import would do with every row; nothing is stored."""
    try:
        if upload.kind == "clients":
            return _preview_clients(upload, mapping)[0]
        return _preview_appointments(upload, mapping, now, store=False)[0]
    finally:
        db.session.rollback()


def run_import(upload: ImportUpload, mapping: Mapping, by: User, now: datetime) -> Preview:
    """Import the new rows in one transaction, with one line in the audit trail; the upload goes with it.
    Imported appointments get their reminders, but no confirmation: the old program confirmed them."""
    if upload.kind == "clients":
        preview, rows = _preview_clients(upload, mapping)
        _store_clients(upload, rows, by)
        action = AuditAction.CLIENTS_IMPORTED
    else:
        preview, appointments = _preview_appointments(upload, mapping, now, store=True)
        planning.plan_reminders_for(appointments, Practice.current(), now)
        action = AuditAction.APPOINTMENTS_IMPORTED
    audit.record(action, None, f"{upload.filename}: {preview.count(ImportOutcome.NEW)} new, "
                               f"{preview.count(ImportOutcome.DUPLICATE)} already there, "
                               f"{preview.count(ImportOutcome.ERROR)} left out", by=by)
    db.session.delete(upload)
    db.session.commit()
    return preview


def drop_upload(upload: ImportUpload) -> None:
    """The owner cancelled: the file goes, nothing was imported."""
    db.session.delete(upload)
    db.session.commit()
