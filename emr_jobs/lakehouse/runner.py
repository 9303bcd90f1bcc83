"""The local runner: the jobs of one schedule from ``emr_jobs/conf/pipeline.yaml``, in dependency order,
in one process and one SparkSession, calling the same ``add_args``/``body`` the EMR entry points call
(through ``lakehouse.jobs.main``, so locks, logs and metrics behave as on EMR).

Entry-point convention (every ``emr_jobs/entrypoints/<job>.py``): module-level ``add_args(parser)`` and
``body(ctx)`` (optionally ``JOB``, the harness name; the job name is the graph's). A body may return what it produced —
``Accounting`` objects (a dict or list of them), a dq ``SuiteResult``, or an object with ``.accounting`` /
``.dq`` — and the runner gathers them into the run summary.

Crash injection (tests, drills): ``LAKEHOUSE_FAIL_AFTER=<job name>`` raises ``InjectedFailure`` right after
that job finished successfully — the state is exactly what a driver killed at that stage boundary leaves.
Re-running the schedule must then converge to what a clean run produces.

    python -m lakehouse.runner --schedule daily --execution-date 2025-01-31 [--only bronze_to_silver ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from lakehouse.accounting import Accounting, merge_all
from lakehouse.concurrency import run_when_ready
from lakehouse.config import CONF_DIR
from lakehouse.jobs import IF_LOCKED  # the harness's choices: what a job does when its lock is held

PIPELINE_FILE = CONF_DIR / "pipeline.yaml"


def entrypoints_dir() -> Path:
    """Next to the package in the checkout; ``LAKEHOUSE_ENTRYPOINTS_DIR`` when the package runs from a zip
    (``lakehouse.assets.ensure`` sets it on EMR). Read at each call, so the order of imports does not matter."""
    return Path(
        os.environ.get("LAKEHOUSE_ENTRYPOINTS_DIR") or Path(__file__).resolve().parents[1] / "entrypoints"
    )


KNOWN_ENTRYPOINTS = ("ingest.py", "transform.py", "quality.py", "maintenance.py", "stream.py")
# The Airflow DAGs read the same graph with their own reader (MWAA cannot import this package);
# tests/unit/test_job_graph_readers.py keeps the two in agreement.
KNOWN_GROUPS = (
    "extract_source",
    "transform_bronze_silver",
    "dq_validation",
    "transform_silver_gold",
    "governance",
    "maintenance",
    "streaming",
)
FAIL_AFTER_ENV = "LAKEHOUSE_FAIL_AFTER"
PARALLEL_ENV = "LAKEHOUSE_PARALLEL_JOBS"
DEFAULT_PARALLEL = 2
_JOB_KEYS = {"entrypoint", "args", "backfill_args", "group", "needs", "schedules", "sla_minutes"}
_SCHEDULE_KEYS = {"cron", "description", "if_locked", "lock_wait_minutes"}
BACKFILL_DATE = "{date}"  # in backfill_args: replaced by the execution date being backfilled


class PipelineError(ValueError):
    """pipeline.yaml is inconsistent; raised before any job runs. The message names the job and key."""


class InjectedFailure(RuntimeError):
    """Raised by the crash switch LAKEHOUSE_FAIL_AFTER."""


@dataclass(frozen=True)
class Job:
    name: str
    entrypoint: str
    args: dict[str, Any]
    group: str
    needs: tuple[str, ...]
    schedules: tuple[str, ...]
    sla_minutes: int | None
    backfill_args: dict[str, Any] = field(default_factory=dict)  # merged over args on a backfill run

    def cli_args(self, backfill_date: date | None = None) -> list[str]:
        """``{source: x}`` -> ``--source x``; on a backfill of ``backfill_date`` with backfill_args merged in."""
        args = dict(self.args)
        if backfill_date is not None:
            args.update(
                {
                    k: str(v).replace(BACKFILL_DATE, backfill_date.isoformat())
                    for k, v in self.backfill_args.items()
                }
            )
        out: list[str] = []
        for key, value in args.items():
            out += [f"--{key.replace('_', '-')}", str(value)]
        return out


@dataclass(frozen=True)
class Pipeline:
    schedules: dict[str, dict[str, Any]]
    jobs: dict[str, Job]

    def with_args(self, job: str, **args: Any) -> Pipeline:
        """This graph with ``args`` merged over one job's arguments, for a one-off run (gold ``mode="full"``)."""
        if job not in self.jobs:
            raise PipelineError(f"unknown job {job!r}; defined: {', '.join(self.jobs)}")
        j = self.jobs[job]
        return Pipeline(self.schedules, {**self.jobs, job: replace(j, args={**j.args, **args})})

    def order(self, schedule: str, only: Iterable[str] | None = None) -> list[Job]:
        """The schedule's jobs in a topological order (ties keep the file order, so runs are repeatable)."""
        if schedule not in self.schedules:
            raise PipelineError(f"unknown schedule {schedule!r}; defined: {', '.join(self.schedules)}")
        jobs = [j for j in self.jobs.values() if schedule in j.schedules]
        if only:
            only = list(only)
            unknown = [n for n in only if n not in self.jobs]
            if unknown:
                raise PipelineError(f"unknown job(s) {unknown}; defined: {', '.join(self.jobs)}")
            off = [n for n in only if schedule not in self.jobs[n].schedules]
            if off:
                raise PipelineError(f"job(s) {off} are not in schedule {schedule!r}")
            jobs = [j for j in jobs if j.name in only]
        names = {j.name for j in jobs}
        waits_for = {j.name: self.upstream(j.name) & names for j in jobs}
        done: list[Job] = []
        placed: set[str] = set()
        while len(done) < len(jobs):
            ready = [j for j in jobs if j.name not in placed and waits_for[j.name] <= placed]
            if not ready:  # validate() rejects cycles; kept as a guard
                raise PipelineError(f"cycle among {sorted(names - placed)}")
            done.append(ready[0])
            placed.add(ready[0].name)
        return done

    def lock_args(self, schedule: str) -> list[str]:
        """The harness arguments of the schedule's ``if_locked`` policy (every job of the schedule gets them)."""
        return lock_args(self.schedules[schedule])

    def upstream(self, name: str) -> set[str]:
        """Every job ``name`` depends on, directly or through others: with ``--only silver_to_gold
        bronze_to_silver`` gold still waits for silver although dq_silver, between them, is not run."""
        seen: set[str] = set()
        todo = list(self.jobs[name].needs)
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(self.jobs[n].needs)
        return seen


