"""The owner moves their clients in from a spreadsheet in a real browser: upload, the guessed columns, the preview,
the import; at tablet width, without console errors."""

from openpyxl import Workbook
from sqlalchemy import func, select

from practice.extensions import db
from practice.models import Client, Practice, Role
from tests.browser.test_agenda_browser import _log_in
from tests.conftest import make_client, make_user


def test_the_owner_imports_clients_from_a_workbook_after_reading_the_preview(app, page, tmp_path):
    make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.com")
    with app.app_context():
        Practice.current().country = "BE"  # numbers are read as Belgian ones: 0470 12 34 56 is +32 470 12 34 56
        db.session.commit()
    book = Workbook()
    sheet = book.active
    sheet.title = "Klanten"
    sheet.append(["Prénom", "Nom", "Courriel", "GSM", "Langue", "Accord SMS"])
    sheet.append(["Zoë", "Dupont-Çelik", "zoe@example.be", "0470 12 34 56", "Français", "oui"])
    sheet.append(["Anna", "de Vries", "anna@example.com", "", "Nederlands", "non"])
    sheet.append(["Piet", "Vast", "piet@example.be", "02 511 12 34", "Nederlands", "non"])
    file = tmp_path / "patients.xlsx"
    book.save(file)

    _log_in(page, make_user(app, Role.OWNER))
    page.set_viewport_size({"width": 820, "height": 1100})
    page.goto("/data/")
    page.get_by_label("The file holds").select_option(label="Clients")
    page.get_by_label("File (CSV or .xlsx)").set_input_files(str(file))
    page.get_by_role("button", name="Upload and choose the columns").click()
    page.get_by_role("button", name="Show what will happen").wait_for()
    assert page.get_by_label("Prénom").input_value() == "first_name"
    assert page.get_by_label("Nom", exact=True).input_value() == "last_name"
    assert page.get_by_label("Accord SMS").input_value() == "sms_consent"
    page.get_by_role("button", name="Show what will happen").click()
    counts = page.locator("[data-test=import-counts]")
    counts.wait_for()
    assert counts.inner_text() == "1 new · 1 already there · 1 left out"
    preview = page.locator("table.import-preview").inner_text()
    assert "Same e-mail address as the card of Anna de Vries" in preview and "not a mobile number" in preview
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 1  # nothing yet
    page.get_by_role("button", name="Import 1 row").click()
    page.get_by_text("1 imported from patients.xlsx").wait_for()
    with app.app_context():
        zoe = db.session.scalar(select(Client).where(Client.last_name == "Dupont-Çelik"))
        assert (zoe.mobile, zoe.language, zoe.sms_consent) == ("+32470123456", "fr", True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.console_errors == []
