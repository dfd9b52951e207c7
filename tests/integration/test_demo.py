"""The demo practice: `flask demo --country BE` gives a bilingual practice in Brussels."""
import phonenumbers
from sqlalchemy import select

from practice.extensions import db
from practice.models import Client, Location, Practice


def test_belgian_demo_has_brussels_addresses_belgian_mobiles_and_dutch_and_french_clients(app):
    with app.app_context():  # as `flask` runs its commands
        result = app.test_cli_runner().invoke(args=["demo", "--country", "BE", "--today", "2026-12-03"])
        assert result.exit_code == 0, result.output
        practice = Practice.current()
        assert (practice.country, practice.timezone) == ("BE", "Europe/Brussels")
        assert practice.phone.startswith("+32 ")
        assert all(" Bruxelles" in address or " Jette" in address for address in db.session.scalars(select(Location.address)))
        clients = db.session.scalars(select(Client)).all()
        mobiles = [phonenumbers.parse(client.mobile) for client in clients if client.mobile]
        assert mobiles and all(phonenumbers.region_code_for_number(number) == "BE"
                               and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
                               for number in mobiles)
        languages = {client.language for client in clients}
        assert {"nl", "fr"} <= languages


def test_an_unknown_demo_country_is_refused(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "--country", "XX"])
        assert result.exit_code != 0 and "XX" in result.output
        assert not db.session.scalars(select(Client)).first()
