"""The client's public page: their appointment, a day to choose, the free times, and the move. No login;
the link is the key. Every answer is in the client's language and rate-limited."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import gettext as _

from ..errors import FieldError
from ..extensions import limiter
from ..htmx import render_fragment, render_page
from ..web import public
from ..models import Practice
from . import services

bp = Blueprint("public", __name__, url_prefix="/r")


def _limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


@bp.route("/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit)
def appointment(token):
    found, settings, now, refusal = _opened(token)
    if refusal:
        status = 200 if request.method == "GET" else 409
        return render_template("public/closed.html", appointment=found, reason=refusal), status
    first, last = services.bookable_days(settings, now)
    day = _day(request.values.get("day")) or found.start.astimezone(_zone()).date()
    day = min(max(day, first), last)
    problem, status = None, 200
    if request.method == "POST":
        try:
            chosen = datetime.fromisoformat(request.form.get("start", ""))
            if chosen.tzinfo is None:
                raise ValueError("naive")
        except ValueError:
            problem, status = _("Choose one of the free times."), 400
        else:
            try:
                services.move_online(found, chosen.astimezone(UTC), settings, now)
            except FieldError as refused:
                problem, status = refused.message, 409
                day = chosen.astimezone(_zone()).date()
            else:
                return render_template("public/moved.html", appointment=found)
    times = services.free_times_for(found, day, settings, now)
    return render_page("public/appointment.html", "public/_times.html", status, appointment=found, token=token,
                       day=day, first=first, last=last, times=times, problem=problem)


@bp.get("/<token>/times")
@public
@limiter.limit(_limit)
def times(token):
    found, settings, now, refusal = _opened(token)
    if refusal:
        return render_fragment("public/_times.html", 409, appointment=found, token=token, day=None, times=[],
                               problem=refusal)
    day = _day(request.args.get("day")) or services.bookable_days(settings, now)[0]
    return render_fragment("public/_times.html", appointment=found, token=token, day=day,
                           times=services.free_times_for(found, day, settings, now), problem=None)


@bp.errorhandler(404)
@bp.errorhandler(429)
def friendly(error):
    """An unknown or broken link, or too many tries: a page the client understands, never a stack trace."""
    return render_template("public/problem.html", code=error.code), error.code


def _opened(token: str):
    """The appointment the link names (404 when none), the practice, now, and why it can no longer be moved
    online (None when it can)."""
    found, settings, now = _appointment_or_404(token), Practice.current(), datetime.now(UTC)
    return found, settings, now, services.why_not_movable(found, settings, now)


def _appointment_or_404(token: str):
    found = services.find_by_token(token)
    if found is None:
        abort(404)
    g.language = found.client.language  # the page speaks the client's language
    return found


def _zone() -> ZoneInfo:
    return ZoneInfo(Practice.current().timezone)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None