def load_pipeline(path: str | Path = PIPELINE_FILE, entrypoints: Path | None = None) -> Pipeline:
    """Parse and validate the job graph: unknown keys/needs/schedules/entry points and cycles are errors.
    ``entrypoints``: the folder of the entry-point files (default ``entrypoints_dir()``)."""
    path = Path(path)
    entrypoints = entrypoints or entrypoints_dir()
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise PipelineError(f"{path}: cannot read the job graph: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("schedules"), dict)
        or not isinstance(doc.get("jobs"), dict)
    ):
        raise PipelineError(f"{path}: expected top-level mappings 'schedules' and 'jobs'")
    schedules = doc["schedules"]
    for name, sched in schedules.items():
        _check_schedule(sched, f"{path}: schedule {name!r}")
    jobs: dict[str, Job] = {}
    for name, raw in doc["jobs"].items():
        where = f"{path}: job {name!r}"
        if not isinstance(raw, dict):
            raise PipelineError(f"{where}: must be a mapping")
        extra = set(raw) - _JOB_KEYS
        if extra:
            raise PipelineError(f"{where}: unknown key(s) {sorted(extra)}; allowed: {sorted(_JOB_KEYS)}")
        for key in ("entrypoint", "group", "schedules"):
            if key not in raw:
                raise PipelineError(f"{where}: missing key '{key}'")
        ep = raw["entrypoint"]
        if ep not in KNOWN_ENTRYPOINTS:
            raise PipelineError(
                f"{where}: unknown entrypoint {ep!r}; allowed: {', '.join(KNOWN_ENTRYPOINTS)}"
            )
        if not (entrypoints / ep).is_file():
            raise PipelineError(f"{where}: entrypoint file {entrypoints / ep} does not exist")
        if raw["group"] not in KNOWN_GROUPS:
            raise PipelineError(
                f"{where}: unknown group {raw['group']!r}; allowed: {', '.join(KNOWN_GROUPS)}"
            )
        sla = raw.get("sla_minutes")
        if sla is not None and (isinstance(sla, bool) or not isinstance(sla, int) or sla <= 0):
            raise PipelineError(f"{where}: sla_minutes must be a positive integer or null, got {sla!r}")
        needs = raw.get("needs") or []
        scheds = raw["schedules"] or []
        if not isinstance(needs, list) or not isinstance(scheds, list):
            raise PipelineError(f"{where}: 'needs' and 'schedules' must be lists")
        bad = [s for s in scheds if s not in schedules]
        if bad:
            raise PipelineError(f"{where}: unknown schedule(s) {bad}; defined: {', '.join(schedules)}")
        args = raw.get("args") or {}
        backfill_args = raw.get("backfill_args") or {}
        if not isinstance(args, dict) or not isinstance(backfill_args, dict):
            raise PipelineError(f"{where}: 'args' and 'backfill_args' must be mappings")
        jobs[name] = Job(
            name, ep, args, raw["group"], tuple(needs), tuple(scheds), raw.get("sla_minutes"), backfill_args
        )
    for job in jobs.values():
        for need in job.needs:
            if need not in jobs:
                raise PipelineError(f"{path}: job {job.name!r} needs unknown job {need!r}")
            missing = [s for s in job.schedules if s not in jobs[need].schedules]
            if missing:
                raise PipelineError(
                    f"{path}: job {job.name!r} runs on {missing} but needs {need!r}, which does not"
                )
    _check_cycles(jobs, path)
    return Pipeline(schedules, jobs)


