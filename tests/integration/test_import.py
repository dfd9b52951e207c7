"""Moving in from another program: clients (CSV as Dutch Excel writes it, or an Excel workbook) and future
appointments, uploaded, mapped, previewed row by row and imported in one transaction; and the exports."""
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from practice.audit.models import AuditEvent
from practice.data.models import ImportUpload
from practice.enums import AuditAction, ConsentSource, MessageKind, MessageStatus
from practice.extensions import db
from practice.models import Appointment, Client, ConsentEvent, Message
from tests.conftest import csrf_token, log_in, make_client

HEADERS = ["Voornaam", "Achternaam", "E-mailadres", "GSM", "Taal", "Opmerkingen", "Toestemming SMS", "Geboortedatum"]


def _clients(count: int) -> list[list[str]]:
    """`count` rows: most good (accents that need Windows-1252), some duplicates, some bad."""
    rows = []
    for index in range(count):
        rows.append([f"Zoë{index}", f"Çelik-Müller {index}", f"client{index}@voorbeeld.nl", f"06 {10000000 + index:08d}",
                     "Nederlands" if index % 3 else "Français", "café, één keer", "ja" if index % 2 else "nee",
                     "01-02-1980"])
    rows[10][2] = "bestaat@voorbeeld.nl"  # the card already there (by e-mail)
    rows[11][3] = "06 11112222"  # the card already there (by number)
    rows[12][2], rows[12][3] = rows[5][2], ""  # the same client twice in the file
    rows[20][3] = "06 1234"  # not a number
    rows[21][3] = "020 123 4567"  # a landline
    rows[22][2] = "iemand@"  # a bad address
    rows[23][0] = rows[23][1] = ""  # no name
    rows[24][6] = "misschien"  # neither yes nor no
    return rows


NEW = 1000 - 3 - 5  # three already there, five left out


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([HEADERS, *rows])
    return out.getvalue().encode("cp1252")


def _xlsx(rows) -> bytes:
    book = Workbook()
    book.active.title = "Notities"
    book.active.append(["niets om te importeren"])
    sheet = book.create_sheet("Klanten")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _existing(app):
    make_client(app, first_name="Bestaande", last_name="Klant", email="bestaat@voorbeeld.nl", mobile="+31611113333")
    make_client(app, first_name="Andere", last_name="Klant", email="ander@voorbeeld.nl", mobile="+31611112222")


