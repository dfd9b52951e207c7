"""The owner's settings around messages: the time zone from a list, countries by name, reminder rules that show only
what their kind needs, a one-click switch where the reschedule link is left out, the editor's languages by name,
and French wherever a language is chosen."""
import re

import pytest

from practice.enums import Role
from practice.models import Practice
from tests.conftest import csrf_token, log_in, make_user


@pytest.fixture
def owner_browser(app):
    return log_in(app.test_client(), make_user(app, Role.OWNER))


def inputs_of(html: str, slot: str) -> list[str]:
    """The names of the fields drawn in one reminder slot (first_reminder or second_reminder)."""
    fieldset = re.search(rf'<fieldset class="reminder-rule" data-test="{slot}".*?</fieldset>', html, re.S).group(0)
    return re.findall(r'name="' + slot + r'-(\w+)"', fieldset)


def test_the_time_zone_is_chosen_from_a_list_europes_common_zones_first_and_a_made_up_one_is_refused(app,
                                                                                                      owner_browser):
    page = owner_browser.get("/settings/").get_data(as_text=True)
    select = re.search(r'<select id="timezone" name="timezone">.*?</select>', page, re.S).group(0)
    zones = re.findall(r'value="([^"]+)"', select)
    assert zones[:3] == ["Europe/Amsterdam", "Europe/Brussels", "Europe/Berlin"] and "America/New_York" in zones
    assert 'type="text" name="timezone"' not in page
    form = {"name": "Fysio Test", "email": "info@fysio.example.com", "phone": "+31 20 555 0100", "country": "BE",
            "subdivision": "", "csrf_token": csrf_token(owner_browser)}
    refused = owner_browser.post("/settings/", data=form | {"timezone": "Mars/Olympus"})
    assert refused.status_code == 422 and "Choose a time zone from the list." in refused.get_data(as_text=True)
    with app.app_context():
        assert (Practice.current().timezone, Practice.current().country) == ("Europe/Amsterdam", "NL")
    assert owner_browser.post("/settings/", data=form | {"timezone": "Europe/Brussels"}).status_code == 302
    with app.app_context():
        assert (Practice.current().timezone, Practice.current().country) == ("Europe/Brussels", "BE")


def test_countries_are_named_in_the_readers_language(app, owner_browser):
    owner_browser.post("/language", data={"language": "nl", "csrf_token": csrf_token(owner_browser)})
    assert '<option value="BE">België</option>' in owner_browser.get("/settings/").get_data(as_text=True)
    messaging = owner_browser.get("/settings/messaging").get_data(as_text=True)
    assert "Nederland" in messaging and "van NL" not in messaging


def test_a_reminder_rule_shows_only_the_fields_of_its_kind(app, owner_browser):
    page = owner_browser.get("/settings/messaging").get_data(as_text=True)
    assert inputs_of(page, "first_reminder") == ["kind", "days", "at"]  # the default: 2 days before at 07:00
    assert inputs_of(page, "second_reminder") == ["kind"]  # no second reminder
    redrawn = {kind: inputs_of(owner_browser.get("/settings/reminder-rule/first_reminder", query_string={
        "first_reminder-kind": kind}, headers={"HX-Request": "true"}).get_data(as_text=True), "first_reminder")
        for kind in ("days_before", "last_working_day", "hours_before", "")}
    assert redrawn == {"days_before": ["kind", "days", "at"], "last_working_day": ["kind", "at"],
                       "hours_before": ["kind", "hours"], "": ["kind"]}
    saved = owner_browser.post("/settings/messaging", data={
        "csrf_token": csrf_token(owner_browser), "first_reminder-kind": "hours_before", "first_reminder-hours": "4",
        "second_reminder-kind": "", "confirmation_email": "y", "notice_delay_minutes": "3",
        "sms_price_cents": "10"})
    assert saved.status_code == 302
    with app.app_context():
        assert Practice.current().reminder_rules == "hours_before:4"
    assert inputs_of(owner_browser.get("/settings/messaging").get_data(as_text=True), "first_reminder") == [
        "kind", "hours"]
    assert owner_browser.get("/settings/reminder-rule/third").status_code == 404


