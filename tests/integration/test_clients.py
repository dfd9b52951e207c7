"""Client cards: checked contact details, live search, the SMS consent trail, and the card's history."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from practice.clients import services
from practice.errors import FieldError
from practice.extensions import db
from practice.enums import AppointmentStatus, Channel, Channels, ConsentSource, MessageKind, MessageStatus, Role
from practice.models import Appointment, Client, ConsentEvent, Message, Practice
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


# --- finding a client the way people type ---------------------------------------------------------------------

def _found(client, query) -> str:
    return client.get("/clients/", query_string={"q": query}, headers={"HX-Request": "true"}).get_data(as_text=True)


@pytest.mark.parametrize("query", ["celik", "Çelik", "zoe", "ZOË DUPONT", "dupont-c", "0470 12 34 56",
                                   "+32 470 12 34 56", "+32470123456", "470123456", "0032470123456",
                                   "zoe.dupont@", "zoe 0470"])
def test_search_finds_zoe_dupont_celik_the_way_people_type(app, client, staff, query):
    with app.app_context():
        Practice.current().country = "BE"
        db.session.commit()
    make_client(app, first_name="Zoë", last_name="Dupont-Çelik", email="zoe.dupont@example.be", mobile="+32470123456")
    make_client(app, first_name="Bram", last_name="Celis", email="bram@example.be", mobile="+32470654321")
    log_in(client, staff)
    fragment = _found(client, query)
    assert "Dupont-Çelik" in fragment and "Celis" not in fragment, query


def test_a_card_saved_through_the_form_is_found_by_its_new_name_and_number(app, client, staff):
    client_id = make_client(app, first_name="Anna", last_name="de Vries")
    log_in(client, staff)
    saved = client.post(f"/clients/{client_id}", headers={"HX-Request": "true"},
                        data=_form(client, first_name="Ærøe", last_name="Ünal", mobile="06 87654321"))
    assert saved.status_code == 200
    assert "Ünal" in _found(client, "aeroe unal") and "Ünal" in _found(client, "06-87 65 43 21")
    assert "Ünal" not in _found(client, "vries")


def test_search_takes_like_wildcards_literally(app, client, staff):
    make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.nl")
    log_in(client, staff)
    assert "de Vries" not in _found(client, "%") and "de Vries" not in _found(client, "_nna")


@pytest.mark.parametrize("query", ['"vries"', 'vries*', 'vr:ies', '(vries)', 'de"vries', "NEAR(vries)", "^vries"])
def test_search_takes_the_full_text_query_syntax_literally(app, client, staff, query):
    make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.nl")
    log_in(client, staff)
    response = client.get("/clients/", query_string={"q": query}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "de Vries" not in response.get_data(as_text=True)


def test_migration_0011_fills_the_search_text_of_existing_clients(empty_database_url):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from practice.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "HUEY_URL": "memory://"})
    with app.app_context():
        upgrade(revision="4b7d2e9a1c05")  # the one before 0011
        db.session.execute(text("INSERT INTO client (first_name, last_name, email, mobile, language, notes, "
                                "confirmation_channels, reminder_channels, sms_consent, created_at) VALUES "
                                "('Zoë', 'Dupont-Çelik', '', '+32470123456', 'nl', '', 'email', 'email', false, "
                                "CURRENT_TIMESTAMP)"))
        db.session.commit()
        upgrade()
        assert services.search_clients("celik 0470 12 34 56", "BE")[0].last_name == "Dupont-Çelik"
        db.engine.dispose()


def _indexed(app, word: str) -> list[int] | None:
    """The ids SQLite's FTS5 trigram table itself holds for a word (the search's LIKE would hide a stale entry);
    None on PostgreSQL, whose GIN index keeps itself."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return None
        return list(db.session.scalars(text("SELECT rowid FROM client_trigram WHERE client_trigram MATCH :phrase"),
                                       {"phrase": f'"{word}"'}))


def test_the_trigram_index_follows_a_card_created_renamed_and_deleted(app, client, staff):
    make_client(app, first_name="Bram", last_name="Jansen", email="bram@example.nl")
    client_id = make_client(app, first_name="Anna", last_name="de Vries", email="anna@example.nl")
    log_in(client, staff)
    assert "de Vries" in _found(client, "vries") and _indexed(app, "vries") in ([client_id], None)

    saved = client.post(f"/clients/{client_id}", headers={"HX-Request": "true"},
                        data=_form(client, first_name="Ærøe", last_name="Ünal"))
    assert saved.status_code == 200
    assert "Ünal" in _found(client, "unal") and "Ünal" not in _found(client, "vries")
    assert _indexed(app, "unal") in ([client_id], None) and _indexed(app, "vries") in ([], None)

    with app.app_context():
        db.session.delete(db.session.get(Client, client_id))
        db.session.commit()
    assert "Ünal" not in _found(client, "unal") and _indexed(app, "unal") in ([], None)
    assert "Jansen" in _found(client, "jansen") and _indexed(app, "example") != []


