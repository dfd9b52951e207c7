"""The table of calendar feeds: one row per link ever made, its token kept only as a SHA-256."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import UTCDateTime, utcnow
from ..extensions import db


class CalendarFeed(db.Model):
    """A practitioner's private feed link. The token is shown once when it is made and never stored (only its
    hash), so a leaked database gives no working feed. A revoked link keeps its row (when it was made and by whom)
    but answers no more; a practitioner has at most one link that is not revoked."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the minute or so (services.READ_NOTED)
