"""The owner's data page: import clients and appointments from another program, and export them."""
from flask import Blueprint

from ..htmx import render_page
from ..web import owner_required
from .models import ImportUpload  # noqa: F401 (the table, for the metadata)

bp = Blueprint("data", __name__, url_prefix="/data")


@bp.get("/")
@owner_required
def index():
    return render_page("data/index.html", "data/index.html")
