"""The practice's catalogue as every part of the app lists it: practitioners, locations and appointment types.
Pickers show the active ones by name; the settings pages show all, the active first. The agenda, the app's busiest
page, keeps its lists and working hours in the process between changes to them (`remembered`)."""
import secrets
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import event, select

from .extensions import db
from .models import AppointmentType, Location, Practice, Practitioner, WorkingHours


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


class Entry(NamedTuple):
    """A practitioner or a location as the agenda lists it: plain values, which outlive the request."""

    id: int
    name: str
    active: bool


def agenda_practitioners() -> list[Entry]:
    """Every practitioner, the active first (an inactive one still shows with their appointments)."""
    return _entries(Practitioner, with_inactive=True)


def agenda_locations() -> list[Entry]:
    return _entries(Location, with_inactive=False)


def _entries(model, with_inactive: bool) -> list[Entry]:
    return remembered((model.__name__, with_inactive), lambda: [Entry(each.id, each.name, each.active)
                                                                for each in _listed(model, with_inactive)])


_REMEMBERED: dict[tuple, tuple[tuple, Any]] = {}
_AT_MOST = 256
_STAMPED = (Practitioner, Location, WorkingHours)  # what `remembered` keeps is read from these tables only


def remembered(key: tuple, read: Callable[[], Any]) -> Any:
    """What `read()` gives, kept in this process under `key` until the catalogue changes. Every change to it gives
    the practice a new random stamp in the same transaction (_stamp_changes), and every page reads the practice
    anyway: what was read under another stamp is read again. The stamp is read before the rows, so what is kept
    is never older than its stamp; a stamp that was rolled back is never seen again. Plain values only: an ORM
    object belongs to one session."""
    db.session.flush()  # a change still pending gets its stamp first (read() would flush it after the stamp's read)
    stamp = (db.engine.url, Practice.current().catalogue_stamp)  # a process may serve several databases (tests)
    kept = _REMEMBERED.get(key)
    if kept is None or kept[0] != stamp:
        if len(_REMEMBERED) >= _AT_MOST:  # keys come from addresses (a location's id): bounded all the same
            _REMEMBERED.clear()
        kept = _REMEMBERED[key] = (stamp, read())
    return kept[1]


@event.listens_for(db.session, "before_flush")
def _stamp_changes(session, flush_context, instances) -> None:
    """A practitioner, a location or working hours added, changed or removed: the practice gets a new stamp, written
    in the same flush. Writes that bypass the ORM's unit of work do not count (agenda.services.lock_agenda_of only
    locks, changing nothing)."""
    if any(isinstance(each, _STAMPED) for each in (*session.new, *session.dirty, *session.deleted)):
        Practice.current().catalogue_stamp = secrets.token_hex(8)
