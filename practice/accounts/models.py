"""The tables of accounts: one-time links for invitations and password resets, and two-step recovery codes."""
import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..enums import Role
from ..extensions import db
from ..columns import EnumText, UTCDateTime, utcnow


class LinkPurpose(enum.StrEnum):
    INVITE = "invite"
    RESET = "reset"


class AccountLink(db.Model):
    """A one-time link sent by e-mail: an invitation (who, which role) or a password reset (whose). The link is
    made again from `nonce` with the secret key when the message goes out; the table holds its hash only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[LinkPurpose] = mapped_column(EnumText(LinkPurpose, 10))
    nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role | None] = mapped_column(EnumText(Role, 10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # a reset's user; the invitee once joined
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """One of ten codes that stand in for the authenticator once each; stored as a hash."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
