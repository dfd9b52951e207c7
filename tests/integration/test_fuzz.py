"""Every route and every form, fed random and boundary values (huge numbers, dates at the ends of the calendar,
NUL bytes, a megabyte of text, broken UTF-8) as the owner, the front desk and an anonymous visitor: never a 500,
and a refused request leaves the database exactly as it was."""
import hashlib
import string

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select, text

from practice.extensions import db
from tests.conftest import csrf_token, log_in, make_client

EDGES = ["", "0", "-1", "1", "2147483647", "2147483648", "9" * 31, "-9" * 20, "1e309", "nan", "0001-01-01",
         "9999-12-31", "1899-12-31", "2201-01-01", "2026-02-30", "24:00", "23:59", "00:00", "\x00", "a\x00b",
         "é" * 300, "<script>alert(1)</script>", "{{ 7*7 }}", "' OR 1=1 --", "../../etc/passwd", "%ff",
         "2026-12-07T10:00:00+01:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00", "on", "yes",
         "none", "both", "sms", "email", "owner", "staff", "x" * (1 << 20)]
TEXT = st.one_of(st.sampled_from(EDGES), st.text(max_size=40), st.text(alphabet=string.digits, max_size=25))


def _form_fields() -> list[str]:
    """Every field name of every form in the app, so random posts reach past the CSRF check into the forms."""
    names, pending = set(), list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names |= {name for name in dir(form) if not name.startswith("_") and hasattr(getattr(form, name), "field_class")}
    return sorted(names | {"action", "start", "day", "granted", "source", "note", "next", "language", "active"})


def _fingerprint(app) -> str:
    """Everything stored, as one hash."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in ("login_throttle", "user_session", "settled_figure"):  # logins and caches, not data
                continue
            for row in db.session.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def visitors(app, agenda, owner, staff):
    app.config.update(RATELIMIT_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    make_client(app)
    anonymous = app.test_client()
    return {"owner": log_in(app.test_client(), owner), "staff": log_in(app.test_client(), staff),
            "anonymous": anonymous}


# Routes that end the fuzzing visitor's own session (each has its own tests): the rest of the run stays logged in.
SESSION_ENDING = {"static", "auth.logout", "auth.login", "accounts.second_step", "accounts.sign_out_everywhere",
                  "accounts.active", "accounts.role", "accounts.password"}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SESSION_ENDING]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_anywhere_gives_a_500_and_a_refusal_changes_nothing(app, visitors, data):
    who = data.draw(st.sampled_from(sorted(visitors)))
    browser = visitors[who]
    if who != "anonymous":
        assert browser.get("/account/").status_code == 200, f"{who} was logged out by the previous example"
    rule = data.draw(st.sampled_from(_rules(app)))
    method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    path = rule.rule
    for argument in rule.arguments:
        value = data.draw(st.one_of(st.sampled_from(["1", "2", "0", "9" * 31, "x", "%ff", "AAAAAAAAAAAAAAAAAAAAAAAA"]),
                                    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1,
                                            max_size=30)))
        path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", value)
    query = data.draw(st.dictionaries(st.sampled_from(["day", "view", "practitioner", "location", "client", "from",
                                                       "to", "status", "channel", "days", "period", "page", "user",
                                                       "subject", "type", "q", "time", "ref", "sig", "outcome"]),
                                      TEXT, max_size=4))
    form = data.draw(st.dictionaries(st.sampled_from(_form_fields()), TEXT, max_size=8))
    if method == "POST":
        form["csrf_token"] = csrf_token(browser)
    before = _fingerprint(app)
    response = browser.open(path, method=method, query_string=query, data=form if method == "POST" else None)
    assert response.status_code < 500, (who, method, path, query, {k: v[:80] for k, v in form.items()},
                                        response.get_data(as_text=True)[-2000:])
    if response.status_code >= 400:
        assert _fingerprint(app) == before, (who, method, path, query, response.status_code)


def test_broken_utf8_and_nul_bytes_in_a_raw_post_are_refused_plainly(app, visitors):
    for who, browser in visitors.items():
        for path in ("/clients/new", "/agenda/appointments/new", "/login", "/settings/"):
            body = b"first_name=%ff%fe&last_name=a%00b&csrf_token=" + csrf_token(browser).encode()
            response = browser.post(path, data=body, content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500, (who, path)
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM client")).scalar() == 1
