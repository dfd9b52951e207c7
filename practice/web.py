"""What every page shares: login by default, security headers, error pages, date filters."""
import dataclasses
import logging
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import wraps

from flask import Flask, abort, current_app, g, has_request_context, redirect, render_template, request, session, url_for
from babel.dates import get_day_names
from flask_babel import format_currency, format_date, format_decimal, format_datetime, format_time, get_locale, get_timezone
from flask_login import current_user
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from . import localtime
from .errors import FieldError
from .extensions import db, login_manager
from .enums import LANGUAGES, Language, in_words
from .i18n import lazy_gettext as _l
from .models import Practice

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def select_locale() -> str | None:
    if not has_request_context():
        return None  # tasks choose a language with i18n.in_language
    if g.get("language") in LANGUAGES:
        return g.language  # the public page speaks the client's language
    if current_user.is_authenticated and current_user.language:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES)


def select_timezone() -> str:
    return Practice.current().timezone


def weekday_names() -> dict[int, str]:
    """Monday (0) to Sunday (6) in the user's language, from the CLDR data Babel ships."""
    names = get_day_names("wide", locale=get_locale() or "en")
    return {day: names[day] for day in range(7)}  # in Monday-first order, whatever week the locale starts


def values_of(form, kind, **given):
    """The form's data as the typed value its service takes: the dataclass's fields, read from the form fields of the
    same names (an empty optional text field gives "", an empty optional number None), and `given` for those the
    form does not have."""
    read = {field.name: (form[field.name].data, field.type) for field in dataclasses.fields(kind)
            if field.name not in given}
    return kind(**{name: "" if value is None and kind_of is str else value
                   for name, (value, kind_of) in read.items()}, **given)


def day_argument(name: str, *, posted: bool = False) -> date | None:
    """A date in the query string, or with `posted` also in the posted form (None when absent); a malformed or
    far-off date answers 400 with the reason."""
    text = (request.values if posted else request.args).get(name, "")
    if not text:
        return None
    try:
        return localtime.parse_day(text)
    except ValueError:
        abort(400, description=_l("Choose a date between %(first)s and %(last)s.", first=localtime.FIRST_DAY,
                                  last=localtime.LAST_DAY))


def in_calendar(form, field) -> None:
    """A form validator: a date within the app's calendar (localtime.FIRST_DAY to LAST_DAY)."""
    if field.data and not localtime.within_calendar(field.data):
        raise ValidationError(_l("Choose a date between %(first)s and %(last)s.", first=localtime.FIRST_DAY,
                                 last=localtime.LAST_DAY))


def id_argument(name: str) -> int | None:
    """A record's id in the query string: None when absent or not one that can exist."""
    value = request.values.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


class RecordId(IntegerConverter):
    """`<int:…>` in every route: at most what a database key holds, so a 31-digit id is a plain 404."""

    def __init__(self, url_map, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID, **kwargs)


MAX_ID = 2**31 - 1


def show_error(form, problem: FieldError) -> None:
    """A service's refusal on the form it came from: under its field, or above the form."""
    if problem.field:
        form[problem.field].errors = [*form[problem.field].errors, problem.message]
    else:
        form.form_errors.append(problem.message)


def public(view):
    """Mark a view as reachable without login (login page, public client pages, provider callbacks)."""
    view.is_public = True
    return view


def public_rate_limit() -> str:
    """How often one address may call a public page (the client's page, the calendar feed): Flask-Limiter reads
    it per request, so the configuration decides."""
    return current_app.config["PUBLIC_RATE_LIMIT"]


def owner_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)

    wrapped.owner_only = True
    return wrapped


def _require_login():
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or view is None or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if (not current_user.two_step_since and request.endpoint not in SETUP_ALLOWED
            and Practice.current().two_step_required):
        return redirect(url_for("accounts.two_step_setup"))
    return None


# What a user may open before switching on two-step login when the practice requires it.
SETUP_ALLOWED = {"accounts.two_step_setup", "accounts.account", "accounts.password", "auth.logout"}


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    headers.add("Vary", "HX-Request")
    if current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response


def _error_page(error):
    if error.code >= 500:
        db.session.rollback()  # the failed request's transaction: the page reads the database afresh
    reason = error.description if error.description != type(error).description else None  # ours, not werkzeug's
    return render_template("error.html", error=error, reason=reason), error.code


