from datetime import time
from zoneinfo import available_timezones

import holidays
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, ColorField, DateField, EmailField, Form, FormField, IntegerField, SelectField, SelectMultipleField,
    StringField, TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import schedule, sms
from ..i18n import lazy_gettext as _l
from ..models import LONGEST_APPOINTMENT_MINUTES
from ..web import in_calendar, weekday_names

# The countries whose practices we serve; holidays come from the `holidays` library per country.
COUNTRIES = ("NL", "BE", "DE", "AT", "CH", "LU")
# The time zones of those countries and their neighbours first; then every zone there is.
NEARBY_ZONES = ("Europe/Amsterdam", "Europe/Brussels", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich",
                "Europe/Luxembourg", "Europe/Paris", "Europe/London", "Europe/Dublin", "Europe/Copenhagen",
                "Europe/Prague", "Europe/Warsaw", "Europe/Madrid", "Europe/Lisbon", "Europe/Rome")


def country_name(code: str) -> str:
    """The country's name in the reader's language (Babel's CLDR data): "België", "Belgique", "Belgien"."""
    return get_locale().territories.get(code, code)


def _country_choices() -> list[SelectChoice]:
    return [SelectChoice(code, country_name(code)) for code in COUNTRIES]


def _zone_choices() -> list[SelectChoice]:
    nearby, everywhere = _l("Common in Europe"), _l("All time zones")
    return ([SelectChoice(zone, zone.replace("_", " "), optgroup=nearby) for zone in NEARBY_ZONES]
            + [SelectChoice(zone, zone.replace("_", " "), optgroup=everywhere)
               for zone in sorted(available_timezones() - set(NEARBY_ZONES))])
# The note rides along in every SMS about the location, so it must leave room for the rest of the message.
SMS_NOTE_LIMIT = 124


REMINDER_KINDS = [
    SelectChoice("", _l("No reminder")),
    SelectChoice("days_before", _l("A number of days before, at a set time")),
    SelectChoice("last_working_day", _l("On the last working day before, at a set time")),
    SelectChoice("hours_before", _l("A number of hours before")),
]


class ReminderRuleForm(Form):
    """One reminder: its kind and the numbers that kind needs (schedule.ReminderRule)."""
    kind = SelectField(_l("When"), choices=REMINDER_KINDS, default="")
    days = IntegerField(_l("Days before"), default=2, validators=[Optional()])
    hours = IntegerField(_l("Hours before"), default=3, validators=[Optional()])
    at = TimeField(_l("At"), default=time(7, 0), validators=[Optional()])

    def rule(self) -> schedule.ReminderRule | None:
        """The rule, or None for no reminder; ValidationError with what is missing."""
        kind = self.kind.data
        if not kind:
            return None
        if kind == "days_before" and not (self.days.data and 1 <= self.days.data <= schedule.MAX_DAYS):
            raise ValidationError(_l("Choose from 1 to %(max)d days.", max=schedule.MAX_DAYS))
        if kind == "hours_before" and not (self.hours.data and 1 <= self.hours.data <= schedule.MAX_HOURS):
            raise ValidationError(_l("Choose from 1 to %(max)d hours.", max=schedule.MAX_HOURS))
        if kind != "hours_before" and self.at.data is None:
            raise ValidationError(_l("Choose the time the reminder goes out."))
        return schedule.ReminderRule(kind=kind, days=self.days.data if kind == "days_before" else 0,
                                     hours=self.hours.data if kind == "hours_before" else 0,
                                     at=self.at.data.replace(second=0, microsecond=0) if kind != "hours_before" else None)

    def show(self, rule: schedule.ReminderRule | None) -> None:
        if rule is not None:
            self.kind.data, self.at.data = rule.kind, rule.at or self.at.data
            self.days.data, self.hours.data = rule.days or self.days.data, rule.hours or self.hours.data


class ReminderSlots(Form):
    """Two reminder slots; `rules()` gives the chosen rules in order, or a form error. On its own (no CSRF, nothing
    stored) it draws one slot again for the kind just chosen."""
    first_reminder = FormField(ReminderRuleForm, _l("First reminder"))
    second_reminder = FormField(ReminderRuleForm, _l("Second reminder"))

    def rules(self) -> tuple[schedule.ReminderRule, ...]:
        return tuple(rule for rule in (self._rule(self.first_reminder), self._rule(self.second_reminder)) if rule)

    def show_rules(self, rules) -> None:
        for slot, rule in zip((self.first_reminder, self.second_reminder), (*rules, None, None)):
            slot.form.show(rule)

    def _rule(self, slot):
        try:
            return slot.form.rule()
        except ValidationError as problem:
            slot.form.kind.errors = [*slot.form.kind.errors, str(problem)]
            raise


