from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..enums import Channels, ConsentSource, Language

LANGUAGE_CHOICES = [SelectChoice(language.value, language.label) for language in Language]


def channel_choices(sms_enabled: bool) -> list[SelectChoice]:
    """The SMS choices are offered only when an SMS gateway is configured."""
    return [SelectChoice(c.value, c.label) for c in Channels if sms_enabled or not c.sms]


class ClientForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail address"), validators=[Length(max=254)])
    mobile = TelField(_l("Mobile number"), validators=[Length(max=40)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    confirmation_channels = SelectField(_l("Confirmations by"))
    reminder_channels = SelectField(_l("Reminders by"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def __init__(self, *args, sms_enabled: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.confirmation_channels.choices = self.reminder_channels.choices = channel_choices(sms_enabled)

    @property
    def email_needs_smtputf8(self) -> bool:
        """A character outside ASCII before the @ (jörg@…): only mail servers that offer SMTPUTF8 take it."""
        return not (self.email.data or "").rpartition("@")[0].isascii()


class ConsentForm(FlaskForm):
    granted = HiddenField()
    source = SelectField(_l("How"), choices=[SelectChoice(s.value, s.label) for s in ConsentSource])
    note = StringField(_l("Note (optional)"), validators=[Length(max=250)])