def _clock(value, zone=None) -> str:
    """HH:mm in the practice's time zone: the same in every language. The agenda shows hundreds, so it
    passes the zone once instead of looking it up for each."""
    return localtime.clock(value.astimezone(zone or get_timezone()) if isinstance(value, datetime) else value)


def _writer(pattern_of, fmt: str):
    """The function that writes `fmt` (localtime.moment_writer; None: Babel must) in the reader's language, and the
    practice's zone, looked up once per request and format: the message log and the dashboard write dozens, and
    looking up the locale, the zone and the pattern again for each cost more than writing it."""
    writers = g.setdefault("moment_writers", {})
    locale = get_locale()  # per call: a message in the client's language (i18n.in_language) has its own
    if (pattern_of, fmt, locale) not in writers:
        writers[pattern_of, fmt, locale] = (localtime.moment_writer(pattern_of(fmt, locale), locale), get_timezone())
    return writers[pattern_of, fmt, locale]


def _in_zone(value: datetime, zone) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)  # naive: UTC, as Flask-Babel


def _moment(value: datetime, fmt: str = "medium") -> str:
    """A date and time in the reader's language and the practice's time zone, as flask_babel.format_datetime
    writes it."""
    write, zone = _writer(localtime.datetime_pattern, fmt)
    if write is None or not isinstance(value, datetime):
        return format_datetime(value, fmt)
    return write(_in_zone(value, zone))


def _date(value: date | datetime, fmt: str = "full") -> str:
    """A day in the reader's language as flask_babel.format_date writes it (a datetime: its day in the practice's
    time zone)."""
    write, zone = _writer(localtime.date_pattern, fmt)
    if write is None:
        return format_date(value, fmt)
    return write(_in_zone(value, zone) if isinstance(value, datetime) else datetime.combine(value, time()))


def record_url(endpoint: str, key: str) -> str:
    """The address of one of `endpoint`'s records up to its id `key`, which ends it ("/messages/" for
    /messages/<int:message_id>): a list of dozens or hundreds appends each id instead of building each address."""
    url = url_for(endpoint, **{key: 0})
    assert url.endswith("/0"), url
    return url[:-1]


def _pairs(items, value: str | None = None, text: str = "label") -> list[tuple]:
    """(value, text) of each item, for a select (forms.html filter_select): the attributes `value` and `text`, or the
    item itself as the value (an enum member) with its label."""
    return [(item if value is None else getattr(item, value), getattr(item, text)) for item in items]


# A client's link (/r/<token>) and a delivery report's signature in an address: kept out of every access log.
_SECRETS_IN_ADDRESSES = re.compile(r"(/r/)[^/\s?\"]+|(\b(?:sig|key|token)=)[^&\s\"]+")


def redacted(text: str) -> str:
    return _SECRETS_IN_ADDRESSES.sub(lambda match: (match.group(1) or match.group(2)) + "…", text)


class RedactSecrets(logging.Filter):
    """For the web servers' access logs (werkzeug's in development, gunicorn's in production)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redacted(record.getMessage()), None
        return True


def init_app(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(each, RedactSecrets) for each in logger.filters):
            logger.addFilter(RedactSecrets())
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    app.before_request(_require_login)
    app.after_request(_security_headers)
    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, _error_page)

    app.jinja_env.filters.update(
        date=_date,
        time=lambda value, fmt="HH:mm", zone=None: _clock(value, zone) if fmt == "HH:mm" else format_time(value, fmt),
        datetime=_moment,
        cents=lambda cents: format_currency(Decimal(cents) / 100, "EUR"),  # money is kept in whole cents
        number=lambda value: format_decimal(value),
        weekday=lambda day: weekday_names()[day],
        dict_without=lambda mapping, key: {name: value for name, value in mapping.items() if name != key},
        pairs=_pairs,
        in_words=in_words,  # a message's noted history and error, in the reader's language
    )

    app.add_template_global(record_url)

    @app.context_processor
    def shared():
        return {
            "practice": Practice.current(),
            "languages": list(Language),
            "current_language": str(get_locale() or "en"),
        }

    @app.get("/")
    def index():
        return redirect(url_for("agenda.day"))
