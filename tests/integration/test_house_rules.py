"""Rules written once and read everywhere: labels and classification on the enums, why a message cannot go out
(the same in Python and in SQL), the practice row made with the tables, the queue made from the configuration,
an error page that rolls back before it reads the database, and the templates' date filter."""
from datetime import UTC, date, datetime
from itertools import product

import pytest
from sqlalchemy import select, text

from practice.app import create_app
from practice.enums import (
    AppointmentStatus, Channel, Channels, ConsentSource, Labelled, Language, MessageKind, MessageStatus,
    NotSentReason, Outcome, Role, Span,
)
from practice.extensions import _in_utc, db
from practice.i18n import in_language
from practice.messages.planning import reaches, why_not
from practice.models import Client, Practice
from practice.web import public


def test_every_value_of_every_vocabulary_has_a_label_in_each_language(app):
    vocabularies = (AppointmentStatus, Channel, Channels, ConsentSource, Language, MessageKind, MessageStatus,
                    NotSentReason, Outcome, Role, Span)
    with app.test_request_context():
        for language in Language:
            with in_language(language):
                assert all(str(member.label).strip() for vocabulary in vocabularies for member in vocabulary)
        with in_language("nl"):
            assert str(MessageStatus.UNKNOWN.label) == "Onzeker: mogelijk aangekomen"
    assert all(issubclass(vocabulary, Labelled) for vocabulary in vocabularies)


def test_a_status_knows_where_it_stands_and_what_became_of_the_message():
    assert [status for status in MessageStatus if status.rank < MessageStatus.HANDED_OVER.rank] == [
        MessageStatus.PLANNED, MessageStatus.SENDING, MessageStatus.UNKNOWN]  # a report moves these on
    assert all(status.outcome == Outcome.FAILED for status in MessageStatus.failures())
    assert MessageStatus.UNKNOWN not in MessageStatus.failures()  # in doubt is not certainly lost
    assert MessageStatus.with_outcome(Outcome.FAILED) == [MessageStatus.UNKNOWN, *MessageStatus.failures()]
    assert {status for status in MessageStatus if status.went_out} == {MessageStatus.HANDED_OVER,
                                                                        MessageStatus.DELIVERED}


def test_why_a_message_cannot_go_out_is_the_same_in_python_and_in_sql(app):
    """Every kind of client against every combination of the practice's settings, for every kind and channel."""
    with app.app_context():
        clients = [Client(first_name="C", last_name=f"{n}", mobile=mobile, email=email, sms_consent=consent)
                   for n, (mobile, email, consent) in enumerate(product(("", "+31612345678"),
                                                                        ("", "c@example.com"), (False, True)))]
        db.session.add_all(clients)
        db.session.commit()
        practice = Practice.current()
        for settings in product((False, True), repeat=4):
            practice.sms_enabled, practice.confirmation_email, practice.confirmation_sms = settings[:3]
            practice.email = "info@fysio.test" if settings[3] else ""
            for kind, channel in product(MessageKind, Channel):
                found = set(db.session.scalars(select(Client.id).where(reaches(kind, channel, practice))))
                expected = {client.id for client in clients if why_not(kind, channel, practice, client) is None}
                assert found == expected, (kind, channel, settings)
        db.session.rollback()


def test_the_practice_row_is_made_with_the_tables_and_reading_it_writes_nothing(empty_database_url):
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "HUEY_URL": "memory://"})
    with fresh.app_context():
        db.create_all()
        assert [(row.id, row.name) for row in db.session.scalars(select(Practice))] == [(1, "Practice")]
        assert Practice.current().name == "Practice"
        assert not db.session.new and not db.session.dirty
        db.engine.dispose()


