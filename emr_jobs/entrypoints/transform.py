"""EMR Serverless entry point: bronze -> silver (``--step silver``) or silver -> gold (``--step gold``).

    spark-submit --py-files lakehouse.zip transform.py --env prod --execution-date 2025-01-31 \
        --config-uri s3://<artifacts>/config/job_config.json --step gold

Exit 0 on success; 1 when the step failed (critical gold DQ failure: nothing published; unbalanced row
accounting); 2 on a bad configuration; 3 when another run of the same job holds the lock.
The local runner (lakehouse.runner) imports this module and calls the same ``add_args``/``body``.
"""

from __future__ import annotations

import sys

from lakehouse import assets

assets.ensure(sys.argv[1:])  # conf, contracts, entry points when running from the zip on EMR

from lakehouse.jobs import execution_date_arg, main  # noqa: E402 - after assets.ensure

JOB = "transform"
STEP_JOBS = {"silver": "bronze_to_silver", "gold": "silver_to_gold"}


def add_args(parser) -> None:
    parser.add_argument("--step", required=True, choices=sorted(STEP_JOBS))
    parser.add_argument(
        "--mode",
        choices=("incremental", "full", "backfill"),
        default="incremental",
        help="silver: incremental reads bronze past the watermark; full re-reads all of bronze; backfill "
        "re-derives the bronze rows loaded on the execution dates --since..--until. gold: incremental "
        "recomputes the rows silver's changes touch (in full when it cannot tell); full rebuilds every table",
    )
    parser.add_argument(
        "--since", type=execution_date_arg, default=None, help="backfill: first execution date"
    )
    parser.add_argument(
        "--until", type=execution_date_arg, default=None, help="backfill: last execution date"
    )


def job_name(args) -> str:
    return STEP_JOBS[args.step]


def body(ctx):
    if ctx.args.step == "silver":
        from lakehouse.silver import run_step

        return run_step(ctx, mode=ctx.args.mode, since=ctx.args.since, until=ctx.args.until)
    from lakehouse.gold import run_step

    if ctx.args.mode == "backfill":
        raise ValueError("--mode backfill is a silver mode; gold follows silver's changes incrementally")
    return run_step(ctx, mode=ctx.args.mode)


if __name__ == "__main__":
    sys.exit(main(JOB, add_args, body, job_name=job_name))
