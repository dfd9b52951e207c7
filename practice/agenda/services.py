"""Reading and changing the agenda."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Location, Practitioner


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC moments where a local day starts and ends (23 or 25 hours long on a DST change)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def load_appointments(start: datetime, end: datetime, *, practitioner_id=None, location_id=None):
    query = (
        select(Appointment)
        .where(Appointment.start < end, Appointment.end > start)
        .where(Appointment.status != AppointmentStatus.CANCELLED)
        .options(
            joinedload(Appointment.client),
            joinedload(Appointment.appointment_type),
            joinedload(Appointment.practitioner),
            joinedload(Appointment.location),
        )
        .order_by(Appointment.start)
    )
    if practitioner_id:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    if location_id:
        query = query.where(Appointment.location_id == location_id)
    return list(db.session.scalars(query))


def load_practitioners() -> list[Practitioner]:
    return list(db.session.scalars(select(Practitioner).where(Practitioner.active).order_by(Practitioner.name)))


def load_locations() -> list[Location]:
    return list(db.session.scalars(select(Location).where(Location.active).order_by(Location.name)))
