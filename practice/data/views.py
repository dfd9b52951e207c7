"""The owner's data page: import clients and appointments from another program (upload, map the columns, read the
preview, import or cancel), export clients, appointments and the message log, and a client's data: all of it on
request, or erased."""
import json
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from .. import localtime
from ..enums import ImportOutcome
from ..errors import FieldError
from ..extensions import db
from ..htmx import render_page
from ..i18n import gettext as _
from ..messages import log as message_log
from ..models import Client, Practice
from ..web import day_argument, owner_required
from . import backup, client_data, exports, imports, tabular
from .models import ImportUpload

bp = Blueprint("data", __name__, url_prefix="/data")


@bp.get("/")
@owner_required
def index(problem: FieldError | None = None, status: int = 200):
    today = localtime.today(datetime.now(UTC), Practice.current().timezone)
    folder = backup.backup_folder()
    return render_page("data/index.html", "data/index.html", status, problem=problem, kinds=imports.KIND_LABELS,
                       first=today, last=today + timedelta(days=90), backup_folder=folder,
                       backup_at=backup.newest_backup(folder))


@bp.post("/import")
@owner_required
def upload():
    file = request.files.get("file")
    try:
        stored = imports.store_upload(request.form.get("kind", ""), file.filename if file else "",
                                      file.read() if file else b"", current_user)
    except FieldError as problem:
        return index(problem, 422)
    return redirect(url_for("data.mapping", upload_id=stored.id))


@bp.get("/import/<int:upload_id>")
@owner_required
def mapping(upload_id: int, chosen: imports.Mapping | None = None, problem: FieldError | None = None,
            status: int = 200):
    upload = db.get_or_404(ImportUpload, upload_id)
    sheets = imports.sheets_of(upload.filename, upload.content)
    sheet = imports.sheet_named(upload, chosen.sheet if chosen else request.args.get("sheet", ""), sheets)
    columns = list(chosen.columns) if chosen else tabular.guess_mapping(sheet.headers, upload.kind)
    return render_page("data/mapping.html", "data/mapping.html", status, upload=upload, sheets=sheets, sheet=sheet,
                       columns=columns, fields=tabular.FIELDS[upload.kind], labels=imports.FIELD_LABELS,
                       kinds=imports.KIND_LABELS, problem=problem)


def _chosen(upload: ImportUpload) -> imports.Mapping:
    return imports.checked_mapping(upload, request.form.get("sheet", ""), request.form.getlist("column"))


@bp.post("/import/<int:upload_id>/preview")
@owner_required
def preview(upload_id: int):
    upload = db.get_or_404(ImportUpload, upload_id)
    try:
        chosen = _chosen(upload)
    except FieldError as problem:
        return mapping(upload_id, imports.Mapping(request.form.get("sheet", ""),
                                                  tuple(request.form.getlist("column"))), problem, 422)
    result = imports.preview_import(upload, chosen, datetime.now(UTC))
    return render_page("data/preview.html", "data/preview.html", upload=upload, chosen=chosen, preview=result,
                       labels=imports.FIELD_LABELS, kinds=imports.KIND_LABELS)


@bp.post("/import/<int:upload_id>/run")
@owner_required
def run(upload_id: int):
    upload = db.get_or_404(ImportUpload, upload_id)
    try:
        chosen = _chosen(upload)
    except FieldError as problem:
        abort(400, description=problem.message)
    result = imports.run_import(upload, chosen, current_user, datetime.now(UTC))
    flash(_("%(new)s imported from %(file)s; %(duplicates)s already there and %(errors)s left out.",
            new=result.count(ImportOutcome.NEW), file=result.filename,
            duplicates=result.count(ImportOutcome.DUPLICATE),
            errors=result.count(ImportOutcome.ERROR)), "success")
    return redirect(url_for("data.index"))


@bp.post("/import/<int:upload_id>/cancel")
@owner_required
def cancel(upload_id: int):
    imports.drop_upload(db.get_or_404(ImportUpload, upload_id))
    flash(_("Import cancelled: nothing was imported."), "success")
    return redirect(url_for("data.index"))


# --- one client's data: on request, and erased -------------------------------------------------------------------

@bp.get("/clients/<int:client_id>.json")
@owner_required
def client_json(client_id):
    """Everything the practice holds on the client, as one file to hand them."""
    document = client_data.export_client_data(db.get_or_404(Client, client_id), "json")
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="client-{client_id}.json"'})


@bp.get("/clients/<int:client_id>")
@owner_required
def client_page(client_id):
    """The same as a page to read or print."""
    client = db.get_or_404(Client, client_id)
    return render_page("data/client.html", "data/client.html", client=client,
                       document=client_data.export_client_data(client, "page"))


@bp.route("/clients/<int:client_id>/erase", methods=["GET", "POST"])
@owner_required
def erase(client_id):
    """What erasure removes and what stays, and the owner confirms it by typing the client's name."""
    client = db.get_or_404(Client, client_id)
    typed, problem = request.form.get("name", ""), None
    if request.method == "POST":
        try:
            client_data.erase_client(client, typed, current_user, datetime.now(UTC))
        except FieldError as refused:
            problem = refused.message
        else:
            flash(_("The client's data is erased; their appointments stay as anonymous history."), "info")
            return redirect(url_for("clients.card", client_id=client.id), 303)
    return render_page("data/erase.html", "data/erase.html", 422 if problem else 200, client=client,
                       outline=client_data.load_erasure_outline(client, datetime.now(UTC)), typed=typed,
                       problem=problem)


@bp.get("/export/<what>.<form>")
@owner_required
def export(what: str, form: str):
    if what not in exports.WHAT or form not in exports.FORMATS:
        abort(404)
    tz = Practice.current().timezone
    if what == "clients":
        rows, detail = exports.client_rows(), ""
    elif what == "appointments":
        today = localtime.today(datetime.now(UTC), tz)
        first, last = day_argument("from") or today, day_argument("to") or today
        if last < first:
            abort(400, description=_("The last day comes before the first."))
        rows, detail = exports.appointment_rows(first, last, tz), f"{first}–{last}"
    else:
        try:
            filters = message_log.Filters.read(request.args)
        except FieldError as problem:
            abort(400, description=problem.message)
        rows, detail = exports.message_rows(filters, tz), request.query_string.decode()[:200]
    content = exports.export(rows, what, form, detail)
    return Response(content, mimetype=exports.FORMATS[form],
                    headers={"Content-Disposition": f'attachment; filename="{what}.{form}"'})
