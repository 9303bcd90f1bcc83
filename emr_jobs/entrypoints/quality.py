"""EMR Serverless entry point: run a data-quality suite (``emr_jobs/conf/dq/<suite>.yaml``).

    spark-submit --py-files lakehouse.zip quality.py --env prod --execution-date 2025-01-31 \
        --config-uri s3://<artifacts>/config/job_config.json --suite silver

Results go to ``lake://audit/dq_results`` and ``<lake>/audit/reports/dq_<run_id>.json``; pass rate and
failure counts become the DQPassRate / DQCriticalFailures / DQWarningFailures metrics; a critical failure is
also an EventBridge event the failure notifier pages with (``lakehouse.dq.alerts``).
Exit 0 when every critical check passed (warnings are reported, not fatal unless --fail-on-warning);
1 when a critical check failed; 2 on bad arguments or a configuration error (job config or suite file —
including a check naming a column the table lacks); 3 when another run of the same suite holds the lock.
The local runner imports this module and calls the same ``body``.
"""

from __future__ import annotations

import sys

from lakehouse import assets

assets.ensure(sys.argv[1:])  # conf, contracts, entry points when running from the zip on EMR

from lakehouse.jobs import main  # noqa: E402 - after assets.ensure

JOB = "quality"


def add_args(parser) -> None:
    parser.add_argument("--suite", required=True, help="suite name: emr_jobs/conf/dq/<suite>.yaml")
    parser.add_argument(
        "--fail-on-warning", action="store_true", help="treat failed warning checks as critical (exit 1)"
    )


def job_name(args) -> str:
    from pathlib import Path

    return f"dq_{Path(args.suite).stem}"


def body(ctx):
    from lakehouse import dq

    # a malformed suite fails here, before Spark starts or anything is written
    dq.load_suite(ctx.args.suite)
    result = dq.run_suite(
        ctx.spark, ctx.cfg, ctx.args.suite, ctx.run_id, ctx.execution_date, metrics=ctx.metrics, log=ctx.log
    )
    paths = dq.write_results(ctx.spark, ctx.cfg, result)
    ctx.log.info("DQ results written", extra={"dq_table": paths["table"], "dq_report": paths["report"]})
    dq.publish_failure(ctx.cfg, result, ctx.job, paths["report"], ctx.log)  # the page listing the checks
    dq.raise_for_critical(result)
    if ctx.args.fail_on_warning and result.warning_failures:
        raise dq.DQError(result, include_warnings=True)
    return result


if __name__ == "__main__":
    sys.exit(main(JOB, add_args, body, job_name=job_name))