def _check_schedule(sched: Any, where: str) -> None:
    if not isinstance(sched, dict) or "cron" not in sched:
        raise PipelineError(f"{where}: must be a mapping with a 'cron' key (a cron string or null)")
    extra = set(sched) - _SCHEDULE_KEYS
    if extra:
        raise PipelineError(f"{where}: unknown key(s) {sorted(extra)}; allowed: {sorted(_SCHEDULE_KEYS)}")
    policy = sched.get("if_locked", "fail")
    if policy not in IF_LOCKED:
        raise PipelineError(f"{where}: if_locked {policy!r} is not one of {', '.join(IF_LOCKED)}")
    wait = sched.get("lock_wait_minutes")
    if (policy == "wait") != (wait is not None):
        raise PipelineError(f"{where}: lock_wait_minutes goes with if_locked: wait, and only with it")
    if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait <= 0):
        raise PipelineError(f"{where}: lock_wait_minutes must be a positive integer, got {wait!r}")


def lock_args(sched: dict[str, Any]) -> list[str]:
    policy = sched.get("if_locked", "fail")
    out = ["--if-locked", policy]
    if policy == "wait":
        out += ["--lock-wait-minutes", str(sched["lock_wait_minutes"])]
    return out


def _check_cycles(jobs: dict[str, Job], path: Path) -> None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = trail[trail.index(name) :] + [name]
            raise PipelineError(f"{path}: dependency cycle: {' -> '.join(cycle)}")
        state[name] = 1
        for need in jobs[name].needs:
            visit(need, [*trail, name])
        state[name] = 2

    for name in jobs:
        visit(name, [])


