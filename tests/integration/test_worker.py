"""The Huey consumer starts with one command against the embedded default and runs our tasks."""
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def _environment(tmp_path) -> dict:
    return os.environ | {
        "PRACTICE_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'practice.db'}",
        "HUEY_URL": f"sqlite:///{tmp_path / 'huey.db'}",
    }


def _beats(tmp_path) -> list:
    engine = create_engine(f"sqlite:///{tmp_path / 'practice.db'}")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT seen_at FROM worker_beat")).all()
    engine.dispose()
    return [row[0] for row in rows]


def _wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_flask_worker_runs_the_heartbeat_and_an_enqueued_task(app, tmp_path):
    environment = _environment(tmp_path)
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: len(_beats(tmp_path)) == 1), "the periodic heartbeat did not run at start"
        first = _beats(tmp_path)[0]
        # The web process enqueues into the same SQLite queue; the consumer picks it up.
        subprocess.run([sys.executable, "-c", "from practice.tasks import heartbeat; heartbeat()"], cwd=ROOT,
                       env=environment, check=True)
        assert _wait_for(lambda: _beats(tmp_path)[0] > first), "the enqueued task did not run"
    finally:
        consumer.terminate()
        output = consumer.communicate(timeout=40)[0].decode()
    assert "Huey consumer started" in output, output
    assert consumer.returncode == 0, output
