"""The EMR Serverless job operator every pipeline job runs through, and the streaming-job helpers.

``LakehouseJobOperator`` is the Amazon provider's ``EmrServerlessStartJobOperator`` (deferrable: the
worker slot is freed while EMR runs the job; the triggerer watches it) plus what the pipeline needs:
the entry-point arguments of docs/interfaces.md, the configurationOverrides Terraform publishes
(``config/emr_configuration_overrides.json``: Delta, Glue metastore, logging), the run's source filter,
and an SLA check against the job run's own EMR timestamps.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from airflow.providers.amazon.aws.hooks.emr import EmrServerlessHook
from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
from airflow.sdk.exceptions import AirflowSkipException

from lakehouse_orchestration import callbacks
from lakehouse_orchestration.config import Job, JobConfig

WAITER_DELAY_SECONDS = 60
DEFAULT_TIMEOUT_MINUTES = 240  # jobs without an SLA
# EMR Serverless job-run states (StartJobRun/GetJobRun).
ACTIVE_STATES = ("SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED")


def emr_name(*parts: str) -> str:
    return "-".join(p for p in parts if p)[:256]  # EMR Serverless job-run names: at most 256 chars


def job_run_id(run_id: str, job: Job, execution_date: str, *, backfill: bool = False) -> str:
    """The ``--run-id`` of one job run: ``<run>.<job>``, and ``<run>.<date>.<job>`` in a backfill run.

    The job uses it as its lock owner (the state lock lets the same owner in again, so a retry of a run
    that died holding the lock is not refused) and keys its DQ results by it. A backfill run starts every
    job once per date under one Airflow run id: without the date those runs would share one owner — enter
    each other's lock, release it under each other, overwrite each other's DQ results."""
    return f"{run_id}.{execution_date}.{job.name}" if backfill else f"{run_id}.{job.name}"


def spark_submit(
    cfg: JobConfig,
    job: Job,
    execution_date: str,
    run_id: str,
    *,
    backfill: bool = False,
    lock_args: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The jobDriver of one job run: ``<code_root>/entrypoints/<job>.py --env --execution-date ...``
    (``backfill``: a run over a date range — the job's ``backfill_args`` join its arguments;
    ``lock_args``: the schedule's ``if_locked`` policy, ``Pipeline.lock_args``).

    ``--run-id`` (``job_run_id``) / ``--trace-id <run>`` as the local runner (lakehouse.runner) passes
    them, so a job's metrics and logs tie back to the Airflow run either way."""
    code_root = cfg.emr["code_root"].rstrip("/")
    return {
        "sparkSubmit": {
            "entryPoint": f"{code_root}/entrypoints/{job.entrypoint}",
            "entryPointArguments": [
                "--env", cfg.environment,
                "--execution-date", execution_date,
                "--config-uri", cfg.config_uri,
                "--run-id", job_run_id(run_id, job, execution_date, backfill=backfill),
                "--trace-id", run_id,
                *lock_args,
                *job.cli_args(execution_date if backfill else None),
            ],
            "sparkSubmitParameters": f"--py-files {code_root}/lakehouse.zip",
        }
    }  # fmt: skip


def lock_wait_minutes(lock_args: list[str] | tuple[str, ...]) -> float:
    """The ``--lock-wait-minutes`` of a schedule's lock arguments (``Pipeline.lock_args``), 0 without."""
    args = list(lock_args)
    if "--lock-wait-minutes" not in args:
        return 0.0
    return float(args[args.index("--lock-wait-minutes") + 1])


