"""Every defect the generator plants ends where its manifest says — quarantined with the right reason code
at the right stage, or deduplicated — nothing else is quarantined, and every table's balance holds."""

from collections import Counter

import pytest

pytestmark = pytest.mark.spark


def _quarantine(spark, cfg) -> Counter:
    from pyspark.sql import functions as F

    from lakehouse import tables as io

    rows = (
        io.read(spark, cfg, "quarantine", "quarantined_rows")
        .groupBy("source_table", "reason_code")
        .agg(F.sum("occurrences").alias("n"))
        .collect()
    )
    return Counter({(r.source_table, r.reason_code): int(r.n) for r in rows})


def _target(defect: dict) -> str:
    return defect["table"] if defect["stage"] == "bronze" else f"{defect['stage']}.{defect['table']}"


def test_each_planted_defect_is_quarantined_with_its_reason_and_nothing_else_is(spark, lakes, baseline):
    cfg, summary, _ = baseline
    found = _quarantine(spark, cfg)
    planted = [d for d in lakes.manifest["defects"] if d["outcome"] == "quarantine"]
    assert planted, "the generator planted no quarantine defects"
    missing = []
    for d in planted:
        if d["table"] == "landing":  # whole files refused: recorded against the file's table
            n = sum(v for (t, code), v in found.items() if code == d["reason_code"])
        else:
            n = found.get((_target(d), d["reason_code"]), 0)
        if n < d["count"]:
            missing.append((d["kind"], _target(d), d["reason_code"], d["count"], n))
    assert not missing, (
        f"planted defects not quarantined as expected (kind, table, reason, planted, found): {missing}"
    )
    explained = {(_target(d), d["reason_code"]) for d in planted} | {
        (t, c) for (t, c) in found if any(d["table"] == "landing" and d["reason_code"] == c for d in planted)
    }
    unexplained = {k: v for k, v in found.items() if k not in explained}
    assert not unexplained, f"rows quarantined for no planted defect: {unexplained}"


def test_duplicates_are_deduplicated_and_every_balance_holds(spark, lakes, baseline):
    _, summary, _ = baseline
    acc = summary.accounting
    assert acc, "the run reported no accounting"
    assert all(a.balanced for a in acc.values()), [a.to_dict() for a in acc.values() if not a.balanced]
    dedup = Counter()
    for d in lakes.manifest["defects"]:
        if d["outcome"] == "deduplicated":
            dedup[d["table"]] += d["count"]
    for table, n in dedup.items():
        got = sum(a.deduplicated for t, a in acc.items() if t.split(".")[-1] == table)
        assert got >= n, f"{table}: {n} planted duplicates, {got} deduplicated"
    # silver quarantine reasons reach the accounting too
    silver_q = sum(a.quarantined for t, a in acc.items() if t.startswith("silver."))
    planted_silver = sum(
        d["count"]
        for d in lakes.manifest["defects"]
        if d["outcome"] == "quarantine" and d["stage"] == "silver"
    )
    assert silver_q >= planted_silver > 0