def _upload(client, name: str, content: bytes, kind="clients"):
    return client.post("/data/import", data={"csrf_token": csrf_token(client), "kind": kind,
                                             "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _selected(html: str) -> list[str]:
    """The field chosen for each column on the mapping page."""
    chosen = [re.search(r'<option value="(\w+)" selected>', block)
              for block in re.findall(r'<select name="column".*?</select>', html, re.S)]
    return [found.group(1) if found else "" for found in chosen]


def _preview(client, upload_id: int, sheet: str, columns: list[str]):
    return client.post(f"/data/import/{upload_id}/preview",
                       data={"csrf_token": csrf_token(client), "sheet": sheet, "column": columns})


def _counts(html: str) -> tuple[int, int, int]:
    line = re.search(r'data-test="import-counts">(.*?)</p>', html, re.S).group(1)
    return tuple(int(number) for number in re.findall(r"\d+", line))


def _run(client, upload_id: int, sheet: str, columns: list[str]):
    return client.post(f"/data/import/{upload_id}/run",
                       data={"csrf_token": csrf_token(client), "sheet": sheet, "column": columns})


def _import(client, name, content, sheet, kind="clients"):
    """Upload, take the guessed columns, preview and import; the preview's counts and the import's message."""
    response = _upload(client, name, content, kind)
    assert response.status_code == 302, response.get_data(as_text=True)
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    columns = _selected(client.get(f"/data/import/{upload_id}?sheet={sheet}").get_data(as_text=True))
    preview = _preview(client, upload_id, sheet, columns)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    counts = _counts(preview.get_data(as_text=True))
    done = _run(client, upload_id, sheet, columns)
    assert done.status_code == 302
    return counts, preview.get_data(as_text=True), client.get("/data/").get_data(as_text=True)


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_thousand_clients_are_previewed_and_imported_with_the_right_counts_and_once_only(app, client, owner, form):
    _existing(app)
    log_in(client, owner)
    rows = _clients(1000)
    name, content, sheet = (("klanten.csv", _csv(rows), "klanten.csv") if form == "csv"
                            else ("klanten.xlsx", _xlsx(rows), "Klanten"))
    response = _upload(client, name, content)
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    mapping = client.get(f"/data/import/{upload_id}?sheet={sheet}").get_data(as_text=True)
    # The headers in Dutch are understood; the birth date has no field and is left out.
    assert _selected(mapping) == ["first_name", "last_name", "email", "mobile", "language", "notes", "sms_consent", ""]
    client.post(f"/data/import/{upload_id}/cancel", data={"csrf_token": csrf_token(client)})

    counts, preview, done = _import(client, name, content, sheet)
    assert counts == (NEW, 3, 5)
    for reason in ("Same e-mail address as the card of Bestaande Klant", "Same mobile number as the card of Andere Klant",
                   "The same client as on line 7", "This is not a valid phone number",
                   "This is not a mobile number", "This e-mail address is not valid", "No name",
                   "SMS consent is neither yes nor no: misschien"):
        assert reason in preview
    assert f"{NEW} imported from {name}; 3 already there and 5 left out" in done
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 2 + NEW
        zoe = db.session.scalar(select(Client).where(Client.email == "client7@voorbeeld.nl"))
        assert (zoe.first_name, zoe.last_name, zoe.mobile, zoe.language) == ("Zoë7", "Çelik-Müller 7", "+31610000007", "nl")
        assert zoe.notes == "café, één keer" and zoe.sms_consent
        assert db.session.scalar(select(Client.language).where(Client.email == "client9@voorbeeld.nl")) == "fr"
        consent = db.session.scalars(select(ConsentEvent).where(ConsentEvent.client_id == zoe.id)).one()
        assert consent.source == ConsentSource.IMPORTED and consent.note == name and consent.granted
        assert consent.recorded_at > datetime.now(UTC) - timedelta(minutes=5)
        # Consent only where the column says yes.
        assert not db.session.scalar(select(Client.sms_consent).where(Client.email == "client8@voorbeeld.nl"))
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == sum(
            1 for index, row in enumerate(rows) if row[6] == "ja" and index not in (11, 20, 21, 22, 23))
        consent_line = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.CONSENT_GRANTED,
                                                                   AuditEvent.subject_id == zoe.id)).one()
        assert consent_line.detail == f"imported: {name}"  # in the client's own trail
        trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENTS_IMPORTED)).one()
        assert f"{NEW} new" in trail.detail
        assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0

    # The same file again: every row is already there, nothing is added.
    again, _, done = _import(client, name, content, sheet)
    assert again == (0, NEW + 3, 5)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 2 + NEW


