"""Persist suite results: the Delta table ``lake://audit/dq_results`` and ``audit/reports/dq_<run_id>.json``."""

from __future__ import annotations

import json

from lakehouse.dq.engine import RESULTS_TABLE, SuiteResult
from lakehouse.lakefiles import read_lake_text, write_lake_text

RESULTS_SCHEMA = (
    "run_id string, suite string, execution_date date, evaluated_at timestamp, `table` string, "
    "`check` string, name string, `column` string, severity string, passed boolean, observed double, "
    "failed_rows bigint, total_rows bigint, threshold string, message string"
)


def results_frame(spark, result: SuiteResult):
    rows = [
        (
            result.run_id,
            result.suite,
            result.execution_date,
            result.evaluated_at.replace(tzinfo=None),
            r.table,
            r.check,
            r.name,
            r.column,
            r.severity,
            r.passed,
            r.observed,
            r.failed_rows,
            r.total_rows,
            r.threshold,
            r.message,
        )
        for r in result.results
    ]
    return spark.createDataFrame(rows, RESULTS_SCHEMA)


def write_results(spark, cfg, result: SuiteResult) -> dict[str, str]:
    """Write the results; idempotent per (run_id, suite): a re-run replaces its own rows in one commit."""
    from lakehouse import tables as io

    df = results_frame(spark, result)
    # evaluated_at is stored as UTC wall time; the session time zone is UTC (lakehouse.spark.base_conf)
    where = f"run_id = '{_sql_str(result.run_id)}' AND suite = '{_sql_str(result.suite)}'"
    if io.exists(spark, cfg, *RESULTS_TABLE):
        io.overwrite(spark, cfg, *RESULTS_TABLE, df, replace_where=where)
    else:
        io.append(spark, cfg, *RESULTS_TABLE, df)
    report_rel = f"audit/reports/dq_{result.run_id}.json"
    # one report per run: suites of the same run (silver, gold) are merged into it
    existing = read_lake_text(cfg, report_rel)
    doc = json.loads(existing) if existing else {"run_id": result.run_id, "suites": {}}
    doc["suites"][result.suite] = result.to_dict()
    report = write_lake_text(cfg, report_rel, json.dumps(doc, indent=2, default=str))
    return {"table": cfg.table_path(*RESULTS_TABLE), "report": report}


def _sql_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
