"""Links in messages: the client's link to their appointment's public page, and a colleague's invitation or
password reset. Unguessable, no personal data in them, and never stored (only their SHA-256 is), so a leaked
database gives no working links. Pure: the secret and the appointment's
random nonce in, the token out."""
import base64
import hashlib
import hmac


def link_token(secret: str, appointment_id: int, nonce: str) -> str:
    """The client's link to their appointment: the same in every message about it."""
    return token_for(secret, "reschedule", appointment_id, nonce)


def offer_token(secret: str, offer_id: int, nonce: str) -> str:
    """A waiting client's link to a freed time offered to them."""
    return token_for(secret, "offer", offer_id, nonce)


def token_for(secret: str, purpose: str, record_id: int, nonce: str) -> str:
    """An HMAC of a record's random nonce with the secret key: a link that can be made again when a message is
    sent (so no message or table holds it) and found again by its hash."""
    digest = hmac.new(secret.encode(), f"{purpose}:{record_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 characters, no padding


def token_hash(token: str) -> str:
    """How the database finds an appointment by its token."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_a_token(token: str) -> bool:
    return 16 <= len(token) <= 64
