"""Evaluate a suite: one aggregation pass per table, one anti-join per referential check, a few tables at once."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from lakehouse.concurrency import TABLES_AT_ONCE, run_all
from lakehouse.dq.suite import Check, DQConfigError, Suite, TableSpec, load_suite

RESULTS_TABLE = ("audit", "dq_results")
# Each suite's row counts at its last two runs, beside the results table. The row_count_change check reads
# this small file instead of scanning the results table (400 days of runs, a new file per run between the
# weekly compactions): 2-5 s a suite run on a lake of a few days.
ROW_COUNTS_FILE = "audit/dq_row_counts/{suite}.json"
# What the suite's last run measured per table (the aggregation pass, the referential anti-joins), keyed by
# a key naming the rows measured (``tables.content_key`` of a lake table, the gold candidates' fingerprints)
# and by each aggregate's expression. A table whose rows are the same as then is not scanned again: its
# checks are decided from the kept measurements (freshness still ages with the execution date).
MEASURES_FILE = "audit/dq_measures/{suite}.json"


@dataclass
class CheckResult:
    suite: str
    table: str  # <layer>/<table>
    check: str  # kind
    name: str
    column: str | None
    severity: str
    passed: bool
    observed: float | None  # what was measured (failing rows, age in hours, change in %, rows, problems)
    failed_rows: int | None
    total_rows: int | None
    threshold: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SuiteResult:
    suite: str
    run_id: str
    execution_date: date
    results: list[CheckResult] = field(default_factory=list)
    evaluated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    seconds: float = 0.0
    # per table: what was measured and under which content key (MEASURES_FILE; kept by write_results)
    measures: dict[str, dict[str, Any]] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)  # tables decided from kept measurements, not scanned

    @property
    def critical_failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == "critical"]

    @property
    def warning_failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed and r.severity == "warning"]

    @property
    def passed_critical(self) -> bool:
        return not self.critical_failures

    @property
    def pass_rate(self) -> float:
        """Share of checks that passed, 0..1 (1.0 for an empty suite)."""
        if not self.results:
            return 1.0
        return sum(r.passed for r in self.results) / len(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "run_id": self.run_id,
            "execution_date": self.execution_date.isoformat(),
            "evaluated_at": self.evaluated_at.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
            "passed_critical": self.passed_critical,
            "pass_rate": round(self.pass_rate, 4),
            "critical_failures": len(self.critical_failures),
            "warning_failures": len(self.warning_failures),
            "results": [r.to_dict() for r in self.results],
        }

    def summary_rows(self) -> list[dict[str, Any]]:
        """The ``dq`` rows of the run summary (docs/pipeline_modules.md)."""
        return [
            {
                "suite": r.suite,
                "check": r.name,
                "table": r.table,
                "severity": r.severity,
                "passed": r.passed,
                "observed": r.observed,
            }
            for r in self.results
        ]


class DQError(RuntimeError):
    """Critical checks failed (raised by ``raise_for_critical``); the message lists them."""

    def __init__(self, result: SuiteResult, include_warnings: bool = False):
        self.result = result
        bad = result.critical_failures + (result.warning_failures if include_warnings else [])
        kind = "critical/warning" if include_warnings else "critical"
        failed = "; ".join(f"{r.table} {r.name}: {r.message}" for r in bad[:10])
        super().__init__(f"DQ suite {result.suite!r}: {len(bad)} {kind} check(s) failed: {failed}")


# ---------------------------------------------------------------------------------------------------
def _resolver(spark, cfg, tables: Mapping[str, Any] | None, content_keys: Mapping[str, str] | None):
    """``resolve(<layer>/<table>) -> (frame, content key or None)``: an override (full or bare name) with the
    key the caller gave for it, or the lake table pinned at the version its key names."""
    from lakehouse import tables as io

    tables, content_keys = tables or {}, content_keys or {}
    lake: dict[str, tuple[Any, str | None]] = {}

    def resolve(table: str):
        bare = table.split("/", 1)[1]
        for name in (table, bare):
            if name in tables:
                return tables[name], content_keys.get(name)
        if table not in lake:
            layer, name = table.split("/", 1)
            key = io.content_key(spark, cfg, layer, name)
            if key is None:
                lake[table] = io.read(spark, cfg, layer, name), None
            else:
                lake[table] = io.read(spark, cfg, layer, name, version=key[0]), key[1]
        return lake[table]

    return resolve


def _pct_ok(failed: int, total: int, check: Check) -> bool:
    allowed = check.params.get("max_failed_pct", 0.0)
    if failed == 0:
        return True
    return total > 0 and failed * 100.0 / total <= allowed


def _threshold(check: Check) -> str:
    p = check.params
    k = check.kind
    if k == "accepted_values":
        return "in " + ",".join(map(str, p["values"]))
    if k in ("range", "row_count"):
        return f"[{'' if p['min'] is None else p['min']}, {'' if p['max'] is None else p['max']}]"
    if k == "freshness":
        return f"<= {p['max_age_hours']} h"
    if k == "row_count_change":
        return f"<= {p['max_change_pct']} %"
    if k == "referential_integrity":
        return f"in {p['ref_table']}.{p['ref_column']}"
    pct = p.get("max_failed_pct", 0)
    return f"failed <= {pct} %" if pct else "0 failing rows"


def _contract_expectation(spec: TableSpec):
    """(expected StructType fields by name, allowed extra column names, non-nullable names)."""
    from lakehouse import contracts

    contract = contracts.load_contract(spec.layer, spec.name)
    schema = contract.spark_schema(with_metadata=contract.carries_metadata)
    metadata = {c.name for c in contracts.metadata_contract_columns()}
    expected = {f.name: f for f in schema.fields}
    not_nullable = [f.name for f in schema.fields if not f.nullable]
    return expected, metadata, not_nullable


def _check_columns(spec: TableSpec, df_columns: set[str], suite: Suite) -> None:
    for c in spec.checks:
        missing = [col for col in c.columns if col not in df_columns]
        if missing:
            raise DQConfigError(
                f"{suite.path}: table {spec.table}, check {c.name!r}: column(s) {missing} not in the table "
                f"(columns: {', '.join(sorted(df_columns))})"
            )


def _aggregation(spec: TableSpec, columns: list[str]):
    """The table's one aggregation pass: ``(expressions by measure key, plan, contract expectation)``, the
    plan a ``(check, column, measure key or None)`` per result to decide."""
    from pyspark.sql import functions as F

    exprs: dict[str, Any] = {"__rows": F.count(F.lit(1))}

    def add(key: str, expr) -> str:
        exprs.setdefault(key, expr)
        return key

    def count_if(cond):
        return F.sum(F.when(cond, 1).otherwise(0))

    plan: list[tuple[Check, str | None, Any]] = []
    contract_info = None
    for c in spec.checks:
        if c.kind == "not_null":
            for col in c.columns:
                plan.append((c, col, add(f"nulls:{col}", count_if(F.col(col).isNull()))))
        elif c.kind == "unique":
            nonnull = F.lit(True)
            for col in c.columns:
                nonnull = nonnull & F.col(col).isNotNull()
            k = ",".join(c.columns)
            add(f"keyed:{k}", count_if(nonnull))
            add(f"distinct:{k}", F.countDistinct(*[F.col(col) for col in c.columns]))
            plan.append((c, k, k))
        elif c.kind == "accepted_values":
            col = c.column
            cond = F.col(col).isNotNull() & ~F.col(col).isin(c.params["values"])
            plan.append((c, col, add(f"{c.name}:bad", count_if(cond))))
        elif c.kind == "range":
            col, lo, hi = c.column, c.params["min"], c.params["max"]
            bad = F.lit(False)
            if lo is not None:
                bad = bad | (F.col(col) < F.lit(lo))
            if hi is not None:
                bad = bad | (F.col(col) > F.lit(hi))
            plan.append((c, col, add(f"{c.name}:bad", count_if(F.col(col).isNotNull() & bad))))
        elif c.kind == "freshness":
            # epoch seconds computed in Spark: collect() would shift timestamps into the driver's time zone
            col = c.column
            plan.append((c, col, add(f"max_epoch:{col}", F.max(F.col(col).cast("timestamp").cast("long")))))
        elif c.kind == "contract_conformance":
            contract_info = _contract_expectation(spec)
            for col in contract_info[2]:
                if col in columns:
                    add(f"nulls:{col}", count_if(F.col(col).isNull()))
            plan.append((c, None, None))
        else:  # row_count, row_count_change, referential_integrity: need only __rows here
            plan.append((c, c.column, None))
    return exprs, plan, contract_info


def row_aggregates(suite: str, table: str, columns: list[str]) -> dict[str, Any]:
    """The aggregate expressions (by measure key) of ``table``'s pass in ``suite``, for a job that
    materialises the rows anyway to compute along (gold's staging: one scan instead of two); hand the values
    back to ``run_suite(aggregates=...)``. Empty for a table the suite does not check; a check naming a column
    not in ``columns`` is a DQConfigError."""
    spec = load_suite(suite)
    specs = {t.table: t for t in spec.tables}
    if table not in specs:
        return {}
    _check_columns(specs[table], set(columns), spec)
    return _aggregation(specs[table], list(columns))[0]


def evaluate_table(
    suite: Suite,
    spec: TableSpec,
    resolve,
    execution_date: date,
    previous_counts: Mapping[str, int],
    kept: Mapping[str, Any] | None = None,
    aggregates: Mapping[str, Any] | None = None,
) -> tuple[list[CheckResult], dict[str, Any] | None]:
    """The table's check results, and what was measured (None when its rows have no content key). ``kept``:
    what the suite's last run measured for this table; reused where the rows and the expression are the same.
    ``aggregates``: the pass's aggregates by measure key (``row_aggregates``), computed by the caller over
    these rows; the pass is then not run."""
    from pyspark.sql import functions as F

    df, content_key = resolve(spec.table)
    kept = kept if content_key is not None and kept and kept.get("key") == content_key else {}
    _check_columns(spec, set(df.columns), suite)
    exprs, plan, contract_info = _aggregation(spec, df.columns)

    # ---- the one pass over the table (none when these rows were measured with these expressions) -------
    keys = list(exprs)
    sigs = {k: str(exprs[k]) for k in keys}
    kept_agg = kept.get("agg") or {}
    if aggregates is not None and all(k in aggregates for k in keys):
        agg = {k: aggregates[k] for k in keys}
    elif all(k in kept_agg and kept_agg[k][0] == sigs[k] for k in keys):
        agg = {k: kept_agg[k][1] for k in keys}
    else:
        row = df.agg(*[exprs[k].alias(f"_a{i}") for i, k in enumerate(keys)]).collect()[0]
        agg = {k: row[f"_a{i}"] for i, k in enumerate(keys)}
    total = int(agg["__rows"])
    measured: dict[str, Any] = {
        "key": content_key,
        "agg": {k: [sigs[k], None if agg[k] is None else int(agg[k])] for k in keys},
        "ri": {},
    }
    end_of_day = datetime.combine(
        execution_date + timedelta(days=1), datetime.min.time(), timezone.utc
    ).timestamp()

    results: list[CheckResult] = []

    def result(c: Check, column, passed, observed, failed, message) -> None:
        name = c.name
        if c.kind == "not_null" and len(c.columns) > 1:  # one result per column, each with its own name
            name = (
                f"not_null:{column}" if c.name == f"not_null:{','.join(c.columns)}" else f"{c.name}[{column}]"
            )
        results.append(
            CheckResult(
                suite.name,
                spec.table,
                c.kind,
                name,
                column,
                c.severity,
                bool(passed),
                None if observed is None else float(observed),
                failed,
                total,
                _threshold(c),
                message,
            )
        )

    for c, column, key in plan:
        if c.kind == "not_null":
            n = int(agg[key] or 0)
            result(c, column, _pct_ok(n, total, c), n, n, f"{n} of {total} rows have null {column}")
        elif c.kind == "unique":
            dup = int(agg[f"keyed:{key}"] or 0) - int(agg[f"distinct:{key}"] or 0)
            result(c, column, _pct_ok(dup, total, c), dup, dup, f"{dup} duplicate row(s) on ({column})")
        elif c.kind in ("accepted_values", "range"):
            n = int(agg[key] or 0)
            what = "outside the accepted values" if c.kind == "accepted_values" else "out of range"
            result(c, column, _pct_ok(n, total, c), n, n, f"{n} of {total} rows have {column} {what}")
        elif c.kind == "freshness":
            latest = agg[key]
            if latest is None:
                result(c, column, False, None, None, f"no {column} values: the table is empty or all null")
            else:
                age_h = (end_of_day - float(latest)) / 3600.0
                newest = datetime.fromtimestamp(float(latest), timezone.utc).isoformat(timespec="seconds")
                result(
                    c,
                    column,
                    age_h <= c.params["max_age_hours"],
                    round(age_h, 3),
                    None,
                    f"newest {column} is {newest}, {age_h:.1f} h before the end of {execution_date}",
                )
        elif c.kind == "row_count":
            lo, hi = c.params["min"], c.params["max"]
            ok = (lo is None or total >= lo) and (hi is None or total <= hi)
            result(c, None, ok, total, None, f"{total} rows")
        elif c.kind == "row_count_change":
            prev = previous_counts.get(spec.table)
            if prev is None:
                result(c, None, True, None, None, f"{total} rows; no previous run to compare with")
            else:
                change = 0.0 if prev == total else (abs(total - prev) * 100.0 / prev if prev else 100.0)
                result(
                    c,
                    None,
                    change <= c.params["max_change_pct"],
                    round(change, 3),
                    None,
                    f"{total} rows vs {prev} at the previous run ({change:.1f} % change)",
                )
        elif c.kind == "referential_integrity":
            ref_df, ref_key = resolve(c.params["ref_table"])
            ref_col = c.params["ref_column"]
            if ref_col not in ref_df.columns:
                raise DQConfigError(
                    f"{suite.path}: table {spec.table}, check {c.name!r}: ref_column {ref_col!r} "
                    f"not in {c.params['ref_table']}"
                )
            ri_id = f"{column}->{c.params['ref_table']}.{ref_col}"
            kept_ri = (kept.get("ri") or {}).get(ri_id)
            if ref_key is not None and kept_ri and kept_ri["ref_key"] == ref_key:
                orphans = kept_ri
            else:
                keys_df = df.where(F.col(column).isNotNull()).groupBy(F.col(column).alias("__k")).count()
                ref_keys = ref_df.select(F.col(ref_col).alias("__r")).distinct()
                orphans = (
                    keys_df.join(ref_keys, keys_df["__k"] == ref_keys["__r"], "left_anti")
                    .agg(F.coalesce(F.sum("count"), F.lit(0)).alias("rows"), F.count(F.lit(1)).alias("keys"))
                    .collect()[0]
                    .asDict()
                )
            if ref_key is not None:
                measured["ri"][ri_id] = {
                    "ref_key": ref_key,
                    "rows": int(orphans["rows"]),
                    "keys": int(orphans["keys"]),
                }
            n = int(orphans["rows"])
            result(
                c,
                column,
                _pct_ok(n, total, c),
                n,
                n,
                f"{n} row(s) ({int(orphans['keys'])} distinct key(s)) of {column} missing in "
                f"{c.params['ref_table']}.{ref_col}",
            )
        elif c.kind == "contract_conformance":
            expected, metadata, not_nullable = contract_info
            actual = {f.name: f for f in df.schema.fields}
            problems: list[str] = []
            missing = [n for n in expected if n not in actual]
            if missing:
                problems.append(f"missing column(s) {missing}")
            extra = [n for n in actual if n not in expected and n not in metadata]
            if extra:
                problems.append(f"unexpected column(s) {extra}")
            for name, f in expected.items():
                if name in actual and actual[name].dataType != f.dataType:
                    problems.append(
                        f"{name} is {actual[name].dataType.simpleString()}, contract says {f.dataType.simpleString()}"
                    )
            for name in not_nullable:
                n = int(agg.get(f"nulls:{name}") or 0)
                if name in actual and n:
                    problems.append(f"{name} has {n} null(s) but is nullable: false")
            result(
                c,
                None,
                not problems,
                len(problems),
                None,
                "; ".join(problems) if problems else f"conforms to glue/{spec.table}.yaml",
            )
    return results, (measured if content_key is not None else None)


def kept_measures(cfg, suite: str) -> dict[str, dict[str, Any]]:
    """What the suite's last run measured per table (``MEASURES_FILE``); empty when there is none or it
    cannot be read (everything is then measured again)."""
    import json

    from lakehouse.lakefiles import read_lake_text

    text = read_lake_text(cfg, MEASURES_FILE.format(suite=suite))
    try:
        return dict(json.loads(text)["tables"]) if text else {}
    except (ValueError, KeyError, TypeError):
        return {}


def previous_row_counts(spark, cfg, suite: str, run_id: str) -> dict[str, int]:
    """Row count per table at the suite's latest earlier run: from ``ROW_COUNTS_FILE``, or (a lake whose
    results were written before that file existed) from ``audit/dq_results``."""
    import json

    from pyspark.sql import functions as F

    from lakehouse import tables as io
    from lakehouse.lakefiles import read_lake_text

    kept = read_lake_text(cfg, ROW_COUNTS_FILE.format(suite=suite))
    if kept is not None:
        earlier = [r for r in json.loads(kept)["runs"] if r["run_id"] != run_id]
        return dict(earlier[-1]["rows"]) if earlier else {}
    if not io.exists(spark, cfg, *RESULTS_TABLE):
        return {}
    hist = io.read(spark, cfg, *RESULTS_TABLE).where(
        (F.col("suite") == suite) & (F.col("run_id") != run_id) & F.col("total_rows").isNotNull()
    )
    rows = hist.groupBy("table").agg(F.max_by("total_rows", "evaluated_at").alias("rows")).collect()
    return {r["table"]: int(r["rows"]) for r in rows}


def run_suite(
    spark,
    cfg,
    suite: str,
    run_id: str,
    execution_date: date,
    tables: Mapping[str, Any] | None = None,
    *,
    content_keys: Mapping[str, str] | None = None,
    aggregates: Mapping[str, Mapping[str, Any]] | None = None,
    metrics=None,
    log=None,
) -> SuiteResult:
    """Run every check of ``suite`` and return the results (nothing is written: see ``write_results``).

    ``tables`` maps ``<layer>/<table>`` (or the bare table name) to a DataFrame that replaces the lake
    table — gold candidates are checked before they are published — and ``content_keys`` names their rows
    (``tables.fingerprint``); a lake table's rows are named by ``tables.content_key``. A table whose rows the
    suite's last run measured (``MEASURES_FILE``) is decided from those measurements without a scan, and so is
    one whose aggregates the caller computed while materialising it (``aggregates``: table, full or bare name
    -> values by measure key, see ``row_aggregates``). With
    ``metrics`` (a Metrics), the pass rate, failure counts and freshness are emitted.
    """
    spec = load_suite(suite)
    started = time.monotonic()
    out = SuiteResult(spec.name, run_id, execution_date)
    prev = (
        previous_row_counts(spark, cfg, spec.name, run_id)
        if any(c.kind == "row_count_change" for c in spec.checks)
        else {}
    )
    # tables side by side: a table's few Spark jobs are mostly driver round trips on small tables
    specs = {t.table: t for t in spec.tables}
    resolve = _resolver(spark, cfg, tables, content_keys)
    kept = kept_measures(cfg, spec.name)

    aggregates = aggregates or {}

    def evaluate(table: str):
        given = aggregates.get(table, aggregates.get(table.split("/", 1)[1]))
        return evaluate_table(spec, specs[table], resolve, execution_date, prev, kept.get(table), given)

    per_table = run_all(list(specs), {}, evaluate, TABLES_AT_ONCE, thread_name=f"dq-{spec.name}")
    for table in specs:  # in the suite's order, whatever order they finished in
        results, measured = per_table[table]
        out.results.extend(results)
        if measured is not None:
            out.measures[table] = measured
            if measured == kept.get(table):
                out.reused.append(table)
    out.seconds = time.monotonic() - started
    if log is not None:
        for r in out.critical_failures + out.warning_failures:
            (log.error if r.severity == "critical" else log.warning)(
                "DQ %s failed: %s %s: %s",
                r.severity,
                r.table,
                r.name,
                r.message,
                extra={"dq_suite": r.suite, "dq_check": r.name, "dq_table": r.table, "observed": r.observed},
            )
        log.info(
            "DQ suite %s: %d checks, pass rate %.1f %%, %d critical and %d warning failure(s); "
            "%d of %d tables decided from the measurements of the same rows kept by the last run",
            out.suite,
            len(out.results),
            out.pass_rate * 100,
            len(out.critical_failures),
            len(out.warning_failures),
            len(out.reused),
            len(specs),
            extra={"dq_reused": out.reused, "seconds": round(out.seconds, 2)},
        )
    if metrics is not None:
        emit_metrics(metrics, out)
    return out


def emit_metrics(metrics, result: SuiteResult) -> None:
    metrics.put("DQPassRate", result.pass_rate * 100.0, "Percent")
    metrics.put("DQCriticalFailures", len(result.critical_failures))
    metrics.put("DQWarningFailures", len(result.warning_failures))
    for r in result.results:
        if r.check == "freshness" and r.observed is not None:
            metrics.put("FreshnessMinutes", r.observed * 60.0, "None", Table=r.table.replace("/", "."))


def raise_for_critical(result: SuiteResult) -> None:
    if not result.passed_critical:
        raise DQError(result)
