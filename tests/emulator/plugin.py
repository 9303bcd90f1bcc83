"""pytest plugin (loaded with -p in pyproject): the AWS emulator fixtures."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from tests.emulator.launcher import REFUSED, REPLAYED, Emulator, EmulatorError

# The user's own emulator (LocalStack), as set before any fixture exported one of ours.
USER_ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")


def _user_or(start):
    """The user's emulator if they set one (never stopped by us), else ``start``."""
    return (lambda: Emulator(USER_ENDPOINT.rstrip("/"))) if USER_ENDPOINT else start


def _report(request, emu: Emulator, failed: bool) -> None:
    """After a test session with the emulator: show the retries it answered from a first attempt's reply and,
    when a test failed, keep its request log and show the calls it refused."""
    if emu.log_path is None or not emu.log_path.exists():
        return
    out = request.config.pluginmanager.get_plugin("terminalreporter")
    if out is None:
        return
    log = emu.log_path.read_text(errors="replace").splitlines()
    replayed = [ln for ln in log if ln.startswith(REPLAYED)]
    for line in replayed:
        out.write_line(line)
    if failed:
        lines = [ln for ln in log if ln.startswith(REFUSED)]
        out.write_line(
            f"emulator log kept: {emu.log_path} ({len(lines)} refused request(s); the last 30 below)"
        )
        for line in lines[-30:]:
            out.write_line(f"  {line}")


@contextmanager
def _in_environment(start, request):
    """Start an emulator, point this process's AWS clients at it, restore everything afterwards."""
    try:
        emu = start()
    except EmulatorError as exc:
        pytest.fail(f"emulator: {exc}")
    from lakehouse.aws import client

    saved = {k: os.environ.get(k) for k in emu.aws_env()}
    os.environ.update(emu.aws_env())
    client.cache_clear()
    try:
        yield emu
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        client.cache_clear()
        failed = request.session.testsfailed > 0
        _report(request, emu, failed)
        emu.stop(keep_log=failed)


@pytest.fixture(scope="session")
def emulator(request):
    """A running emulator (moto on a free loopback port, or the user's AWS_ENDPOINT_URL), stopped at the end."""
    # the user's endpoint as set at start-up: never one a module-scoped fixture (tls_emulator) exported
    with _in_environment(_user_or(Emulator.start), request) as emu:
        yield emu


@pytest.fixture(scope="module")
def tls_emulator(request):
    """Like ``emulator`` but moto serves HTTPS, as AWS does (needed wherever Spark's S3A writes to SSE-KMS
    buckets: its SDK refuses KMS parameters over plain HTTP). A user's AWS_ENDPOINT_URL is used as is."""
    start = (
        (lambda: Emulator(USER_ENDPOINT.rstrip("/"))) if USER_ENDPOINT else (lambda: Emulator.start(tls=True))
    )
    with _in_environment(start, request) as emu:
        yield emu
