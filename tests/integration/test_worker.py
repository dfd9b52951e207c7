"""The Huey consumer starts with one command against the embedded default and runs our tasks."""
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def _beats(environment) -> list:
    engine = create_engine(environment["DATABASE_URL"])
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


def test_flask_worker_runs_the_heartbeat_and_an_enqueued_task(environment):
    consumer = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: len(_beats(environment)) == 1), "the periodic heartbeat did not run at start"
        first = _beats(environment)[0]
        # The web process enqueues into the same SQLite queue; the consumer picks it up.
        subprocess.run([sys.executable, "-c", "from practice.app import create_app; create_app().extensions['practice.tasks'].heartbeat()"], cwd=ROOT,
                       env=environment, check=True)
        assert _wait_for(lambda: _beats(environment)[0] > first), "the enqueued task did not run"
    finally:
        consumer.terminate()
        output = consumer.communicate(timeout=40)[0].decode()
    assert "Huey consumer started" in output, output
    assert consumer.returncode == 0, output


def test_flask_dev_serves_the_demo_practice_and_its_worker_runs(stack, empty_database_url, tmp_path):
    """The README's first command ends in `flask dev`: login page, demo owner, today's agenda."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    from tests.conftest import free_port

    port = free_port()
    environment = stack.environment(tmp_path, empty_database_url)  # flask dev migrates it and loads the demo
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "dev", "--port", str(port)], cwd=ROOT,
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"

    def login_page():
        try:
            return opener.open(f"{base}/login", timeout=2).read().decode()
        except OSError:
            return None

    try:
        assert _wait_for(lambda: login_page() is not None, 60), "flask dev did not serve the login page"
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page()).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "owner@example.com",
                                       "password": "practice-demo"}).encode()
        agenda = opener.open(f"{base}/login", data=form, timeout=10)
        assert agenda.url.endswith("/agenda/")
        assert "data-test=\"agenda-day\"" in agenda.read().decode()
        assert _wait_for(lambda: len(_beats(environment)) >= 1), "the worker started by flask dev did not run"
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        output = server.communicate(timeout=60)[0].decode()
    assert "http://127.0.0.1:" in output and "owner@example.com" in output, output
