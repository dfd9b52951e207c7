from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..enums import Channels, ConsentSource, Language
from ..i18n import lazy_gettext as _l

LANGUAGE_CHOICES = [SelectChoice(language.value, language.label) for language in Language]


def channel_choices(sms_enabled: bool) -> list[SelectChoice]:
    """The SMS choices are offered only when an SMS gateway is configured."""
    return [SelectChoice(c.value, c.label) for c in Channels if sms_enabled or not c.sms]


AUTOMATIC = "auto"  # a new card's channels: as the contact details allow (services.usual_channels)
# How a person at the desk can have heard it; an SMS reply and an import are recorded by the app itself.
SOURCE_CHOICES = [SelectChoice(s.value, s.label) for s in ConsentSource
                  if s not in (ConsentSource.SMS_REPLY, ConsentSource.IMPORTED)]


class ClientForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail address"), validators=[Length(max=254)])
    mobile = TelField(_l("Mobile number"), validators=[Length(max=40)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    confirmation_channels = SelectField(_l("Confirmations by"))
    reminder_channels = SelectField(_l("Reminders by"))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])
    # A new card only: the consent the client gives at the desk (the card's own consent section takes it later).
    sms_consent = BooleanField(_l("The client agrees to receive SMS"))
    consent_source = SelectField(_l("How"), choices=SOURCE_CHOICES, default=ConsentSource.IN_PERSON.value)

    def __init__(self, *args, sms_enabled: bool, new: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        automatic = [SelectChoice(AUTOMATIC, _l("As the contact details allow"))] if new else []
        for field in (self.confirmation_channels, self.reminder_channels):
            field.choices = automatic + channel_choices(sms_enabled)
            if new and field.data is None:
                field.data = AUTOMATIC

    @property
    def email_needs_smtputf8(self) -> bool:
        """A character outside ASCII before the @ (jörg@…): only mail servers that offer SMTPUTF8 take it."""
        return not (self.email.data or "").rpartition("@")[0].isascii()


class ConsentForm(FlaskForm):
    granted = HiddenField("")  # labelled: for a field without one, WTForms reads its own catalogue from disk
    source = SelectField(_l("How"), choices=SOURCE_CHOICES)
    note = StringField(_l("Note (optional)"), validators=[Length(max=250)])
