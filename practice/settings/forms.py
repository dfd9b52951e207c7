from zoneinfo import available_timezones

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, ColorField, DateField, EmailField, IntegerField, SelectField, StringField, TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError,
)

from .. import sms
from ..models import LONGEST_APPOINTMENT_MINUTES

# The countries whose practices we serve; holidays come from the `holidays` library per country.
COUNTRIES = [SelectChoice(code, name) for code, name in (
    ("NL", _l("Netherlands")), ("BE", _l("Belgium")), ("DE", _l("Germany")), ("AT", _l("Austria")),
    ("CH", _l("Switzerland")), ("LU", _l("Luxembourg")))]
# The note rides along in every SMS about the location, so it must leave room for the rest of the message.
SMS_NOTE_LIMIT = 124


def weekday_names() -> dict[int, str]:
    """Monday (0) to Sunday (6) in the user's language, from the CLDR data Babel ships."""
    names = get_day_names("wide", locale=get_locale() or "en")
    return {day: names[day] for day in range(7)}  # in Monday-first order, whatever week the locale starts


class MessagingForm(FlaskForm):
    confirmation_email = BooleanField(_l("Send confirmations and change notices by e-mail"))
    confirmation_sms = BooleanField(_l("Send confirmations and change notices by SMS"))
    sms_enabled = BooleanField(_l("SMS through the gateway"))
    sms_sender_id = StringField(_l("Sender ID"), validators=[Optional(), Length(max=16)])
    sms_price_cents = IntegerField(_l("Price per delivered SMS segment, in euro cents"), validators=[
        InputRequired(_l("Enter the price per segment in cents.")),
        NumberRange(0, 100, _l("Enter a price from %(min)d to %(max)d cents."))])

    def validate_sms_sender_id(self, field):
        field.data = (field.data or "").strip()
        if self.sms_enabled.data and not field.data:
            raise ValidationError(_l("Enter the sender ID your clients see before switching SMS on."))
        if field.data and not sms.is_valid_sender_id(field.data):
            raise ValidationError(_l("A sender ID is 3 to 11 letters and digits (at least one letter, no spaces), "
                                     "or a phone number of up to 16 digits."))


class PracticeForm(FlaskForm):
    name = StringField(_l("Practice name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired()])
    country = SelectField(_l("Country"), choices=COUNTRIES)
    subdivision = StringField(_l("Region for public holidays"), validators=[Optional(), Length(max=16)])

    def validate_timezone(self, field):
        if field.data not in available_timezones():
            raise ValidationError(_l("Unknown time zone; use a name such as Europe/Amsterdam."))

    def validate_subdivision(self, field):
        import holidays

        known = holidays.country_holidays(self.country.data).subdivisions
        if field.data and field.data not in known:
            raise ValidationError(_l("Unknown region; choose one of: %(regions)s", regions=", ".join(known) or "—"))


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
    start_day = DateField(_l("From date"), validators=[DataRequired(_l("Enter a date."))])
    start_at = TimeField(_l("From time"), validators=[DataRequired(_l("Enter a time."))])
    end_day = DateField(_l("Until date"), validators=[DataRequired(_l("Enter a date."))])
    end_at = TimeField(_l("Until time"), validators=[DataRequired(_l("Enter a time."))])
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=120)])


class DeleteForm(FlaskForm):
    """No fields: only the CSRF token a delete button posts."""