def test_a_stored_moment_reads_back_in_utc_whatever_zone_the_database_server_keeps(app):
    """PostgreSQL hands out moments in the connection's zone, which is the server's own unless the app sets it; the
    pages write a moment's offset (the grid's <time datetime>), so it must read back as UTC."""
    moment = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    postgres = False
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # a server far from UTC, for every connection made from now on
            postgres = True
            name = db.session.scalar(text("SELECT current_database()"))
            db.session.execute(text(f"ALTER DATABASE {name} SET timezone TO 'Pacific/Chatham'"))
            db.session.commit()
            db.engine.dispose()
        client = Client(first_name="Ada", last_name="Zone", erased_at=moment)
        db.session.add(client)
        db.session.commit()
        client_id = client.id
    with app.app_context():
        read = db.session.scalar(select(Client.erased_at).where(Client.id == client_id))
        assert read == moment and read.utcoffset().total_seconds() == 0 and read.isoformat().endswith("+00:00")
        if postgres:
            import psycopg

            assert db.session.scalar(text("SHOW timezone")) == "UTC"  # what the app opens its connections with
            plain = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(plain) as connection:  # and what they would have been without it, which it refuses
                assert connection.execute("SHOW timezone").fetchone()[0] == "Pacific/Chatham"
                with pytest.raises(RuntimeError, match="Pacific/Chatham, not UTC"):
                    _in_utc(connection, None)
            # Options given in the address still apply beside it.
            address = db.engine.url.update_query_dict({"options": "-c statement_timeout=4s"})
            other = create_app({"SQLALCHEMY_DATABASE_URI": address.render_as_string(hide_password=False),
                                "HUEY_URL": "memory://"})
            with other.app_context():
                assert [db.session.scalar(text(f"SHOW {name}")) for name in ("statement_timeout", "timezone")] \
                    == ["4s", "UTC"]
                db.engine.dispose()


def test_the_queue_comes_from_the_apps_configuration(tmp_path, database_url):
    from huey import MemoryHuey, SqliteHuey

    memory = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HUEY_URL": "memory://"})
    on_disk = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HUEY_URL": f"sqlite:///{tmp_path / 'q.db'}"})
    assert isinstance(memory.extensions["practice.tasks"].huey, MemoryHuey)
    assert isinstance(on_disk.extensions["practice.tasks"].huey, SqliteHuey)
    assert on_disk.extensions["practice.tasks"].huey.storage.filename == str(tmp_path / "q.db")
    with pytest.raises(ValueError, match="HUEY_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HUEY_URL": "amqp://elsewhere"})


def test_the_error_page_rolls_back_before_it_reads_the_database(app):
    """On PostgreSQL a failed statement spoils the transaction: an error page that read the practice's name in it
    would fail a second time."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/broken")
    @public
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert "Fysio Test" in response.get_data(as_text=True)


def test_a_request_that_only_read_commits_and_one_that_wrote_without_committing_is_rolled_back(app):
    """Ending a read with a commit keeps a PostgreSQL connection's prepared statements (psycopg drops them on every
    rollback); whatever a request changed and did not commit itself is still thrown away."""
    ends = []

    @app.get("/probe/<what>")
    @public
    def probe(what):
        practice = Practice.current()
        if what != "read":
            practice.name = what  # "pending" stays in the session; the others reach the database uncommitted
        if what == "flushed":
            db.session.flush()
        if what == "raw":
            db.session.execute(text("UPDATE practice SET phone = 'raw'"))
        return "ok"

    with app.app_context():
        for end in ("commit", "rollback"):
            db.event.listen(db.engine, end, lambda connection, end=end: ends.append(end))
    client = app.test_client()
    for what in ("read", "pending", "flushed", "raw"):
        ends.clear()
        assert client.get(f"/probe/{what}").status_code == 200
        assert ends == ["commit" if what == "read" else "rollback"], what
    with app.app_context():
        assert (Practice.current().name, Practice.current().phone) == ("Fysio Test", "+31 20 555 0100")
        postgres = db.engine.dialect.name == "postgresql"
    if postgres:  # psycopg prepares a statement on its sixth run; the one pooled connection keeps it
        for _ in range(8):
            client.get("/probe/read")
        with app.app_context():
            assert db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) > 0


def test_the_date_filter_writes_a_day_as_flask_babel_does_and_a_moments_day_in_the_practices_zone(app):
    from flask_babel import format_date

    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # already 4 December in Amsterdam
    days = [late, datetime(2026, 3, 28, 23, 30), date(2026, 3, 29)]  # a naive moment is UTC, as Flask-Babel reads it
    with app.test_request_context():
        write = app.jinja_env.filters["date"]
        for language, fmt, day in product(("nl", "de", "fr", "en"), ("full", "long", "medium", "short", "LLLL yyyy",
                                                                     "EEE d MMM y"), days):
            with in_language(language):
                assert write(day, fmt) == format_date(day, fmt)
        with in_language("en"):
            assert write(late, "d MMMM yyyy") == "4 December 2026"
