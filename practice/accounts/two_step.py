"""Two-step login with any authenticator app (RFC 6238 TOTP, through pyotp): switching it on with a QR code made
here (segno, no outside service), checking a code once, and ten one-time recovery codes for a lost phone."""
import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select, update

from ..audit import services as audit
from ..enums import AuditAction
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import User
from .models import RecoveryCode

RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer or "practice")


def qr_code(uri: str) -> str:
    """The QR code as an SVG data URI (the page's CSP allows images from data: and itself only)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def switch_on(user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Two-step login on, once a code from the app shows it was set up right; returns the recovery codes, shown
    once. Every other session of the user ends (the caller keeps this one)."""
    step = _matching_step(secret, code, now)
    if step is None:
        raise FieldError(_l("This code is not right. Check the time on your phone and enter the code shown now."),
                         "code")
    user.totp_secret, user.two_step_since, user.totp_last_step = secret, now, step
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id).values(used_at=now))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    audit.record(AuditAction.TWO_STEP_ON, user.id, by=user)
    db.session.commit()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def switch_off(user: User, password: str, now: datetime) -> None:
    if not user.check_password(password):
        raise FieldError(_l("This is not your current password."), "password")
    user.totp_secret, user.two_step_since, user.totp_last_step = None, None, None
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
                       .values(used_at=now))
    audit.record(AuditAction.TWO_STEP_OFF, user.id, by=user)
    db.session.commit()


def verify(user: User, code: str, now: datetime) -> bool:
    """The second step: a code from the app, good once (not again in the same 30 seconds, not an older one), or
    an unused recovery code."""
    code = "".join(c for c in code if c.isdigit())
    if user.totp_secret and len(code) == 6:
        step = _matching_step(user.totp_secret, code, now)
        if step is not None and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            db.session.commit()
            return True
    if len(code) == 10:
        recovery = db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.code_hash == _digest(code),
                                                                RecoveryCode.used_at.is_(None)))
        if recovery is not None:
            recovery.used_at = now
            db.session.commit()
            return True
    return False


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second time step (this one or either neighbour, for clocks a little off) whose code is `code`."""
    totp, step = pyotp.TOTP(secret), int(now.timestamp()) // 30
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
