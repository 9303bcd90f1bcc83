"""Build the lakehouse DAGs from the job graph (``pipeline.yaml``) and the job configuration.

* one batch DAG per schedule with a cron (``daily`` at 02:00 UTC, ``hourly``, ``maintenance``...): its
  jobs are the jobs listing that schedule, in task groups named by each job's ``group``, wired by ``needs``;
* one streaming DAG per schedule without a cron: it starts the continuous job if no run is active and
  checks it is still running;
* one consumer DAG scheduled on the gold assets the batch DAGs publish.

Nothing here names a job: adding a job or a schedule to pipeline.yaml adds it to the DAGs.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow.providers.amazon.aws.hooks.emr import EmrServerlessHook
from airflow.sdk import (
    DAG,
    Asset,
    DeadlineAlert,
    DeadlineReference,
    Param,
    SyncCallback,
    TaskGroup,
    TriggerRule,
    task,
)
from airflow.sdk.exceptions import AirflowFailException

from lakehouse_orchestration import callbacks
from lakehouse_orchestration.config import (
    ENVIRONMENTS,
    GROUPS,
    Job,
    JobConfig,
    Pipeline,
    load_job_config,
    load_pipeline,
    load_run_overrides,
)
from lakehouse_orchestration.operators import LakehouseJobOperator, check_streaming_run, ensure_streaming_run

START_DATE = datetime(2024, 1, 1)
MAX_BACKFILL_DAYS = 92  # one run maps every job over each date: bound the fan-out
STREAM_WATCH_CRON = "*/10 * * * *"  # how often the streaming DAG checks (and restarts) the continuous job
GOLD_GROUP = "transform_silver_gold"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-platform",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,  # 2, 4, 8 min (capped below)
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": callbacks.task_failure,
}


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def dag_id_for(schedule: str) -> str:
    return f"lakehouse_{schedule}"


def gold_asset(cfg: JobConfig, job: Job) -> Asset:
    """The asset a gold-publishing job updates; consumers schedule on it."""
    return Asset(name=f"{cfg.prefix}.gold.{job.name}", uri=f"{cfg.lake_root}/gold", group="lakehouse-gold")


def critical_path_minutes(jobs: list[Job]) -> int:
    """Longest chain of SLAs along ``needs``: the run's deadline."""
    by_name = {j.name: j for j in jobs}
    memo: dict[str, int] = {}

    def finish(name: str) -> int:
        if name not in memo:
            job = by_name[name]
            memo[name] = (job.sla_minutes or 0) + max(
                (finish(n) for n in job.needs if n in by_name), default=0
            )
        return memo[name]

    return max((finish(j.name) for j in jobs), default=0)


def run_params(cfg: JobConfig, jobs: list[Job]) -> dict[str, Param]:
    sources = sorted({j.source for j in jobs if j.source})
    params = {
        "environment": Param(
            cfg.environment, type="string", enum=list(ENVIRONMENTS),
            description="Must be this deployment's environment; a run for another one is refused.",
        ),
        "start_date": Param(
            None, type=["null", "string"], format="date", pattern=DATE_PATTERN,
            description="Backfill: first execution date (YYYY-MM-DD). Empty: the run's logical date.",
        ),
        "end_date": Param(
            None, type=["null", "string"], format="date", pattern=DATE_PATTERN,
            description=f"Backfill: last execution date, inclusive (at most {MAX_BACKFILL_DAYS} days).",
        ),
    }  # fmt: skip
    if sources:
        params["sources"] = Param(
            [], type="array", items={"type": "string", "enum": sources}, uniqueItems=True,
            description="Extract only these sources (empty: all). Downstream jobs still run.",
        )  # fmt: skip
    return params


def execution_dates(params: dict[str, Any], logical_date: str, environment: str) -> list[str]:
    """Validate the run's parameters beyond their schema; return the execution dates to process."""
    if params.get("environment") != environment:
        raise AirflowFailException(
            f"param environment={params.get('environment')!r} but this deployment is {environment!r}; "
            "trigger the run in that environment's Airflow"
        )
    start, end = params.get("start_date"), params.get("end_date")
    if bool(start) != bool(end):
        raise AirflowFailException("params start_date and end_date go together: set both or neither")
    if not start:
        return [logical_date]
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise AirflowFailException(f"param end_date {end} is before start_date {start}")
    days = (last - first).days + 1
    if days > MAX_BACKFILL_DAYS:
        raise AirflowFailException(
            f"backfill of {days} days exceeds {MAX_BACKFILL_DAYS}; split it into several runs"
        )
    return [(first + timedelta(days=i)).isoformat() for i in range(days)]


