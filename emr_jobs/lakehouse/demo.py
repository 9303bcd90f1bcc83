"""``make demo``: the whole daily pipeline on this machine, into the local lake.

1. first run only: generate the six sources' data (seeded, with planted defects) under the lake root and
   load the Redshift stand-in (an embedded H2 database in PostgreSQL mode — nothing to install);
2. run the ``daily`` schedule of ``emr_jobs/conf/pipeline.yaml`` through ``lakehouse.runner`` (the loopback
   Salesforce and FX stand-ins are started by their extractors for the length of each extract);
3. print a summary — rows per layer, quarantined rows by reason, DQ results, the row balance, duration —
   and write the run report (HTML with charts + JSON) under ``<lake>/audit/reports/``.

The lake is ``.lake/`` in the repository, or ``$LAKEHOUSE_LAKE_DIR``. Running the demo again re-runs the
daily schedule over the same data: sources have nothing new past their watermarks, silver MERGEs change
nothing, and every gold table stays identical.

    python -m lakehouse.demo [--scale 0.1] [--execution-date 2024-06-30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from lakehouse.config import CONTRACTS_DIR, LAYERS, REPO_ROOT

SUMMARY_LAYERS = ("bronze", "silver", "gold", "quarantine")


def prepare_sources(spark, cfg, *, scale: float, seed: int = 42, log=print) -> dict:
    """Generate the source data and load the Redshift stand-in once; later runs reuse them.

    Stand-in data lives in ``cfg.sources_dir`` (a local folder); landing files go to the lake's ``landing/``
    prefix — the local lake, or the lake bucket when the lake is on S3 (the emulator run).
    """
    from lakehouse.generator import generate
    from lakehouse.sources.redshift import local_connection
    from lakehouse.standins.jdbc import load_events

    sources = cfg.sources_dir
    if sources.name != "_sources":
        raise ValueError(
            f"LAKEHOUSE_SOURCES_DIR must end in '_sources' (the generator's layout), got {sources}"
        )
    root = sources.parent  # the generator writes <root>/_sources and <root>/landing
    manifest_path = sources / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        log(f"source data: reusing {sources} (scale {manifest['scale']}, seed {manifest['seed']})")
    else:
        t0 = time.monotonic()
        log(f"source data: generating at scale {scale} (seed {seed}) into {sources} and {root / 'landing'}")
        manifest = generate(root, scale=scale, seed=seed, spark=spark)
        log(f"source data: generated in {time.monotonic() - t0:.1f}s: {json.dumps(manifest['counts'])}")
    if not cfg.is_local_lake:
        n = upload_landing(cfg, root / "landing")
        log(f"landing files: {n} uploaded to {cfg.lake_root}/landing/")
    h2 = sources / "redshift" / "db.mv.db"
    if not h2.is_file():
        # the generated events and any appended batches (behaviour_events_append_*.csv)
        n = load_events(spark, local_connection(cfg), sources / "redshift" / "behaviour_events*.csv")
        log(f"redshift stand-in: loaded {n} behaviour events into H2 ({h2})")
    return manifest


def append_sources(
    spark, cfg, *, fraction: float = 0.01, seed: int = 42, batch: int | None = None, log=print
) -> dict:
    """Add a batch of new source data after the daily run (``lakehouse.generator.append``) and deliver it
    like the sources would: new behaviour events inserted into the Redshift stand-in, new landing files
    uploaded when the lake is on S3. Returns the batch's manifest (rows per bronze table, keys, files)."""
    from lakehouse.generator import append
    from lakehouse.sources.redshift import local_connection
    from lakehouse.standins.jdbc import load_events

    sources = cfg.sources_dir
    if not (sources / "manifest.json").is_file() or not (sources / "redshift" / "db.mv.db").is_file():
        raise FileNotFoundError(f"{sources}: no generated sources to append to (run prepare_sources first)")
    root = sources.parent
    t0 = time.monotonic()
    record = append(root, fraction=fraction, seed=seed, batch=batch, spark=spark)
    events = [f for f in record["files"] if f.startswith("_sources/redshift/")]
    for f in events:
        load_events(spark, local_connection(cfg), root / f, replace=False)
    if not cfg.is_local_lake:
        landing = [root / f for f in record["files"] if f.startswith("landing/")]
        upload_landing(cfg, root / "landing", landing)
    log(
        f"source data: appended batch {record['batch']} ({record['total_rows']} rows, window "
        f"{record['window_start']} .. {record['window_end']}) in {time.monotonic() - t0:.1f}s"
    )
    return record


