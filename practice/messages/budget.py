"""The practice's monthly SMS budget: what this month's SMS cost so far (what delivery reports charged, and what is on
its way at the price per segment), whether it is spent, and the owner's warning once it reaches 80 %. Read once per
request or worker run; the worker adds what it sends as it goes, so one run cannot overshoot by more than another
worker's run at the same time."""
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import case, func, select

from .. import localtime
from ..columns import utcnow
from ..enums import Channel, MessageKind, MessageStatus
from ..extensions import db
from ..models import Message, Practice

WARN_SHARE = 0.8
ON_ITS_WAY = (MessageStatus.HANDED_OVER, MessageStatus.UNKNOWN)  # charged when delivered: counted as if they will be
NEVER_HELD = {MessageKind.SMS_STOPPED}  # the SMS that confirms a STOP goes whatever the budget


@dataclass
class Budget:
    budget_cents: int
    spent_cents: int

    @property
    def spent(self) -> bool:
        return self.spent_cents >= self.budget_cents

    @property
    def nearly_spent(self) -> bool:
        return self.spent_cents >= WARN_SHARE * self.budget_cents

    @property
    def share(self) -> float:
        return self.spent_cents / self.budget_cents if self.budget_cents else 1.0


def load_budget(practice: Practice, now: datetime) -> Budget | None:
    """This month's budget and spending (None: no budget set)."""
    if practice.sms_budget_cents is None:
        return None
    first = localtime.today(now, practice.timezone).replace(day=1)
    spent = db.session.scalar(
        select(func.coalesce(func.sum(case((Message.status == MessageStatus.DELIVERED, Message.price_cents),
                                            (Message.status.in_(ON_ITS_WAY), Message.segments * practice.sms_price_cents),
                                            else_=0)), 0))
        .where(Message.channel == Channel.SMS, Message.handed_over_at >= localtime.midnight(first, practice.timezone)))
    return Budget(practice.sms_budget_cents, int(spent))


def _this_run(practice: Practice) -> Budget | None:
    if "sms_budget" not in g:
        g.sms_budget = load_budget(practice, utcnow())
    return g.sms_budget


def holds(kind: MessageKind, practice: Practice) -> bool:
    """Whether an SMS of this kind waits because the month's budget is spent."""
    if practice.sms_budget_cents is None or kind in NEVER_HELD:
        return False
    budget = _this_run(practice)
    return budget is not None and budget.spent


def note_sent(cents: int) -> None:
    """An SMS went out in this run: its price joins the spending (until the next run reads it from the log)."""
    budget = g.get("sms_budget")
    if budget is not None:
        budget.spent_cents += cents


def needs_warning(practice: Practice, now: datetime) -> Budget | None:
    """The budget, when it has reached 80 % this month and the owner has not been told yet."""
    budget = load_budget(practice, now)
    month = f"{localtime.today(now, practice.timezone):%Y-%m}"
    if budget is None or not budget.nearly_spent or practice.sms_budget_warned == month:
        return None
    return budget
