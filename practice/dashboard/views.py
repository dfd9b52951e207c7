"""The dashboard page: the owner picks a period, the service does the counting."""
from datetime import UTC, datetime

from flask import Blueprint, request
from flask_babel import format_percent
from flask_babel import lazy_gettext as _l

from ..htmx import is_htmx, render_page
from ..web import owner_required
from ..models import Practice
from . import services
from .services import Outcome

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

PERIOD_LABELS = {"4w": _l("Last 4 weeks"), "3m": _l("Last 3 months"), "12m": _l("Last 12 months")}
OUTCOME_LABELS = {
    Outcome.DELIVERED: _l("Delivered"),
    Outcome.HANDED_OVER: _l("Sent, no delivery report"),
    Outcome.FAILED: _l("Failed"),
    Outcome.NOT_SENT: _l("Not sent"),
}


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    """A share between 0 and 1 as a percentage in the reader's language; a dash when there is nothing to share."""
    return "–" if share is None else format_percent(share)


@bp.get("/")
@owner_required
def index():
    """The owner's morning page; the period selector swaps only the figures (htmx), attention stays put."""
    settings = Practice.current()
    period = services.period_of(request.args.get("period"), datetime.now(UTC), settings.timezone)
    dashboard = services.load_dashboard(period, settings, with_attention=not is_htmx())
    return render_page("dashboard/dashboard.html", "dashboard/_dashboard.html", dashboard=dashboard,
                       periods=PERIOD_LABELS, outcomes=OUTCOME_LABELS)
