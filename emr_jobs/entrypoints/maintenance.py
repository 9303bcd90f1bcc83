"""EMR Serverless entry point: lake maintenance and governance tasks.

    spark-submit --py-files lakehouse.zip maintenance.py --env prod --execution-date 2025-01-31 \
        --config-uri s3://<artifacts>/config/job_config.json --task optimize_vacuum

Tasks (settings in emr_jobs/conf/maintenance.yaml):
  optimize_vacuum   delete the rows `retention` expires (quarantine, DQ results), OPTIMIZE every Delta
                    table (Z-ORDER BY where configured), then VACUUM with the configured retention
                    (< 168 h refused unless --allow-short-retention)
  health            table-health report (files, sizes, versions) -> <lake>/audit/health/<date>/
  register_catalog  create/update the Glue tables from glue/<layer>/<table>.yaml (no-op without Glue)
  lineage           lineage JSON of the lake -> <lake>/audit/lineage/<date>/
  backfill          re-run the pipeline for every date in --start..--end (idempotent)
Exit codes: 0 ok, 1 failed, 2 bad arguments or a configuration error (job config or maintenance.yaml),
3 another run of the same task holds the lock.
"""

from __future__ import annotations

import sys

from lakehouse import assets

assets.ensure(sys.argv[1:])  # conf, contracts, entry points when running from the zip on EMR

from lakehouse.jobs import execution_date_arg, main  # noqa: E402 - after assets.ensure

JOB = "maintenance"
TASKS = ("optimize_vacuum", "health", "register_catalog", "lineage", "backfill")


def add_args(parser) -> None:
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument("--retention-hours", type=float, default=None, help="override vacuum.retention_hours")
    parser.add_argument("--allow-short-retention", action="store_true", help="permit VACUUM below 168 hours")
    parser.add_argument("--start", type=execution_date_arg, help="backfill: first date (YYYY-MM-DD)")
    parser.add_argument("--end", type=execution_date_arg, help="backfill: last date, inclusive")
    parser.add_argument("--schedule", default="daily", help="backfill: pipeline schedule to re-run")


def job_name(args) -> str:
    return {"optimize_vacuum": "table_maintenance"}.get(args.task, args.task)


def body(ctx):
    from lakehouse import maintenance as m

    mcfg = m.load_config()  # a bad maintenance.yaml fails before Spark starts
    task = ctx.args.task
    if task == "register_catalog":
        return {"registered": m.register_catalog(ctx.cfg, ctx.log)}
    if task == "backfill":
        if not (ctx.args.start and ctx.args.end):
            raise m.MaintenanceError("--task backfill needs --start and --end")
        m.date_range(ctx.args.start, ctx.args.end, mcfg.backfill_max_days)  # validate before running
        done = m.backfill(
            ctx.cfg,
            ctx.args.start,
            ctx.args.end,
            schedule=ctx.args.schedule,
            spark=ctx.spark,
            mcfg=mcfg,
            progress=lambda msg: ctx.log.info(msg),
        )
        return {"backfill": done}
    if task == "optimize_vacuum":
        # refuse an unsafe retention before OPTIMIZE rewrites anything
        m.vacuum_retention(mcfg, ctx.args.retention_hours, ctx.args.allow_short_retention)
        # expired rows first: OPTIMIZE then compacts what is left and VACUUM removes their files
        expired = m.expire_rows(ctx.spark, ctx.cfg, mcfg, ctx.execution_date)
        optimized = m.optimize(ctx.spark, ctx.cfg, mcfg)
        vacuumed = m.vacuum(
            ctx.spark,
            ctx.cfg,
            mcfg,
            retention_hours=ctx.args.retention_hours,
            allow_short_retention=ctx.args.allow_short_retention,
        )
        ctx.log.info(
            "maintenance done",
            extra={"rows_expired": expired, "optimized": optimized, "vacuumed": vacuumed},
        )
        return {"rows_expired": expired, "optimized": optimized, "vacuumed": vacuumed}
    if task == "health":
        report = m.table_health(ctx.spark, ctx.cfg, mcfg)
        path = m.write_health(ctx.cfg, report, ctx.execution_date, ctx.run_id)
        ctx.log.info("table health written", extra={"path": path, "tables": len(report["tables"])})
        return report
    path = m.write_lineage(ctx.spark, ctx.cfg, ctx.execution_date, ctx.run_id)
    ctx.log.info("lineage written", extra={"path": path})
    return {"lineage": path}


if __name__ == "__main__":
    sys.exit(main(JOB, add_args, body, job_name=job_name))
