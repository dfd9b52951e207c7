"""The app's fixed vocabularies. Each value knows its label, translated when it is shown (`status.label`), and
what it means for the rules (`MessageStatus.rank`, `.outcome`, `.is_failure`), so that no view, template or
query keeps a list of its own."""
import enum

from .i18n import lazy_gettext as _l


class Labelled(enum.StrEnum):
    """A StrEnum whose members are written `NAME = "value", label`: stored and compared as the value."""

    def __new__(cls, value: str, label="", *_):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Language(Labelled):
    """The languages of the interface and of the messages, named in themselves."""

    NL = "nl", "Nederlands"
    DE = "de", "Deutsch"
    EN = "en", "English"
    FR = "fr", "Français"


LANGUAGES = tuple(language.value for language in Language)


class Span(Labelled):
    """The stretches of time the dashboard covers, ending today."""

    FOUR_WEEKS = "4w", _l("Last 4 weeks")
    THREE_MONTHS = "3m", _l("Last 3 months")
    TWELVE_MONTHS = "12m", _l("Last 12 months")


class Role(Labelled):
    OWNER = "owner", _l("Owner")
    STAFF = "staff", _l("Front desk")


class Channel(Labelled):
    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("SMS")


class Channels(Labelled):
    """Which channels a client wants a kind of message on."""

    NONE = "none", _l("None")
    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("SMS")
    BOTH = "both", _l("E-mail and SMS")

    @property
    def email(self) -> bool:
        return self in (Channels.EMAIL, Channels.BOTH)

    @property
    def sms(self) -> bool:
        return self in (Channels.SMS, Channels.BOTH)

    @property
    def channels(self) -> list[Channel]:
        return [channel for channel, wanted in ((Channel.EMAIL, self.email), (Channel.SMS, self.sms)) if wanted]


class AppointmentStatus(Labelled):
    BOOKED = "booked", _l("Booked")
    CANCELLED = "cancelled", _l("Cancelled")
    NO_SHOW = "no_show", _l("No-show")


class WaitingStatus(Labelled):
    """Where a client on the waiting list stands; one whose expiry date has passed is shown as expired."""
    WAITING = "waiting", _l("Waiting")
    BOOKED = "booked", _l("Got a time")
    REMOVED = "removed", _l("Taken off the list")


class OfferOutcome(Labelled):
    """What became of a freed time offered to a client on the waiting list. An open offer past its expiry is
    expired: the moment decides, no job has to mark it."""
    OPEN = "open", _l("Offered, no answer yet")
    TAKEN = "taken", _l("Taken")
    GONE = "gone", _l("Gone to someone else")
    EXPIRED = "expired", _l("Expired")


class ConsentSource(Labelled):
    """How an SMS consent or its withdrawal reached the practice."""

    IN_PERSON = "in_person", _l("In person")
    PHONE = "phone", _l("By phone")
    PAPER = "paper", _l("On paper")
    ONLINE = "online", _l("Online")
    SMS_REPLY = "sms_reply", _l("By SMS reply")
    IMPORTED = "imported", _l("Imported from a file")


