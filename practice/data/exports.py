"""Exports for the owner: the client cards, the appointments of a date range and the message log (with the log's own
filters), as CSV or as an Excel workbook. Headers are in the reader's language and read back by the import."""
import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import localtime
from ..audit import services as audit
from ..enums import AuditAction, in_words
from ..extensions import db
from ..i18n import gettext as _
from ..messages import log as message_log
from ..messages.usage import euros
from ..models import Appointment, Client, Message

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WHAT = ("clients", "appointments", "messages")


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def client_rows() -> Iterator[list]:
    yield [_("First name"), _("Last name"), _("E-mail"), _("Mobile number"), _("Language"), _("Notes"),
           _("SMS consent"), _("Confirmations"), _("Reminders")]
    query = select(Client).where(Client.erased_at.is_(None)).order_by(Client.last_name, Client.first_name, Client.id)
    for client in db.session.scalars(query.execution_options(yield_per=1000)):
        yield [client.first_name, client.last_name, client.email, client.mobile, client.language, client.notes,
               _yes(client.sms_consent), str(client.confirmation_channels.label), str(client.reminder_channels.label)]


def appointment_rows(first: date, last: date, tz: str) -> Iterator[list]:
    yield [_("Date"), _("Time"), _("Until"), _("Full name"), _("E-mail"), _("Mobile number"), _("Practitioner"),
           _("Appointment type"), _("Location"), _("Status"), _("Notes")]
    start, end = localtime.days_bounds(first, last, tz)
    query = (select(Appointment).where(Appointment.start >= start, Appointment.start < end)
             .options(joinedload(Appointment.client), joinedload(Appointment.practitioner),
                      joinedload(Appointment.appointment_type), joinedload(Appointment.location))
             .order_by(Appointment.start, Appointment.id))
    for appointment in db.session.scalars(query.execution_options(yield_per=1000)):
        begins, ends = localtime.local(appointment.start, tz), localtime.local(appointment.end, tz)
        client = appointment.client
        yield [begins.date().isoformat(), begins.strftime("%H:%M"), ends.strftime("%H:%M"), client.name,
               client.email, client.mobile, appointment.practitioner.name, appointment.appointment_type.name,
               appointment.location.name, str(appointment.status.label), appointment.notes]


def message_rows(filters: message_log.Filters, tz: str) -> Iterator[list]:
    yield [_("When"), _("Kind"), _("Channel"), _("Recipient"), _("Full name"), _("Status"), _("Details"),
           _("Segments"), _("Cost (EUR)"), _("Subject")]
    key = Message.due_at if filters.planned else Message.logged_at
    query, values = message_log.matching(filters, tz)
    query = (query.options(joinedload(Message.appointment).joinedload(Appointment.client), joinedload(Message.client))
             .order_by(key.desc(), Message.id.desc()))
    for message in db.session.scalars(query.execution_options(yield_per=1000), values):
        client = message.appointment.client if message.appointment else message.client
        moment = localtime.local(message.due_at if filters.planned else message.logged_at, tz)
        details = in_words(message.error) if message.error else (str(message.reason.label) if message.reason else "")
        yield [moment.strftime("%Y-%m-%d %H:%M"), str(message.kind.label), str(message.channel.label),
               message.recipient, client.name if client else "", str(message.status.label), details,
               message.segments, euros(message.price_cents), message.subject]


FORMULA_START = ("=", "@", "+", "-", "\t", "\r")
E164 = re.compile(r"\+\d{6,15}")


def _safe(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe in a CSV (OWASP's CSV injection);
    only a phone number's plus stays as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not E164.fullmatch(value):
        return "'" + value
    return value


def as_csv(rows: Iterable[list]) -> bytes:
    """Semicolons and a byte-order mark: Excel in Dutch, French or German opens it in columns, accents intact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow([_safe(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(rows: Iterable[list], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        sheet.append([_text_cell(sheet, value) if isinstance(value, str) else value for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value: str):
    """A workbook cell that holds text as text: openpyxl would store "=…" as a formula to run."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def export(rows: Iterable[list], what: str, form: str, detail: str) -> bytes:
    """The file, and its line in the audit trail (committed: the download happened)."""
    content = as_csv(rows) if form == "csv" else as_xlsx(rows, what)
    audit.record(AuditAction.DATA_EXPORTED, None, f"{what}.{form} {detail}".strip())
    db.session.commit()
    return content
