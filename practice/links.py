"""The client's link to their appointment's public page: unguessable, no personal data in it, and never stored
(only its SHA-256 is), so a leaked database gives no working links. Pure: the secret and the appointment's
random nonce in, the token out."""
import base64
import hashlib
import hmac


def link_token(secret: str, appointment_id: int, nonce: str) -> str:
    """An HMAC of the appointment's random nonce with the secret key: the same in every message about it."""
    digest = hmac.new(secret.encode(), f"reschedule:{appointment_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 characters, no padding


def token_hash(token: str) -> str:
    """How the database finds an appointment by its token."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_a_token(token: str) -> bool:
    return 16 <= len(token) <= 64
