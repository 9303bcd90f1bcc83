"""Lambda handler tests: AWS through moto's in-process ``mock_aws``, Slack through a loopback HTTP server."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "lambda"


def load_handler(name: str):
    """Import lambda/<name>/handler.py as its own module (both handlers are called handler.py)."""
    spec = importlib.util.spec_from_file_location(f"lambda_{name}", LAMBDA_DIR / name / "handler.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def landing_trigger():
    return load_handler("landing_trigger")


@pytest.fixture()
def failure_notifier():
    return load_handler("failure_notifier")


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # mock_aws intercepts in-process


@pytest.fixture()
def slack_server():
    received: list[dict] = []
    status = {"code": 200}

    class Capture(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        "url": f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X",
        "received": received,
        "status": status,
    }
    server.shutdown()
    server.server_close()
