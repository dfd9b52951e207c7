"""The interface's words in the reader's language. Flask-Babel chooses the language (web.select_locale) and loads the
catalogues; this module finds the catalogue in force once per app context (a request, a task) instead of once per
word. A page translates a hundred labels and more, and Flask-Babel's own lookup for each (the request's Babel state
read three times, the locale's name written out again) was a fifth of the message log's work.

`in_language` is the one way to write in another language, such as a message in the client's: it switches
Flask-Babel (dates, numbers) and the catalogue here together. tests/unit/test_layers.py keeps Flask-Babel's
gettext and force_locale out of every other module, so nothing can switch one without the other."""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, appcontext_popped, appcontext_pushed, has_app_context
from flask_babel import force_locale, get_translations
from flask_babel.speaklater import LazyString

_in_force: ContextVar = ContextVar("catalogue", default=None)


def catalogue():
    """The catalogue of the language in force, looked up once per app context."""
    found = _in_force.get()
    if found is None:
        found = get_translations()
        if has_app_context():  # outside one there is no language yet: nothing to remember
            _in_force.set(found)
    return found


def gettext(string: str, **variables) -> str:
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return catalogue().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Translated when shown: for labels made before any request, such as the enums'."""
    return LazyString(gettext, string, **variables)


@contextmanager
def in_language(language: str):
    with force_locale(language):
        remembered = _in_force.set(get_translations())
        try:
            yield
        finally:
            _in_force.reset(remembered)


def _forget(*_, **__) -> None:
    """An app context begins or ends: its language is found afresh. A task run inside a request (Huey's immediate
    mode) gets its own, and the request finds its own again after it."""
    _in_force.set(None)


def init_app(app: Flask) -> None:
    appcontext_pushed.connect(_forget, app, weak=False)
    appcontext_popped.connect(_forget, app, weak=False)
    # Jinja's newstyle calls fill in the variables themselves: gettext gets none, and ngettext must not format.
    app.jinja_env.install_gettext_callables(
        gettext=gettext, ngettext=lambda singular, plural, num: catalogue().ungettext(singular, plural, num),
        newstyle=True)