# --------------------------------------------------------------------------------------------- running
@dataclass
class StageResult:
    name: str
    status: str  # succeeded | failed | skipped
    seconds: float = 0.0
    exit_code: int | None = None
    error: str | None = None
    started_s: float = 0.0  # seconds from the run's start: jobs side by side overlap


@dataclass
class RunSummary:
    run_id: str
    env: str
    execution_date: date
    schedule: str
    started_at: str
    duration_s: float = 0.0
    status: str = "running"
    stages: list[StageResult] = field(default_factory=list)
    accounting: dict[str, Accounting] = field(default_factory=dict)
    dq: list[Any] = field(default_factory=list)  # dq SuiteResult objects
    outputs: dict[str, Any] = field(default_factory=dict)  # job name -> what its body returned

    @property
    def failed(self) -> bool:
        return self.status != "succeeded"

    def report_fields(self) -> dict[str, Any]:
        """The parts of ``report.write_run_report``'s summary the runner knows (no table row counts)."""
        return {
            "run_id": self.run_id,
            "env": self.env,
            "execution_date": self.execution_date.isoformat(),
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 2),
            "status": self.status,
            "stages": [
                {"name": s.name, "status": s.status, "seconds": round(s.seconds, 2)} for s in self.stages
            ],
            "dq": [
                {
                    "suite": r.suite,
                    "check": r.name,
                    "table": r.table,
                    "severity": r.severity,
                    "passed": r.passed,
                    "observed": r.observed,
                }
                for s in self.dq
                for r in s.results
            ],
            "accounting": [
                {k: v for k, v in a.to_dict().items() if k != "by_reason"} for a in self.accounting.values()
            ],
        }


