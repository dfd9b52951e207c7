"""Configuration, migrations and catalogues: the ground every page stands on."""
import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from sqlalchemy import text

from practice.app import create_app
from practice.config import ConfigError, load_config
from practice.extensions import db, migrate
from practice.enums import LANGUAGES
from tests.conftest import csrf_token, log_in

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "translations"


@pytest.mark.parametrize("secret", [None, "", "dev", "short-but-not-32-characters"])
def test_production_refuses_a_missing_or_weak_secret_key(tmp_path, secret):
    environ = {"PRACTICE_ENV": "production", "PRACTICE_INSTANCE": str(tmp_path)}
    if secret is not None:
        environ["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(environ)


def test_production_takes_its_parts_from_the_environment(tmp_path):
    config = load_config({
        "PRACTICE_ENV": "production", "PRACTICE_INSTANCE": str(tmp_path), "SECRET_KEY": "tN4v-Qz8_pL2xR7mK9wB3cY6hJ0sD5fG",
        "DATABASE_URL": "postgres://practice@db/practice", "HUEY_URL": "redis://cache:6379/0",
        "SMTP_HOST": "mail.example.com", "SMS_GATEWAY": "kannel",
    })
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://practice@db/practice"
    assert config["HUEY_URL"] == "redis://cache:6379/0"
    assert config["MAIL_BACKEND"] == "smtp" and config["SMS_GATEWAY"] == "kannel"
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_NAME"] == "__Host-session"


def test_development_defaults_are_embedded(tmp_path):
    config = load_config({"PRACTICE_INSTANCE": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'practice.db'}"
    assert config["HUEY_URL"] == f"sqlite:///{tmp_path / 'huey.db'}"
    assert config["MAIL_BACKEND"] == "sink" and config["SMS_GATEWAY"] == "sink"
    assert len(config["SECRET_KEY"]) >= 32
    assert load_config({"PRACTICE_INSTANCE": str(tmp_path)})["SECRET_KEY"] == config["SECRET_KEY"]


def test_migrations_build_exactly_the_models(empty_database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:  # as `flask db migrate` compares: the trigram index left out
            context = MigrationContext.configure(connection, opts=migrate.alembic_ctx_kwargs)
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_the_models_and_the_migrations_make_the_same_indexes(database_url, empty_database_url):
    """Autogenerate's comparison cannot see an index on an expression (the message log's); a migration that rebuilds
    a table on SQLite loses them silently. So the index names are compared here, each database's own list."""
    made = []
    for url, make in ((database_url, db.create_all), (empty_database_url, upgrade)):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": "memory://"})
        with app.app_context():
            make()
            with db.engine.connect() as connection:
                made.append(set(connection.scalars(text(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'"
                    if connection.dialect.name == "sqlite" else
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))))
            db.engine.dispose()
    assert {"ix_message_logged", "ix_message_status_logged"} <= made[0]
    assert made[1] - {"alembic_version_pkc"} == made[0]


def test_the_models_and_the_migrations_make_the_same_trigram_index(database_url, empty_database_url):
    """The one thing of the schema the models do not describe (search_index.py): made all the same either way."""
    made = []
    for url, make in ((database_url, db.create_all), (empty_database_url, upgrade)):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": "memory://"})
        with app.app_context():
            make()
            with db.engine.connect() as connection:
                made.append(connection.execute(text(
                    "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'client_trigram%' ORDER BY name"
                    if connection.dialect.name == "sqlite" else
                    "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE indexname = 'client_trigram' UNION ALL "
                    "SELECT 'extension', extname, extversion FROM pg_extension WHERE extname = 'pg_trgm'")).all())
            db.engine.dispose()
    assert made[0] == made[1] and len(made[0]) in (2, 8)  # index and extension; FTS5 table, 4 shadow tables, 3 triggers


def _source_messages() -> set[str]:
    method_map = [("practice/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_visible_string_is_translated(language):
    po = read_po(open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb"))
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in po
                  if m.id and m.string and "fuzzy" not in m.flags
                  and (isinstance(m.string, str) or all(m.string))}
    missing = _source_messages() - translated
    assert not missing, f"{language}: untranslated: {sorted(missing)} — run `flask translations update`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    folder = CATALOGUES / language / "LC_MESSAGES"
    po = read_po(open(folder / "messages.po", "rb"))
    mo = read_mo(io.BytesIO((folder / "messages.mo").read_bytes()))
    assert _pairs(po) == _pairs(mo), "messages.mo is stale — run `flask translations update`"


def _pairs(catalogue) -> dict:
    """Message ids and their translations; plural forms as tuples (.po and .mo read them differently)."""
    plain = lambda value: value if isinstance(value, str) else tuple(value)  # noqa: E731
    return {plain(m.id): plain(m.string) for m in catalogue if m.id}


def test_the_login_page_speaks_the_browser_language(client):
    assert "Anmelden" in client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert "Inloggen" in client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)


def test_the_owner_changes_practice_settings_and_bad_input_changes_nothing(app, client, owner):
    log_in(client, owner)
    form = {"name": "Fysio Noord", "email": "noord@example.nl", "phone": "+31 50 555 0000",
            "timezone": "Europe/Berlin", "country": "DE", "subdivision": "BY", "csrf_token": csrf_token(client)}
    assert client.post("/settings/", data=form).status_code == 302
    bad = form | {"name": "Elsewhere", "timezone": "Mars/Olympus", "subdivision": "XX"}
    response = client.post("/settings/", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose a time zone from the list" in page and "Unknown region" in page
    with app.app_context():
        from practice.models import Practice

        practice = Practice.current()
        assert (practice.name, practice.timezone, practice.subdivision) == ("Fysio Noord", "Europe/Berlin", "BY")


def test_the_suite_runs_on_the_stack_it_names(app, environment, stack):
    """PRACTICE_TEST_STACK=production really puts the app and the processes it spawns on PostgreSQL and Redis."""
    with app.app_context():
        dialect = db.engine.dialect.name
    expected = ("postgresql", "redis://") if stack.name == "production" else ("sqlite", "sqlite:///")
    assert (dialect, environment["HUEY_URL"][:len(expected[1])]) == expected
    assert environment["DATABASE_URL"] == app.config["SQLALCHEMY_DATABASE_URI"]