class MessageKind(Labelled):
    CONFIRMATION = "confirmation", _l("Confirmation")
    REMINDER = "reminder", _l("Reminder")
    RESCHEDULED = "rescheduled", _l("Rescheduled")
    CANCELLED = "cancelled", _l("Cancelled")
    PRACTICE_NOTICE = "practice_notice", _l("Notice to the practice")  # about a client's online move
    PRACTICE_CANCEL_NOTICE = "cancelled_online", _l("Notice to the practice: cancelled online")
    INVITATION = "invitation", _l("Invitation of a colleague")
    PASSWORD_RESET = "password_reset", _l("Password reset")
    WAITING_LIST_OFFER = "waitlist_offer", _l("Waiting list offer")  # a freed time, to a client on the list
    SERIES_CONFIRMATION = "series_confirmation", _l("Confirmation of a series")  # every date in one message
    SERIES_CANCELLED = "series_cancelled", _l("Cancelled: several of a series")
    SMS_STOPPED = "sms_stopped", _l("No more SMS (after STOP)")  # the one SMS after a STOP reply
    ANSWER = "answer", _l("Answer from the inbox")  # a free SMS the desk wrote
    BUDGET_WARNING = "budget_warning", _l("Notice to the practice: SMS budget")  # 80 % of the month's spent

    @property
    def to_the_practice(self) -> bool:
        """To the practice's own address, about what a client did online."""
        return self in (MessageKind.PRACTICE_NOTICE, MessageKind.PRACTICE_CANCEL_NOTICE, MessageKind.BUDGET_WARNING)

    @property
    def about_a_series(self) -> bool:
        """About several appointments of a series at once (its dates in one message)."""
        return self in (MessageKind.SERIES_CONFIRMATION, MessageKind.SERIES_CANCELLED)

    @property
    def about_an_account(self) -> bool:
        """To a colleague, with a one-time link: no appointment, no client, no owner's template."""
        return self in (MessageKind.INVITATION, MessageKind.PASSWORD_RESET)


class Outcome(Labelled):
    """What became of a message, as the dashboard counts it."""

    DELIVERED = "delivered", _l("Delivered")
    HANDED_OVER = "handed_over", _l("Sent, no delivery report")  # an e-mail never gets one
    FAILED = "failed", _l("Failed")
    NOT_SENT = "not_sent", _l("Not sent")


class MessageStatus(Labelled):
    """One life per message: planned -> sending -> handed over -> delivered, or one of the other ends.

    `rank`: where a status stands on the way to its end (a delivery report never moves a message backwards).
    `outcome`: what became of the message (None: nothing yet, or it was no longer wanted). An outcome in doubt
    needs a person to look, so it counts as failed."""

    def __new__(cls, value: str, label, rank: int, outcome: Outcome | None, failure: bool = False):
        member = str.__new__(cls, value)
        member._value_, member.label = value, label
        member.rank, member.outcome, member.is_failure = rank, outcome, failure
        return member

    PLANNED = "planned", _l("Planned"), 0, None
    SENDING = "sending", _l("Being handed over"), 1, None  # claimed by a worker
    UNKNOWN = "unknown", _l("In doubt: it may have arrived"), 2, Outcome.FAILED  # an SMS waits for its report
    HANDED_OVER = "handed_over", _l("Handed over"), 3, Outcome.HANDED_OVER
    DELIVERED = "delivered", _l("Delivered"), 4, Outcome.DELIVERED
    UNDELIVERABLE = "undeliverable", _l("Could not be delivered"), 4, Outcome.FAILED, True
    EXPIRED = "expired", _l("Delivery deadline expired"), 4, Outcome.FAILED, True
    REJECTED = "rejected", _l("Rejected by recipient"), 4, Outcome.FAILED, True
    UNREACHABLE = "unreachable", _l("SMS service unreachable"), 4, Outcome.FAILED, True  # after the retries
    PROVIDER_ERROR = "provider_error", _l("Provider error (sending not possible)"), 4, Outcome.FAILED, True
    PROVIDER_REFUSED = "provider_refused", _l("Provider refused acceptance (contact support)"), 4, Outcome.FAILED, True
    NOT_SENT = "not_sent", _l("Not sent"), 4, Outcome.NOT_SENT  # Message.reason says why
    WITHDRAWN = "withdrawn", _l("No longer needed"), 4, None  # the appointment moved or was cancelled first

    @property
    def went_out(self) -> bool:
        """The other side took it: handed over, or delivered."""
        return self in (MessageStatus.HANDED_OVER, MessageStatus.DELIVERED)

    @classmethod
    def with_outcome(cls, outcome: Outcome) -> list["MessageStatus"]:
        return [status for status in cls if status.outcome == outcome]

    @classmethod
    def failures(cls) -> list["MessageStatus"]:
        """Ends in which the message certainly did not arrive (what an invoice does not charge)."""
        return [status for status in cls if status.is_failure]


