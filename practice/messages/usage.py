"""SMS usage and what it costs, per month of the practice's calendar: only delivered segments are charged."""
import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from .. import localtime
from ..extensions import db
from ..settled import kept_each, settled_count
from ..enums import Channel, MessageStatus
from ..models import Message



@dataclass(frozen=True)
class Month:
    first_day: date
    sent: int  # SMS handed over to the gateway in this month
    delivered: int
    failed: int  # handed over (or tried) but not delivered: not charged
    segments: int  # delivered segments: what is charged
    cost_cents: int


def load_usage(first: date, last: date, tz: str) -> list[Month]:
    """Per month (in the practice's time zone) from `first` to `last` (today), newest first. Months long past
    are counted once and kept (settled.py); the recent ones are counted now, in one query."""
    starts = localtime.month_starts(first, last)
    done = settled_count(tuple(starts), last)
    figures = kept_each([f"usage:{tz}:{day:%Y-%m}" for day in starts[:done]], lambda: _count(starts[:done], tz))
    figures += _count(starts[done:], tz)
    return [Month(day, *values) for day, values in reversed(list(zip(starts, figures)))]


def _count(starts: list[date], tz: str) -> list[list[int]]:
    """sent, delivered, failed, segments and cost of the SMS handed over in each month: one query."""
    if not starts:
        return []
    start, end = localtime.midnight(starts[0], tz), localtime.month_end(starts[-1], tz)
    # Which month a message belongs to, as one CASE over the month boundaries: portable to every database.
    bucket = case(*[(Message.handed_over_at < localtime.month_end(day, tz), index) for index, day in enumerate(starts)],
                  else_=len(starts))
    delivered = Message.status == MessageStatus.DELIVERED
    rows = db.session.execute(
        select(bucket.label("month"), func.count(),
               func.sum(case((delivered, 1), else_=0)),
               func.sum(case((Message.status.in_(MessageStatus.failures()), 1), else_=0)),
               func.sum(case((delivered, Message.segments), else_=0)),
               func.sum(case((delivered, Message.price_cents), else_=0)))
        .where(Message.channel == Channel.SMS, Message.handed_over_at >= start, Message.handed_over_at < end)
        .group_by("month")).all()
    found = {row[0]: row[1:] for row in rows}
    return [[int(value or 0) for value in found.get(index, (0, 0, 0, 0, 0))] for index in range(len(starts))]


def euros(cents: int) -> str:
    """An amount as spreadsheets in any language read it: euros with a decimal point."""
    return f"{cents // 100}.{cents % 100:02d}"


def usage_csv(months: list[Month]) -> str:
    """The invoice lines as CSV: amounts in euros with a decimal point, for spreadsheets in any language."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "sms_sent", "sms_delivered", "sms_failed", "segments_charged", "cost_eur"])
    for month in months:
        writer.writerow([month.first_day.strftime("%Y-%m"), month.sent, month.delivered, month.failed,
                         month.segments, euros(month.cost_cents)])
    return out.getvalue()
