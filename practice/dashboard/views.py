"""The dashboard page: the owner picks a period, the service does the counting.

Each part of the page is written once a minute and kept (settled.kept_for): everyone who opens the dashboard in
that minute reads the same page, which says when it was counted; "count now" counts it at once."""
from datetime import UTC, datetime, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import format_percent, get_locale
from markupsafe import Markup

from ..enums import Span
from ..htmx import is_htmx
from ..models import Practice
from ..periods import period_of
from ..settled import kept_for
from ..web import owner_required
from . import services

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

FRESH_FOR = timedelta(minutes=1)


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    """A share between 0 and 1 as a percentage in the reader's language; a dash when there is nothing to share."""
    return "–" if share is None else format_percent(share)


@bp.get("/")
@owner_required
def index():
    """The owner's morning page; the period selector swaps only the figures (htmx), attention stays put."""
    settings = Practice.current()
    now = datetime.now(UTC)
    period = period_of(request.args.get("period"), now, settings.timezone)
    again = bool(request.args.get("again"))
    figures = _kept(f"figures:{period.name}", settings.timezone, now, again, lambda: render_template(
        "dashboard/_dashboard.html", dashboard=services.load_dashboard(period), spans=list(Span), counted_at=now))
    if is_htmx():
        return figures
    attention = _kept("attention", settings.timezone, now, again, lambda: render_template(
        "dashboard/_attention.html", attention=services.load_attention(now, settings), counted_at=now))
    if again:  # counted and kept: the address without "again", so that reloading reads what was counted
        return redirect(url_for("dashboard.index", period=period.name))
    return render_template("dashboard/dashboard.html", figures=figures, attention=attention)


def _kept(part: str, zone: str, now: datetime, again: bool, render) -> Markup:
    """A part of the page as written for this language and time zone less than FRESH_FOR ago, or written now."""
    return Markup(kept_for(f"page:dashboard:{part}:{get_locale()}:{zone}", now, FRESH_FOR, render, again=again))