class NotSentReason(Labelled):
    NO_CONSENT = "no_consent", _l("no SMS consent")
    NO_MOBILE = "no_mobile", _l("no mobile number")
    NO_EMAIL = "no_email", _l("no e-mail address")
    NO_TEMPLATE = "no_template", _l("no template for this appointment type")
    TEMPLATE_ERROR = "template_error", _l("the template could not be filled in for this message")
    BAD_ADDRESS = "bad_address", _l("the address cannot be used")
    COMPOSE_ERROR = "compose_error", _l("the message could not be put together")
    CHANNEL_OFF = "channel_off", _l("channel switched off")
    NO_CREDIT = "no_credit", _l("insufficient SMS credit")
    BUDGET_SPENT = "budget_spent", _l("the month's SMS budget is spent")
    BOOKED_TOO_LATE = "booked_too_late", _l("booked after the reminder's moment")
    TOO_LATE = "too_late", _l("too late: the appointment had begun")  # the worker came back after the start
    # Why an appointment gets no reminder at all (the forecast): nothing was planned
    REMINDERS_OFF = "reminders_off", _l("no reminders for this appointment type")  # the practice's or the type's
    NOT_WANTED = "not_wanted", _l("the client wants no reminders")  # reminder channels "none"


class Note(Labelled):
    """What the app notes in a message's history and error. Stored as a code with its arguments and, after ": ",
    an inner note or a text from outside kept as received (`noted`: "attempt-failed 1 1: smtp-unreachable: …");
    put into the reader's words when shown (`in_words`). A label reads well with ": <what follows>" after it."""

    def __new__(cls, value: str, label, *arguments: str):
        member = str.__new__(cls, value)
        member._value_, member.label, member.arguments = value, label, arguments
        return member

    # The sender (messages/sending.py, planning.py)
    WORKER_STOPPED_BEFORE = "worker-stopped-before", _l("the worker stopped before handing it over; it goes out again")
    WORKER_STOPPED_AFTER = "worker-stopped-after", _l("the worker stopped between the final write and the server's "
                                                      "answer")
    WORKER_STOPPED_ANSWER = "worker-stopped-answer", _l("the worker stopped while the gateway answered")
    IN_DOUBT = "in-doubt", _l("in doubt")
    IN_DOUBT_EMAIL = "in-doubt-email", _l("in doubt, so it goes out again with the same Message-ID")
    IN_DOUBT_SMS = "in-doubt-sms", _l("in doubt, so it is not sent again: the delivery report will tell")
    IN_DOUBT_THEN = "in-doubt-then", _l("in doubt since an earlier attempt; then")
    IN_DOUBT_NOT_SENT = "in-doubt-not-sent", _l("in doubt since an earlier attempt; not sent again")
    APPOINTMENT_MOVED = "appointment-moved", _l("the appointment has moved since this reminder was planned")
    BY_EMAIL_INSTEAD = "by-email-instead", _l("sent by e-mail instead")
    OFFER_CLOSED = "offer-closed", _l("the offered time was taken or expired before this message went out")
    ATTEMPT_FAILED = ("attempt-failed", _l("attempt %(attempt)s failed; next try in %(minutes)s min"),
                      "attempt", "minutes")
    RESENT = "resent-after-doubt", _l("resent after an unclear hand-over")
    SENT_AGAIN = "sent-again-on-request", _l("sent again on request")
    # The mail server (channels/email.py)
    NOT_AN_ADDRESS = "not-an-address", _l("not an e-mail address")
    NOT_IDNA = "domain-not-idna", _l("the domain cannot be written in IDNA form")
    NO_SMTPUTF8 = "no-smtputf8", _l("the mail server does not accept addresses with characters outside ASCII before "
                                    "the @ (it does not offer SMTPUTF8)")
    MAIL_UNREACHABLE = "smtp-unreachable", _l("the mail server could not be reached")
    MAIL_NOT_NOW = "smtp-not-now", _l("the mail server could not take the message now")
    MAIL_REFUSED = "smtp-refused", _l("the mail server refused the message")
    MAIL_NO_ANSWER = "smtp-no-answer", _l("no answer after the whole message was sent")
    MAIL_SINK_FAILED = "mail-sink-failed", _l("the development mail sink could not keep the message")
    # The SMS gateway (channels/sms_gateways.py)
    GATEWAY_UNREACHABLE = "gateway-unreachable", _l("the SMS gateway could not be reached")
    GATEWAY_NO_ANSWER = "gateway-no-answer", _l("no answer from the SMS gateway within %(seconds)s s"), "seconds"
    GATEWAY_LOST = "gateway-connection-lost", _l("the connection to the SMS gateway was lost")
    GATEWAY_LOGIN = "gateway-login-refused", _l("the SMS gateway refused our login")
    GATEWAY_ERROR = "gateway-error", _l("the SMS gateway could not send it")
    GATEWAY_REFUSED = "gateway-refused", _l("the SMS gateway refused the message")
    SMS_SINK_REPORT = "sms-sink-report", _l("simulated by the development SMS sink")


