"""The two stacks the suite runs on (PRACTICE_TEST_STACK): the embedded default (SQLite, Huey on SQLite) and
the production parts (PostgreSQL and Redis from Debian's packages). For the production stack a throw-away
PostgreSQL cluster and a Redis are started on 127.0.0.1 once per test run and stopped at its end; every test
gets a database of its own, and every process a test spawns is pointed at the same parts."""
import os
import shutil
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path

from sqlalchemy import create_engine, text

EMBEDDED, PRODUCTION = "embedded", "production"
NAME = os.environ.get("PRACTICE_TEST_STACK", EMBEDDED)
if NAME not in (EMBEDDED, PRODUCTION):
    raise SystemExit(f"PRACTICE_TEST_STACK must be {EMBEDDED} or {PRODUCTION}, not {NAME!r}")
REDIS_SERVER = "/usr/bin/redis-server"


def postgres_bin() -> Path:
    """Debian keeps initdb and pg_ctl off PATH, under the major version."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL is missing: apt-get install postgresql (the README's test command does)")
    return versions[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    """initdb refuses to run as root, and CI runs as root: run the cluster as the package's postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A cluster of our own in a temporary folder, with durable commits as in production (fsync and
    synchronous_commit left on): the exactly-once test is about the real commit behaviour."""

    def __init__(self, port: int):
        self.port, self.folder = port, Path(tempfile.mkdtemp(prefix="practice-pg-"))
        self.data = self.folder / "data"
        self._numbers = count(1)

    def start(self) -> "Postgres":
        binaries = postgres_bin()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        subprocess.run(_as_postgres([str(binaries / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                     "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
        # The server keeps a practice's local time, as one installed in Belgium would: the app reads UTC all the same.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                   f"-c timezone=Europe/Brussels")
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(self.data), "-o", options,
                                     "-l", str(self.folder / "log"), "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        self._admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT", pool_size=1)
        return self

    def url(self, database: str, port: int | None = None) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port or self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        name = f"t_{next(self._numbers)}"
        with self._admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
        return name

    def drop_database(self, name: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def stop(self) -> None:
        self._admin.dispose()
        subprocess.run(_as_postgres([str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                                     "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    def __init__(self, port: int):
        self.port, self.folder = port, Path(tempfile.mkdtemp(prefix="practice-redis-"))
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> "Redis":
        if not os.path.exists(REDIS_SERVER):
            raise SystemExit("Redis is missing: apt-get install redis-server (the README's test command does)")
        subprocess.run([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.folder),
                        "--pidfile", str(self.folder / "redis.pid"), "--logfile", str(self.folder / "log")],
                       check=True)
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis did not start: {(self.folder / 'log').read_text()}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url).ping()
        except redis.ConnectionError:
            return False

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        import redis

        try:
            redis.Redis.from_url(self.url).shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # it is gone: the shutdown closes the connection before answering
        shutil.rmtree(self.folder, ignore_errors=True)


class Stack:
    """What a test needs of its stack: a fresh database, and the environment for the processes it spawns."""

    name = EMBEDDED

    def database(self, folder: Path, *, empty: bool = False) -> str:
        """The URL of a database of the test's own; `empty`: no tables yet (else they may exist already)."""
        return f"sqlite:///{folder / ('empty.db' if empty else 'practice.db')}"

    def huey_url(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'huey.db'}"

    def release(self) -> None:
        """The end of a test: its database goes."""

    def environment(self, folder: Path, database_url: str) -> dict:
        """For a consumer, `flask` command or web server a test starts: the test's database and queue."""
        return os.environ | {"PRACTICE_INSTANCE": str(folder), "DATABASE_URL": database_url,
                             "HUEY_URL": self.huey_url(folder)}

    def stop(self) -> None:
        pass


class ProductionStack(Stack):
    name = PRODUCTION
    TEMPLATE = "practice_template"

    def __init__(self, free_port):
        self.postgres = Postgres(free_port()).start()
        self.redis = Redis(free_port()).start()
        self._databases: list[str] = []
        self._make_template()

    def _make_template(self) -> None:
        """The tables once, in a template that CREATE DATABASE copies for every test (much faster than
        creating them each time)."""
        from practice.extensions import db

        with self.postgres._admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {self.TEMPLATE}"))
        engine = create_engine(self.postgres.url(self.TEMPLATE))
        db.metadata.create_all(engine)
        engine.dispose()

    def database(self, folder: Path, *, empty: bool = False) -> str:
        name = self.postgres.create_database(None if empty else self.TEMPLATE)
        self._databases.append(name)
        return self.postgres.url(name)

    def huey_url(self, folder: Path) -> str:
        return self.redis.url

    def release(self) -> None:
        while self._databases:
            self.postgres.drop_database(self._databases.pop())
        self.redis.flush()

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()


def start(free_port) -> Stack:
    return ProductionStack(free_port) if NAME == PRODUCTION else Stack()
