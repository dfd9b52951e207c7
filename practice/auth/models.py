"""The tables of logging in: the sessions that are open, and the failed attempts per address."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..columns import UTCDateTime, utcnow


class UserSession(db.Model):
    """One login, from its start until it ends: by logging out, by signing out everywhere, by a password change or
    deactivation, or by the practice's idle and absolute lifetimes. The browser holds only the random key; its
    hash is stored, so the table gives nobody a usable session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(db.Model):
    """Failed logins for one address, known or not (the same answer for both tells nobody which exist): after a
    few, each next attempt waits twice as long."""

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
