"""Writing the audit trail and reading it. Every domain notes its actions here, in the same transaction as the
change itself (so the trail holds exactly what was stored); nothing here changes or removes a row."""
from dataclasses import dataclass
from datetime import date

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from .. import localtime
from ..enums import AuditAction
from ..extensions import db
from ..columns import utcnow
from ..models import User
from .models import AuditEvent

CLIENT, SYSTEM = "client", "system"  # who acted when no user did: a client on the public page, or the app itself
PAGE = 50


def acting_as(actor: str) -> None:
    """For the rest of this request, actions without a logged-in user are the client's (the public page)."""
    g.audit_actor = actor


def record(action: AuditAction, subject_id: int | None, detail: str = "", *, by: User | None = None) -> None:
    """Note an action, by `by` or else the logged-in user; not committed: the service that made the change commits
    both."""
    user = by or (current_user if has_request_context() and current_user.is_authenticated else None)
    actor = user.name if user is not None else (g.get("audit_actor", SYSTEM) if has_request_context() else SYSTEM)
    db.session.add(AuditEvent(at=utcnow(), user_id=user.id if user is not None else None, actor=actor[:120],
                              action=action, subject=action.subject, subject_id=subject_id, detail=detail[:500]))


_TRAIL = (select(AuditEvent).where(AuditEvent.subject == bindparam("subject"),
                                   AuditEvent.subject_id == bindparam("subject_id"))
          .order_by(AuditEvent.at, AuditEvent.id))  # built once: every card and panel shows a trail


def load_for(subject: str, subject_id: int) -> list[AuditEvent]:
    """The trail of one appointment, client or user, oldest first."""
    return list(db.session.scalars(_TRAIL, {"subject": subject, "subject_id": subject_id}))


@dataclass(frozen=True)
class Filters:
    user_id: int | None = None
    subject: str = ""
    first_day: date | None = None
    last_day: date | None = None
    page: int = 1


def load_page(filters: Filters, tz: str) -> tuple[list[AuditEvent], int]:
    """One page of the whole trail, newest first, and how many rows match in all."""
    query = select(AuditEvent)
    if filters.user_id:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.subject:
        query = query.where(AuditEvent.subject == filters.subject)
    if filters.first_day:
        query = query.where(AuditEvent.at >= localtime.midnight(filters.first_day, tz))
    if filters.last_day:
        query = query.where(AuditEvent.at < localtime.day_bounds(filters.last_day, tz)[1])
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.options(joinedload(AuditEvent.user))
                              .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                              .limit(PAGE).offset((max(filters.page, 1) - 1) * PAGE))
    return list(rows), total