_NOTES = {member.value: member for member in (*Note, *NotSentReason)}


def noted(code: str, *arguments, then: object = "") -> str:
    """A note as stored: a Note or NotSentReason code, its arguments, and `then` (an inner note, or a text from
    outside such as a server's answer) after ": "."""
    head = " ".join(map(str, (code, *arguments)))
    return f"{head}: {then}" if str(then) else head


def in_words(stored: str) -> str:
    """A stored note in the reader's language, what followed it after our words as it was received. Anything that
    is not a note we know (an old row's sentence, a gateway's report) is shown as it is."""
    head, colon, then = stored.partition(": ")
    code, *values = head.split(" ")
    known = _NOTES.get(code)
    names = getattr(known, "arguments", ())
    if known is None or len(values) != len(names):
        return stored
    words = str(known.label) % dict(zip(names, values)) if names else str(known.label)
    return f"{words}: {in_words(then)}" if colon else words


def our_words(stored: str) -> str:
    """A stored note cut down to the app's own codes: "bad_address: not-an-address: sink: a@b.nl" keeps
    "bad_address: not-an-address"; what came from outside (a server's answer, a delivery report, which may hold an
    address or the start of a text) goes entirely. For a message whose text was removed (erasure, retention)."""
    kept, rest = [], stored
    while rest:
        head, _, rest = rest.partition(": ")
        code, *values = head.split(" ")
        known = _NOTES.get(code)
        if known is None or len(values) != len(getattr(known, "arguments", ())):
            break
        kept.append(head)
    return ": ".join(kept)


class ImportOutcome(Labelled):
    """What an import does with one row of the file."""

    NEW = "new", _l("New")
    DUPLICATE = "duplicate", _l("Already there")
    ERROR = "error", _l("Left out")


class AuditSubject(Labelled):
    """What an entry of the audit trail is about."""

    APPOINTMENT = "appointment", _l("Appointments")
    CLIENT = "client", _l("Client cards")
    SETTINGS = "settings", _l("Settings")
    TEMPLATE = "template", _l("Templates")
    USER = "user", _l("Users")
    DATA = "data", _l("Imports and exports")