def build_batch_dag(schedule: str, pipeline: Pipeline, cfg: JobConfig, overrides: dict[str, Any]) -> DAG:
    jobs = pipeline.jobs_for(schedule)
    if not jobs:
        raise ValueError(f"schedule {schedule!r} has no jobs in the job graph")
    cron = pipeline.schedules[schedule]["cron"]
    deadline_minutes = critical_path_minutes(jobs)
    dag_id = dag_id_for(schedule)
    deadline = None
    if deadline_minutes:
        deadline = DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=timedelta(minutes=deadline_minutes),
            callback=SyncCallback(
                "lakehouse_orchestration.callbacks.deadline_missed",
                kwargs={"dag_id": dag_id, "minutes": deadline_minutes},
            ),
        )
    with DAG(
        dag_id=dag_id,
        description=pipeline.schedules[schedule].get("description"),
        schedule=cron,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        params=run_params(cfg, jobs),
        deadline=deadline,
        # No run-level timeout: every job run is bounded by its own waiter (3x its SLA, operators.py) and the
        # deadline alert pages at the critical path; a run timeout would kill a backfill, whose jobs work
        # through their dates one at a time (max_active_tis_per_dagrun=1).
        dagrun_timeout=None,
        tags=["lakehouse", cfg.environment, schedule],
        doc_md=__doc__,
    ) as dag:

        @task(task_id="validate_run", retries=0)
        def validate_run(params: dict[str, Any] | None = None, ds: str | None = None) -> list[str]:
            return execution_dates(params or {}, ds or today(), cfg.environment)

        dates = validate_run()
        groups: dict[str, TaskGroup] = {}
        order = {g: i for i, g in enumerate(GROUPS)}
        for group in sorted({j.group for j in jobs}, key=lambda g: order.get(g, len(order))):
            groups[group] = TaskGroup(group_id=group, dag=dag)
        tasks: dict[str, Any] = {}
        filterable = {j.name for j in jobs if j.source}
        names = {j.name for j in jobs}
        for job in jobs:
            upstream = [n for n in job.needs if n in names]
            # Extract jobs outside the source filter are skipped; their dependants still run, but any
            # failure upstream stops them (none_failed). Everything else needs all upstream to succeed,
            # so a failed DQ suite keeps gold unpublished.
            rule = (
                TriggerRule.NONE_FAILED if any(n in filterable for n in upstream) else TriggerRule.ALL_SUCCESS
            )
            # One task instance per execution date (map index = position in validate_run's ascending
            # dates). A job's dates run one at a time: they write the same tables and share the job's
            # lock. The scheduler queues a task's scheduled instances lowest map index first and counts
            # deferred ones (the EMR wait) against this limit, so a backfill goes oldest date first.
            op = LakehouseJobOperator.partial(
                task_id=job.name,
                task_group=groups[job.group],
                max_active_tis_per_dagrun=1,
                job=asdict(job),
                job_config=cfg.raw,
                configuration_overrides=overrides,
                lock_args=pipeline.lock_args(schedule),
                trigger_rule=rule,
                outlets=[gold_asset(cfg, job)] if job.group == GOLD_GROUP else [],
                doc_md=f"`{job.entrypoint} {' '.join(job.cli_args())}` (SLA {job.sla_minutes} min)",
            ).expand(execution_date=dates)
            tasks[job.name] = op
        for job in jobs:
            needs = [n for n in job.needs if n in tasks]
            if needs:
                for n in needs:
                    tasks[n] >> tasks[job.name]
            else:
                dates >> tasks[job.name]
    return dag


