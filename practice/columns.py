"""Column types every table uses: aware UTC datetimes on every database, and StrEnums stored as their text."""
from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.types import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database: SQLite keeps no zone, so we strip and restore it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            # The text SQLAlchemy wrote ("2026-12-03 07:00:00.000000"), read as UTC in one step: parsing it and
            # then setting the zone costs five times as much, and the agenda's day reads hundreds.
            return lambda text: None if text is None else datetime.fromisoformat(text + "+00:00")
        if dialect.name == "postgresql":  # aware, in the connection's zone, which app.py sets to UTC
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value, dialect):  # any other database's: aware, in the connection's zone
        return None if value is None else value.astimezone(timezone.utc)


class EnumText(TypeDecorator):
    """A StrEnum stored as its plain text value and read back as the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int):
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)
