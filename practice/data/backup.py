"""Backup and restore of the practice's database while the app runs: SQLite's online backup API for the embedded
default, PostgreSQL's own pg_dump and pg_restore in production; and the worker's nightly backups, the last 14 kept.

The Huey queue is not backed up, on purpose: the database is the truth about what must be sent (a message still to
go out is a `message` row, planned or claimed), and the worker's minute round sends whatever is due, so a restored
instance needs no queue to catch up."""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, inspect, make_url, select, text
from sqlalchemy.engine import URL

from ..config import private_file
from ..enums import MessageStatus
from ..extensions import db
from ..models import Appointment, Client, Message, User

KEEP = 14  # nightly backups kept: two weeks to notice a mistake and go back to before it
NIGHTLY = re.compile(r"practice-(\d{8}-\d{6})\.(sqlite|dump)")
# What only the practice's own use puts in a database: a new instance has the practice's row and none of these.
HELD = (User, Client, Appointment, Message)
SQLITE_MAGIC = b"SQLite format 3\x00"
DUMP_MAGIC = b"PGDMP"  # pg_dump --format=custom
POSTGRES_BINARIES = Path("/usr/lib/postgresql")  # Debian keeps pg_dump here, under the major version


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, in words for whoever runs it."""


class NotEmpty(BackupError):
    """The restore's target already holds the practice's data."""


@dataclass(frozen=True)
class Backup:
    path: Path
    tool: str  # "sqlite" (the online backup API) or "pg_dump"


def backup_folder() -> Path:
    """Where the nightly backups go: BACKUP_DIR, else `backups` in the instance folder."""
    return Path(current_app.config["BACKUP_DIR"])


def store_backup(path: Path) -> Backup:
    """A consistent copy of the live database at `path`, taken while the web server and the worker go on writing.
    It is written beside `path` and renamed at the end, so a file under the final name is always whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    private_file(partial).close()  # the practice's data: readable by the owner of the file only
    try:
        tool = _dump_sqlite(partial) if _url().get_backend_name() == "sqlite" else _dump_postgres(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, tool)


def restore_backup(path: Path, force: bool = False) -> str | None:
    """The database as it was in the backup at `path`. Refused (NotEmpty) when the database already holds the
    practice's data, unless `force`. Afterwards the schema is brought to the newest migration, so an older backup
    works; returns the migration the backup was at (None when it was made without migrations)."""
    path = Path(path)
    held = _held()
    if held and not force:
        raise NotEmpty(f"The database already holds the practice's data ({', '.join(held)}).")
    db.session.remove()  # no transaction of ours stands in the way of the restore
    if _url().get_backend_name() == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgres(path)
    db.engine.dispose()  # nothing read before the restore is used after it
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    db.session.remove()
    upgrade()
    return revision


def count_due(now: datetime) -> int:
    """Messages the restored database still has to send and whose time has come: some may have gone out after the
    backup was made, which the backup cannot know."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.status.in_((MessageStatus.PLANNED, MessageStatus.SENDING)), Message.due_at <= now)) or 0


def store_nightly_backup(folder: Path, now: datetime, keep: int = KEEP) -> Backup:
    """`practice-YYYYMMDD-HHMMSS.sqlite` (or `.dump`) in `folder`, then only the newest `keep` of these remain.
    Other files in the folder are left alone."""
    folder = Path(folder)
    suffix = "sqlite" if _url().get_backend_name() == "sqlite" else "dump"
    made = store_backup(folder / f"practice-{now.astimezone(UTC):%Y%m%d-%H%M%S}.{suffix}")
    nightly = sorted(file for file in folder.iterdir() if NIGHTLY.fullmatch(file.name))
    for old in nightly[:-keep]:
        old.unlink(missing_ok=True)  # a second consumer may be pruning too
    return made


def newest_backup(folder: Path) -> datetime | None:
    """When the newest backup in `folder` was made (UTC): a nightly one by its name, any other file by its time of
    writing; None when there is none. Files being written (hidden, `.partial`) do not count."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = []
    for file in folder.iterdir():
        if file.name.startswith(".") or not file.is_file():
            continue
        if named := NIGHTLY.fullmatch(file.name):
            found.append(datetime.strptime(named.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC))
        else:
            found.append(datetime.fromtimestamp(file.stat().st_mtime, UTC))
    return max(found, default=None)


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


# --- SQLite -----------------------------------------------------------------------------------------------------

