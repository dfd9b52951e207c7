"""Client cards: checked contact details, live search, and the SMS consent trail."""
import pytest
from sqlalchemy import select

from practice.clients import services
from practice.errors import FieldError
from practice.extensions import db
from practice.enums import Channels, Role
from practice.models import Client, ConsentEvent, Practice
from tests.conftest import csrf_token, log_in, make_client, make_user


@pytest.mark.parametrize("written, stored", [
    ("06 12345678", "+31612345678"),
    ("06-1234 5678", "+31612345678"),
    ("+31 6 12345678", "+31612345678"),
    ("0031612345678", "+31612345678"),
    ("+32 470 12 34 56", "+32470123456"),
    ("+49 151 23456789", "+4915123456789"),
])
def test_mobile_numbers_are_stored_in_e164_with_the_practice_country_as_default(written, stored):
    assert services.normalised_mobile(written, "NL") == stored


@pytest.mark.parametrize("written", ["020 123 4567", "+31 20 123 4567", "+49 30 1234567"])
def test_a_fixed_line_number_is_refused_for_sms(written):
    with pytest.raises(FieldError, match="not a mobile number"):
        services.normalised_mobile(written, "NL")


@pytest.mark.parametrize("written", ["12", "06 1234", "hello"])
def test_a_number_that_is_no_number_is_refused(written):
    with pytest.raises(FieldError):
        services.normalised_mobile(written, "NL")


def _form(client, **fields):
    return {"csrf_token": csrf_token(client), "first_name": "Anna", "last_name": "de Vries",
            "email": "anna@example.nl", "mobile": "06 12345678", "language": "nl",
            "confirmation_channels": "email", "reminder_channels": "email", "notes": ""} | fields


def test_a_fixed_line_number_on_the_card_gets_a_clear_message_and_nothing_is_stored(app, client, staff):
    log_in(client, staff)
    response = client.post("/clients/new", data=_form(client, mobile="020 123 4567"), headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "not a mobile number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Client)) is None


def test_a_bad_email_address_is_refused(app, client, staff):
    log_in(client, staff)
    response = client.post("/clients/new", data=_form(client, email="anna@"), headers={"HX-Request": "true"})
    assert response.status_code == 422 and "not valid" in response.get_data(as_text=True)


def test_sms_is_offered_only_when_a_gateway_is_configured(app, client, staff):
    log_in(client, staff)
    page = client.get("/clients/new").get_data(as_text=True)
    assert 'value="sms"' not in page
    refused = client.post("/clients/new", data=_form(client, reminder_channels="sms"), headers={"HX-Request": "true"})
    assert refused.status_code == 422
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    assert 'value="sms"' in client.get("/clients/new").get_data(as_text=True)
    created = client.post("/clients/new", data=_form(client, reminder_channels="both"), headers={"HX-Request": "true"})
    assert created.status_code == 200 and created.headers["HX-Redirect"].startswith("/clients/")
    with app.app_context():
        stored = db.session.scalar(select(Client))
        assert (stored.mobile, stored.reminder_channels) == ("+31612345678", Channels.BOTH)


def test_sms_without_a_mobile_number_is_refused(app, client, staff):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    log_in(client, staff)
    response = client.post("/clients/new", data=_form(client, mobile="", reminder_channels="sms"),
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "SMS needs a mobile number" in response.get_data(as_text=True)


def test_live_search_finds_by_name_email_and_mobile(app, client, staff):
    make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.nl", mobile="+31612345678")
    make_client(app, first_name="Bram", last_name="Jansen", email="bram@example.nl", mobile="+31687654321")
    log_in(client, staff)
    for query, expected, other in (("vries", "Anna", "Bram"), ("bram@", "Bram", "Anna"),
                                   ("0612345678", "Anna", "Bram"), ("anna vries", "Anna", "Bram")):
        fragment = client.get(f"/clients/?q={query}", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert fragment.lstrip().startswith('<div id="client-results"')
        assert expected in fragment and other not in fragment, query


def _consent(client, client_id, granted, source="phone", note=""):
    return client.post(f"/clients/{client_id}/consent", headers={"HX-Request": "true"},
                       data={"csrf_token": csrf_token(client), "granted": granted, "source": source, "note": note})


def test_consent_history_survives_withdraw_and_regrant_with_who_and_when(app, client):
    client_id = make_client(app)
    desk = make_user(app, Role.STAFF, email="desk@example.nl")
    log_in(client, desk)
    assert _consent(client, client_id, "yes", "paper", "Signed form").status_code == 200
    assert _consent(client, client_id, "no", "phone", "Called to stop SMS").status_code == 200
    other = app.test_client()
    log_in(other, make_user(app, Role.OWNER, email="owner@example.nl"))
    regranted = _consent(other, client_id, "yes", "in_person")
    assert regranted.status_code == 200
    with app.app_context():
        card = db.session.get(Client, client_id)
        events = list(reversed(card.consent_events))
        assert card.sms_consent is True
        assert [(e.granted, e.source, e.recorded_by.email) for e in events] == [
            (True, "paper", "desk@example.nl"), (False, "phone", "desk@example.nl"), (True, "in_person", "owner@example.nl")]
        assert events[0].recorded_at <= events[1].recorded_at <= events[2].recorded_at
        assert events[1].note == "Called to stop SMS"
    html = regranted.get_data(as_text=True)
    assert html.count("<tr>") == 4  # header + three events, newest first
    assert "Called to stop SMS" in html and "Staff User" in html and "Owner User" in html


def test_registering_consent_twice_is_refused_and_adds_nothing(app, client, staff):
    client_id = make_client(app)
    log_in(client, staff)
    _consent(client, client_id, "yes")
    again = _consent(client, client_id, "yes")
    assert again.status_code == 422 and "already registered" in again.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(ConsentEvent)).all()) == 1


def test_a_bad_consent_source_is_refused(app, client, staff):
    client_id = make_client(app)
    log_in(client, staff)
    assert _consent(client, client_id, "yes", source="carrier-pigeon").status_code == 422
    with app.app_context():
        assert db.session.get(Client, client_id).sms_consent is False