class AuditAction(Labelled):
    """What the audit trail records; `subject` is the kind of thing each action is about."""

    def __new__(cls, value: str, label, subject: "AuditSubject"):
        member = str.__new__(cls, value)
        member._value_, member.label, member.subject = value, label, subject
        return member

    APPOINTMENT_BOOKED = "appointment_booked", _l("Appointment booked"), AuditSubject.APPOINTMENT
    APPOINTMENT_CHANGED = "appointment_changed", _l("Appointment changed"), AuditSubject.APPOINTMENT
    APPOINTMENT_MOVED = "appointment_moved", _l("Appointment moved"), AuditSubject.APPOINTMENT
    APPOINTMENT_MOVED_ONLINE = "appointment_moved_online", _l("Moved online by the client"), AuditSubject.APPOINTMENT
    APPOINTMENT_CANCELLED = "appointment_cancelled", _l("Appointment cancelled"), AuditSubject.APPOINTMENT
    APPOINTMENT_CANCELLED_ONLINE = ("appointment_cancelled_online", _l("Cancelled online by the client"),
                                    AuditSubject.APPOINTMENT)
    APPOINTMENT_NO_SHOW = "appointment_no_show", _l("Marked as no-show"), AuditSubject.APPOINTMENT
    CONFIRMATION_RESENT = "confirmation_resent", _l("Confirmation sent again"), AuditSubject.APPOINTMENT
    APPOINTMENT_CONFIRMED_BY_CLIENT = ("appointment_confirmed_by_client", _l("Confirmed by the client (SMS reply)"),
                                       AuditSubject.APPOINTMENT)
    CLIENT_CREATED = "client_created", _l("Client card created"), AuditSubject.CLIENT
    CLIENT_CHANGED = "client_changed", _l("Client card changed"), AuditSubject.CLIENT
    CONSENT_GRANTED = "consent_granted", _l("SMS consent registered"), AuditSubject.CLIENT
    CONSENT_WITHDRAWN = "consent_withdrawn", _l("SMS consent withdrawn"), AuditSubject.CLIENT
    SMS_ANSWERED = "sms_answered", _l("Answered an SMS reply"), AuditSubject.CLIENT
    WAITING_LIST_ADDED = "waiting_list_added", _l("Put on the waiting list"), AuditSubject.CLIENT
    WAITING_LIST_REMOVED = "waiting_list_removed", _l("Taken off the waiting list"), AuditSubject.CLIENT
    WAITING_LIST_OFFERED = "waiting_list_offered", _l("Offered a time from the waiting list"), AuditSubject.CLIENT
    SETTINGS_CHANGED = "settings_changed", _l("Settings changed"), AuditSubject.SETTINGS
    FEED_LINK_MADE = "feed_link_made", _l("Calendar feed link made"), AuditSubject.SETTINGS
    FEED_LINK_REVOKED = "feed_link_revoked", _l("Calendar feed link revoked"), AuditSubject.SETTINGS
    TEMPLATE_SAVED = "template_saved", _l("Template saved"), AuditSubject.TEMPLATE
    TEMPLATE_RESET = "template_reset", _l("Template back to the standard text"), AuditSubject.TEMPLATE
    USER_INVITED = "user_invited", _l("Colleague invited"), AuditSubject.USER
    USER_JOINED = "user_joined", _l("Invitation accepted"), AuditSubject.USER
    USER_ROLE_CHANGED = "user_role_changed", _l("Role changed"), AuditSubject.USER
    USER_DEACTIVATED = "user_deactivated", _l("Account deactivated"), AuditSubject.USER
    USER_REACTIVATED = "user_reactivated", _l("Account reactivated"), AuditSubject.USER
    PASSWORD_CHANGED = "password_changed", _l("Password changed"), AuditSubject.USER
    PASSWORD_RESET = "password_reset", _l("Password reset by e-mail"), AuditSubject.USER
    TWO_STEP_ON = "two_step_on", _l("Two-step login switched on"), AuditSubject.USER
    TWO_STEP_OFF = "two_step_off", _l("Two-step login switched off"), AuditSubject.USER
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", _l("Signed out everywhere"), AuditSubject.USER
    CLIENT_DATA_EXPORTED = "client_data_exported", _l("Client's data downloaded"), AuditSubject.CLIENT
    CLIENT_ERASED = "client_erased", _l("Client erased"), AuditSubject.CLIENT
    CLIENTS_IMPORTED = "clients_imported", _l("Clients imported"), AuditSubject.DATA
    APPOINTMENTS_IMPORTED = "appointments_imported", _l("Appointments imported"), AuditSubject.DATA
    DATA_EXPORTED = "data_exported", _l("Data exported"), AuditSubject.DATA


# The actions whose detail quotes the client's own words or a message to them (inbox/services.py, agenda/services.py):
# emptied when the client is erased, and by retention with the message texts.
THEIR_WORDS = frozenset({AuditAction.APPOINTMENT_CONFIRMED_BY_CLIENT, AuditAction.SMS_ANSWERED,
                         AuditAction.APPOINTMENT_CANCELLED_ONLINE})