def upload_landing(cfg, folder: Path, files: list[Path] | None = None) -> int:
    """Put the generated landing files (all, or ``files``) under the lake bucket's landing/ prefix (what
    the S3 source reads)."""
    from lakehouse.aws import client

    bucket = cfg.lake_bucket
    s3 = client("s3", cfg.region, cfg.endpoint_url)
    files = files if files is not None else [p for p in sorted(folder.rglob("*")) if p.is_file()]
    for path in files:
        s3.upload_file(str(path), bucket, f"landing/{path.relative_to(folder).as_posix()}")
    return len(files)


def table_rows(spark, cfg) -> list[dict[str, Any]]:
    """Row count of every table with a contract in the summary layers (works for a local or an S3 lake)."""
    from lakehouse import tables as io
    from lakehouse.contracts import all_contracts

    out = []
    for layer in SUMMARY_LAYERS:
        for contract in all_contracts(layer) if (CONTRACTS_DIR / layer).is_dir() else []:
            if io.exists(spark, cfg, layer, contract.table):
                rows = io.read(spark, cfg, layer, contract.table).count()
                out.append({"layer": layer, "table": contract.table, "rows": rows})
    return out


def quarantine_by_reason(spark, cfg) -> list[dict[str, Any]]:
    from pyspark.sql import functions as F

    from lakehouse import quarantine
    from lakehouse import tables as io

    if not io.exists(spark, cfg, quarantine.LAYER, quarantine.TABLE):
        return []
    rows = (
        io.read(spark, cfg, quarantine.LAYER, quarantine.TABLE)
        .groupBy("source_table", "reason_code")
        .agg(F.sum("occurrences").alias("rows"))
        .orderBy("source_table", "reason_code")
        .collect()
    )
    return [{"source_table": r.source_table, "reason_code": r.reason_code, "rows": int(r.rows)} for r in rows]


def build_report_summary(spark, cfg, run) -> dict[str, Any]:
    summary = run.report_fields()
    summary["tables"] = table_rows(spark, cfg)
    summary["quarantine"] = quarantine_by_reason(spark, cfg)
    return summary


