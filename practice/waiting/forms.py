from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import lazy_gettext as _l
from ..web import MAX_ID, in_calendar, weekday_names


class WaitingForm(FlaskForm):
    client_id = IntegerField(_l("Client"), validators=[InputRequired(_l("Choose a client.")),
                                                       NumberRange(1, MAX_ID, _l("Choose a client."))])
    practitioner_id = SelectField(_l("Practitioner"), coerce=int)
    appointment_type_id = SelectField(_l("Appointment type"), coerce=int)
    location_id = SelectField(_l("Location"), coerce=int)
    weekdays = SelectMultipleField(_l("Preferred days (none: any day)"), coerce=int, validators=[Optional()],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    earliest = TimeField(_l("From"), validators=[Optional()])
    latest = TimeField(_l("Until"), validators=[Optional()])
    expires_on = DateField(_l("On the list until"), validators=[DataRequired(_l("Enter a date.")), in_calendar])
    notes = StringField(_l("Notes"), validators=[Length(max=500)])

    def __init__(self, *args, practitioners, types, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.practitioner_id.choices = [SelectChoice(0, _l("Any practitioner"))] + [
            SelectChoice(p.id, p.name) for p in practitioners]
        self.appointment_type_id.choices = [SelectChoice(t.id, f"{t.name} ({t.duration_minutes} min)") for t in types]
        self.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in locations]
        self.weekdays.choices = [SelectChoice(number, name) for number, name in weekday_names().items()]

    @property
    def weekday_bits(self) -> int:
        return sum(1 << day for day in self.weekdays.data or [])


class OfferForm(FlaskForm):
    practitioner_id = SelectField(_l("Practitioner"), coerce=int)
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date.")), in_calendar])
    time = TimeField(_l("Time"), validators=[DataRequired(_l("Enter a time."))])

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.practitioner_id.choices = [SelectChoice(p.id, p.name) for p in practitioners]
