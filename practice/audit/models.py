"""The audit trail's one table: rows are added, never changed or removed by the app."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..enums import AuditAction
from ..extensions import db
from ..columns import EnumText, UTCDateTime, utcnow
from ..i18n import lazy_gettext as _l
from ..models import User


class AuditEvent(db.Model):
    """One action: when, by whom (a user; or, without one, `actor` says who: the client online, the system), on
    what (`subject` and its id) and in words (`detail`, as it was at that moment)."""

    __table_args__ = (Index("ix_audit_event_subject", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    actor: Mapped[str] = mapped_column(String(120), default="")  # the user's name then, or "online", "system"
    action: Mapped[AuditAction] = mapped_column(EnumText(AuditAction, 40))
    subject: Mapped[str] = mapped_column(String(20))  # appointment, client, settings, template, user
    subject_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[User | None] = relationship()

    @property
    def actor_label(self) -> str:
        """Who acted, as the trail shows it: a user's name (as it was then), the client online, or the app."""
        if self.user_id is not None:
            return self.actor
        return str(_l("the client, online")) if self.actor == "client" else str(_l("the system"))
