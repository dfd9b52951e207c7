"""The practice's catalogue as every part of the app lists it: practitioners, locations and appointment types.
Pickers show the active ones by name; the settings pages show all, the active first."""
from sqlalchemy import select

from .extensions import db
from .models import AppointmentType, Location, Practitioner


def _listings(model) -> tuple:
    every = select(model).order_by(model.active.desc(), model.name)
    return every, every.where(model.active)


# Built once, each model's list of all and of the active ones: the agenda and every form read them.
_LISTINGS = {model: _listings(model) for model in (Practitioner, Location, AppointmentType)}


def _listed(model, with_inactive: bool) -> list:
    every, active = _LISTINGS[model]
    return list(db.session.scalars(every if with_inactive else active))


def load_practitioners(*, with_inactive: bool = False) -> list[Practitioner]:
    return _listed(Practitioner, with_inactive)


def load_locations(*, with_inactive: bool = False) -> list[Location]:
    return _listed(Location, with_inactive)


def load_appointment_types(*, with_inactive: bool = False) -> list[AppointmentType]:
    return _listed(AppointmentType, with_inactive)
