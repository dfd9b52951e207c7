from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from ..i18n import lazy_gettext as _l


class TemplateForm(FlaskForm):
    """The parts of a template; the sandbox checks them (editor.checked), not WTForms."""
    subject = StringField(_l("Subject"))
    body = TextAreaField(_l("Text"))
    html_body = TextAreaField(_l("HTML (optional)"))
