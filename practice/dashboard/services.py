"""The owner's dashboard: online moves, messages per channel and outcome, SMS usage, no-shows beside reminders,
and what needs attention. Each figure is one GROUP BY over CASE buckets cut at midnight in the practice's time
zone (as messages/usage.py does), so a year of history costs a few queries, never a loop over its rows."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from sqlalchemy import and_, case, func, literal_column, not_, or_, select

from .. import charts, localtime
from ..data.backup import backup_folder, newest_backup
from ..extensions import db
from ..messages.budget import Budget, load_budget
from ..messages.planning import reaches, why_not
from ..messages.usage import Month, load_usage
from ..periods import Period
from ..settled import kept_each, settled_count
from ..enums import (
    AppointmentStatus, Channel, Channels, ConsentSource, MessageKind, MessageStatus, NotSentReason, Outcome,
)
from ..inbox.models import InboundSms
from ..models import Appointment, Client, ConsentEvent, Message, OnlineMove, Practice
from ..worker import load_last_heartbeat

UPCOMING = timedelta(days=14)  # how far ahead unreachable clients are worth a call now
FAILED_WITHIN = timedelta(days=7)  # "failed in the last days"
FAILED_DUE_WITHIN = timedelta(days=30)  # a failure is reported within days of the sending, never a month later
WORKER_SILENT_AFTER = timedelta(minutes=5)  # the heartbeat runs every minute (tasks.heartbeat)
BACKUP_OLD_AFTER = timedelta(days=2)  # the worker makes one every night (tasks.store_nightly_backup)
LIST_LIMIT = 20  # rows per list; the heading says how many there are in all
SHOWN_MOVES = 25
NARROW = timedelta(days=120)  # up to about four months: see _load_messages


# Planned, being sent and withdrawn messages have no outcome yet (or never will): the charts leave them out.
OUTCOMES = [status for status in MessageStatus if status.outcome]
NEEDS_A_LOOK = MessageStatus.with_outcome(Outcome.FAILED)  # failed, or in doubt
WENT_OUT = [status for status in MessageStatus if status.went_out]
CHANNEL_ORDER = (Channel.EMAIL, Channel.SMS)
KEPT = (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)  # appointments that were not cancelled


# --- the figures ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoShowMonth:
    first_day: date
    appointments: int  # booked or no-show, begun before now
    no_shows: int
    reminded: int  # got a reminder that was handed over or delivered
    no_shows_reminded: int

    @property
    def no_show_rate(self) -> float | None:
        return _share(self.no_shows, self.appointments)

    @property
    def reminder_share(self) -> float | None:
        return _share(self.reminded, self.appointments)

    @property
    def rate_with_reminder(self) -> float | None:
        return _share(self.no_shows_reminded, self.reminded)

    @property
    def rate_without_reminder(self) -> float | None:
        return _share(self.no_shows - self.no_shows_reminded, self.appointments - self.reminded)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Unreachable:
    """An upcoming appointment whose client no reminder can reach, and why on each channel."""

    appointment_id: int
    start: datetime
    client_id: int
    client_name: str
    reasons: tuple[NotSentReason, ...]


@dataclass
class Attention:
    unreachable: list[Unreachable]
    unreachable_total: int
    failed: list  # rows: id, kind, channel, recipient, status, error, status_at, appointment_id, client_id, name
    failed_total: int
    worker_seen_at: datetime | None
    worker_alive: bool
    overdue: int  # planned messages past their time: what a stopped worker leaves behind
    sms_budget: Budget | None = None  # this month's, when the practice set one
    backup_at: datetime | None = None  # when the newest backup in BACKUP_DIR was made
    backup_old: bool = False  # none, or older than BACKUP_OLD_AFTER

    @property
    def anything(self) -> bool:
        return bool(self.unreachable_total or self.failed_total or not self.worker_alive or self.overdue
                    or (self.sms_budget and self.sms_budget.nearly_spent) or self.backup_old)


@dataclass
class Dashboard:
    period: Period
    moves: list  # rows: id, appointment_id, from_start, to_start, moved_at, client_id, first_name, last_name
    moves_per_week: list[int]
    messages: dict[Channel, dict[Outcome, list[int]]]  # per channel and outcome, one count per bucket
    reasons: list[tuple[NotSentReason, dict[Channel, int]]]  # why messages were not sent, most frequent first
    usage: list[Month]  # newest first, as on the invoices page
    no_shows: list[NoShowMonth]  # oldest first
    replies: "Replies | None" = None
    channels: tuple[Channel, ...] = CHANNEL_ORDER
    outcomes: tuple[Outcome, ...] = tuple(Outcome)

    @property
    def moves_total(self) -> int:
        return sum(self.moves_per_week)

    def total(self, channel: Channel, outcome: Outcome | None = None) -> int:
        outcomes = [outcome] if outcome else list(Outcome)
        return sum(sum(self.messages[channel][each]) for each in outcomes)

    @property
    def usage_cost_cents(self) -> int:
        return sum(month.cost_cents for month in self.usage)

    @cached_property
    def moves_chart(self) -> charts.ColumnChart:
        return charts.column_chart(self.period.weeks, [self.moves_per_week])

    @cached_property
    def message_charts(self) -> dict[Channel, charts.ColumnChart]:
        return {channel: charts.column_chart(self.period.buckets, [self.messages[channel][o] for o in Outcome])
                for channel in self.channels}

    @cached_property
    def reasons_chart(self) -> charts.RowChart:
        return charts.row_chart([reason for reason, _ in self.reasons],
                                [[counts.get(channel, 0) for _, counts in self.reasons] for channel in self.channels])

    @cached_property
    def no_show_chart(self) -> charts.ColumnChart:
        return charts.column_chart([m.first_day for m in self.no_shows], [[m.no_shows for m in self.no_shows]],
                                   shares=[m.reminder_share for m in self.no_shows])


def load_dashboard(period: Period) -> Dashboard:
    """Every figure of the dashboard for `period`."""
    messages, reasons = _load_messages(period)
    return Dashboard(
        period=period,
        moves=_load_moves(period),
        moves_per_week=_load_moves_per_week(period),
        messages=messages,
        reasons=reasons,
        usage=load_usage(period.months[0], period.today, period.tz),  # the invoices page's own numbers
        no_shows=_load_no_shows(period),
        replies=_load_replies(period),
    )


def _bucket(column, starts: tuple[date, ...], tz: str):
    """Which of the buckets beginning on `starts` a moment falls in: one CASE over the boundaries."""
    if len(starts) == 1:
        return literal_column("0")
    return case(*[(column < localtime.midnight(day, tz), index) for index, day in enumerate(starts[1:])],
                else_=len(starts) - 1)


def _load_messages(period: Period):
    """Messages by bucket of their due time, channel and outcome; and those not sent, by reason and channel.
    Settled buckets are counted once and kept (settled.py)."""
    buckets = period.buckets
    done = settled_count(buckets, period.today)
    figures = kept_each([f"messages:{period.tz}:{period.unit}:{day}" for day in buckets[:done]],
                        lambda: _count_messages(buckets[:done], localtime.midnight(buckets[done], period.tz), period.tz))
    figures += _count_messages(buckets[done:], period.end, period.tz)
    counts = {channel: {outcome: [figure["counts"][channel][outcome] for figure in figures] for outcome in Outcome}
              for channel in CHANNEL_ORDER}
    reasons: dict[NotSentReason, dict[Channel, int]] = {}
    for figure in figures:
        for reason, per_channel in figure["reasons"].items():
            for channel, found in per_channel.items():
                totals = reasons.setdefault(NotSentReason(reason), {})
                totals[Channel(channel)] = totals.get(Channel(channel), 0) + found
    order = list(NotSentReason)
    ranked = sorted(reasons.items(), key=lambda item: (-sum(item[1].values()), order.index(item[0])))
    return counts, ranked


def _count_messages(buckets: tuple[date, ...], end: datetime, tz: str) -> list[dict]:
    """Per bucket: {"counts": {channel: {outcome: n}}, "reasons": {reason: {channel: n}}} (JSON-able).

    The first query folds bucket, channel and outcome into one small number to group by: on SQLite that sorts
    a year of messages in about half the time that grouping by the three columns takes."""
    if not buckets:
        return []
    start = localtime.midnight(buckets[0], tz)
    outcome_number = case(*[(Message.status.in_(MessageStatus.with_outcome(each)), number)
                            for number, each in enumerate(Outcome)])  # NULL for planned, being sent and withdrawn
    channel_number = case((Message.channel == Channel.SMS, len(Outcome)), else_=0)
    key = (_bucket(Message.due_at, buckets, tz) * (2 * len(Outcome)) + channel_number + outcome_number).label("key")
    query = select(key, func.count()).where(Message.due_at >= start, Message.due_at < end).group_by(key)
    if end - start < NARROW:
        # A few weeks or months are found fastest through the (status, due_at) index; for a year, reading the
        # table straight through beats looking up most of its rows one by one (SQLite, bench/dashboard.py).
        query = query.where(Message.status.in_(OUTCOMES))
    figures = [{"counts": {channel: {outcome: 0 for outcome in Outcome} for channel in CHANNEL_ORDER},
                "reasons": {}} for _ in buckets]
    outcomes = list(Outcome)
    for number, found in db.session.execute(query).all():
        if number is not None:
            index, rest = divmod(int(number), 2 * len(Outcome))
            figures[index]["counts"][CHANNEL_ORDER[rest // len(Outcome)]][outcomes[rest % len(Outcome)]] += found
    # One bucket is the constant 0, which GROUP BY would read as a column number: then group without it.
    bucket = _bucket(Message.due_at, buckets, tz).label("bucket")
    grouped = (Message.channel, Message.reason) if len(buckets) == 1 else (bucket, Message.channel, Message.reason)
    for index, channel, reason, found in db.session.execute(
            select(bucket, Message.channel, Message.reason, func.count())
            .where(Message.status == MessageStatus.NOT_SENT, Message.due_at >= start, Message.due_at < end)
            .group_by(*grouped)):
        if reason:
            figures[int(index)]["reasons"].setdefault(str(reason), {})[str(channel)] = found
    return figures


def _load_moves_per_week(period: Period) -> list[int]:
    bucket = _bucket(OnlineMove.moved_at, period.weeks, period.tz)
    found = dict(db.session.execute(
        select(bucket.label("bucket"), func.count())
        .where(OnlineMove.moved_at >= localtime.midnight(period.weeks[0], period.tz), OnlineMove.moved_at < period.end)
        .group_by("bucket")).all())
    return [found.get(index, 0) for index in range(len(period.weeks))]


@dataclass(frozen=True)
class Replies:
    """Two-way SMS in the period: replies and opt-outs by reply per week, and how many of the reminders that went
    out were confirmed by a reply."""

    weeks: tuple[date, ...]
    per_week: list[int]
    opt_outs_per_week: list[int]
    reminders: int  # SMS reminders that went out
    confirmed: int  # of those, for an appointment the client confirmed by reply

    @property
    def total(self) -> int:
        return sum(self.per_week)

    @property
    def opt_outs(self) -> int:
        return sum(self.opt_outs_per_week)

    @cached_property
    def chart(self) -> charts.ColumnChart:
        return charts.column_chart(self.weeks, [self.per_week, self.opt_outs_per_week])

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed / self.reminders if self.reminders else None


def _load_replies(period: Period) -> Replies:
    start = localtime.midnight(period.weeks[0], period.tz)
    weeks = range(len(period.weeks))
    received = _bucket(InboundSms.received_at, period.weeks, period.tz)
    per_week = dict(db.session.execute(select(received.label("bucket"), func.count()).where(
        InboundSms.received_at >= start, InboundSms.received_at < period.end).group_by("bucket")).all())
    recorded = _bucket(ConsentEvent.recorded_at, period.weeks, period.tz)
    opt_outs = dict(db.session.execute(select(recorded.label("bucket"), func.count()).where(
        ConsentEvent.source == ConsentSource.SMS_REPLY, ConsentEvent.granted.is_(False),
        ConsentEvent.recorded_at >= start, ConsentEvent.recorded_at < period.end).group_by("bucket")).all())
    reminders, confirmed = db.session.execute(
        select(func.count(), func.sum(case((Appointment.confirmed_by_client_at.isnot(None), 1), else_=0)))
        .select_from(Message).join(Appointment, Appointment.id == Message.appointment_id)
        .where(Message.kind == MessageKind.REMINDER, Message.channel == Channel.SMS,
               Message.handed_over_at >= start, Message.handed_over_at < period.end)).one()
    return Replies(period.weeks, [per_week.get(week, 0) for week in weeks], [opt_outs.get(week, 0) for week in weeks],
                   reminders or 0, int(confirmed or 0))


def _load_moves(period: Period) -> list:
    """The newest moves clients made on the public page, with whose appointment it was."""
    return db.session.execute(
        select(OnlineMove.id, OnlineMove.appointment_id, OnlineMove.from_start, OnlineMove.to_start,
               OnlineMove.moved_at, Client.id.label("client_id"), Client.first_name, Client.last_name)
        .join(Appointment, Appointment.id == OnlineMove.appointment_id)
        .join(Client, Client.id == Appointment.client_id)
        .where(OnlineMove.moved_at >= localtime.midnight(period.weeks[0], period.tz), OnlineMove.moved_at < period.end)
        .order_by(OnlineMove.moved_at.desc(), OnlineMove.id.desc()).limit(SHOWN_MOVES)).all()


def _load_no_shows(period: Period) -> list[NoShowMonth]:
    """Per month: the appointments kept or missed so far, the no-shows, and how many got a reminder. Settled
    months are counted once and kept (settled.py)."""
    months = period.months
    done = settled_count(months, period.today)
    figures = kept_each([f"no-shows:{period.tz}:{day:%Y-%m}" for day in months[:done]],
                        lambda: _count_no_shows(months[:done], localtime.midnight(months[done], period.tz), period.tz))
    figures += _count_no_shows(months[done:], period.end, period.tz)
    return [NoShowMonth(day, *values) for day, values in zip(months, figures)]


def _count_no_shows(months: tuple[date, ...], end: datetime, tz: str) -> list[list[int]]:
    """Month, no-show and reminder fold into one number to group by, so the reminder check runs once per
    appointment. Per month: appointments, no-shows, reminded, no-shows reminded."""
    if not months:
        return []
    reminded = select(Message.id).where(
        Message.appointment_id == Appointment.id, Message.kind == MessageKind.REMINDER,
        Message.status.in_(WENT_OUT)).exists()
    key = (_bucket(Appointment.start, months, tz) * 4
           + case((Appointment.status == AppointmentStatus.NO_SHOW, 2), else_=0)
           + case((reminded, 1), else_=0)).label("key")
    appointments = (select(key).where(Appointment.start >= localtime.midnight(months[0], tz),
                                      Appointment.start < end, Appointment.status.in_(KEPT)).subquery())
    found = [[0, 0, 0, 0] for _ in months]  # appointments, no-shows, reminded, no-shows reminded
    for number, count in db.session.execute(
            select(appointments.c.key, func.count()).group_by(appointments.c.key)):
        index, no_show, got_one = int(number) // 4, int(number) % 4 >= 2, int(number) % 2 == 1
        figures = found[index]
        figures[0] += count
        figures[1] += count if no_show else 0
        figures[2] += count if got_one else 0
        figures[3] += count if no_show and got_one else 0
    return found


# --- what needs attention ---------------------------------------------------------------------------------------

def load_attention(now: datetime, practice: Practice) -> Attention:
    unreachable, unreachable_total = _load_unreachable(now, practice)
    failed = db.session.execute(
        select(Message.id, Message.kind, Message.channel, Message.recipient, Message.status, Message.error,
               Message.status_at, Message.appointment_id, Client.id.label("client_id"), Client.first_name,
               Client.last_name, func.count().over().label("total"))
        .outerjoin(Appointment, Appointment.id == Message.appointment_id)
        .outerjoin(Client, Client.id == Appointment.client_id)
        .where(Message.status.in_(NEEDS_A_LOOK), Message.status_at >= now - FAILED_WITHIN,
               # a bound on the index (status, due_at): reports of failure come within days of sending
               Message.due_at >= now - FAILED_DUE_WITHIN)
        .order_by(Message.status_at.desc(), Message.id.desc()).limit(LIST_LIMIT)).all()
    seen_at = load_last_heartbeat()
    overdue = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.status == MessageStatus.PLANNED, Message.due_at < now - WORKER_SILENT_AFTER))
    backup_at = newest_backup(backup_folder())  # a look in a folder, not a query
    return Attention(
        unreachable=unreachable, unreachable_total=unreachable_total,
        failed=failed, failed_total=failed[0].total if failed else 0,
        worker_seen_at=seen_at, worker_alive=seen_at is not None and seen_at >= now - WORKER_SILENT_AFTER,
        overdue=overdue or 0, sms_budget=load_budget(practice, now),
        backup_at=backup_at, backup_old=backup_at is None or backup_at < now - BACKUP_OLD_AFTER,
    )


def _load_unreachable(now: datetime, practice: Practice) -> tuple[list[Unreachable], int]:
    """Booked appointments of the coming days whose client no reminder can reach on any channel they chose
    (or who left neither number nor address). The rule is messages.planning.obstacles: in SQL to find the rows,
    in Python to name their reasons."""
    sms_works = reaches(MessageKind.REMINDER, Channel.SMS, practice)
    email_works = reaches(MessageKind.REMINDER, Channel.EMAIL, practice)
    channels = Appointment.reminder_channels
    reachable = or_(and_(channels.in_([Channels.SMS, Channels.BOTH]), sms_works),
                    and_(channels.in_([Channels.EMAIL, Channels.BOTH]), email_works))
    unreachable = or_(and_(channels != Channels.NONE, not_(reachable)),
                      and_(channels == Channels.NONE, Client.mobile == "", Client.email == ""))
    rows = db.session.execute(
        select(Appointment.id, Appointment.start, Appointment.reminder_channels, Client.id.label("client_id"),
               Client.first_name, Client.last_name, Client.email, Client.mobile, Client.sms_consent,
               func.count().over().label("total"))
        .join(Client, Client.id == Appointment.client_id)
        .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.start > now,
               Appointment.start <= now + UPCOMING, unreachable)
        .order_by(Appointment.start, Appointment.id).limit(LIST_LIMIT)).all()
    return [Unreachable(row.id, row.start, row.client_id, f"{row.first_name} {row.last_name}".strip(),
                        _reasons(row, practice)) for row in rows], rows[0].total if rows else 0


def _reasons(row, practice: Practice) -> tuple[NotSentReason, ...]:
    # Wants none and left no details: say what is missing on both.
    channels = row.reminder_channels.channels or [Channel.EMAIL, Channel.SMS]
    return tuple(reason for channel in channels if (reason := why_not(MessageKind.REMINDER, channel, practice, row)))
