"""Shared pytest fixtures: one SparkSession per test session, and a throwaway local lake per test.

Every engineer's tests use these: ``spark`` (session-scoped; starting Spark costs seconds, so it is
built once, with 2 shuffle partitions because test frames are tiny) and ``tmp_lake`` (a validated
``Config`` whose lake root, state and metrics live in a fresh tmp dir).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "emr_jobs") not in sys.path:  # make `lakehouse` importable without the Makefile's PYTHONPATH
    sys.path.insert(0, str(REPO / "emr_jobs"))


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from lakehouse.spark import build_session

    # Keep the test JVM small and single-threaded enough for a shared 2-core machine.
    os.environ.setdefault("LAKEHOUSE_SPARK_MASTER", "local[2]")
    os.environ.setdefault("LAKEHOUSE_DRIVER_MEMORY", "3g")  # one JVM runs every pipeline of the session
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = build_session(
        "lakehouse-tests",
        shuffle_partitions=2,
        extra_conf={
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.default.parallelism": "2",
        },
    )
    yield session
    session.stop()


@pytest.fixture
def tmp_lake(tmp_path):
    """A local ``Config`` whose lake root is a fresh tmp dir (state and metrics inside it)."""
    from lakehouse.config import embedded_default, validate

    lake = tmp_path / "lake"
    lake.mkdir()
    raw = embedded_default()
    raw.update(
        {
            "lake_root": str(lake),
            "state": {"backend": "local", "path": str(lake / "_state")},
            "metrics": {"backend": "jsonl", "path": str(lake / "_metrics")},
        }
    )
    # optional keys left unset (None) are dropped rather than sent as nulls the schema may not allow
    raw = {k: v for k, v in raw.items() if v is not None}
    return validate(raw, "tmp_lake fixture")
