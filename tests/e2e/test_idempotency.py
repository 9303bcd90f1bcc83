"""Running the daily pipeline twice leaves every gold table identical; the re-run writes nothing new."""

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


def test_second_daily_run_leaves_gold_identical_and_changes_no_fact_or_dimension(spark, lakes, baseline):
    from lakehouse import tables as io
    from lakehouse.runner import run

    cfg, first, gold = baseline
    assert all(rows for rows in gold.values()), {t: len(r) for t, r in gold.items()}
    before = {t: io.version(spark, cfg, "gold", t) for t in ("fact_orders", "dim_customer", "dim_product")}
    second = run(cfg, lakes.execution_date, "daily", spark=spark, progress=lambda *_: None)
    assert second.status == "succeeded"
    assert gold_snapshot(spark, cfg) == gold
    # no new version (a table replaced whole is compared first), or a MERGE that inserted and updated nothing
    for t, v in before.items():
        h = io.history(spark, cfg, "gold", t, 1)[0]
        if h["version"] != v:
            m = h["operationMetrics"] or {}
            assert h["operation"] == "MERGE", (t, h["operation"], m)
            assert int(m["numTargetRowsInserted"]) == 0 and int(m["numTargetRowsUpdated"]) == 0, (t, m)
    # nothing moved, so both DQ suites decided every table from what the first run measured (no scans)
    suites = {s.suite: s for s in second.dq}
    assert set(suites) == {"silver", "gold"}
    for s in suites.values():
        assert sorted(s.reused) == sorted({r.table for r in s.results}), (s.suite, s.reused)
        assert s.passed_critical
    # every table's balance held, and the re-run loaded nothing new into bronze
    assert all(a.balanced for a in second.accounting.values())
    assert (
        sum(
            a.rows_in
            for t, a in second.accounting.items()
            if t.startswith("silver.") and "conformed" not in t
        )
        == 0
    )
