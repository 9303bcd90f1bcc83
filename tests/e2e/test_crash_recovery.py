"""A failure after any job of the daily schedule, then a re-run: gold ends identical to a clean run.

Affordable by construction: the crashes are chained in ONE lake. Run k injects a failure right after the
k-th job (LAKEHOUSE_FAIL_AFTER); run k+1 starts the schedule from the top again — it is the recovery run of
crash k, re-executing every job from the start over the state crash k left — and itself crashes one job
later. So every stage boundary sees a crash and a recovery, and the final clean run must converge to the
baseline. test_publish_rollback.py fails the gold publish half-way.
"""

import os

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


@pytest.fixture
def fail_after(monkeypatch):
    def set_(job):
        if job is None:
            monkeypatch.delenv("LAKEHOUSE_FAIL_AFTER", raising=False)
        else:
            monkeypatch.setenv("LAKEHOUSE_FAIL_AFTER", job)

    yield set_
    os.environ.pop("LAKEHOUSE_FAIL_AFTER", None)


def test_crash_after_every_daily_job_then_rerun_converges_to_clean_gold(spark, lakes, baseline, fail_after):
    from lakehouse import tables as io
    from lakehouse.runner import InjectedFailure, load_pipeline, run

    _, _, clean_gold = baseline
    cfg = lakes.new("crash-chain")
    jobs = [j.name for j in load_pipeline().order("daily")]
    crashed = []
    for job in jobs:
        fail_after(job)
        with pytest.raises(InjectedFailure, match=job):
            run(cfg, lakes.execution_date, "daily", spark=spark, progress=lambda *_: None)
        crashed.append(job)
        if job == "bronze_to_silver":
            # the crash happened before gold: nothing may be published yet
            assert not io.exists(spark, cfg, "gold", "fact_orders")
    fail_after(None)
    final = run(cfg, lakes.execution_date, "daily", spark=spark, progress=lambda *_: None)
    assert final.status == "succeeded"
    assert crashed == jobs
    assert gold_snapshot(spark, cfg) == clean_gold