def test_where_the_link_is_used_while_online_rescheduling_is_off_the_owner_switches_it_on_in_one_click(app):
    owner = log_in(app.test_client(), make_user(app, Role.OWNER))
    assert 'data-test="online-off"' in owner.get("/settings/messaging").get_data(as_text=True)
    assert 'data-test="online-off"' in owner.get("/messages/templates/confirmation/email/nl").get_data(as_text=True)
    assert 'data-test="online-off"' not in owner.get("/messages/templates/cancelled/email/nl").get_data(as_text=True)
    desk = log_in(app.test_client(), make_user(app, Role.STAFF))
    assert desk.post("/settings/online/switch-on", data={"csrf_token": csrf_token(desk)}).status_code == 403
    assert owner.post("/settings/online/switch-on", data={}).status_code == 400  # no CSRF token
    with app.app_context():
        assert not Practice.current().online_rescheduling
    switched = owner.post("/settings/online/switch-on", data={"csrf_token": csrf_token(owner)},
                          headers={"HX-Request": "true"})
    assert switched.status_code == 200 and 'data-test="online-on"' in switched.get_data(as_text=True)
    with app.app_context():
        assert Practice.current().online_rescheduling
    assert 'data-test="online-off"' not in owner.get("/settings/messaging").get_data(as_text=True)


def test_the_editor_names_its_languages_opens_each_and_offers_the_variables_of_its_kind(app, owner_browser):
    page = owner_browser.get("/messages/templates/confirmation/email/nl").get_data(as_text=True)
    tabs = re.search(r'data-test="template-languages">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", tabs) == ["Nederlands", "Deutsch", "English", "Français"]
    assert 'href="/messages/templates/confirmation/email/fr"' in tabs
    french = owner_browser.get("/messages/templates/confirmation/email/fr").get_data(as_text=True)
    assert "Bonjour" in french and "Français" in french
    variables = {kind: re.findall(r"<code>\{\{ (\w+) \}\}</code>", owner_browser.get(
        f"/messages/templates/{kind}/email/nl").get_data(as_text=True)) for kind in ("confirmation", "rescheduled",
                                                                                     "cancelled")}
    assert "old_date" in variables["rescheduled"] and "reschedule_link" in variables["rescheduled"]
    assert "old_date" not in variables["confirmation"] and "reschedule_link" in variables["confirmation"]
    assert "reschedule_link" not in variables["cancelled"]
    overview = owner_browser.get("/messages/templates/").get_data(as_text=True)
    assert "/messages/templates/reminder/sms/fr" in overview and ">Français</th>" in overview


def test_an_owner_writes_a_type_version_in_the_language_chosen(app, agenda, owner_browser):
    response = owner_browser.get("/messages/templates/reminder/email", query_string={
        "type": agenda.intake, "language": "fr"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/messages/templates/reminder/email/fr?type={agenda.intake}")


def test_french_is_offered_wherever_a_language_is_chosen(app, owner_browser):
    login = app.test_client().get("/login").get_data(as_text=True)
    assert 'value="fr"' in login and ">FR</button>" in login
    owner_browser.post("/language", data={"language": "fr", "csrf_token": csrf_token(owner_browser)})
    assert '<html lang="fr">' in owner_browser.get("/clients/new").get_data(as_text=True)
    assert '<option value="fr">Français</option>' in owner_browser.get("/clients/new").get_data(as_text=True)


@pytest.mark.parametrize("source", ["Hallo {{ date ", "Hallo\n{% if date %}{{ date }}", "{% foo %}", "{{ date + }}",
                                    "{{ ) }}"])
def test_a_template_that_cannot_be_read_is_explained_in_our_own_translatable_words(app, owner_browser, source):
    owner_browser.post("/language", data={"language": "nl", "csrf_token": csrf_token(owner_browser)})
    response = owner_browser.post("/messages/templates/confirmation/sms/nl", data={
        "csrf_token": csrf_token(owner_browser), "body": source, "action": "save"})
    [alert] = set(re.findall(r'class="field-error" role="alert">([^<]*)<', response.get_data(as_text=True)))
    assert response.status_code == 422 and re.match(r"(Line|Regel) \d", alert)
    assert not re.search(r"unexpected|expected|token|statement|Encountered", alert, re.I)  # Jinja's English
