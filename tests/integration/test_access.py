"""Every staff page needs a login, owner pages need the owner role, every form needs its CSRF token."""
import pytest

from practice.extensions import db
from practice.models import Practice, User
from tests.conftest import PASSWORD, csrf_token, log_in

PUBLIC = {"static", "auth.login", "auth.language", "accounts.second_step", "accounts.welcome", "accounts.forgot",
          "accounts.reset", "feed.calendar", "waiting.take", "inbound.inbound"}


def _sample_url(app, rule) -> str:
    values = {name: 1 for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _routes(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        yield rule, view, sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_but_the_public_ones_sends_an_anonymous_visitor_to_login(app, client):
    checked = 0
    for rule, view, methods in _routes(app):
        if getattr(view, "is_public", False) or rule.endpoint == "static":
            assert rule.endpoint in PUBLIC or rule.endpoint.startswith(("public.", "callbacks.")), rule.endpoint
            continue
        for method in methods:
            response = client.open(_sample_url(app, rule), method=method, headers={"X-CSRFToken": csrf_token(client)})
            assert response.status_code == 302, (rule, method)
            assert response.headers["Location"].startswith("/login"), (rule, method)
            checked += 1
    assert checked >= 2


def test_owner_routes_answer_403_to_staff(app, client, staff):
    log_in(client, staff)
    owner_only = [(rule, m) for rule, view, methods in _routes(app) if getattr(view, "owner_only", False)
                  for m in methods]
    assert owner_only, "the walk found no owner routes"
    for rule, method in owner_only:
        response = client.open(_sample_url(app, rule), method=method, headers={"X-CSRFToken": csrf_token(client)})
        assert response.status_code == 403, (rule, method)


def test_login_with_a_wrong_password_is_refused(client, staff):
    response = client.post("/login", data={"email": staff.email, "password": "wrong", "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "wrong password" in response.get_data(as_text=True)
    assert client.get("/agenda/").status_code == 302


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, client, staff):
    log_in(client, staff)
    response = client.post("/language", data={"language": "de"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, staff.id).language is None
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400


def test_a_post_with_the_csrf_header_is_accepted(app, client, staff):
    log_in(client, staff)
    response = client.post("/language", data={"language": "de"}, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, staff.id).language == "de"


def test_logout_ends_the_session(client, staff):
    log_in(client, staff)
    assert client.get("/agenda/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/agenda/").status_code == 302


def test_changing_the_password_ends_other_sessions(app, client, staff):
    log_in(client, staff)
    with app.app_context():
        db.session.get(User, staff.id).set_password("another-long-password")
        db.session.commit()
    assert client.get("/agenda/").status_code == 302


def test_logins_from_one_address_are_rate_limited_against_automation(app, client, staff):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    token = csrf_token(client)
    codes = [client.post("/login", data={"email": f"guess{n}@fysio.test", "password": "nope", "csrf_token": token})
             .status_code for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_pages_carry_security_headers(client, staff):
    log_in(client, staff)
    response = client.get("/agenda/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_login_never_redirects_to_another_site(client, staff, target):
    response = client.post(f"/login?next={target}", data={"email": staff.email, "password": PASSWORD,
                                                          "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/agenda/"


def test_a_fresh_database_still_has_a_practice(ctx):
    assert Practice.current().name == "Fysio Test"
