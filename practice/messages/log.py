"""Reading the message log: a page at a time, newest first by when each message went out, or the planned ones by
when they are due; filtered by client, channel, status, kind and period. Every page is read along an index
(models.Message: ix_message_logged, ix_message_status_logged, ix_message_due) and continues from the last row of
the page before (keyset paging), so the first page and the thousandth cost the same."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, select, tuple_, union_all
from sqlalchemy.orm import aliased, joinedload

from .. import localtime
from ..columns import UTCDateTime
from ..enums import Channel, MessageKind, MessageStatus, NotSentReason
from ..errors import FieldError
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Appointment, Client, Message, Practice
from .planning import CHANGE_KINDS, reason_not_to_send

PAGE = 25  # rows a page shows: the table is what a request spends its time on (bench/http_pages.py)
LARGEST_ID = 2**31 - 1


@dataclass(frozen=True)
class Filters:
    """What the log shows, read from the query string so that a filtered page can be bookmarked. The status
    "planned" is the tab of the messages still to go out; every other status is part of the history."""
    status: MessageStatus | None = None
    channel: Channel | None = None
    kind: MessageKind | None = None
    client_id: int | None = None
    first_day: date | None = None
    last_day: date | None = None
    after: int | None = None  # the page continues after this message (older, or later due)...
    before: int | None = None  # ... or ends before this one (newer)

    @property
    def planned(self) -> bool:
        return self.status == MessageStatus.PLANNED

    @classmethod
    def read(cls, args: Mapping[str, str]) -> "Filters":
        """The filters in `args`; a value that cannot be read is refused with a FieldError naming its parameter."""
        return cls(status=_member(MessageStatus, args, "status", _l("There is no message status “%(value)s”.")),
                   channel=_member(Channel, args, "channel", _l("There is no channel “%(value)s”.")),
                   kind=_member(MessageKind, args, "kind", _l("There is no kind of message “%(value)s”.")),
                   client_id=_record_id(args, "client"), first_day=_day(args, "from"), last_day=_day(args, "to"),
                   after=_record_id(args, "after"), before=_record_id(args, "before"))


class Line(NamedTuple):
    """A message as the log lists it: read as a plain row, without its text (a page reads 25 of them, and the ORM's
    objects cost more than the query)."""

    id: int
    moment: datetime  # when it went out or ended; for a planned one, when it is due
    kind: MessageKind
    channel: Channel
    recipient: str
    segments: int
    status: MessageStatus
    reason: NotSentReason | None
    error: str
    appointment_id: int | None
    client_name: str | None  # the appointment's client


@dataclass(frozen=True)
class Page:
    messages: list[Line]
    newer: int | None  # the first message of this page, when there are newer ones to go back to
    older: int | None  # the last message of this page, when there are more after it


class _Shape(NamedTuple):
    """Which filters a page uses and which way it reads: its statement is built once per shape, with the values bound
    (putting a statement together costs SQLAlchemy more than running it; the card reads a page of the log too)."""

    planned: bool
    status: bool
    channel: bool
    kind: bool
    client: bool
    first_day: bool
    last_day: bool
    cursor: bool = False
    newest_first: bool = True


def _shape(filters: Filters) -> _Shape:
    return _Shape(filters.planned, filters.status is not None, filters.channel is not None, filters.kind is not None,
                  filters.client_id is not None, filters.first_day is not None, filters.last_day is not None)


def _key(planned: bool):
    return Message.due_at if planned else Message.logged_at


@cache
def _matching(shape: _Shape):
    key = _key(shape.planned)
    moment = UTCDateTime()
    query = select(Message).where(Message.status == bindparam("status") if shape.status
                                  else Message.status != MessageStatus.PLANNED)
    if shape.channel:
        query = query.where(Message.channel == bindparam("channel"))
    if shape.kind:
        query = query.where(Message.kind == bindparam("kind"))
    if shape.client:
        # Those about the client's appointments and those to them about none, each read along its own index. As one
        # condition with an OR the planner cannot tell how few match, and walks the whole log backwards
        # (bench/http_pages.py, "message log, one client").
        about, theirs, to = aliased(Message), aliased(Appointment), aliased(Message)
        query = query.where(Message.id.in_(union_all(
            select(about.id).join(theirs, about.appointment_id == theirs.id)
            .where(theirs.client_id == bindparam("client_id")),
            select(to.id).where(to.client_id == bindparam("client_id")))))
    if shape.first_day:
        query = query.where(key >= bindparam("from", type_=moment))
    if shape.last_day:
        query = query.where(key < bindparam("until", type_=moment))
    return query


def _values(filters: Filters, tz: str) -> dict:
    return {"status": filters.status, "channel": filters.channel, "kind": filters.kind, "client_id": filters.client_id,
            "from": localtime.midnight(filters.first_day, tz) if filters.first_day else None,
            "until": localtime.day_bounds(filters.last_day, tz)[1] if filters.last_day else None}


def matching(filters: Filters, tz: str):
    """The messages the filters let through (the page cursor aside): a query to export, and the values it takes."""
    return _matching(_shape(filters)), _values(filters, tz)


@cache
def _page_statement(shape: _Shape):
    key = _key(shape.planned)
    query = (_matching(shape)
             .with_only_columns(Message.id, key, Message.kind, Message.channel, Message.recipient, Message.segments,
                                Message.status, Message.reason, Message.error, Message.appointment_id,
                                Client.first_name, Client.last_name)
             .outerjoin_from(Message, Appointment, Message.appointment_id == Appointment.id)
             .outerjoin(Client, Appointment.client_id == Client.id)
             .limit(bindparam("size")))
    if shape.cursor:
        where = tuple_(bindparam("cursor_key", type_=UTCDateTime()), bindparam("cursor_id"))
        query = query.where(tuple_(key, Message.id) < where if shape.newest_first else tuple_(key, Message.id) > where)
    return query.order_by(*((key.desc(), Message.id.desc()) if shape.newest_first else (key.asc(), Message.id.asc())))


@cache
def _cursor_key(planned: bool):
    return select(_key(planned)).where(Message.id == bindparam("id"))


def load_page(filters: Filters, tz: str, size: int = PAGE) -> Page:
    """One page of the log; a page cursor that names no message is refused (FieldError)."""
    # The history runs newest first, the planned messages soonest first; "newer" walks the other way and turns.
    forward = filters.before is None
    newest_first = not filters.planned if forward else filters.planned
    cursor = filters.after if forward else filters.before
    values = _values(filters, tz) | {"size": size + 1, "cursor_id": cursor}
    if cursor is not None:
        values["cursor_key"] = db.session.scalar(_cursor_key(filters.planned), {"id": cursor})
        if values["cursor_key"] is None:
            raise FieldError(_l("This page of the log no longer exists; start again from the first page."),
                             "after" if forward else "before")
    shape = _shape(filters)._replace(cursor=cursor is not None, newest_first=newest_first)
    rows = [_line(*row) for row in db.session.execute(_page_statement(shape), values)]
    more, rows = len(rows) > size, rows[:size]
    if forward:
        return Page(rows, rows[0].id if rows and cursor else None, rows[-1].id if rows and more else None)
    rows.reverse()
    return Page(rows, rows[0].id if rows and more else None, rows[-1].id if rows else None)


def _line(*values) -> Line:
    *message, first_name, last_name = values  # the client's name as Client.name writes it
    return Line(*message, None if first_name is None else f"{first_name} {last_name}".strip())


@dataclass(frozen=True)
class Log:
    filters: Filters
    client: Client | None  # the client it is filtered by
    page: Page


def load_log(args: Mapping[str, str], tz: str) -> Log:
    """The page of the log the query string asks for; a value that cannot be read is refused (FieldError)."""
    filters = Filters.read(args)
    return Log(filters, load_client(filters.client_id), load_page(filters, tz))


def load_client(client_id: int | None) -> Client | None:
    """The client the log is filtered by, for its name; an id that names nobody is refused."""
    if client_id is None:
        return None
    client = db.session.get(Client, client_id)
    if client is None:
        raise FieldError(_l("There is no such client."), "client")
    return client


def _member(vocabulary, args: Mapping[str, str], name: str, message):
    value = args.get(name, "")
    if not value:
        return None
    if value not in set(vocabulary):
        raise FieldError(message % {"value": value[:40]}, name)
    return vocabulary(value)


def _record_id(args: Mapping[str, str], name: str) -> int | None:
    value = args.get(name, "")
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= LARGEST_ID:
        raise FieldError(_l("“%(value)s” is not a number of a record.", value=value[:40]), name)
    return int(value)


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name, "")
    if not value:
        return None
    try:
        return localtime.parse_day(value)
    except ValueError:
        raise FieldError(_l("“%(value)s” is not a date between %(first)s and %(last)s; write it as 2026-12-07.",
                            value=value[:40], first=localtime.FIRST_DAY, last=localtime.LAST_DAY), name) from None


@dataclass(frozen=True)
class AppointmentMessages:
    """The appointment panel's messages: each with the reason a planned one would not go out as things stand now,
    and until when its notices wait out the undo window (None: none waits)."""
    rows: list[tuple[Message, NotSentReason | None]]
    held_until: datetime | None


def load_for_appointment(appointment_id: int, practice: Practice, now: datetime) -> AppointmentMessages:
    messages = db.session.scalars(select(Message).where(Message.appointment_id == appointment_id,
                                                        Message.status != MessageStatus.WITHDRAWN)
                                  .options(joinedload(Message.events)).order_by(Message.due_at, Message.id)).unique()
    rows = [(message, reason_not_to_send(message, practice) if message.status == MessageStatus.PLANNED else None)
            for message in messages]
    held = [message.due_at for message, reason in rows if message.status == MessageStatus.PLANNED and not reason
            and message.kind in CHANGE_KINDS and message.due_at > now]
    return AppointmentMessages(rows, max(held, default=None))


def load_message(message_id: int) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id)
                             .options(joinedload(Message.events), joinedload(Message.appointment)))
