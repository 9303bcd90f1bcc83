"""DAG tests run under the Airflow venv (scripts/test_dags.sh); the jobs' .venv has no Airflow.

Airflow reads its configuration when first imported, so its home (a private SQLite metadata DB) and the
DAG folder on sys.path (as MWAA puts it) are set here, before any test module imports Airflow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "airflow" / "dags"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _airflow_installed() -> bool:
    # find_spec of a top-level name finds without importing (importing would read Airflow's config
    # before AIRFLOW_HOME is set). The repository's airflow/ folder is a namespace package: no origin.
    spec = importlib.util.find_spec("airflow")
    return spec is not None and spec.origin not in (None, "namespace")


if _airflow_installed():
    # Before anything imports airflow: a private home with a SQLite metadata DB, this repository's DAG
    # folder (on sys.path, as MWAA puts it), and the fixture job configuration.
    _home = tempfile.mkdtemp(prefix="lakehouse-airflow-home-")
    os.environ.update(
        {
            "AIRFLOW_HOME": _home,
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home}/airflow.db",
            "LAKEHOUSE_DAGS_CONFIG_DIR": str(FIXTURES),
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    sys.path.insert(0, str(DAGS))
else:
    # Collected by the jobs' venv (plain `pytest`): these run in the Airflow venv via scripts/test_dags.sh.
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated metadata DB (dag.test needs one)."""
    from airflow.utils import db

    db.resetdb()
    yield
    shutil.rmtree(os.environ["AIRFLOW_HOME"], ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on a free loopback port, stopped by its PID at the end."""
    port = _free_port()
    moto = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto server did not start on {endpoint}") from None
            time.sleep(0.2)
    old = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    if old is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = old
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


class _Capture(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture()
def slack_server():
    """A loopback HTTP server standing in for the Slack webhook; yields (url, received messages)."""
    handler = type("Capture", (_Capture,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/test", handler.received
    server.shutdown()
    server.server_close()