def print_summary(summary: dict[str, Any], out=sys.stdout) -> None:
    w = out.write
    w("\n=== lakehouse demo: summary ===\n")
    w(
        f"run {summary['run_id']}  execution date {summary['execution_date']}  status {summary['status'].upper()}  "
        f"duration {summary['duration_s']:.1f}s\n"
    )
    w("\nstages:\n")
    for s in summary["stages"]:
        w(f"  {s['name']:<26} {s['status']:<10} {s['seconds']:7.1f}s\n")
    w("\nrows per layer:\n")
    by_layer: dict[str, list] = {}
    for t in summary["tables"]:
        by_layer.setdefault(t["layer"], []).append(t)
    for layer, ts in by_layer.items():
        w(
            f"  {layer:<11} {sum(t['rows'] for t in ts):>9,} rows in {len(ts)} table(s): "
            + ", ".join(f"{t['table']}={t['rows']:,}" for t in ts)
            + "\n"
        )
    w("\nquarantined by reason (all runs):\n")
    reasons: dict[str, int] = {}
    for q in summary["quarantine"]:
        reasons[q["reason_code"]] = reasons.get(q["reason_code"], 0) + q["rows"]
    for code, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        tables = ", ".join(
            f"{q['source_table']}={q['rows']}" for q in summary["quarantine"] if q["reason_code"] == code
        )
        w(f"  {code:<22} {n:>7,}  ({tables})\n")
    if not reasons:
        w("  (none)\n")
    w("\ndata quality:\n")
    suites: dict[str, list] = {}
    for r in summary["dq"]:
        suites.setdefault(r["suite"], []).append(r)
    for suite, rs in suites.items():
        failed = [r for r in rs if not r["passed"]]
        w(f"  suite {suite:<8} {len(rs) - len(failed)}/{len(rs)} checks passed\n")
        for r in failed:
            w(f"    {r['severity'].upper():<8} {r['table']} {r['check']} (observed {r['observed']})\n")
    if not suites:
        w("  (no suite ran)\n")
    w("\nrow balance (this run: rows_in = loaded + deduplicated + quarantined):\n")
    for a in summary["accounting"]:
        if a["rows_in"] == 0:
            continue
        mark = "ok" if a["balanced"] else "UNBALANCED"
        w(
            f"  {a['table']:<34} {a['rows_in']:>8,} = {a['loaded']:>8,} + {a['deduplicated']:>6,} + "
            f"{a['quarantined']:>6,}  {mark}\n"
        )
    idle = sum(1 for a in summary["accounting"] if a["rows_in"] == 0)
    if idle:
        w(f"  ({idle} table(s) had nothing new past their watermark)\n")


def main(argv: list[str] | None = None) -> int:
    from lakehouse import config as config_mod
    from lakehouse.jobs import execution_date_arg
    from lakehouse.runner import PipelineError, run

    p = argparse.ArgumentParser(prog="python -m lakehouse.demo", description=__doc__.splitlines()[0])
    p.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("LAKEHOUSE_DEMO_SCALE", "0.1")),
        help="generator scale on the first run (1.0 = the full volumes: 100K+ orders)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--execution-date",
        type=execution_date_arg,
        default=None,
        help="default: the last day of the generated data",
    )
    p.add_argument("--schedule", default="daily")
    p.add_argument("--env", default="local", help="with --config-uri: run from a Terraform job configuration")
    p.add_argument("--config-uri", default=None, help="job_config.json uploaded by terraform apply")
    p.add_argument("--summary-json", default=None, help="also write the run summary to this file")
    args = p.parse_args(argv)
    # The JSON job logs stay available (LAKEHOUSE_LOG_LEVEL=INFO); by default the demo shows progress only.
    os.environ.setdefault("LAKEHOUSE_LOG_LEVEL", "WARNING")
    started = time.monotonic()
    try:
        cfg = config_mod.load(args.env, args.config_uri)
    except config_mod.ConfigError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    if cfg.is_local_lake:
        for layer in LAYERS:
            Path(cfg.lake_root, layer).mkdir(parents=True, exist_ok=True)
    print(f"lake: {cfg.lake_root}", flush=True)

    from lakehouse.spark import build_session

    spark = build_session("lakehouse-demo", region=cfg.region, endpoint_url=cfg.endpoint_url)
    try:
        manifest = prepare_sources(spark, cfg, scale=args.scale, seed=args.seed)
        exec_date = args.execution_date or date.fromisoformat(manifest["end_date"])
        try:
            result = run(cfg, exec_date, args.schedule, spark=spark)
        except PipelineError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 2
        summary = build_report_summary(spark, cfg, result)
        summary["duration_s"] = round(time.monotonic() - started, 2)
        print_summary(summary)
        from lakehouse.report import write_run_report

        reports = Path(cfg.lake_root) / "audit" / "reports" if cfg.is_local_lake else REPO_ROOT / "reports"
        html, js = write_run_report(summary, reports)
        if args.summary_json:
            Path(args.summary_json).write_text(json.dumps(summary, default=str, indent=2))
        print(f"\nrun report: {html}\n            {js}")
        return 0 if result.status == "succeeded" else 1
    finally:
        spark.stop()


if __name__ == "__main__":
    raise SystemExit(main())
