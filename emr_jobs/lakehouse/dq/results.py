"""Persist suite results: the Delta table ``lake://audit/dq_results`` and ``audit/reports/dq_<run_id>.json``."""

from __future__ import annotations

import json

from lakehouse.dq.engine import MEASURES_FILE, RESULTS_TABLE, ROW_COUNTS_FILE, SuiteResult
from lakehouse.lakefiles import read_lake_text, write_lake_text


def results_frame(spark, result: SuiteResult):
    """The suite's rows, shaped by the table's contract (glue/audit/dq_results.yaml: the same file Terraform
    turns into the Glue table Athena's dq_failures_by_day query reads)."""
    from lakehouse.contracts import load_contract

    schema = load_contract(*RESULTS_TABLE).spark_schema()
    run = {
        "run_id": result.run_id,
        "suite": result.suite,
        "execution_date": result.execution_date,
        "evaluated_at": result.evaluated_at.replace(tzinfo=None),
    }
    rows = [{**run, **r.to_dict()} for r in result.results]
    return spark.createDataFrame([tuple(row[f.name] for f in schema.fields) for row in rows], schema)


def write_results(spark, cfg, result: SuiteResult) -> dict[str, str]:
    """Write the results; idempotent per (run_id, suite): a re-run replaces its own rows in one commit."""
    from lakehouse import tables as io

    df = results_frame(spark, result)
    # evaluated_at is stored as UTC wall time; the session time zone is UTC (lakehouse.spark.base_conf)
    where = f"run_id = '{_sql_str(result.run_id)}' AND suite = '{_sql_str(result.suite)}'"
    io.replace_rows(spark, cfg, *RESULTS_TABLE, df, where)
    report_rel = f"audit/reports/dq_{result.run_id}.json"
    # one report per run: suites of the same run (silver, gold) are merged into it
    existing = read_lake_text(cfg, report_rel)
    doc = json.loads(existing) if existing else {"run_id": result.run_id, "suites": {}}
    doc["suites"][result.suite] = result.to_dict()
    report = write_lake_text(cfg, report_rel, json.dumps(doc, indent=2, default=str))
    _keep_row_counts(cfg, result)
    if result.measures:
        doc = {"suite": result.suite, "run_id": result.run_id, "tables": result.measures}
        write_lake_text(cfg, MEASURES_FILE.format(suite=result.suite), json.dumps(doc, indent=1))
    return {"table": cfg.table_path(*RESULTS_TABLE), "report": report}


def _keep_row_counts(cfg, result: SuiteResult) -> None:
    """Record this run's row count per table as the newest of the suite's last two runs (a re-run of the same
    run replaces its own entry), after the results table holds them."""
    rel = ROW_COUNTS_FILE.format(suite=result.suite)
    existing = read_lake_text(cfg, rel)
    runs = [r for r in (json.loads(existing)["runs"] if existing else []) if r["run_id"] != result.run_id]
    rows = {r.table: r.total_rows for r in result.results if r.total_rows is not None}
    runs.append({"run_id": result.run_id, "evaluated_at": result.evaluated_at.isoformat(), "rows": rows})
    write_lake_text(cfg, rel, json.dumps({"suite": result.suite, "runs": runs[-2:]}, indent=2))


def _sql_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
