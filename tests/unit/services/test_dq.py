"""The DQ engine: each check kind on small frames, severities, results table, history-based row-count change."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from lakehouse.dq import DQConfigError, DQError, load_suite, raise_for_critical, run_suite, write_results

pytestmark = pytest.mark.spark
SUITE = Path(__file__).parent / "suites" / "example.yaml"
EXEC = date(2024, 3, 1)
ORDERS = "order_id string, customer_id string, status string, quantity int, order_ts timestamp"


def _orders(spark, rows=None):
    rows = rows or [
        ("o1", "c1", "placed", 2, datetime(2024, 3, 1, 10)),
        ("o2", "c2", "shipped", 1, datetime(2024, 3, 1, 11)),
        ("o3", "c1", "placed", 5, datetime(2024, 2, 29, 23)),
        ("o4", "c2", "shipped", 3, datetime(2024, 3, 1, 8)),
    ]
    return spark.createDataFrame(rows, ORDERS)


def _customers(spark, ids=("c1", "c2")):
    return spark.createDataFrame([(i,) for i in ids], "customer_id string")


def _bronze_orders(spark, drop=None):
    from lakehouse.contracts import load_contract

    schema = load_contract("bronze", "orders").spark_schema(with_metadata=True)
    values = {
        "string": "x",
        "int": 1,
        "timestamp": datetime(2024, 3, 1),
        "date": date(2024, 3, 1),
        "decimal(18,2)": Decimal("1.00"),
    }
    row = tuple(values[f.dataType.simpleString()] for f in schema.fields)
    df = spark.createDataFrame([row], schema)
    return df.drop(drop) if drop else df


def _tables(spark, orders=None, customers=None, bronze=None):
    return {
        "silver/orders": orders if orders is not None else _orders(spark),
        "customers": customers if customers is not None else _customers(spark),  # bare names work too
        "bronze/orders": bronze if bronze is not None else _bronze_orders(spark),
    }


def _by_name(result):
    return {(r.table, r.name): r for r in result.results}


def test_clean_data_passes_every_check(spark, tmp_lake):
    res = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark))
    failed = [(r.name, r.message) for r in res.results if not r.passed]
    assert failed == []
    assert res.passed_critical and res.pass_rate == 1.0
    # not_null with two columns gives one result per column
    names = _by_name(res)
    assert {("silver/orders", "not_null:order_id"), ("silver/orders", "not_null:customer_id")} <= set(names)
    assert names[("silver/orders", "freshness:order_ts")].observed == pytest.approx(13.0)  # 11:00 → midnight
    assert names[("bronze/orders", "contract_conformance")].message == "conforms to glue/bronze/orders.yaml"


def test_each_defect_fails_its_check_with_counts(spark, tmp_lake):
    orders = _orders(
        spark,
        [
            ("o1", "c1", "placed", 2, datetime(2024, 2, 27, 10)),
            ("o1", "c1", "placed", 2, datetime(2024, 2, 27, 10)),  # duplicate key
            (None, "c2", "lost", 0, datetime(2024, 2, 27, 9)),  # null key, unknown status, out of range
            ("o3", "c9", "shipped", 500, None),  # orphan customer, out of range
        ],
    )
    res = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark, orders=orders))
    r = _by_name(res)
    assert (
        r[("silver/orders", "not_null:order_id")].passed,
        r[("silver/orders", "not_null:order_id")].observed,
    ) == (False, 1)
    assert r[("silver/orders", "not_null:customer_id")].passed
    assert r[("silver/orders", "unique:order_id")].observed == 1  # 3 keyed rows, 2 distinct keys
    assert r[("silver/orders", "accepted_values:status")].observed == 1
    assert r[("silver/orders", "range:quantity")].observed == 2
    assert r[("silver/orders", "quantity_lenient")].passed  # min only: 1 of 4 = 25 % <= 30 % tolerated
    assert r[("silver/orders", "referential_integrity:customer_id")].observed == 1
    fresh = r[("silver/orders", "freshness:order_ts")]
    assert not fresh.passed and fresh.observed == pytest.approx(
        86.0
    )  # Feb 27 10:00 → Mar 2 00:00 (leap year)
    assert {x.name for x in res.critical_failures} == {
        "not_null:order_id",
        "unique:order_id",
        "range:quantity",
        "referential_integrity:customer_id",
    }
    assert {x.name for x in res.warning_failures} == {"accepted_values:status", "freshness:order_ts"}
    assert not res.passed_critical
    with pytest.raises(DQError, match="4 critical check"):
        raise_for_critical(res)


def test_tolerance_lets_a_small_share_of_bad_rows_pass(spark, tmp_lake):
    rows = [(f"o{i}", "c1", "placed", 1, datetime(2024, 3, 1, 12)) for i in range(9)]
    rows.append(("o9", "c1", "placed", 0, datetime(2024, 3, 1, 12)))  # 10 % out of range
    res = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark, orders=_orders(spark, rows)))
    r = _by_name(res)
    assert not r[("silver/orders", "range:quantity")].passed
    assert r[("silver/orders", "quantity_lenient")].passed


def test_contract_conformance_finds_missing_extra_retyped_and_null_columns(spark, tmp_lake):
    from pyspark.sql import functions as F

    bronze = (
        _bronze_orders(spark, drop="status")
        .withColumn("quantity", F.col("quantity").cast("string"))
        .withColumn("coupon", F.lit("X"))
        .withColumn("currency", F.lit(None).cast("string"))
    )
    res = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark, bronze=bronze))
    c = _by_name(res)[("bronze/orders", "contract_conformance")]
    assert not c.passed and c.observed == 4
    for fragment in (
        "missing column(s) ['status']",
        "unexpected column(s) ['coupon']",
        "quantity is string, contract says int",
        "currency has 1 null(s)",
    ):
        assert fragment in c.message


def test_results_table_report_and_row_count_change_against_history(spark, tmp_lake):
    first = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark))
    paths = write_results(spark, tmp_lake, first)
    write_results(spark, tmp_lake, first)  # idempotent per run and suite
    stored = spark.read.format("delta").load(paths["table"])
    assert stored.count() == len(first.results)
    report = json.loads(Path(paths["report"]).read_text())
    assert report["suites"]["example"]["passed_critical"] is True
    assert Path(paths["report"]).name == "dq_run-1.json"

    # second run: 10 orders instead of 4 → +150 % change, above the 50 % warning threshold
    rows = [(f"o{i}", "c1", "placed", 1, datetime(2024, 3, 1, 12)) for i in range(10)]
    second = run_suite(spark, tmp_lake, SUITE, "run-2", EXEC, _tables(spark, orders=_orders(spark, rows)))
    change = _by_name(second)[("silver/orders", "row_count_change")]
    assert not change.passed and change.observed == pytest.approx(150.0)
    assert change.severity == "warning" and second.passed_critical
    write_results(spark, tmp_lake, second)
    assert spark.read.format("delta").load(paths["table"]).select("run_id").distinct().count() == 2


def test_row_count_change_reads_the_suites_last_runs_not_the_results_table(spark, tmp_lake):
    import shutil

    from lakehouse.dq.engine import ROW_COUNTS_FILE

    paths = write_results(spark, tmp_lake, run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark)))
    kept = Path(tmp_lake.lake_root) / ROW_COUNTS_FILE.format(suite="example")
    assert json.loads(kept.read_text())["runs"][-1]["rows"]["silver/orders"] == 4
    results_table = Path(paths["table"])
    shutil.copytree(results_table, results_table.with_name("held"))
    shutil.rmtree(results_table)  # the check must not need the (ever growing) results table

    ten = _orders(spark, [(f"o{i}", "c1", "placed", 1, datetime(2024, 3, 1, 12)) for i in range(10)])

    def change(run_id: str) -> float:
        result = run_suite(spark, tmp_lake, SUITE, run_id, EXEC, _tables(spark, orders=ten))
        return _by_name(result)[("silver/orders", "row_count_change")].observed

    assert change("run-2") == pytest.approx(150.0)
    shutil.move(results_table.with_name("held"), results_table)
    second = run_suite(spark, tmp_lake, SUITE, "run-2", EXEC, _tables(spark, orders=ten))
    write_results(spark, tmp_lake, second)
    assert change("run-2") == pytest.approx(150.0), "a re-run compares with the run before it, not itself"
    assert change("run-3") == 0.0
    assert [r["run_id"] for r in json.loads(kept.read_text())["runs"]] == ["run-1", "run-2"]
    kept.unlink()  # a lake written before the file existed: the results table answers
    assert change("run-3") == 0.0


def test_dq_metrics_are_emitted(spark, tmp_lake):
    from lakehouse.metrics import Metrics

    m = Metrics(tmp_lake, "quality_silver", "run-1")
    run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark), metrics=m)
    got = {(d["name"], d["dimensions"].get("Table")): d["value"] for d in m.pending}
    assert got[("DQPassRate", None)] == 100.0 and got[("DQCriticalFailures", None)] == 0
    assert got[("FreshnessMinutes", "silver.orders")] == pytest.approx(13 * 60)


def test_unknown_column_is_a_config_error_naming_the_check(spark, tmp_lake):
    orders = _orders(spark).drop("status")
    with pytest.raises(
        DQConfigError, match=r"check 'accepted_values:status': column\(s\) \['status'\] not in the table"
    ):
        run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark, orders=orders))


@pytest.mark.parametrize(
    "body, message",
    [
        ("suite: bad\ntables: [{table: silver/x, checks: [{check: nope}]}]", "unknown check 'nope'"),
        (
            "suite: bad\ntables: [{table: silver/x, checks: [{check: range, column: q}]}]",
            "give 'min', 'max' or both",
        ),
        (
            "suite: bad\ntables: [{table: silver/x, checks: [{check: not_null, column: a, severity: fatal}]}]",
            "severity 'fatal'",
        ),
        ("suite: bad\ntables: [{table: x, checks: [{check: row_count, min: 1}]}]", "'<layer>/<table>'"),
        (
            "suite: other\ntables: [{table: silver/x, checks: [{check: row_count, min: 1}]}]",
            "must equal the file name",
        ),
        (
            "suite: bad\ntables: [{table: silver/x, checks: [{check: unique, column: a, colour: red}]}]",
            "unknown key(s) ['colour']",
        ),
    ],
)
def test_malformed_suite_is_refused_with_the_place(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(DQConfigError) as err:
        load_suite(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_suite_lists_known_suites():
    with pytest.raises(DQConfigError, match="DQ suite 'nope' not found"):
        load_suite("nope")


def test_row_level_checks_scan_the_table_once(spark, tmp_lake):
    """All row-level checks of a table compile to one aggregation: each input row is read exactly once."""
    from lakehouse.dq.engine import evaluate_table
    from lakehouse.dq.suite import load_suite as ls

    suite = ls(SUITE)
    spec = next(t for t in suite.tables if t.table == "silver/orders")
    # drop the join-based check: it needs its own (necessary) pass over the keys
    spec = type(spec)(spec.table, tuple(c for c in spec.checks if c.kind != "referential_integrity"))
    sc = spark.sparkContext
    reads = sc.accumulator(0)
    rows = [(f"o{i}", "c1", "placed", 1, datetime(2024, 3, 1, 12)) for i in range(50)]

    def counted(row):
        reads.add(1)
        return row

    df = spark.createDataFrame(sc.parallelize(rows, 2).map(counted), ORDERS)
    results, measured = evaluate_table(suite, spec, lambda _t: (df, None), EXEC, {})
    assert len(results) == 9 and all(r.passed for r in results)
    assert reads.value == len(rows)
    assert measured is None  # rows without a content key: nothing to keep


def test_rows_measured_before_are_not_scanned_again(spark, tmp_lake):
    """Same content key and expressions: the checks are decided from the kept measurements (no read of the
    rows, no anti-join), with the same results; a new key, a new referenced table or an edited check scans."""
    import dataclasses

    from lakehouse.dq.engine import evaluate_table
    from lakehouse.dq.suite import load_suite as ls

    suite = ls(SUITE)
    spec = next(t for t in suite.tables if t.table == "silver/orders")
    sc = spark.sparkContext
    reads = sc.accumulator(0)
    rows = [(f"o{i}", "c1" if i else "c9", "placed", 1, datetime(2024, 3, 1, 12)) for i in range(20)]

    def counted(row):
        reads.add(1)
        return row

    df = spark.createDataFrame(sc.parallelize(rows, 2).map(counted), ORDERS)
    customers = _customers(spark)
    frames = {"silver/orders": (df, "orders-v1"), "silver/customers": (customers, "customers-v1")}

    def resolve(table):
        return frames[table]

    first, kept = evaluate_table(suite, spec, resolve, EXEC, {})
    assert reads.value >= len(rows) and kept["key"] == "orders-v1" and kept["ri"]
    orphans = next(r for r in first if r.check == "referential_integrity")
    assert orphans.failed_rows == 1  # c9 is not a customer

    reads.value = 0
    again, kept_again = evaluate_table(suite, spec, resolve, EXEC, {}, kept)
    assert reads.value == 0 and kept_again == kept
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    # freshness is decided again against the execution date from the kept newest timestamp
    later = next(
        r
        for r in evaluate_table(suite, spec, resolve, date(2024, 4, 1), {}, kept)[0]
        if r.check == "freshness"
    )
    assert later.observed > next(r for r in first if r.check == "freshness").observed

    frames["silver/customers"] = (customers, "customers-v2")  # the referenced table moved: the anti-join runs
    evaluate_table(suite, spec, resolve, EXEC, {}, kept)
    assert reads.value > 0

    reads.value = 0
    frames["silver/customers"] = (customers, "customers-v1")
    edited = dataclasses.replace(
        spec,
        checks=tuple(
            dataclasses.replace(c, params={**c.params, "values": ["placed"]})
            if c.kind == "accepted_values"
            else c
            for c in spec.checks
        ),
    )
    evaluate_table(suite, edited, resolve, EXEC, {}, kept)  # same name, other values: measured again
    assert reads.value >= len(rows)

    reads.value = 0
    frames["silver/orders"] = (df, "orders-v2")
    evaluate_table(suite, spec, resolve, EXEC, {}, kept)
    assert reads.value >= len(rows)


def test_aggregates_computed_while_staging_decide_the_checks_without_another_scan(spark, tmp_lake):
    """Gold's staging job fingerprints a candidate and computes its suite pass in one scan
    (``row_aggregates`` + ``tables.fingerprint_and_aggregate``); the suite then decides from those values,
    with the results and measurements a scan of its own gives."""
    from lakehouse import tables as io
    from lakehouse.dq import row_aggregates

    sc = spark.sparkContext
    reads = sc.accumulator(0)
    rows = [(f"o{i}", "c1" if i else "c9", "placed", i % 3, datetime(2024, 3, 1, 12)) for i in range(20)]

    def counted(row):
        reads.add(1)
        return row

    df = spark.createDataFrame(sc.parallelize(rows, 2).map(counted), ORDERS)
    n, fp, values = io.fingerprint_and_aggregate(df, row_aggregates(SUITE, "silver/orders", df.columns))
    assert reads.value == len(rows)  # one scan for both
    assert (n, fp) == io.fingerprint(_orders(spark, rows))
    assert values["__rows"] == 20 and values["quantity_lenient:bad"] == 7  # quantity 0 on 7 rows

    tables, keys = _tables(spark, orders=df), {"silver/orders": fp}
    reads.value = 0
    given = run_suite(
        spark, tmp_lake, SUITE, "run-1", EXEC, tables, content_keys=keys, aggregates={"orders": values}
    )
    pass_reads = reads.value  # the referential check's anti-join still reads the keys: once
    assert pass_reads == len(rows)
    reads.value = 0
    scanned = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, tables, content_keys=keys)
    assert reads.value == 2 * len(rows)  # the pass and the anti-join
    assert [r.to_dict() for r in given.results] == [r.to_dict() for r in scanned.results]
    assert given.measures == scanned.measures  # kept for the next run as if measured here
    assert _by_name(given)[("silver/orders", "quantity_lenient")].failed_rows == 7

    with pytest.raises(DQConfigError, match=r"\['quantity'\] not in the table"):
        row_aggregates(SUITE, "silver/orders", [c for c in df.columns if c != "quantity"])
    assert row_aggregates(SUITE, "gold/nothing", df.columns) == {}  # not in the suite: nothing to compute


def test_a_suite_run_keeps_its_measurements_and_the_next_run_reuses_them(spark, tmp_lake):
    keys = {"silver/orders": "orders-v1", "customers": "customers-v1", "bronze/orders": "bronze-v1"}
    first = run_suite(spark, tmp_lake, SUITE, "run-1", EXEC, _tables(spark), content_keys=keys)
    assert first.reused == [] and set(first.measures) == {"silver/orders", "bronze/orders"}
    write_results(spark, tmp_lake, first)
    second = run_suite(spark, tmp_lake, SUITE, "run-2", EXEC, _tables(spark), content_keys=keys)
    assert sorted(second.reused) == ["bronze/orders", "silver/orders"]
    same = [r.to_dict() for r in first.results if r.check != "row_count_change"]
    assert same == [r.to_dict() for r in second.results if r.check != "row_count_change"]
    # other rows under the same key would be a caller's bug; other rows under another key are measured
    fewer = _orders(spark).limit(1)
    third = run_suite(
        spark,
        tmp_lake,
        SUITE,
        "run-3",
        EXEC,
        _tables(spark, orders=fewer),
        content_keys={**keys, "silver/orders": "orders-v2"},
    )
    assert third.reused == ["bronze/orders"]
    assert _by_name(third)[("silver/orders", "row_count")].observed == 1