class LakehouseJobOperator(EmrServerlessStartJobOperator):
    """Start one pipeline job on EMR Serverless for one execution date and wait (deferred) for it."""

    template_fields = (*EmrServerlessStartJobOperator.template_fields, "execution_date")

    def __init__(
        self,
        *,
        job: dict[str, Any],
        job_config: dict[str, Any],
        configuration_overrides: dict[str, Any],
        execution_date: str,
        lock_args: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        # Plain dicts (not dataclasses) so the serialized DAG can carry them.
        self.job = job
        self.lock_args = list(lock_args or [])
        self.job_config = job_config
        self.execution_date = execution_date
        cfg = JobConfig(raw=job_config)
        sla = job.get("sla_minutes") or DEFAULT_TIMEOUT_MINUTES
        kwargs.setdefault("waiter_delay", WAITER_DELAY_SECONDS)
        # The deferred wait gives up at 3x the SLA (then the job run is cancelled and the task retried),
        # plus the time the job may spend waiting for another run's lock before its SLA clock starts.
        budget = 3 * sla + lock_wait_minutes(self.lock_args)
        kwargs.setdefault("waiter_max_attempts", math.ceil(budget * 60 / kwargs["waiter_delay"]))
        super().__init__(
            application_id=cfg.emr["application_id"],
            execution_role_arn=cfg.emr["execution_role_arn"],
            job_driver={},  # built per execution date in execute()
            configuration_overrides=configuration_overrides,
            deferrable=True,
            **kwargs,
        )

    def _job(self) -> Job:
        j = self.job
        return Job(
            name=j["name"], entrypoint=j["entrypoint"], args=j["args"], group=j["group"],
            needs=tuple(j["needs"]), schedules=tuple(j["schedules"]), sla_minutes=j["sla_minutes"],
            backfill_args=j.get("backfill_args") or {},
        )  # fmt: skip

    def execute(self, context: Any, event: dict[str, Any] | None = None) -> str | None:
        job = self._job()
        params = context.get("params") or {}
        selected = params.get("sources") or []
        if job.source and selected and job.source not in selected:
            raise AirflowSkipException(f"source {job.source!r} is not in this run's source filter {selected}")
        cfg = JobConfig(raw=self.job_config)
        run_id = context["run_id"]
        backfill = bool(params.get("start_date"))  # a date-range run (validated by validate_run)
        self.job_driver = spark_submit(
            cfg, job, self.execution_date, run_id, backfill=backfill, lock_args=self.lock_args
        )
        self.name = emr_name(cfg.prefix, job.name, self.execution_date, run_id)
        return super().execute(context, event)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> str | None:
        job_run_id = super().execute_complete(context, event)
        sla = self.job.get("sla_minutes")
        if sla and job_run_id:
            elapsed = job_run_minutes(self.hook, self.application_id, job_run_id)
            # EMR's wall time includes a wait for another run's lock (up to the schedule's lock_wait_minutes),
            # which the job's own DurationSeconds (and its CloudWatch alarm) leaves out
            if elapsed is not None and elapsed > sla + lock_wait_minutes(self.lock_args):
                self.log.warning("job %s missed its SLA: %.1f min > %d min", self.job["name"], elapsed, sla)
                callbacks.sla_missed(self.job["name"], sla, elapsed, job_run_id)
        return job_run_id


def job_run_minutes(hook: EmrServerlessHook, application_id: str, job_run_id: str) -> float | None:
    """Wall time of a job run from EMR's own timestamps (created -> ended, or now if still running)."""
    run = hook.conn.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
    created = run.get("createdAt")
    if created is None:
        return None
    ended = run.get("endedAt") or run.get("updatedAt") or datetime.now(UTC)
    return (ended - created).total_seconds() / 60


# ---- streaming ------------------------------------------------------------------------------------
def find_active_run(hook: EmrServerlessHook, application_id: str, name: str) -> dict[str, Any] | None:
    """The newest active job run called ``name`` on the application, if any."""
    paginator = hook.conn.get_paginator("list_job_runs")
    runs = [
        r
        for page in paginator.paginate(applicationId=application_id, states=list(ACTIVE_STATES))
        for r in page.get("jobRuns", [])
        if r.get("name") == name and r.get("state") in ACTIVE_STATES
    ]
    return max(runs, key=lambda r: r["createdAt"]) if runs else None


def ensure_streaming_run(
    cfg: JobConfig,
    job: Job,
    execution_date: str,
    run_id: str,
    hook: EmrServerlessHook,
    configuration_overrides: dict[str, Any],
) -> dict[str, str]:
    """Start the continuous job unless a run of it is already active; return its id and whether it started."""
    name = emr_name(cfg.prefix, job.name)
    app = cfg.emr["application_id"]
    active = find_active_run(hook, app, name)
    if active:
        return {"job_run_id": active["id"], "started": "false"}
    response = hook.conn.start_job_run(
        applicationId=app,
        executionRoleArn=cfg.emr["execution_role_arn"],
        name=name,
        mode="STREAMING",  # EMR Serverless streaming job: no run timeout, restarted by EMR on failure
        retryPolicy={"maxFailedAttemptsPerHour": 5},
        jobDriver=spark_submit(cfg, job, execution_date, run_id),
        configurationOverrides=configuration_overrides,
    )
    return {"job_run_id": response["jobRunId"], "started": "true"}


def check_streaming_run(cfg: JobConfig, job_run_id: str, hook: EmrServerlessHook) -> str:
    """Return the state of a streaming run; raise if it is no longer running (a stream must not stop)."""
    run = hook.conn.get_job_run(applicationId=cfg.emr["application_id"], jobRunId=job_run_id)["jobRun"]
    state = run["state"]
    if state not in ACTIVE_STATES:
        raise RuntimeError(
            f"streaming job run {job_run_id} is {state} ({run.get('stateDetails') or 'no details'}); "
            "the next watch run restarts it"
        )
    return state
