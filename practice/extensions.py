"""The Flask extensions, created here and bound to the app in create_app."""
import os
import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

from . import search_index

# Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_name=search_index.compared)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "connect")
def _sqlite_for_several_processes(connection, _record) -> None:
    """The embedded SQLite is shared by the web server and the worker: write-ahead log, so readers never wait
    for a writer; commits durable across a killed process (not a power cut) without an fsync each; and a
    writer waits for another instead of failing with "database is locked"."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# A request or a task that wrote nothing ends its transaction with a commit instead of Flask-SQLAlchemy's rollback: to
# the database the two are the same then, but psycopg forgets a connection's prepared statements on every rollback,
# so PostgreSQL planned every statement of every page anew (bench/http_pages.py). Any statement but a SELECT counts as
# a write, and so do changes still pending in the session: then the rollback stays.
@event.listens_for(Engine, "begin")
def _nothing_written_yet(connection) -> None:
    connection.info["wrote"] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_a_write(connection, _cursor, statement: str, *_) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        connection.info["wrote"] = True


def _end_reads_with_commit(exception) -> None:
    if not db.session.registry.has():  # this context used no session
        return
    session = db.session()
    if (exception is not None or not session.is_active or not session.in_transaction()
            or session.new or session.dirty or session.deleted):
        return
    try:
        if not session.connection().info.get("wrote", True):
            session.expire_on_commit = False  # the session ends here: its objects stay as they are, as on a close
            session.commit()
    except SQLAlchemyError:  # nothing was written, the answer stands; the pool drops a broken connection
        session.rollback()


def _in_utc(connection, _record) -> None:
    """The app reads PostgreSQL's moments as they arrive, in UTC (app.py asks for it; columns.UTCDateTime relies on
    it): a connection in another zone (a pooler that drops the startup options) is refused at once."""
    zone = connection.info.parameter_status("TimeZone")
    if zone != "UTC":
        raise RuntimeError(f"PostgreSQL connection in time zone {zone}, not UTC: connect directly, or through a "
                           "pooler that passes the startup option TimeZone=UTC")


def engine_options(url: str, configured: dict) -> dict:
    """Before db.init_app. SQLite: no server that can go away, so no ping per request. PostgreSQL: the connections
    speak UTC whatever the server's own zone, so its moments arrive as columns.UTCDateTime keeps them (_in_utc)."""
    if url.startswith("sqlite"):
        return configured | {"pool_pre_ping": False}
    if url.startswith("postgresql"):  # added to the options asked for elsewhere, which this one would replace
        arguments = configured.get("connect_args", {})
        asked = arguments.get("options") or make_url(url).query.get("options") or os.environ.get("PGOPTIONS", "")
        asked = " ".join(asked) if isinstance(asked, tuple) else asked  # options=… twice in the address
        return configured | {"connect_args": arguments | {"options": f"{asked} -c TimeZone=UTC".strip()}}
    return configured


def init_database(app) -> None:
    """After db.init_app. Its teardown is registered later than Flask-SQLAlchemy's, so it runs before the session is
    removed."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _in_utc)
    app.teardown_appcontext(_end_reads_with_commit)
