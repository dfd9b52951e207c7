"""The stacks a benchmark runs on, the test suite's two (tests/stack.py): embedded (SQLite in a file) and
production (a throw-away PostgreSQL cluster on 127.0.0.1 with durable commits). One switch for every script:

    --stack embedded|production|both    when not given: PRACTICE_TEST_STACK if it is set, else both

Each stack is measured in a fresh process forked from the script's, one after the other, so the second does not
inherit the first's caches, garbage or frozen objects. A script hands `run` a function that takes the database
URL, creates the tables with db.create_all() and returns its figures ({label: text}); they are printed side by
side: figure | SQLite | PostgreSQL (`measure_each` and `print_table` apart, for a script that adds figures of its
own, as send_rate.py adds its shared baseline). The cluster keeps PostgreSQL's default settings. It and the SQLite
file are removed at the end, also after an error or Ctrl-C."""
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.stack import EMBEDDED, PRODUCTION, Postgres  # noqa: E402  (it checks PRACTICE_TEST_STACK too)

BOTH = "both"
COLUMNS = {EMBEDDED: "SQLite", PRODUCTION: "PostgreSQL"}


def add_argument(parser) -> None:
    parser.add_argument("--stack", choices=(EMBEDDED, PRODUCTION, BOTH),
                        default=os.environ.get("PRACTICE_TEST_STACK", BOTH),
                        help="embedded (SQLite), production (PostgreSQL) or both side by side; "
                             "default: PRACTICE_TEST_STACK if set, else both")


def chosen(args) -> list[str]:
    return [EMBEDDED, PRODUCTION] if args.stack == BOTH else [args.stack]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Failed(str):
    """What a stack's run gave instead of figures: it raised (the child prints the traceback) or died."""


@contextmanager
def databases(stacks: list[str]):
    """{stack: database URL}, empty databases; a PostgreSQL cluster only when asked for. Everything goes at the
    end, and on SIGTERM too (turned into SystemExit so the cleanup runs)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    folder = Path(tempfile.mkdtemp(prefix="practice-bench-db-"))
    cluster = None
    try:
        urls = {}
        if EMBEDDED in stacks:
            urls[EMBEDDED] = f"sqlite:///{folder / 'bench.db'}"
        if PRODUCTION in stacks:
            cluster = Postgres(free_port())
            print(f"starting a throw-away PostgreSQL cluster in {cluster.folder}", flush=True)
            cluster.start()
            # The cluster's own maintenance database: it is empty and nobody else uses this cluster.
            urls[PRODUCTION] = cluster.url("postgres")
        yield urls
    finally:
        # A second Ctrl-C or SIGTERM landing while the cluster stops would leave its files behind: held till done.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            if cluster:
                cluster.stop()
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def measure_each(args, measure, *extra) -> dict:
    """{stack: what measure(url, *extra) returned, or Failed}, each stack in a forked process of its own."""
    stacks, results = chosen(args), {}
    with databases(stacks) as urls:
        for stack in stacks:
            print(f"\n--- {COLUMNS[stack]} ---", flush=True)
            results[stack] = _in_child(measure, urls[stack], extra)
    return results


def _in_child(measure, url: str, extra: tuple):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(measure, url, extra, sender))
    child.start()
    sender.close()  # the child's copy is the only one left: recv() ends when the child does
    try:
        try:
            return receiver.recv()
        except EOFError:
            child.join()
            return Failed(f"exit code {child.exitcode}")
    finally:
        if child.is_alive():
            child.terminate()  # only when interrupted: otherwise it has sent its figures and is ending
        child.join()


def _child(measure, url: str, extra: tuple, sender) -> None:
    sys.stdout.reconfigure(line_buffering=True)  # its progress lines show as they happen, also into a file
    try:
        result = measure(url, *extra)
    except Exception as error:
        traceback.print_exc()
        result = Failed(f"{type(error).__name__}: {error}")
    sender.send(result)


def print_table(title: str, results: dict[str, dict | Failed]) -> None:
    """figure | SQLite | PostgreSQL, the figures in the order the first stack gave them."""
    labels = []
    for figures in results.values():
        if not isinstance(figures, Failed):
            labels += [label for label in figures if label not in labels]
    columns = [COLUMNS[stack] for stack in results]
    cells = [[label, *(("failed" if isinstance(f, Failed) else f.get(label, "-")) for f in results.values())]
             for label in labels]
    widths = [max(len(row[n]) for row in [["figure", *columns], *cells]) for n in range(len(columns) + 1)]
    print(f"\n{title}")
    for row in [["figure", *columns], ["-" * w for w in widths], *cells]:
        print("  ".join([row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]))
    for stack, figures in results.items():
        if isinstance(figures, Failed):
            print(f"{COLUMNS[stack]} failed: {figures}")


def run(args, title: str, measure) -> None:
    """Measure on each chosen stack and print the table; exit status 1 when a stack failed."""
    results = measure_each(args, measure)
    print_table(title, results)
    if any(isinstance(figures, Failed) for figures in results.values()):
        raise SystemExit(1)


def settle_statistics(engine) -> None:
    """PostgreSQL plans by the statistics autovacuum keeps. Right after a bulk load they are missing until
    autovacuum's next round (within about a minute), so a run would measure whichever plan the timing gave:
    VACUUM ANALYZE now, as autovacuum does after a load (insert-only tables are vacuumed too since 13, which
    keeps index-only scans index-only). SQLite plans without statistics (the app never runs ANALYZE there)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def configure(practice, **settings) -> None:
    """The practice's row is made with the tables: a bench sets it up as it needs."""
    for name, value in settings.items():
        setattr(practice, name, value)