def test_terms_of_one_and_two_letters_are_found_beside_the_index(app, client, staff):
    make_client(app, first_name="Anna", last_name="de Vries", email="", mobile="")
    make_client(app, first_name="Bram", last_name="Jansen", email="", mobile="")
    log_in(client, staff)
    assert "de Vries" in _found(client, "de") and "Jansen" not in _found(client, "de")
    assert "Jansen" in _found(client, "ja") and "de Vries" not in _found(client, "ja")
    assert "de Vries" in _found(client, "de vries") and "de Vries" not in _found(client, "de jansen")
    assert "de Vries" in _found(client, "v") and "Jansen" not in _found(client, "v")


@pytest.mark.parametrize("few", [2, services.FEW])
def test_a_term_too_common_for_the_index_finds_the_same_clients_in_the_same_order(app, ctx, monkeypatch, few):
    for first, last in (("Carl", "Vriesema"), ("Bram", "de Vries"), ("Anna", "de Vries"), ("Dirk", "Jansen")):
        make_client(app, first_name=first, last_name=last, email="", mobile="")
    monkeypatch.setattr(services, "FEW", few)
    assert [c.name for c in services.search_clients("vries", "NL")] == ["Anna de Vries", "Bram de Vries",
                                                                        "Carl Vriesema"]


def test_migration_0012_indexes_the_clients_there_are_and_goes_back(empty_database_url):
    from flask_migrate import downgrade, upgrade

    from practice.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "HUEY_URL": "memory://"})
    with app.app_context():
        upgrade(revision="3f1d7c2a9b54")  # 0011
        # The card as the schema of 0011 holds it (the model has columns of later migrations).
        client_id = db.session.execute(text(
            "INSERT INTO client (first_name, last_name, email, mobile, language, notes, confirmation_channels, "
            "reminder_channels, sms_consent, created_at, search_text) VALUES ('Zoë', 'Dupont-Çelik', "
            "'anna@example.com', '+32470123456', 'nl', '', 'email', 'email', false, CURRENT_TIMESTAMP, "
            "'dupont-celik zoe 32470123456 anna@example.com') RETURNING id")).scalar_one()
        db.session.commit()
        upgrade()
        assert [c.id for c in services.search_clients("celik", "BE")] == [client_id]
        assert _indexed(app, "celik") in ([client_id], None)
        db.session.close()  # no transaction of ours in the way of the DDL (PostgreSQL would wait for it)
        downgrade(revision="3f1d7c2a9b54")
        assert _trigram_objects() == []
        db.session.close()
        upgrade()
        assert _trigram_objects() != [] and _indexed(app, "celik") in ([client_id], None)
        db.engine.dispose()


def _trigram_objects() -> list:
    if db.engine.dialect.name == "sqlite":
        return db.session.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'client_trigram%'")).all()
    return db.session.execute(text("SELECT indexname FROM pg_indexes WHERE indexname = 'client_trigram'")).all()


# --- the card: appointments and messages ------------------------------------------------------------------------

def _appointment(app, agenda, client_id, start, status=AppointmentStatus.BOOKED) -> int:
    with app.app_context():
        appointment = Appointment(client_id=client_id, practitioner_id=agenda.practitioner, location_id=agenda.location,
                                  appointment_type_id=agenda.treatment, start=start, end=start + timedelta(minutes=30),
                                  status=status)
        db.session.add(appointment)
        db.session.commit()
        return appointment.id


def test_the_card_lists_upcoming_and_past_appointments_in_the_practice_zone_with_their_status(app, client, staff, agenda):
    client_id = make_client(app)
    now = datetime.now(UTC).replace(microsecond=0)
    ahead = now + timedelta(days=3)
    _appointment(app, agenda, client_id, ahead)
    _appointment(app, agenda, client_id, now - timedelta(days=10), AppointmentStatus.NO_SHOW)
    _appointment(app, agenda, client_id, now - timedelta(days=20), AppointmentStatus.CANCELLED)
    log_in(client, staff)
    html = client.get(f"/clients/{client_id}").get_data(as_text=True)
    upcoming = html.split('data-test="upcoming"')[1].split("</table>")[0]
    past = html.split('data-test="past"')[1].split("</table>")[0]
    local = ahead.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert f"{local:%H:%M}" in upcoming and "Sophie Verbeek" in upcoming and "Behandeling" in upcoming
    assert upcoming.count('data-test="appointment"') == 1
    assert [status for status in re.findall(r'data-status="(\w+)"', past)] == ["no_show", "cancelled"]  # latest first
    assert "No-show" in past and "Cancelled" in past
    assert "Show all appointments" not in html


