"""Reading another program's export: separators, encodings, workbooks, headers in four languages, and dates and
times as Europeans write them."""
import re
from datetime import date, time

import pytest
from hypothesis import given, settings, strategies as st

from practice.data import tabular
from practice.data.exports import as_csv, as_xlsx


@pytest.mark.parametrize("headers, fields", [
    (["Voornaam", "Achternaam", "E-mailadres", "GSM-nummer", "Taal"],
     ["first_name", "last_name", "email", "mobile", "language"]),
    (["Prénom", "Nom", "Courriel", "Portable", "Langue", "Remarques"],
     ["first_name", "last_name", "email", "mobile", "language", "notes"]),
    (["Vorname", "Nachname", "E-Mail", "Handy", "Sprache", "SMS-Einwilligung"],
     ["first_name", "last_name", "email", "mobile", "language", "sms_consent"]),
    (["Name", "Email address", "Mobile phone", "Date of birth"], ["full_name", "email", "mobile", ""]),
    (["Naam", "Telefoon", "Telefoon"], ["full_name", "mobile", ""]),  # no field twice
])
def test_the_headers_of_other_programs_are_understood_in_four_languages(headers, fields):
    assert tabular.guess_mapping(headers, "clients") == fields


def test_appointment_headers_are_guessed_too():
    assert tabular.guess_mapping(["Datum", "Aanvang", "Behandelaar", "Afspraaktype", "Locatie", "Klant"],
                                 "appointments") == ["date", "time", "practitioner", "appointment_type", "location",
                                                     "full_name"]


@pytest.mark.parametrize("content", [
    "Naam;Plaats\r\nZoë;Gent\r\n".encode("cp1252"),
    "Naam,Plaats\nZoë,Gent\n".encode("utf-8"),
    "\ufeffNaam\tPlaats\nZoë\tGent\n".encode("utf-8"),
    "Naam|Plaats\nZoë|Gent\n".encode("utf-8"),
])
def test_a_csv_is_read_whatever_its_separator_and_encoding(content):
    sheet, = tabular.read_sheets("export.csv", content)
    assert sheet.headers == ["Naam", "Plaats"] and sheet.records == [(2, ["Zoë", "Gent"])]


def test_an_empty_or_broken_file_is_unreadable():
    for name, content in (("leeg.csv", b"  \n"), ("kapot.xlsx", b"PK\x03\x04rest")):
        with pytest.raises(tabular.UnreadableFile):
            tabular.read_sheets(name, content)


def test_rows_keep_their_line_in_the_file_and_short_rows_are_padded():
    sheet, = tabular.read_sheets("a.csv", b"a;b;c\n1;2;3\n\n4\n")
    assert sheet.records == [(2, ["1", "2", "3"]), (4, ["4", "", ""])]


@pytest.mark.parametrize("text, day", [("2027-01-05", date(2027, 1, 5)), ("05-01-2027", date(2027, 1, 5)),
                                       ("5/1/2027", date(2027, 1, 5)), ("05.01.27", date(2027, 1, 5)),
                                       ("2027-01-05 09:30", date(2027, 1, 5)), ("januari", None), ("31-02-2027", None)])
def test_dates_are_read_day_before_month(text, day):
    assert tabular.date_of(text) == day


@pytest.mark.parametrize("text, at", [("9:00", time(9)), ("09.30", time(9, 30)), ("9u15", time(9, 15)),
                                      ("14h45", time(14, 45)), ("08:00:00", time(8)), ("25:00", None), ("", None)])
def test_times_are_read_as_they_are_written(text, at):
    assert tabular.time_of(text) == at


@pytest.mark.parametrize("text, answer", [("Ja", True), ("oui", True), ("X", True), ("nee", False), ("", False),
                                          ("Nein", False), ("misschien", None)])
def test_a_yes_or_no_column_in_any_language(text, answer):
    assert tabular.yes_or_no(text) is answer


cell = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12).map(str.strip)
table = st.integers(1, 4).flatmap(lambda width: st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1,
                                                          max_size=6))


def _as_csv_shows(value: str) -> str:
    """A cell that a spreadsheet would run as a formula comes back with an apostrophe in front (a phone number's
    plus stays): the CSV's defence against formula injection. A workbook holds it as text and needs none."""
    if value.startswith(("=", "@", "+", "-")) and not re.fullmatch(r"\+\d{6,15}", value):
        return "'" + value
    return value


@settings(max_examples=60)
@given(table)
def test_what_the_export_writes_the_import_reads_back_cell_for_cell(rows):
    rows = [["Kop"] * len(rows[0]), *rows]
    for name, content, shown in (("a.csv", as_csv(rows), _as_csv_shows), ("a.xlsx", as_xlsx(rows, "a"), str)):
        wanted = [(line, [shown(value) for value in row]) for line, row in enumerate(rows[1:], 2) if any(row)]
        assert tabular.read_sheets(name, content)[0].records == wanted, name


def test_a_formula_stays_text_and_a_number_keeps_its_plus():
    rows = [["Naam", "GSM"], ["=1+1", "+32470123456"], ["-2+3", "+1"]]
    assert tabular.read_sheets("a.csv", as_csv(rows))[0].records == [(2, ["'=1+1", "+32470123456"]),
                                                                       (3, ["'-2+3", "'+1"])]
    assert tabular.read_sheets("a.xlsx", as_xlsx(rows, "a"))[0].records == [(2, ["=1+1", "+32470123456"]),
                                                                             (3, ["-2+3", "+1"])]
