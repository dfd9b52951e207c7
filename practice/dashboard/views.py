"""The dashboard page: the owner picks a period, the service does the counting."""
from datetime import UTC, datetime

from flask import Blueprint, request
from flask_babel import format_percent

from ..enums import Span
from ..htmx import is_htmx, render_page
from ..models import Practice
from ..periods import period_of
from ..web import owner_required
from . import services

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    """A share between 0 and 1 as a percentage in the reader's language; a dash when there is nothing to share."""
    return "–" if share is None else format_percent(share)


@bp.get("/")
@owner_required
def index():
    """The owner's morning page; the period selector swaps only the figures (htmx), attention stays put."""
    settings = Practice.current()
    period = period_of(request.args.get("period"), datetime.now(UTC), settings.timezone)
    dashboard = services.load_dashboard(period, settings, with_attention=not is_htmx())
    return render_page("dashboard/dashboard.html", "dashboard/_dashboard.html", dashboard=dashboard,
                       spans=list(Span))
