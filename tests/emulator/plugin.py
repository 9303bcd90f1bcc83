"""pytest plugin (loaded with -p in pyproject): the AWS emulator fixtures."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from tests.emulator.launcher import Emulator, EmulatorError

# The user's own emulator (LocalStack), as set before any fixture exported one of ours.
USER_ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")


def _user_or(start):
    """The user's emulator if they set one (never stopped by us), else ``start``."""
    return (lambda: Emulator(USER_ENDPOINT.rstrip("/"))) if USER_ENDPOINT else start


@contextmanager
def _in_environment(start):
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
        emu.stop()


@pytest.fixture(scope="session")
def emulator():
    """A running emulator (moto on a free loopback port, or the user's AWS_ENDPOINT_URL), stopped at the end."""
    # the user's endpoint as set at start-up: never one a module-scoped fixture (tls_emulator) exported
    with _in_environment(_user_or(Emulator.start)) as emu:
        yield emu


@pytest.fixture(scope="module")
def tls_emulator():
    """Like ``emulator`` but moto serves HTTPS, as AWS does (needed wherever Spark's S3A writes to SSE-KMS
    buckets: its SDK refuses KMS parameters over plain HTTP). A user's AWS_ENDPOINT_URL is used as is."""
    start = (
        (lambda: Emulator(USER_ENDPOINT.rstrip("/"))) if USER_ENDPOINT else (lambda: Emulator.start(tls=True))
    )
    with _in_environment(start) as emu:
        yield emu
