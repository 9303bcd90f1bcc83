"""The entry-point harness every job script uses (``emr_jobs/entrypoints/*.py``).

``main(job, add_args, body)`` does what every job needs and nothing job-specific:

1. parse ``--env --execution-date --config-uri --run-id [--trace-id]`` plus the job's own arguments;
2. load and validate the configuration — a bad one prints ONE line on stderr and exits 2, before any write;
3. take the job's run lock (``state.lock(job, run_id)``): a concurrent run of the same job is refused
   with one line and exit 3 — or, per its schedule (pipeline.yaml ``if_locked``), waited for
   (``--if-locked wait --lock-wait-minutes N``: daily and hourly) or skipped with exit 0
   (``--if-locked skip``: only where no dependant relies on the job having run);
4. run ``body(ctx)`` with JSON logs; the Spark session is built only when ``ctx.spark`` is first touched;
5. always (also on failure) emit ``DurationSeconds`` (from the lock taken: a wait for another run is
   ``LockWaitSeconds``, so a waited-for run does not trip its duration alarm), ``JobFailed``,
   ``EstimatedCostUSD`` (over the whole run: the driver is billed while it waits) and the counters the
   body recorded with ``ctx.count(...)``, then flush the metrics;
6. return 0 (success), 1 (the body raised: one summary line on stderr, full traceback in the JSON log),
   2 (bad arguments or configuration) or 3 (refused: another run of the job holds the lock).

An entry point is therefore three lines::

    from lakehouse.jobs import main
    def add_args(p): p.add_argument("--source", required=True)
    def body(ctx): ...
    if __name__ == "__main__": raise SystemExit(main("ingest", add_args, body, job_name=lambda a: f"extract_{a.source}"))
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lakehouse import config as config_mod
from lakehouse.logs import bind, get_logger, unbind
from lakehouse.metrics import Metrics, estimate_emr_cost, resource_footprint, worker_architecture
from lakehouse.state import LockHeld, StateStore, open_state

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3
IF_LOCKED = ("fail", "skip", "wait")  # what a run does when another run holds its job's lock
DEFAULT_LOCK_TTL = 4 * 3600  # longer than any job's SLA; a lock older than this belongs to a crashed run


def _positive_minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not minutes > 0:
        raise argparse.ArgumentTypeError(f"invalid minutes {value!r}: expected a number > 0")
    return minutes


def execution_date_arg(value: str) -> date:
    """argparse type: a real calendar date written YYYY-MM-DD."""
    try:
        if len(value) != 10:
            raise ValueError
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r}: expected YYYY-MM-DD") from None


@dataclass
class JobContext:
    cfg: config_mod.Config
    job: str
    run_id: str
    execution_date: date
    log: Any
    metrics: Metrics
    state: StateStore
    args: argparse.Namespace
    counters: Counter = field(default_factory=Counter)
    # per-table counters: (metric name, table) -> value; emitted with a Table dimension
    table_counters: Counter = field(default_factory=Counter)
    _spark: Any = None

    @property
    def spark(self):
        if self._spark is None:
            from lakehouse.spark import build_session

            self.log.info("starting Spark session")
            self._spark = build_session(
                f"lakehouse-{self.job}", endpoint_url=self.cfg.endpoint_url, region=self.cfg.region
            )
        return self._spark

    @property
    def spark_started(self) -> bool:
        return self._spark is not None

    def count(self, name: str, value: float, table: str | None = None) -> None:
        """Add to a counter emitted at the end: ``RecordsIn``, ``RecordsOut``, ``RecordsQuarantined``…"""
        self.counters[name] += value
        if table:
            self.table_counters[(name, table)] += value


def build_parser(
    job: str, add_args: Callable[[argparse.ArgumentParser], None] | None
) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{job}.py", description=f"lakehouse job: {job}")
    p.add_argument("--env", required=True, choices=config_mod.ENVIRONMENTS)
    p.add_argument("--execution-date", required=True, type=execution_date_arg, metavar="YYYY-MM-DD")
    p.add_argument("--config-uri", default=None, help="job_config.json written by Terraform (s3:// or path)")
    p.add_argument("--run-id", default=None, help="defaults to a new UUID")
    p.add_argument("--trace-id", default=None, help="ties the jobs of one pipeline run together")
    p.add_argument(
        "--if-locked",
        choices=IF_LOCKED,
        default="fail",
        help="another run holds the job's lock: fail (exit 3), wait up to --lock-wait-minutes then fail, or "
        "skip (exit 0; only where no dependant relies on this run: it counts as succeeded)",
    )
    p.add_argument("--lock-wait-minutes", type=_positive_minutes, default=None, metavar="N")
    if add_args:
        add_args(p)
    return p


def main(
    job: str,
    add_args: Callable[[argparse.ArgumentParser], None] | None,
    body: Callable[[JobContext], None],
    argv: Sequence[str] | None = None,
    *,
    job_name: Callable[[argparse.Namespace], str] | None = None,
    lock_ttl_seconds: int = DEFAULT_LOCK_TTL,
    spark=None,
) -> int:
    """Run ``body`` as job ``job`` (``job_name(args)`` refines it, e.g. ``extract_<source>``)."""
    parser = build_parser(job, add_args)
    args = parser.parse_args(argv)
    if (args.if_locked == "wait") != (args.lock_wait_minutes is not None):
        parser.error("--lock-wait-minutes goes with --if-locked wait, and only with it")
    name = job_name(args) if job_name else job
    try:
        cfg = config_mod.load(args.env, args.config_uri)
        state = open_state(cfg)
    except config_mod.ConfigError as exc:
        print(f"{name}: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    run_id = args.run_id or str(uuid.uuid4())
    log = get_logger(name, run_id, cfg.environment, args.trace_id)
    bound = bind(log)  # module loggers (tables, state, sources) log with this job's context
    metrics = Metrics(cfg, name, run_id)
    ctx = JobContext(cfg, name, run_id, args.execution_date, log, metrics, state, args, _spark=spark)

    started = time.monotonic()
    log.info(
        "job started",
        extra={"execution_date": args.execution_date.isoformat(), "job_args": _public_args(args)},
    )
    rc = EXIT_OK
    locked_at = None  # when the lock was taken (None: never)
    try:
        wait_s = (args.lock_wait_minutes or 0) * 60
        with state.lock(name, run_id, ttl_seconds=lock_ttl_seconds, wait_seconds=wait_s):
            locked_at = time.monotonic()
            body(ctx)
    except LockHeld as exc:
        if args.if_locked == "skip" and exc.job == name:  # this job's own lock, not one the body takes
            ctx.count("RunSkipped", 1)
            log.warning("run skipped: %s", exc)
            print(f"{name}: skipped: {exc}", file=sys.stderr)
        else:
            rc = EXIT_LOCKED
            log.error("run refused: %s", exc)
            print(f"{name}: refused: {exc}", file=sys.stderr)
    except config_mod.ConfigError as exc:  # a file the job reads (a DQ suite, maintenance.yaml) is malformed
        rc = EXIT_CONFIG
        log.error("configuration error: %s", exc)
        print(f"{name}: configuration error: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - the harness turns any failure into exit 1 + a log record
        rc = EXIT_FAILED
        log.exception("job failed: %s: %s", type(exc).__name__, exc)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"{name}: FAILED ({type(exc).__name__}: {first[:300]}) run_id={run_id}", file=sys.stderr)
    finally:
        ended = time.monotonic()
        waited = (locked_at if locked_at is not None else ended) - started
        duration = ended - started
        _emit_final_metrics(ctx, duration, waited, failed=rc != EXIT_OK)
        try:
            metrics.flush()
        except Exception as exc:  # noqa: BLE001 - lost metrics must not hide the job's own outcome
            log.error("could not flush metrics: %s: %s", type(exc).__name__, exc)
        log.info(
            "job finished",
            extra={
                "status": "failed"
                if rc != EXIT_OK
                else "skipped"
                if ctx.counters["RunSkipped"]
                else "succeeded",
                "exit_code": rc,
                "duration_s": round(duration - waited, 3),
                "lock_wait_s": round(waited, 3),
                "counters": dict(ctx.counters),
            },
        )
        unbind(bound)
    return rc


def _public_args(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(args).items()}


def _emit_final_metrics(ctx: JobContext, duration: float, waited: float, failed: bool) -> None:
    """``duration``: the whole run; ``waited``: the part of it spent before the lock was taken."""
    m = ctx.metrics
    m.put("DurationSeconds", duration - waited, "Seconds")
    if ctx.args.if_locked == "wait":
        m.put("LockWaitSeconds", waited, "Seconds")
    m.put("JobFailed", 1 if failed else 0)
    for name, value in sorted(ctx.counters.items()):
        m.put(name, value)
    for (name, table), value in sorted(ctx.table_counters.items()):
        m.put(name, value, Table=table)
    try:
        vcpus, gb = resource_footprint(ctx._spark)
        cost = estimate_emr_cost(vcpus * duration, gb * duration, ctx.cfg.region, worker_architecture())
        m.put("EstimatedCostUSD", cost, "None")
    except config_mod.ConfigError as exc:
        ctx.log.warning("no cost estimate: %s", exc)
