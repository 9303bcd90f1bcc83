"""Extract one source (or all) into bronze: ``ingest.py --env ENV --execution-date D --source S``.

Validation against the contracts, quarantine, idempotent MERGE and watermark advance happen in
``lakehouse.bronze.ingest``; the harness (``lakehouse.jobs.main``) does config, lock, logs and metrics.
Exit 1 if any table's row balance does not hold."""

from __future__ import annotations

import sys

from lakehouse import assets

assets.ensure(sys.argv[1:])  # conf, contracts, entry points when running from the zip on EMR

from lakehouse.sources import SOURCES  # noqa: E402 - after assets.ensure

JOB_NAMES = {
    "snowflake": "extract_snowflake",
    "redshift": "extract_redshift",
    "salesforce": "extract_salesforce",
    "s3_landing": "extract_landing_files",
    "kafka": "extract_kafka",
    "fx_api": "extract_fx_rates",
}


def add_args(p) -> None:
    p.add_argument("--source", required=True, choices=[*SOURCES, "all"])


def body(ctx) -> None:
    from lakehouse.accounting import assert_balanced
    from lakehouse.bronze import ingest

    results = {}
    for source in SOURCES if ctx.args.source == "all" else [ctx.args.source]:
        results.update(ingest(ctx, source))
    for table, acct in sorted(results.items()):
        ctx.log.info("bronze accounting", extra={"accounting": acct.to_dict(), "table": table})
    assert_balanced(results)


def main(argv=None) -> int:
    from lakehouse.jobs import main as run_job

    return run_job(
        "ingest", add_args, body, argv=argv, job_name=lambda a: JOB_NAMES.get(a.source, "extract_all")
    )


if __name__ == "__main__":
    raise SystemExit(main())
