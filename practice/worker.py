"""The Huey consumer's own bookkeeping: when it last ran."""
from datetime import datetime

from sqlalchemy import select

from .extensions import db
from .columns import utcnow
from .models import WorkerBeat


def store_heartbeat() -> datetime:
    beat = db.session.scalar(select(WorkerBeat).limit(1)) or WorkerBeat()
    beat.seen_at = utcnow()
    db.session.add(beat)
    db.session.commit()
    return beat.seen_at


def load_last_heartbeat() -> datetime | None:
    return db.session.scalar(select(WorkerBeat.seen_at).limit(1))
