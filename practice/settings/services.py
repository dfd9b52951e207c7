"""The practice's own settings."""
from ..extensions import db
from ..models import Practice


def store_practice(practice: Practice, *, name, email, phone, timezone, country, subdivision, sms_enabled) -> None:
    practice.name, practice.email, practice.phone = name.strip(), email.strip(), phone.strip()
    practice.timezone, practice.country = timezone, country
    practice.subdivision = subdivision or None
    practice.sms_enabled = sms_enabled
    db.session.commit()
