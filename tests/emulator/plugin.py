"""pytest plugin (loaded with -p in pyproject): the session-scoped AWS emulator fixture."""

from __future__ import annotations

import os

import pytest

from tests.emulator.launcher import Emulator, EmulatorError


@pytest.fixture(scope="session")
def emulator():
    """A running emulator (moto on a free loopback port, or the user's AWS_ENDPOINT_URL), stopped at the end."""
    try:
        emu = Emulator.from_env()
    except EmulatorError as exc:
        pytest.fail(f"emulator: {exc}")
    saved = {k: os.environ.get(k) for k in emu.aws_env()}
    os.environ.update(emu.aws_env())
    from lakehouse.aws import client

    client.cache_clear()
    yield emu
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    client.cache_clear()
    emu.stop()