def _dump_sqlite(target: Path) -> str:
    """SQLite's online backup API, all pages in one step: one read transaction, so one moment of the database,
    while the write-ahead log lets the web server and the worker go on committing."""
    if not _url().database or _url().database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    live = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            live.driver_connection.backup(copy)
            # One self-contained file, without the -wal and -shm files a copy in WAL mode would make when opened.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not back up the database: {error}") from None
    finally:
        live.close()
    return "sqlite"


def _restore_sqlite(path: Path) -> None:
    """The backup API the other way round: every page of the live database file replaced by the backup's, in one
    write transaction that other connections wait for."""
    _expect(path, SQLITE_MAGIC, "an SQLite database file (made by `flask backup` on the embedded default)")
    live = db.engine.raw_connection()
    try:
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            # A damaged file would be copied page by page all the same: check it before the live data is gone.
            if (found := source.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
                raise BackupError(f"{path} is damaged ({found}), so it cannot be restored.")
            source.backup(live.driver_connection)
        finally:
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not restore {path}: {error}") from None
    finally:
        live.close()


def _expect(path: Path, magic: bytes, kind: str) -> None:
    with open(path, "rb") as file:
        if file.read(len(magic)) != magic:
            raise BackupError(f"{path} is not {kind}, so it cannot be restored into this database.")


def _held() -> list[str]:
    """The practice's data already in the database, as "user: 3", "client: 12"…; empty for a new instance."""
    present = set(inspect(db.engine).get_table_names())
    counts = [(table.name, db.session.scalar(select(func.count()).select_from(table)))
              for table in (model.__table__ for model in HELD) if table.name in present]
    db.session.remove()
    return [f"{name}: {count}" for name, count in counts if count]


# --- PostgreSQL -------------------------------------------------------------------------------------------------

def _dump_postgres(target: Path) -> str:
    """pg_dump's own snapshot (one repeatable-read transaction) in its custom format, which pg_restore reads."""
    _run_postgres("pg_dump", ["--format=custom", "--file", str(target)])
    return "pg_dump"


def _restore_postgres(path: Path) -> None:
    """The app's schema replaced by the backup's in one transaction, all or nothing: pg_restore writes the backup out
    as SQL (whole, or the restore stops there), then psql drops the schema and runs it. pg_restore's own --clean
    would drop only what the backup holds, so a table of a newer schema than the backup's would stay and the
    migrations after it would trip over it."""
    _expect(path, DUMP_MAGIC, "a pg_dump file in the custom format (made by `flask backup` on PostgreSQL)")
    # pg_restore reads a damaged or foreign file as an empty archive: the practice's table must be in it.
    if not re.search(r" TABLE public practice ", _run_postgres("pg_restore", ["--list", str(path)], database=False)):
        raise BackupError(f"{path} holds no practice's database (pg_restore finds no practice table in it), so it "
                          "cannot be restored.")
    with tempfile.TemporaryDirectory(prefix="practice-restore-") as folder:  # the owner's eyes only
        script = Path(folder) / "restore.sql"
        _run_postgres("pg_restore", ["--no-owner", "--no-privileges", "--file", str(script), str(path)],
                      database=False)
        _run_postgres("psql", ["--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
                               "--command", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
                               "--file", str(script), "--dbname"])


def _libpq() -> tuple[dict, str]:
    """The environment and the connection string for PostgreSQL's programs. The password goes by the environment,
    never on the command line where other users of the machine could read it."""
    url = _url()
    environment = os.environ | ({"PGPASSWORD": url.password} if url.password else {})
    return environment, url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run_postgres(tool: str, arguments: list[str], database: bool = True) -> str:
    """Run one of PostgreSQL's programs, with the app's database as its last argument; what it printed."""
    environment, url = _libpq()
    try:
        result = subprocess.run([_postgres_tool(tool), *arguments, *([url] if database else [])], env=environment,
                                capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{tool} could not be started: {error}") from None
    if result.returncode:
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _postgres_tool(name: str) -> str:
    """The newest version Debian installed under /usr/lib/postgresql (it must be at least the server's), else the
    one on PATH."""
    def version(binary: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in binary.parent.parent.name.split("."))

    installed = [binary for binary in POSTGRES_BINARIES.glob(f"*/bin/{name}")
                 if re.fullmatch(r"\d+(\.\d+)*", binary.parent.parent.name)]
    if installed:
        return str(max(installed, key=version))
    if found := shutil.which(name):
        return found
    raise BackupError(f"{name} is missing: install PostgreSQL's client programs (Debian: apt-get install "
                      "postgresql-client).")