class MessagingForm(ReminderSlots, FlaskForm):
    confirmation_email = BooleanField(_l("Send confirmations and change notices by e-mail"))
    confirmation_sms = BooleanField(_l("Send confirmations and change notices by SMS"))
    notice_delay_minutes = IntegerField(_l("Wait before they go out, in minutes"), validators=[
        InputRequired(_l("Enter a number of minutes.")), NumberRange(0, 60, _l("Enter %(min)d to %(max)d minutes."))])
    sms_enabled = BooleanField(_l("SMS through the gateway"))
    sms_sender_id = StringField(_l("Sender ID"), validators=[Optional(), Length(max=16)])
    sms_sender_number = StringField(_l("Numeric sender"), validators=[Optional(), Length(max=16)])
    sms_replies = BooleanField(_l("Read the clients' replies"))
    sms_reply_keywords = SelectMultipleField(_l("What a reply does by itself"), validators=[Optional()], choices=[
        SelectChoice("stop", _l("STOP (STOPP, ARRÊT, STOPPEN) withdraws the SMS consent")),
        SelectChoice("confirm", _l("JA (YES, OUI, JA BITTE) confirms the appointment")),
        SelectChoice("decline", _l("NEE (NO, NON, NEIN) asks to cancel: it waits in the inbox with one-click cancel"))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    sms_price_cents = IntegerField(_l("Price per delivered SMS segment, in euro cents"), validators=[
        InputRequired(_l("Enter the price per segment in cents.")),
        NumberRange(0, 100, _l("Enter a price from %(min)d to %(max)d cents."))])
    sms_budget_euros = IntegerField(_l("Monthly SMS budget, in euros"), validators=[
        Optional(), NumberRange(1, 100_000, _l("Enter %(min)d to %(max)d euros, or leave it empty for no budget."))])
    retention_months = IntegerField(_l("Keep message texts and recipients for how many months"), validators=[
        Optional(), NumberRange(1, 120, _l("Enter %(min)d to %(max)d months, or leave it empty to keep them."))])

    def validate_sms_sender_number(self, field):
        field.data = (field.data or "").strip().replace(" ", "")
        if field.data and not (field.data.lstrip("+").isdigit() and sms.is_valid_sender_id(field.data.lstrip("+"))):
            raise ValidationError(_l("A numeric sender is a phone number of up to 16 digits, e.g. +31201234567."))
        if self.sms_replies.data and not field.data:
            raise ValidationError(_l("Replies only reach a number: enter the numeric sender to read replies."))

    def validate_sms_sender_id(self, field):
        field.data = (field.data or "").strip()
        if self.sms_enabled.data and not field.data:
            raise ValidationError(_l("Enter the sender ID your clients see before switching SMS on."))
        if field.data and not sms.is_valid_sender_id(field.data):
            raise ValidationError(_l("A sender ID is 3 to 11 letters and digits (at least one letter, no spaces), "
                                     "or a phone number of up to 16 digits."))


class OnlineReschedulingForm(FlaskForm):
    online_rescheduling = BooleanField(_l("Clients may move their appointment online"))
    reschedule_cutoff_hours = IntegerField(_l("Until how many hours before the appointment"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(0, 336, _l("Enter %(min)d to %(max)d hours."))])
    reschedule_horizon_days = IntegerField(_l("How many days ahead clients may move it to"), validators=[
        InputRequired(_l("Enter a number of days.")), NumberRange(1, 365, _l("Enter %(min)d to %(max)d days."))])
    reschedule_moves_per_link = IntegerField(_l("How often one link may move an appointment"), validators=[
        InputRequired(_l("Enter a number of moves.")), NumberRange(1, 10, _l("Enter %(min)d to %(max)d moves."))])
    reschedule_step_minutes = SelectField(_l("Offered times every"), coerce=int, choices=[
        SelectChoice(minutes, f"{minutes} min") for minutes in (5, 10, 15, 20, 30, 60)])
    online_cancelling = BooleanField(_l("Clients may cancel their appointment online"))
    cancel_cutoff_hours = IntegerField(_l("Until how many hours before the appointment they may cancel"), validators=[
        Optional(), NumberRange(0, 336, _l("Enter %(min)d to %(max)d hours."))])
    offer_hours = IntegerField(_l("Waiting list offers stay open for how many hours"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(1, 72, _l("Enter %(min)d to %(max)d hours."))])


class PracticeForm(FlaskForm):
    name = StringField(_l("Practice name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    timezone = SelectField(_l("Time zone"), choices=_zone_choices,
                           invalid_choice_message=_l("Choose a time zone from the list."))
    country = SelectField(_l("Country"), choices=_country_choices)
    subdivision = StringField(_l("Region for public holidays"), validators=[Optional(), Length(max=16)])
    feed_client_names = BooleanField(_l("Feed shows client names"))

    def validate_subdivision(self, field):
        known = holidays.country_holidays(self.country.data).subdivisions
        if field.data and field.data not in known:
            raise ValidationError(_l("Unknown region; choose one of: %(regions)s", regions=", ".join(known) or "—"))


class SecurityForm(FlaskForm):
    two_step_required = BooleanField(_l("Everyone logs in with two steps (password and a code from an app)"))
    session_idle_minutes = IntegerField(_l("Log out after this many minutes without use"), validators=[
        InputRequired(_l("Enter a number of minutes.")), NumberRange(5, 24 * 60, _l("Enter %(min)d to %(max)d minutes."))])
    session_hours = IntegerField(_l("Log out this many hours after logging in, whatever happens"), validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(1, 24 * 14, _l("Enter %(min)d to %(max)d hours."))])


class LocationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Length(max=250)])
    sms_note = StringField(_l("Note in SMS messages"), validators=[Length(
        max=SMS_NOTE_LIMIT, message=_l("The SMS note can be at most %(max)d characters; this one has %(length)d."))])
    active = BooleanField(_l("Active"), default=True)


class AppointmentTypeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    duration_minutes = IntegerField(_l("Duration in minutes"), default=30, validators=[
        InputRequired(_l("Enter a duration in minutes.")),
        NumberRange(5, LONGEST_APPOINTMENT_MINUTES, _l("Choose a duration from %(min)d to %(max)d minutes."))])
    colour = ColorField(_l("Colour in the agenda"), default="#4f7cac", validators=[
        InputRequired(_l("Choose a colour.")),
        Regexp(r"^#[0-9a-fA-F]{6}\Z", message=_l("Choose a colour written as #rrggbb, e.g. #4f7cac."))])
    active = BooleanField(_l("Active"), default=True)


class AppointmentTypeRemindersForm(ReminderSlots, FlaskForm):
    mode = SelectField(_l("Reminders"), default="practice", choices=[
        SelectChoice("practice", _l("As set for the practice")), SelectChoice("off", _l("No reminders")),
        SelectChoice("own", _l("Its own reminders"))])

    def stored_rules(self) -> str | None:
        """AppointmentType.reminder_rules: None for the practice's, "" for none, else its own."""
        if self.mode.data == "practice":
            return None
        return "" if self.mode.data == "off" else schedule.rules_to_text(self.rules())

    def show_stored(self, stored: str | None) -> None:
        self.mode.data = "practice" if stored is None else "own" if stored else "off"
        self.show_rules(schedule.rules_from_text(stored or ""))


class PractitionerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("Active"), default=True)


class WorkingHoursForm(FlaskForm):
    weekday = SelectField(_l("Day"), coerce=int)
    location_id = SelectField(_l("Location"), coerce=int)
    start_time = TimeField(_l("From"), validators=[DataRequired(_l("Enter a start time."))])
    end_time = TimeField(_l("Until"), validators=[DataRequired(_l("Enter an end time."))])

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = [SelectChoice(day, name) for day, name in weekday_names().items()]
        self.location_id.choices = [SelectChoice(location.id, location.name) for location in locations]


class TimeOffForm(FlaskForm):
    start_day = DateField(_l("From date"), validators=[DataRequired(_l("Enter a date.")), in_calendar])
    start_at = TimeField(_l("From time"), validators=[DataRequired(_l("Enter a time."))])
    end_day = DateField(_l("Until date"), validators=[DataRequired(_l("Enter a date.")), in_calendar])
    end_at = TimeField(_l("Until time"), validators=[DataRequired(_l("Enter a time."))])
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=120)])


class DeleteForm(FlaskForm):
    """No fields: only the CSRF token a delete button posts."""