def _load_entrypoint(job: Job):
    path = entrypoints_dir() / job.entrypoint
    spec = importlib.util.spec_from_file_location(f"lakehouse_entrypoint_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attr in ("add_args", "body"):
        if not hasattr(module, attr):
            raise PipelineError(
                f"entrypoint {path} does not define {attr!r} (see lakehouse.runner's convention)"
            )
    return module


def _argv(
    job: Job, cfg_file: str, env: str, execution_date: date, run_id: str, backfill: bool, lock: list[str]
) -> list[str]:
    argv = [
        *lock,
        "--env",
        env,
        "--execution-date",
        execution_date.isoformat(),
        "--config-uri",
        cfg_file,
        "--run-id",
        f"{run_id}.{job.name}",
        "--trace-id",
        run_id,
    ]
    return argv + job.cli_args(execution_date if backfill else None)


def _collect(summary: RunSummary, job: str, produced: Any) -> None:
    if produced is None:
        return
    summary.outputs[job] = produced
    items: list[Accounting] = []
    if isinstance(produced, Accounting):
        items = [produced]
    elif isinstance(produced, dict) and all(isinstance(v, Accounting) for v in produced.values()):
        items = list(produced.values())
    elif isinstance(produced, list | tuple) and all(isinstance(v, Accounting) for v in produced):
        items = list(produced)
    if hasattr(produced, "accounting") and isinstance(produced.accounting, dict):
        items = list(produced.accounting.values())
    dq = getattr(produced, "dq", None)
    if dq is not None and hasattr(dq, "results"):
        summary.dq.append(dq)
    if hasattr(produced, "results") and hasattr(produced, "suite"):
        summary.dq.append(produced)
    summary.accounting = merge_all([*summary.accounting.values(), *items])


def _accounting_from_counters(ctx, job: Job) -> list[Accounting] | None:
    """A body that returned nothing may still have counted per table (RecordsIn/Out/Quarantined); the
    rest of its input was deduplicated. The job itself enforced its balance before succeeding."""
    per: dict[str, dict[str, float]] = {}
    for (metric, table), value in ctx.table_counters.items():
        per.setdefault(table, {})[metric] = value
    items = []
    for table, m in sorted(per.items()):
        if "RecordsIn" not in m:
            continue
        name = table if "." in table or job.entrypoint != "ingest.py" else f"bronze.{table}"
        rows_in, out, q = (int(m.get(k, 0)) for k in ("RecordsIn", "RecordsOut", "RecordsQuarantined"))
        items.append(Accounting(name, rows_in, out, rows_in - out - q, q))
    return items or None


def parallel_jobs(value: int | str | None = None) -> int:
    """How many jobs run at once: ``value``, else ``$LAKEHOUSE_PARALLEL_JOBS``, else 2."""
    raw = value if value is not None else os.environ.get(PARALLEL_ENV) or DEFAULT_PARALLEL
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or str(raw).strip() != str(n):
        raise PipelineError(f"{PARALLEL_ENV} / parallel must be a whole number >= 1, got {raw!r}")
    return n


def _default_progress(msg: str) -> None:
    print(msg, flush=True)


def run(
    cfg,
    execution_date: date,
    schedule: str = "daily",
    only: Iterable[str] | None = None,
    run_id: str | None = None,
    spark=None,
    *,
    pipeline: Pipeline | None = None,
    progress: Callable[[str], None] = _default_progress,
    backfill: bool = False,
    parallel: int | None = None,
) -> RunSummary:
    """Run a schedule's jobs in dependency order, up to ``parallel`` at once (default
    ``$LAKEHOUSE_PARALLEL_JOBS`` or 2); after a failure no job starts (the rest is 'skipped').

    ``backfill``: the run re-processes ``execution_date``; jobs get their ``backfill_args`` (the job graph)."""
    from lakehouse.jobs import main as job_main

    pipeline = pipeline or load_pipeline()
    jobs = pipeline.order(schedule, only)  # every graph error is raised here, before anything runs
    modules = {j.name: _load_entrypoint(j) for j in jobs}
    run_id = run_id or f"{schedule}-{execution_date.isoformat()}-{uuid.uuid4().hex[:8]}"
    parallel = parallel_jobs(parallel)
    summary = RunSummary(
        run_id,
        cfg.environment,
        execution_date,
        schedule,
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    fail_after = os.environ.get(FAIL_AFTER_ENV) or None
    if fail_after and fail_after not in pipeline.jobs:
        raise PipelineError(f"{FAIL_AFTER_ENV}={fail_after!r} is not a job in the pipeline")
    if spark is None:
        from lakehouse.spark import build_session

        spark = build_session("lakehouse-runner", endpoint_url=cfg.endpoint_url, region=cfg.region)

    started = time.monotonic()
    progress(
        f"run {run_id}: schedule {schedule}, execution date {execution_date}, {len(jobs)} job(s), "
        f"up to {parallel} at a time"
    )
    lock = pipeline.lock_args(schedule)
    with tempfile.TemporaryDirectory(prefix="lakehouse-run-") as tmp:
        # the jobs load exactly this configuration, as on EMR they load the uploaded job_config.json
        cfg_file = str(Path(tmp) / "job_config.json")
        Path(cfg_file).write_text(json.dumps(cfg.to_dict()))

        def run_job(job: Job) -> tuple[int, float, float, Any, BaseException | None]:
            module = modules[job.name]
            captured: dict[str, Any] = {}

            def body(ctx):
                captured["ctx"] = ctx
                try:
                    captured["out"] = module.body(ctx)
                except Exception as exc:
                    captured["error"] = exc
                    raise

            t0 = time.monotonic()
            rc = job_main(
                getattr(module, "JOB", Path(job.entrypoint).stem),
                module.add_args,
                body,
                _argv(job, cfg_file, cfg.environment, execution_date, run_id, backfill, lock),
                # the graph's job name: the same name Airflow and the entry point's job_name() use
                job_name=lambda _args: job.name,
                spark=spark,
            )
            out = captured.get("out")
            if out is None and "ctx" in captured:
                out = _accounting_from_counters(captured["ctx"], job)
            return rc, t0 - started, time.monotonic() - t0, out, captured.get("error")

        # Like Airflow: a job starts once every job it needs (here: among those run) succeeded; up to
        # `parallel` share the session (Spark schedules their stages side by side). Jobs never started after
        # a failure (or the crash switch) are "skipped".
        stages: dict[str, StageResult] = {}
        by_name = {j.name: j for j in jobs}
        started_names: list[str] = []
        injected = False

        def start(name: str) -> None:
            job = by_name[name]
            started_names.append(name)
            progress(
                f"[{len(started_names)}/{len(jobs)}] {name:<24} running ({job.entrypoint} {json.dumps(job.args)})"
            )

        def done(name: str, outcome, error: BaseException | None) -> bool:
            nonlocal injected
            if error is not None:  # run_job itself failed (job_main catches what the job raises)
                outcome = (1, 0.0, 0.0, None, error)
            rc, offset, seconds, out, err = outcome
            _collect(summary, name, out)
            if err is not None and hasattr(getattr(err, "result", None), "results"):
                summary.dq.append(err.result)  # a failed DQ gate still reports its checks
            if rc == 0:
                stages[name] = StageResult(name, "succeeded", seconds, rc, started_s=offset)
                progress(f"      {name:<24} ok      {seconds:6.1f}s")
                injected = injected or fail_after == name
                return not injected
            why = f"{type(err).__name__}: {err}" if err is not None else f"exit code {rc}"
            stages[name] = StageResult(name, "failed", seconds, rc, why, offset)
            progress(f"      {name:<24} FAILED  {seconds:6.1f}s  {why.splitlines()[0][:300]}")
            return False

        run_when_ready(
            [j.name for j in jobs],
            {j.name: pipeline.upstream(j.name) for j in jobs},
            lambda name: run_job(by_name[name]),
            parallel,
            done,
            on_start=start,
            thread_name="lakehouse-job",
        )
        failed = any(st.status == "failed" for st in stages.values())
        for job in jobs:
            summary.stages.append(stages.get(job.name) or StageResult(job.name, "skipped"))
            if job.name not in stages:
                progress(f"      {job.name:<24} skipped")
        if injected:
            raise InjectedFailure(f"{FAIL_AFTER_ENV}={fail_after}: injected failure after job {fail_after!r}")
    summary.duration_s = time.monotonic() - started
    unbalanced = [a.table for a in summary.accounting.values() if not a.balanced]
    summary.status = "failed" if failed or unbalanced else "succeeded"
    progress(f"run {run_id}: {summary.status} in {summary.duration_s:.1f}s")
    return summary


def main(argv: list[str] | None = None) -> int:
    from lakehouse import config as config_mod
    from lakehouse.jobs import execution_date_arg

    p = argparse.ArgumentParser(prog="python -m lakehouse.runner", description=__doc__.splitlines()[0])
    p.add_argument("--env", default="local", choices=config_mod.ENVIRONMENTS)
    p.add_argument("--config-uri", default=None)
    p.add_argument("--schedule", default="daily")
    p.add_argument("--execution-date", type=execution_date_arg, default=datetime.now(timezone.utc).date())
    p.add_argument("--only", nargs="*", default=None, help="run only these jobs (in dependency order)")
    p.add_argument(
        "--parallel", default=None, help=f"jobs at once (default ${PARALLEL_ENV} or {DEFAULT_PARALLEL})"
    )
    args = p.parse_args(argv)
    try:
        cfg = config_mod.load(args.env, args.config_uri)
        summary = run(cfg, args.execution_date, args.schedule, args.only, parallel=args.parallel)
    except (config_mod.ConfigError, PipelineError) as exc:
        print(f"runner: {exc}", file=sys.stderr)
        return 2
    return 0 if summary.status == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
