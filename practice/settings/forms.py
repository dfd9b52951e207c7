from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

# The countries whose practices we serve; holidays come from the `holidays` library per country.
COUNTRIES = [SelectChoice(code, name) for code, name in (
    ("NL", _l("Netherlands")), ("BE", _l("Belgium")), ("DE", _l("Germany")), ("AT", _l("Austria")),
    ("CH", _l("Switzerland")), ("LU", _l("Luxembourg")))]


class PracticeForm(FlaskForm):
    name = StringField(_l("Practice name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=40)])
    timezone = StringField(_l("Time zone"), validators=[DataRequired()])
    country = SelectField(_l("Country"), choices=COUNTRIES)
    subdivision = StringField(_l("Region for public holidays"), validators=[Optional(), Length(max=16)])
    sms_enabled = BooleanField(_l("An SMS gateway is configured"))

    def validate_timezone(self, field):
        if field.data not in available_timezones():
            raise ValidationError(_l("Unknown time zone; use a name such as Europe/Amsterdam."))

    def validate_subdivision(self, field):
        import holidays

        known = holidays.country_holidays(self.country.data).subdivisions
        if field.data and field.data not in known:
            raise ValidationError(_l("Unknown region; choose one of: %(regions)s", regions=", ".join(known) or "—"))
