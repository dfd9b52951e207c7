"""The client's link to their appointment's public page: unguessable, no personal data in it, and the
database never holds it (only its SHA-256), so a leaked database gives no working links."""
import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Appointment


def link_token(appointment: Appointment) -> str:
    """The appointment's token: an HMAC of its random nonce with the secret key, the same in every message.
    Notes its hash on the appointment (committed with the message that carries it)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"reschedule:{appointment.id}:{appointment.link_nonce}".encode(), hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 characters, no padding
    appointment.link_hash = _hash(token)
    return token


def reschedule_url(appointment: Appointment) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/r/{link_token(appointment)}"


def find_by_token(token: str) -> Appointment | None:
    if not 16 <= len(token) <= 64:
        return None
    return db.session.scalar(select(Appointment).where(Appointment.link_hash == _hash(token)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