def build_streaming_dag(schedule: str, pipeline: Pipeline, cfg: JobConfig, overrides: dict[str, Any]) -> DAG:
    jobs = pipeline.jobs_for(schedule)
    if not jobs:
        raise ValueError(f"schedule {schedule!r} has no jobs in the job graph")
    with DAG(
        dag_id=dag_id_for(schedule),
        description=pipeline.schedules[schedule].get("description"),
        schedule=STREAM_WATCH_CRON,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args={**DEFAULT_ARGS, "retries": 1, "retry_delay": timedelta(minutes=1)},
        params={"environment": Param(cfg.environment, type="string", enum=list(ENVIRONMENTS))},
        tags=["lakehouse", cfg.environment, schedule],
        doc_md=__doc__,
    ) as dag:
        for job in jobs:
            spec = asdict(job)

            @task(task_id=f"{job.name}_ensure_running")
            def ensure(
                spec: dict[str, Any],
                params: dict[str, Any] | None = None,
                ds: str | None = None,
                run_id: str | None = None,
            ) -> str:
                ds = ds or today()
                execution_dates(params or {}, ds, cfg.environment)
                j = Job(**{**spec, "needs": tuple(spec["needs"]), "schedules": tuple(spec["schedules"])})
                result = ensure_streaming_run(
                    cfg, j, ds, run_id, EmrServerlessHook(aws_conn_id=callbacks.AWS_CONN_ID), overrides
                )
                print(
                    f"streaming job {j.name}: run {result['job_run_id']} (started now: {result['started']})"
                )
                return result["job_run_id"]

            @task(task_id=f"{job.name}_check_running", retries=0)
            def check(job_run_id: str) -> str:
                return check_streaming_run(
                    cfg, job_run_id, EmrServerlessHook(aws_conn_id=callbacks.AWS_CONN_ID)
                )

            check(ensure(spec))
    return dag


def build_gold_consumer_dag(pipeline: Pipeline, cfg: JobConfig) -> DAG | None:
    """Runs whenever a gold asset is updated: publishes how long the run took to reach gold, per asset event."""
    gold_jobs = [j for j in pipeline.jobs.values() if j.group == GOLD_GROUP]
    if not gold_jobs:
        return None
    assets = [gold_asset(cfg, j) for j in gold_jobs]
    schedule = assets[0]
    for a in assets[1:]:
        schedule = schedule | a
    with DAG(
        dag_id="lakehouse_gold_published",
        description="Downstream of gold: GoldPublishLatencyMinutes per gold update",
        schedule=schedule,
        start_date=START_DATE,
        catchup=False,
        default_args=DEFAULT_ARGS,
        tags=["lakehouse", cfg.environment, "gold"],
    ) as dag:

        @task(task_id="publish_latency")
        def publish_latency(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
            return publish_latency_metrics(cfg, triggering_asset_events or {})

        publish_latency()
    return dag


def publish_latency_metrics(cfg: JobConfig, events_by_asset: Any) -> list[dict[str, Any]]:
    """``GoldPublishLatencyMinutes`` per gold update: minutes from the start of the run that published it to
    the publication, by ``Job`` (the gold job) and ``Dag`` (which schedule). Data staleness itself is the DQ
    suites' ``FreshnessMinutes`` (what the freshness alarms watch); this is how long a run takes to reach gold."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    data = []
    for asset, events in dict(events_by_asset).items():
        for event in events:
            run = getattr(event, "source_dag_run", None)
            started = getattr(run, "start_date", None)
            if started is None:  # an event posted by hand (API, UI) has no run to measure
                continue
            task = getattr(event, "source_task_id", None) or getattr(asset, "name", str(asset))
            data.append(
                {
                    "MetricName": "GoldPublishLatencyMinutes",
                    "Dimensions": [
                        {"Name": "Job", "Value": task.rsplit(".", 1)[-1]},  # task id = <group>.<job>
                        {"Name": "Dag", "Value": getattr(event, "source_dag_id", None) or "unknown"},
                    ],
                    "Value": round(max(0.0, (event.timestamp - started).total_seconds() / 60), 3),
                    "Unit": "None",
                }
            )
    if data:
        AwsBaseHook(aws_conn_id=callbacks.AWS_CONN_ID, client_type="cloudwatch").get_conn().put_metric_data(
            Namespace=cfg.metrics_namespace, MetricData=data
        )
    return data


def build_all() -> dict[str, DAG]:
    """Every DAG of the job graph, keyed by dag_id."""
    pipeline, cfg, overrides = load_pipeline(), load_job_config(), load_run_overrides()
    dags: dict[str, DAG] = {}
    for name, sched in pipeline.schedules.items():
        if not pipeline.jobs_for(name):
            continue
        build = build_batch_dag if sched["cron"] else build_streaming_dag
        dag = build(name, pipeline, cfg, overrides)
        dags[dag.dag_id] = dag
    consumer = build_gold_consumer_dag(pipeline, cfg)
    if consumer is not None:
        dags[consumer.dag_id] = consumer
    return dags
