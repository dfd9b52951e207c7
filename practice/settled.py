"""Figures of time long enough ago that nothing changes them any more (messages are sent, reports in, no-shows
marked): counted once and kept, so a year of history costs its first count, not every page view.

A stretch of buckets is settled when its last bucket ended SETTLED_AFTER ago; the rest is counted live. The
worker warms the figures every night (tasks.warm_figures), so the morning's first view is fast too.

What is counted live is kept too, for a minute (kept_for): the owner's dashboard, read by everyone who opens it
in that minute, says when it was counted and can be counted again at once.
"""
import json
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import SettledFigure

SETTLED_AFTER = timedelta(days=14)  # delivery reports (48 h at most), retries (hours) and no-show marks (days)


def settled_count(starts: tuple[date, ...], today: date) -> int:
    """How many of the buckets beginning on `starts` are settled: each ended before today - SETTLED_AFTER.
    The last bucket runs up to now, so it never is."""
    limit = today - SETTLED_AFTER
    return sum(1 for following in starts[1:] if following <= limit)


def kept_each(keys: list[str], count_all) -> list:
    """One stored figure per key (a settled month or week); if any is missing, `count_all()` counts them all
    at once (a list in the order of `keys`) and the missing ones are kept."""
    if not keys:
        return []
    found = {row.key: row for row in db.session.query(SettledFigure).filter(SettledFigure.key.in_(keys))}
    if len(found) == len(keys):
        return [json.loads(found[key].payload) for key in keys]
    values = count_all()
    try:
        db.session.add_all(SettledFigure(key=key, payload=json.dumps(value))
                           for key, value in zip(keys, values) if key not in found)
        db.session.commit()
    except IntegrityError:  # counted at the same moment by another request: theirs is the same
        db.session.rollback()
    return values


def kept_for(key: str, now: datetime, fresh_for: timedelta, count, again: bool = False):
    """The value kept under `key` if it was counted less than `fresh_for` before `now` (and `again` is not asked),
    else `count()`, kept with `now` as its time."""
    row = db.session.get(SettledFigure, key)
    if row is not None and not again and now - fresh_for < row.computed_at <= now:
        return json.loads(row.payload)
    value = count()
    if row is None:
        db.session.add(SettledFigure(key=key, payload=json.dumps(value), computed_at=now))
    else:
        row.payload, row.computed_at = json.dumps(value), now
    try:
        db.session.commit()
    except IntegrityError:  # counted at the same moment by another request
        db.session.rollback()
    return value
