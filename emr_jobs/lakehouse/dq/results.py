"""Persist suite results: the Delta table ``lake://audit/dq_results`` and ``audit/reports/dq_<run_id>.json``."""

from __future__ import annotations

import json

from lakehouse.dq.engine import RESULTS_TABLE, SuiteResult
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