def test_nothing_is_imported_when_the_practice_cancels_at_the_preview(app, client, owner):
    log_in(client, owner)
    response = _upload(client, "klanten.csv", _csv(_clients(50)))
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    columns = _selected(client.get(f"/data/import/{upload_id}").get_data(as_text=True))
    assert _counts(_preview(client, upload_id, "klanten.csv", columns).get_data(as_text=True)) == (44, 1, 5)
    cancelled = client.post(f"/data/import/{upload_id}/cancel", data={"csrf_token": csrf_token(client)})
    assert cancelled.status_code == 302
    assert "nothing was imported" in client.get("/data/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0
        assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0
    assert _run(client, upload_id, "klanten.csv", columns).status_code == 404


def test_a_file_that_is_no_table_or_a_mapping_without_a_name_is_refused_clearly(app, client, owner):
    log_in(client, owner)
    refused = _upload(client, "foto.xlsx", b"PK\x03\x04 not really a workbook")
    assert refused.status_code == 422 and "cannot be read" in refused.get_data(as_text=True)
    response = _upload(client, "klanten.csv", _csv(_clients(30)))
    upload_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    unnamed = _preview(client, upload_id, "klanten.csv", ["", "", "email", "mobile", "", "", "", ""])
    assert unnamed.status_code == 422 and "last name or the full name" in unnamed.get_data(as_text=True)
    twice = _preview(client, upload_id, "klanten.csv", ["first_name", "last_name", "email", "email", "", "", "", ""])
    assert twice.status_code == 422 and "one column only" in twice.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0


def test_only_the_owner_imports_and_exports(app, client, staff):
    log_in(client, staff)
    assert client.get("/data/").status_code == 403
    assert _upload(client, "klanten.csv", _csv(_clients(30))).status_code == 403
    assert client.get("/data/export/clients.csv").status_code == 403
    with app.app_context():
        db.session.add(ImportUpload(kind="clients", filename="k.csv", content=_csv(_clients(30))))
        db.session.commit()
    form = {"csrf_token": csrf_token(client), "sheet": "k.csv", "column": ["first_name", "last_name"]}
    assert client.get("/data/import/1").status_code == 403
    for step in ("preview", "run", "cancel"):
        assert client.post(f"/data/import/1/{step}", data=form).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 1
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0


def test_future_appointments_are_imported_matched_by_name_without_overlaps_and_with_reminders(app, client, owner,
                                                                                              agenda):
    anna = make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.com", mobile="+31612345678")
    make_client(app, first_name="Bram", last_name="Bakker", email="bram@example.com", mobile="+31612345679")
    log_in(client, owner)
    day = (datetime.now(UTC) + timedelta(days=10)).date().strftime("%d-%m-%Y")
    past = (datetime.now(UTC) - timedelta(days=3)).date().strftime("%d-%m-%Y")
    rows = [["Datum", "Tijd", "Behandelaar", "Behandeling", "Locatie", "Naam", "E-mail", "Opmerking"],
            [day, "09:00", "Sophie Verbeek", "Behandeling", "Centrum", "Anna de Vries", "", "knie"],
            [day, "09:15", "sophie verbeek", "behandeling", "centrum", "", "bram@example.com", ""],  # overlaps line 2
            [day, "10:00", "Sophie Verbeek", "Intake", "Centrum", "", "bram@example.com", ""],
            [past, "10:00", "Sophie Verbeek", "Behandeling", "Centrum", "Anna de Vries", "", ""],
            [day, "11:00", "Dr. Niemand", "Behandeling", "Centrum", "Anna de Vries", "", ""],
            [day, "12:00", "Mark de Jong", "Behandeling", "Centrum", "Carla Onbekend", "", ""],
            [day, "25:00", "Mark de Jong", "Behandeling", "Centrum", "Anna de Vries", "", ""]]
    out = io.StringIO()
    csv.writer(out, delimiter=",").writerows(rows)
    upload_id = int(_upload(client, "agenda.csv", out.getvalue().encode(), "appointments")
                    .headers["Location"].rstrip("/").split("/")[-1])
    columns = _selected(client.get(f"/data/import/{upload_id}").get_data(as_text=True))
    assert _counts(_preview(client, upload_id, "agenda.csv", columns).get_data(as_text=True)) == (2, 0, 5)
    with app.app_context():  # the preview stored nothing
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    client.post(f"/data/import/{upload_id}/cancel", data={"csrf_token": csrf_token(client)})
    counts, preview, done = _import(client, "agenda.csv", out.getvalue().encode(), "agenda.csv", kind="appointments")
    assert counts == (2, 0, 5)
    for reason in ("already has an appointment with Anna de Vries", "In the past", "Unknown practitioner: Dr. Niemand",
                   "No client card matches", "No date and time that can be read"):
        assert reason in preview
    with app.app_context():
        booked = db.session.scalars(select(Appointment).order_by(Appointment.start)).all()
        assert [(a.client_id, a.appointment_type_id) for a in booked] == [(anna, agenda.treatment),
                                                                           (anna + 1, agenda.intake)]
        assert booked[0].notes == "knie"
        kinds = {message.kind for message in db.session.scalars(select(Message))}
        assert kinds == {MessageKind.REMINDER}  # reminders planned, and no confirmation: the old program sent it
        assert db.session.scalar(select(func.count()).select_from(Message)
                                 .where(Message.status == MessageStatus.PLANNED)) >= 2
    again, _, _ = _import(client, "agenda.csv", out.getvalue().encode(), "agenda.csv", kind="appointments")
    assert again == (0, 2, 5)


def test_exported_clients_come_back_as_already_there_and_every_export_is_in_the_trail(app, client, owner):
    _existing(app)
    log_in(client, owner)
    _import(client, "klanten.csv", _csv(_clients(40)), "klanten.csv")
    exported = client.get("/data/export/clients.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data().decode("utf-8-sig")
    assert "Zoë7;Çelik-Müller 7;client7@voorbeeld.nl;+31610000007" in text
    workbook = client.get("/data/export/clients.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.get_data())).active
    assert sheet.max_row == 1 + 2 + 32
    for name, content in (("clients.csv", exported.get_data()), ("clients.xlsx", workbook.get_data())):
        counts, _, _ = _import(client, name, content, "clients" if name.endswith("xlsx") else name)
        assert counts == (0, 34, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == AuditAction.DATA_EXPORTED)) == 2


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil")', "=1+1", "-1+A1", "@SUM(A1)", "+A1"])
def test_a_formula_in_a_cell_is_exported_as_text(app, client, owner, name):
    make_client(app, first_name=name, last_name="Test", email="", mobile="+31612345678")
    log_in(client, owner)
    text = client.get("/data/export/clients.csv").get_data().decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text), delimiter=";"))[1]
    assert row[0] == "'" + name and row[3] == "+31612345678"  # a number's plus stays
    sheet = load_workbook(io.BytesIO(client.get("/data/export/clients.xlsx").get_data())).active
    assert sheet.cell(2, 1).value == name and sheet.cell(2, 1).data_type == "s"  # text, not a formula to run


