"""Reading another program's export: a CSV (any of the usual separators and encodings, as Excel writes it in the
Netherlands, Belgium or Germany) or an Excel workbook, into sheets of text cells; and the guess which column holds
which field, from headers in Dutch, French, German or English. Pure: bytes in, lists of strings out."""
import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

KINDS = ("clients", "appointments")

CLIENT_FIELDS = ("first_name", "last_name", "full_name", "email", "mobile", "language", "notes", "sms_consent")
APPOINTMENT_FIELDS = ("date", "time", "practitioner", "appointment_type", "location", "full_name", "email",
                      "mobile", "notes")
FIELDS = {"clients": CLIENT_FIELDS, "appointments": APPOINTMENT_FIELDS}

# Headers as other programs write them, compared without case, accents, spaces or punctuation.
HEADERS = {
    "first_name": "voornaam roepnaam firstname first givenname prenom vorname",
    "last_name": "achternaam familienaam lastname surname familyname nomdefamille nachname familienname",
    "full_name": "naam name volledigenaam fullname nomcomplet nom client klant klantnaam patient patientnaam "
                 "patientname clientname kunde",
    "email": "email emailadres mail emailaddress courriel adressemail adresseemail emailadresse",
    "mobile": "gsm gsmnummer mobiel mobielnummer mobile mobilenumber mobilephone cell cellphone telefoon "
              "telefoonnummer phone phonenumber telephone tel portable natel handy handynummer mobiltelefon "
              "telefon telefonnummer",
    "language": "taal language langue sprache",
    "notes": "notities notitie opmerkingen opmerking notes note remarks remarques remarque bemerkungen notizen "
             "memo",
    "sms_consent": "smstoestemming toestemmingsms smsakkoord akkoordsms smsconsent consentsms accordsms "
                   "consentementsms smseinwilligung einwilligungsms sms",
    "date": "datum date dag day jour tag afspraakdatum appointmentdate datederendezvous termindatum",
    "time": "tijd time uur heure uhrzeit zeit start begin aanvang begintijd starttime debut heuredebut beginn",
    "practitioner": "behandelaar therapeut therapeute practitioner medewerker praticien therapist behandler "
                    "mitarbeiter arts",
    "appointment_type": "afspraaktype type soort behandeling appointmenttype typederendezvous prestation "
                        "termintyp terminart behandlung consultatie",
    "location": "locatie vestiging location lieu cabinet standort ort praktijk",
}


class UnreadableFile(ValueError):
    """The file is neither a CSV nor an Excel workbook that can be read; the message says why, in English words
    that the view replaces by its own."""


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[str]]  # the first row holds the headers

    @property
    def headers(self) -> list[str]:
        return self.rows[0] if self.rows else []

    @property
    def records(self) -> list[tuple[int, list[str]]]:
        """The rows below the headers with their line in the file (the headers are line 1), each as wide as the
        headers; blank lines left out."""
        width = len(self.headers)
        return [(line, (row + [""] * width)[:width]) for line, row in enumerate(self.rows[1:], 2) if any(row)]


def read_sheets(filename: str, content: bytes) -> list[Sheet]:
    """Every sheet of the file (a CSV has one), rows of text cells with blank lines left out."""
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _workbook(content)
    return [Sheet(filename, _csv_rows(content))]


def _csv_rows(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" in Western Europe
    if not text.strip():
        raise UnreadableFile("empty")
    first = text.splitlines()[0]
    delimiter = max(";,\t|", key=first.count)  # the header line holds the separator most often
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _workbook(content: bytes) -> list[Sheet]:
    from openpyxl import load_workbook  # only for workbooks: it takes a while to import

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(str(error)) from None
    sheets = []
    for sheet in book.worksheets:
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        if any(any(row) for row in rows):
            sheets.append(Sheet(sheet.title, rows))
    book.close()
    if not sheets:
        raise UnreadableFile("empty")
    return sheets


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed without a leading zero or plus: 31612345678
    return str(value).strip()


def plain(header: str) -> str:
    """A header as compared: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char))


KNOWN = {word: field for field, words in HEADERS.items() for word in words.split()}


def guess_mapping(headers: list[str], kind: str) -> list[str]:
    """For each column the field it most likely holds, or "" (left out); no field twice."""
    wanted, taken, mapping = FIELDS[kind], set(), []
    for header in headers:
        field = KNOWN.get(plain(header), "")
        if field not in wanted or field in taken:
            field = ""
        taken.add(field)
        mapping.append(field)
    if "first_name" in mapping and "last_name" not in mapping and "full_name" in mapping:
        mapping[mapping.index("full_name")] = "last_name"  # "Prénom" and "Nom": the name is the surname
    return mapping


DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%y", "%d/%m/%y", "%d.%m.%y", "%Y/%m/%d")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%H.%M", "%Hu%M", "%Hh%M", "%H")


def date_of(text: str) -> date | None:
    """A day as Europeans and spreadsheets write it (day before month), or None."""
    for layout in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip().split(" ")[0], layout).date()
        except ValueError:
            continue
    return None


def time_of(text: str) -> time | None:
    """A time of day (9:00, 09.00, 9u00, 9h00, 09:00:00), or None."""
    for layout in TIME_FORMATS:
        try:
            return datetime.strptime(text.strip().lower(), layout).time()
        except ValueError:
            continue
    return None


YES = {"1", "y", "yes", "j", "ja", "oui", "o", "x", "true", "waar", "vrai", "wahr", "ok", "✓"}
NO = {"", "0", "n", "no", "nee", "neen", "non", "nein", "false", "onwaar", "faux", "falsch", "-"}


def yes_or_no(text: str) -> bool | None:
    """A yes/no cell in any of the four languages; None when it is neither."""
    word = text.strip().casefold()
    return True if word in YES else False if word in NO else None


LANGUAGES = {"nl": "nl nederlands dutch neerlandais niederlandisch vlaams flemish",
             "fr": "fr francais frans french franzosisch",
             "de": "de deutsch duits german allemand",
             "en": "en english engels anglais englisch"}
LANGUAGE_OF = {plain(word): code for code, words in LANGUAGES.items() for word in words.split()}


def language_of(text: str) -> str | None:
    """The language code a cell names (nl, fr, de, en; "Nederlands", "Français"…), or None."""
    return LANGUAGE_OF.get(plain(text))
