from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, request

from .. import practice
from ..htmx import render_page
from . import services

bp = Blueprint("agenda", __name__, url_prefix="/agenda")


def _requested_day(tz: str) -> date:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return datetime.now(ZoneInfo(tz)).date()


@bp.get("/")
def day():
    tz = practice().timezone
    shown = _requested_day(tz)
    practitioner_id = request.args.get("practitioner", type=int)
    location_id = request.args.get("location", type=int)
    start, end = services.day_bounds(shown, tz)
    appointments = services.load_appointments(
        start, end, practitioner_id=practitioner_id, location_id=location_id
    )
    return render_page(
        "agenda/day.html",
        "agenda/_day.html",
        day=shown,
        appointments=appointments,
        practitioners=services.load_practitioners(),
        locations=services.load_locations(),
        practitioner_id=practitioner_id,
        location_id=location_id,
    )
