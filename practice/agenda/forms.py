from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..clients.forms import channel_choices
from ..enums import Channels
from ..i18n import lazy_gettext as _l
from ..series import MOST, Rhythm
from ..web import MAX_ID, in_calendar


class AppointmentForm(FlaskForm):
    client_id = IntegerField(_l("Client"), validators=[InputRequired(_l("Choose a client.")),
                                                       NumberRange(1, MAX_ID, _l("Choose a client."))])
    practitioner_id = SelectField(_l("Practitioner"), coerce=int)
    appointment_type_id = SelectField(_l("Appointment type"), coerce=int)
    location_id = SelectField(_l("Location"), coerce=int)
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date.")), in_calendar])
    time = TimeField(_l("Time"), validators=[DataRequired(_l("Enter a time."))])
    confirmation_channels = SelectField(_l("Confirmation by"), validators=[Optional()])
    reminder_channels = SelectField(_l("Reminders by"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])
    outside_hours = BooleanField(_l("Book outside working hours anyway"))

    def __init__(self, *args, practitioners, types, locations, sms_enabled: bool,
                 stored_channels: tuple[Channels, Channels] | None, **kwargs):
        """`stored_channels`: the appointment's confirmation and reminder channels; None for a new appointment."""
        super().__init__(*args, **kwargs)
        self.practitioner_id.choices = [SelectChoice(p.id, p.name) for p in practitioners]
        self.appointment_type_id.choices = [SelectChoice(t.id, f"{t.name} ({t.duration_minutes} min)") for t in types]
        self.location_id.choices = [SelectChoice(loc.id, loc.name) for loc in locations]
        channels = channel_choices(sms_enabled)
        if stored_channels is None:
            # A new appointment copies the client's preference unless staff choose otherwise.
            self.confirmation_channels.choices = self.reminder_channels.choices = [
                SelectChoice("", _l("As on the client card")), *channels]
            return
        # The stored channels stay on offer even after SMS was switched off: a select without its value shows
        # its first option ("None"), and saving that would withdraw the appointment's messages unasked.
        for field, stored in zip((self.confirmation_channels, self.reminder_channels), stored_channels):
            missing = stored not in {choice.value for choice in channels}
            field.choices = [*channels, SelectChoice(stored.value, stored.label)] if missing else channels


class SeriesForm(FlaskForm):
    """The rhythm of a treatment series; the first appointment comes from the booking form beside it."""

    class Meta:
        csrf = False  # posted with the booking form, whose token is checked

    every = IntegerField(_l("Every"), default=1, validators=[
        InputRequired(_l("Enter a number.")), NumberRange(1, 8, _l("Enter %(min)d to %(max)d."))])
    unit = SelectField(_l("Unit"), default="weeks", choices=[SelectChoice("weeks", _l("weeks")),
                                                             SelectChoice("days", _l("days"))])
    weekdays = SelectMultipleField(_l("On"), coerce=int, validators=[Optional()],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    count = IntegerField(_l("Number of appointments"), validators=[
        Optional(), NumberRange(2, MOST, _l("Enter %(min)d to %(max)d."))])
    until = DateField(_l("Or until"), validators=[Optional(), in_calendar])

    def __init__(self, *args, weekday_names: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.weekdays.choices = [SelectChoice(number, name) for number, name in weekday_names.items()]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (self.count.data is None) == (self.until.data is None):
            self.count.errors = [*self.count.errors, _l("Give a number of appointments or an end date, not both.")]
            return False
        return True

    def rhythm(self) -> Rhythm:
        return Rhythm(every=self.every.data, weekly=self.unit.data == "weeks",
                      weekdays=frozenset(self.weekdays.data or ()), count=self.count.data, until=self.until.data)
