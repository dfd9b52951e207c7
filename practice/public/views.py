"""The client's public page: their appointment, a day to choose, the free times, and the move. No login;
the link is the key. Every answer is in the client's language and rate-limited."""
from datetime import UTC, datetime

from flask import Blueprint, abort, g, render_template, request

from ..audit import services as audit
from ..enums import AppointmentStatus
from ..errors import FieldError
from .. import localtime
from ..extensions import limiter
from ..htmx import render_fragment, render_page
from ..i18n import gettext as _
from ..web import day_argument, public, public_rate_limit
from ..models import Practice
from ..rescheduling import why_not_cancellable, why_not_movable
from . import services

bp = Blueprint("public", __name__, url_prefix="/r")


@bp.route("/<token>", methods=["GET", "POST"])
@public
@limiter.limit(public_rate_limit)
def appointment(token):
    """The page: moving (a time chosen, `start`, is shown beside the current one with a confirm button; only the
    confirm form's POST, action=confirm, moves the appointment) and cancelling (action=cancel asks, with the reason
    given; action=cancel-confirm cancels). What the practice's rules no longer allow is not offered, and the page
    says why."""
    found, settings, now, refusal = _opened(token)
    no_cancel = why_not_cancellable(found, settings, now)
    if refusal and no_cancel:
        status = 200 if request.method == "GET" else 409
        # Both cutoffs passed: say both; cancelled, past or switched off: the one reason says it all.
        cutoffs = (settings.online_rescheduling and settings.online_cancelling
                   and found.status == AppointmentStatus.BOOKED and found.start > now)
        reasons = [refusal, no_cancel] if cutoffs else [refusal]
        return render_template("public/closed.html", appointment=found, reasons=reasons), status
    action = request.form.get("action") if request.method == "POST" else None
    if action in ("cancel", "cancel-confirm"):
        return _cancel(found, settings, now, token, refusal, no_cancel, confirmed=action == "cancel-confirm")
    if refusal:
        return _page(found, token, settings, now, refusal, no_cancel, status=200 if request.method == "GET" else 409)
    day = day_argument("day", posted=True) or localtime.local_date(found.start, settings.timezone)
    chosen, problem, status = _chosen(found, settings, now)
    if request.method == "POST" and chosen is None and problem is None:
        problem, status = _("Choose one of the free times."), 400
    if chosen is not None and request.method == "POST" and action == "confirm":
        try:
            services.move_online(found, chosen, settings, now)
        except FieldError as refused:
            chosen, problem, status = None, refused.message, 409
        else:
            return render_template("public/moved.html", appointment=found)
    if chosen is not None:
        day = localtime.local_date(chosen, settings.timezone)
    return _page(found, token, settings, now, None, no_cancel, day=day, chosen=chosen, problem=problem, status=status)


def _page(found, token, settings, now, no_move, no_cancel, *, day=None, chosen=None, problem=None, status=200):
    """The page itself (or, for htmx, the free times): what may be done, and why not where something may not."""
    first, last = services.bookable_days(settings, now)
    day = min(max(day or localtime.local_date(found.start, settings.timezone), first), last)
    times = [] if chosen or no_move else services.free_times_for(found, day, settings, now)
    return render_page("public/appointment.html", "public/_times.html", status, appointment=found, token=token,
                       day=day, first=first, last=last, chosen=chosen, problem=problem, times=times,
                       no_move=no_move, no_cancel=no_cancel, reason_length=services.REASON_LENGTH)


def _cancel(found, settings, now, token, no_move, no_cancel, *, confirmed: bool):
    """Cancelling: first the question (with the reason given, which the confirm form carries), then the
    cancellation; refused with the reason why (409), or a reason too long (400), and nothing changes."""
    try:
        if no_cancel:
            raise FieldError(no_cancel)
        reason = services.checked_reason(request.form.get("reason", ""))
        if confirmed:
            services.cancel_online(found, reason, settings, now)
            return render_template("public/cancelled.html", appointment=found)
    except FieldError as refused:
        return _page(found, token, settings, now, no_move, no_cancel, problem=refused.message,
                     status=400 if refused.field == "reason" else 409)
    return render_template("public/cancel.html", appointment=found, token=token, reason=reason)


@bp.get("/<token>/times")
@public
@limiter.limit(public_rate_limit)
def times(token):
    """The free times of a day (htmx), or, with `start`, the confirm step for that time."""
    found, settings, now, refusal = _opened(token)
    if refusal:
        return render_fragment("public/_times.html", 409, appointment=found, token=token, day=None, times=[],
                               chosen=None, problem=refusal)
    chosen, problem, status = _chosen(found, settings, now)
    day = (localtime.local_date(chosen, settings.timezone) if chosen
           else day_argument("day") or services.bookable_days(settings, now)[0])
    return render_fragment("public/_times.html", status, appointment=found, token=token, day=day, chosen=chosen,
                           problem=problem, times=[] if chosen else services.free_times_for(found, day, settings, now))


def _chosen(found, settings, now):
    """The time the client tapped, if it is still one of the free times: (start, None, 200); else (None, why,
    status); (None, None, 200) when none was chosen."""
    text = request.values.get("start", "")
    if not text:
        return None, None, 200
    try:
        chosen = localtime.parse_moment(text)
    except ValueError:
        return None, _("Choose one of the free times."), 400
    if chosen not in services.free_times_for(found, localtime.local_date(chosen, settings.timezone), settings, now):
        return None, _("Sorry, that time is no longer free. Please choose another one."), 409
    return chosen, None, 200


@bp.after_request
def kept_nowhere(response):
    """The page shows a client's name and appointment: no cache keeps it, no next site learns its address."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.errorhandler(404)
@bp.errorhandler(429)
def friendly(error):
    """An unknown or broken link, or too many tries: a page the client understands, never a stack trace."""
    return render_template("public/problem.html", code=error.code), error.code


def _opened(token: str):
    """The appointment the link names (404 when none), the practice, now, and why it can no longer be moved
    online (None when it can)."""
    audit.acting_as(audit.CLIENT)
    found, settings, now = _appointment_or_404(token), Practice.current(), datetime.now(UTC)
    return found, settings, now, why_not_movable(found, settings, now)


def _appointment_or_404(token: str):
    found = services.find_by_token(token)
    if found is None:
        abort(404)
    g.language = found.client.language  # the page speaks the client's language
    return found