def test_the_message_log_and_the_appointments_export_what_their_filters_choose(app, client, owner, agenda):
    anna = make_client(app)
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        for days in (1, 5):
            db.session.add(Appointment(client_id=anna, practitioner_id=agenda.practitioner, appointment_type_id=agenda.treatment,
                                       location_id=agenda.location, start=now + timedelta(days=days),
                                       end=now + timedelta(days=days, minutes=30)))
        for number, channel in enumerate(("email", "sms", "sms")):
            db.session.add(Message(dedupe_key=f"test:{number}", kind=MessageKind.REMINDER, channel=channel,
                                   client_id=anna, recipient="anna@example.com" if channel == "email" else "+31612345678",
                                   due_at=now, status=MessageStatus.DELIVERED, handed_over_at=now - timedelta(hours=number),
                                   status_at=now, segments=2 if channel == "sms" else 0,
                                   price_cents=20 if channel == "sms" else 0))
        db.session.commit()
    log_in(client, owner)
    assert "log-export" in client.get("/messages/?channel=sms").get_data(as_text=True)
    text = client.get("/data/export/messages.csv?channel=sms").get_data().decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 3 and all(";+31612345678;Anna de Vries;Delivered;" in line for line in lines[1:])
    assert lines[1].endswith(";2;0.20;")
    assert client.get("/data/export/messages.csv?channel=fax").status_code == 400
    first = (now + timedelta(days=4)).date().isoformat()
    last = (now + timedelta(days=6)).date().isoformat()
    sheet = load_workbook(io.BytesIO(client.get(f"/data/export/appointments.xlsx?from={first}&to={last}")
                                     .get_data())).active
    assert sheet.max_row == 2 and sheet.cell(2, 4).value == "Anna de Vries"
    assert client.get(f"/data/export/appointments.csv?from={last}&to={first}").status_code == 400
