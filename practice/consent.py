"""SMS consent: one registration or withdrawal, with its event in the client's history and the audit trail. Used by
the client card at the desk and by a STOP reply."""
from dataclasses import dataclass

from .audit import services as audit
from .columns import utcnow
from .enums import AuditAction, ConsentSource
from .extensions import db
from .models import Client, ConsentEvent, User


@dataclass(frozen=True)
class ConsentChange:
    """A consent given or withdrawn, how it reached the practice, and a note."""

    granted: bool
    source: ConsentSource
    note: str


def add_consent_event(client: Client, change: ConsentChange, by: User | None) -> ConsentEvent:
    """The new state on the card and its event in the history, with who and when; the caller commits."""
    event = ConsentEvent(client=client, granted=change.granted, source=change.source, note=change.note.strip(),
                         recorded_by=by, recorded_at=utcnow())
    client.sms_consent = change.granted
    db.session.add(event)
    audit.record(AuditAction.CONSENT_GRANTED if change.granted else AuditAction.CONSENT_WITHDRAWN, client.id,
                 f"{change.source.value}: {change.note.strip()}", by=by)
    return event
