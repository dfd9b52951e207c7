"""The one kind of refusal services give a form: FieldError, with the message for the person and the field it
belongs to; and the refusals more than one domain shares."""
from datetime import date, datetime, time

from . import localtime
from .i18n import lazy_gettext as _l


class FieldError(ValueError):
    """Input a service refuses; nothing was stored. `field`: the form field it belongs to (None: the whole form).
    A view puts it on its form with web.show_error."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


def bookable(client):
    """The client a booking or a waiting list entry is for: one that exists and was not erased."""
    if client is None:
        raise FieldError(_l("Choose a client."), "client_id")
    if client.erased_at is not None:
        raise FieldError(_l("This client's data has been erased: choose another client."), "client_id")
    return client


def existing_moment(day: date, at: time, tz: str, field: str) -> datetime:
    """The UTC moment a local date and wall time name (the first, in the repeated autumn hour); a time the clocks
    skip in spring is refused."""
    if not localtime.exists(day, at, tz):
        raise FieldError(_l("This time does not exist on that day: the clocks go forward."), field)
    return localtime.utc_moment(day, at, tz)