def test_the_card_shows_the_latest_appointments_and_all_on_request(app, client, staff, agenda):
    client_id = make_client(app)
    now = datetime.now(UTC)
    ids = {weeks: _appointment(app, agenda, client_id, now + timedelta(weeks=weeks)) for weeks in range(-8, 8) if weeks}
    log_in(client, staff)
    card = client.get(f"/clients/{client_id}").get_data(as_text=True)
    shown = {part: [int(n) for n in re.findall(r'/agenda/appointments/(\d+)"', card.split(f'data-test="{part}"')[1]
                                                .split("</table>")[0])] for part in ("upcoming", "past")}
    assert shown == {"upcoming": [ids[weeks] for weeks in range(1, 6)],  # the soonest first
                     "past": [ids[-weeks] for weeks in range(1, 6)]}  # the latest first
    assert "Show all appointments" in card
    everything = client.get(f"/clients/{client_id}/appointments", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert everything.lstrip().startswith('<section id="appointments"')
    assert everything.count('data-test="appointment"') == 15 and "Show all appointments" not in everything


def test_the_card_shows_the_latest_messages_and_links_to_the_log_of_this_client(app, client, staff, agenda):
    client_id = make_client(app)
    other_id = make_client(app, first_name="Bram", last_name="Jansen")
    now = datetime.now(UTC)
    mine = _appointment(app, agenda, client_id, now - timedelta(days=2))
    theirs = _appointment(app, agenda, other_id, now - timedelta(days=2, hours=1))
    with app.app_context():
        for n in range(7):
            db.session.add(Message(dedupe_key=f"mine{n}", appointment_id=mine, kind=MessageKind.REMINDER,
                                   channel=Channel.EMAIL, recipient="anna@example.com", due_at=now - timedelta(days=n),
                                   status=MessageStatus.HANDED_OVER, handed_over_at=now - timedelta(days=n)))
        db.session.add(Message(dedupe_key="theirs", appointment_id=theirs, kind=MessageKind.CONFIRMATION,
                               channel=Channel.EMAIL, recipient="bram@example.com", due_at=now,
                               status=MessageStatus.HANDED_OVER, handed_over_at=now))
        db.session.commit()
    log_in(client, staff)
    card = client.get(f"/clients/{client_id}").get_data(as_text=True)
    inline = card.split('data-test="client-messages"')[1].split("</section>")[0]
    assert inline.count('data-test="message"') == 5 and "bram@example.com" not in inline
    assert f'href="/messages/?client={client_id}"' in inline
    log = client.get(f"/messages/?client={client_id}").get_data(as_text=True)
    assert log.count('data-test="message"') == 7 and "bram@example.com" not in log and "Anna de Vries" in log


# --- the new-client form: consent, channels, "saved" --------------------------------------------------------------

def test_sms_consent_is_registered_in_the_new_client_form_with_who_how_and_when(app, client, staff):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    log_in(client, staff)
    created = client.post("/clients/new", data=_form(client, sms_consent="y", consent_source="paper",
                                                     confirmation_channels="auto", reminder_channels="auto"))
    assert created.status_code == 303
    card = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Client card saved." in card
    assert "Consent registered" in card and "On paper" in card and "Staff User" in card
    with app.app_context():
        stored = db.session.scalar(select(Client))
        [event] = stored.consent_events
        assert stored.sms_consent and event.granted and event.source == ConsentSource.PAPER
        assert event.recorded_by.email == "staff@fysio.test" and event.recorded_at is not None
        # e-mail and a mobile number with consent: confirmations by e-mail, reminders on both channels
        assert (stored.confirmation_channels, stored.reminder_channels) == (Channels.EMAIL, Channels.BOTH)


@pytest.mark.parametrize("email, mobile, consent, expected", [
    ("anna@example.nl", "", "", (Channels.EMAIL, Channels.EMAIL)),
    ("anna@example.nl", "06 12345678", "", (Channels.EMAIL, Channels.EMAIL)),  # no consent: no SMS
    ("", "06 12345678", "y", (Channels.SMS, Channels.SMS)),
    ("", "", "", (Channels.NONE, Channels.NONE)),
])
def test_a_new_clients_channels_default_to_what_the_contact_details_allow(app, client, staff, email, mobile, consent,
                                                                         expected):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    log_in(client, staff)
    page = client.get("/clients/new").get_data(as_text=True)
    assert re.search(r'<option selected value="auto">|<option value="auto" selected', page)
    created = client.post("/clients/new", data=_form(client, email=email, mobile=mobile, sms_consent=consent,
                                                     confirmation_channels="auto", reminder_channels="auto"))
    assert created.status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(Client))
        assert (stored.confirmation_channels, stored.reminder_channels) == expected


def test_the_consent_answer_tells_the_card_to_refresh_its_no_consent_line(app, client, staff):
    with app.app_context():
        Practice.current().sms_enabled = True
        db.session.commit()
    client_id = make_client(app, reminder_channels=Channels.SMS)
    log_in(client, staff)
    warning = f"/clients/{client_id}/sms-warning"
    assert "no SMS consent registered" in client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert 'hx-trigger="consent-changed from:body"' in client.get(warning).get_data(as_text=True)
    registered = _consent(client, client_id, "yes")
    assert registered.headers["HX-Trigger"] == "consent-changed"
    assert "no SMS consent registered" not in client.get(warning).get_data(as_text=True)
    _consent(client, client_id, "no")
    assert "no SMS consent registered" in client.get(warning).get_data(as_text=True)
