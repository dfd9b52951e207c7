"""The owner's page of the whole audit trail, filtered by who, what kind of thing and when."""
from flask import Blueprint, request

from ..enums import AuditSubject
from ..extensions import db
from ..htmx import render_page
from ..models import Practice, User
from ..web import day_argument, id_argument, owner_required
from . import services

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@owner_required
def index():
    filters = services.Filters(user_id=id_argument("user"),
                               subject=request.args.get("subject") if request.args.get("subject") in set(AuditSubject) else "",
                               first_day=day_argument("from"), last_day=day_argument("to"),
                               page=min(max(request.args.get("page", 1, type=int), 1), 10_000))
    events, total = services.load_page(filters, Practice.current().timezone)
    users = list(db.session.scalars(db.select(User).order_by(User.name)))
    return render_page("audit/index.html", "audit/_events.html", events=events, total=total, filters=filters,
                       users=users, subjects=list(AuditSubject), page_size=services.PAGE)
