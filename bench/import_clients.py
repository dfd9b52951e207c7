"""How long moving in takes: 10,000 clients from another program's export (a CSV as Dutch Excel writes it:
semicolons, Windows-1252; and the same as an .xlsx workbook), through the owner's pages as a browser would use them
(upload, the column mapping, the preview of every row, the import in one transaction), into a practice that has
2,000 clients already. Prints the seconds of each step and in all, per file format. Target: the import of 10,000
clients under 30 s on this machine.

    .venv/bin/python bench/import_clients.py [--clients 10000] [--stack embedded|production|both]
"""
import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PRACTICE_INSTANCE", tempfile.mkdtemp(prefix="practice-bench-"))
os.environ.setdefault("HUEY_URL", "memory://")

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from bench import stacks  # noqa: E402
from practice.app import create_app  # noqa: E402
from practice.enums import Role  # noqa: E402
from practice.extensions import db  # noqa: E402
from practice.models import Client, ConsentEvent, Practice, User  # noqa: E402

HEADERS = ["Voornaam", "Achternaam", "E-mailadres", "GSM", "Taal", "Opmerkingen", "Toestemming SMS"]
ALREADY = 2000


def rows(count: int) -> list[list[str]]:
    """Mostly new clients; one in 50 already has a card, one in 100 has a landline."""
    made = []
    for index in range(count):
        email = f"klant{index}@voorbeeld.nl" if index % 50 else f"bestaand{index % ALREADY}@voorbeeld.nl"
        mobile = f"06 {20000000 + index:08d}" if index % 100 != 7 else "020 123 4567"
        made.append([f"Zoë {index}", f"van der Çelik {index}", email, mobile, "Nederlands" if index % 4 else "Frans",
                     "knie links, één keer per week", "ja" if index % 2 else "nee"])
    return made


def as_csv(table) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([HEADERS, *table])
    return out.getvalue().encode("cp1252")


def as_xlsx(table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Klanten")
    for row in [HEADERS, *table]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def token(client) -> str:
    html = client.get("/data/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def import_once(client, name: str, content: bytes) -> dict[str, float]:
    started = clock.perf_counter()
    uploaded = client.post("/data/import", data={"csrf_token": token(client), "kind": "clients",
                                                 "file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:500]
    mapping_page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    columns = [found.group(1) if found else "" for found in
               (re.search(r'<option value="(\w+)" selected>', block)
                for block in re.findall(r'<select name="column".*?</select>', mapping_page, re.S))]
    sheet = re.search(r'name="sheet" value="([^"]*)"', mapping_page).group(1)
    form = {"csrf_token": token(client), "sheet": sheet, "column": columns}
    upload_id = uploaded.headers["Location"].rstrip("/").split("/")[-1]
    mapped = clock.perf_counter()
    preview = client.post(f"/data/import/{upload_id}/preview", data=form)
    assert preview.status_code == 200
    previewed = clock.perf_counter()
    done = client.post(f"/data/import/{upload_id}/run", data=form)
    assert done.status_code == 302
    imported = clock.perf_counter()
    return {"upload and mapping": mapped - started, "preview": previewed - mapped, "import": imported - previewed,
            "in all": imported - started, "preview size": len(preview.get_data()) / 1e6}


def measure(database_url: str, count: int) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        stacks.configure(Practice.current(), name="Fysio Bench", country="NL", sms_enabled=True)
        owner = User(email="owner@example.com", name="Owner", role=Role.OWNER)
        owner.set_password("bench-password")
        db.session.add(owner)
        db.session.execute(insert(Client), [{"first_name": "Bestaand", "last_name": str(index),
                                             "email": f"bestaand{index}@voorbeeld.nl"} for index in range(ALREADY)])
        db.session.commit()
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/login", data={"email": "owner@example.com", "password": "bench-password", "csrf_token": csrf})
    table = rows(count)
    figures = {}
    for name, content in (("klanten.csv", as_csv(table)), ("klanten.xlsx", as_xlsx(table))):
        with app.app_context():  # each format into the same practice as it was
            db.session.execute(delete(ConsentEvent))
            db.session.execute(delete(Client).where(Client.id > ALREADY))
            db.session.commit()
        steps = import_once(client, name, content)
        with app.app_context():
            made = db.session.scalar(select(func.count()).select_from(Client)) - ALREADY
        kind = name.rsplit(".", 1)[1]
        for step, seconds in steps.items():
            figures[f"{kind}: {step}"] = f"{seconds:.1f} MB" if step == "preview size" else f"{seconds:.1f} s"
        figures[f"{kind}: clients imported"] = f"{made:,} of {count:,}"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    stacks.add_argument(parser)
    args = parser.parse_args()
    stacks.run(args, f"import of {args.clients:,} clients through the owner's pages (in-process test client)",
               lambda url: measure(url, args.clients))


if __name__ == "__main__":
    main()
