"""Every DAG imports; the generated structure matches the job graph (groups, needs, schedules, retries, params)."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import TriggerRule
from airflow.sdk.exceptions import AirflowFailException, ParamValidationError
from lakehouse_orchestration import config as oconfig
from lakehouse_orchestration.factory import (
    MAX_BACKFILL_DAYS,
    critical_path_minutes,
    dag_id_for,
    execution_dates,
)
from lakehouse_orchestration.operators import LakehouseJobOperator, spark_submit

DAGS = Path(__file__).resolve().parents[2] / "airflow" / "dags"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GROUPS = {"extract_source", "transform_bronze_silver", "dq_validation", "transform_silver_gold", "governance"}


@pytest.fixture(scope="module")
def dagbag():
    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def pipeline():
    return oconfig.load_pipeline()


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"lakehouse_daily", "lakehouse_hourly", "lakehouse_maintenance", "lakehouse_streaming",
            "lakehouse_gold_published"} <= set(dagbag.dag_ids)  # fmt: skip


def test_dags_read_the_real_job_graph(pipeline):
    # The fixture folder has no pipeline.yaml: the repository's emr_jobs/conf/pipeline.yaml is used.
    assert oconfig.REPO_PIPELINE.is_file()
    assert not (FIXTURES / "pipeline.yaml").exists()
    assert pipeline.jobs_for("daily")


def test_daily_dag_runs_at_0200_utc_without_catchup(dagbag, pipeline):
    dag = dagbag.dags["lakehouse_daily"]
    assert pipeline.schedules["daily"]["cron"] == "0 2 * * *"
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone) in ("UTC", "Timezone('UTC')")
    assert dag.catchup is False
    assert dag.max_active_runs == 1


def test_hourly_and_streaming_schedules(dagbag, pipeline):
    assert dagbag.dags["lakehouse_hourly"].timetable.expression == pipeline.schedules["hourly"]["cron"]
    streaming = dagbag.dags["lakehouse_streaming"]
    stream_jobs = pipeline.jobs_for("streaming")
    assert {t.task_id for t in streaming.tasks} == {
        f"{j.name}_{s}" for j in stream_jobs for s in ("ensure_running", "check_running")
    }


def test_daily_task_groups_and_dependencies_follow_the_job_graph(dagbag, pipeline):
    dag = dagbag.dags["lakehouse_daily"]
    assert set(dag.task_group.children) - {"validate_run"} == GROUPS
    jobs = pipeline.jobs_for("daily")
    for job in jobs:
        task = dag.get_task(f"{job.group}.{job.name}")
        expected = {f"{pipeline.jobs[n].group}.{n}" for n in job.needs} or set()
        assert task.upstream_task_ids == expected | {"validate_run"}, job.name


def test_sources_extract_in_parallel(dagbag, pipeline):
    dag = dagbag.dags["lakehouse_daily"]
    extracts = [j for j in pipeline.jobs_for("daily") if j.group == "extract_source"]
    assert len(extracts) >= 6
    for job in extracts:
        assert dag.get_task(f"extract_source.{job.name}").upstream_task_ids == {"validate_run"}


def test_dq_gate_blocks_gold_and_failures_stop_downstream(dagbag):
    dag = dagbag.dags["lakehouse_daily"]
    gold = [t for t in dag.tasks if t.task_id.startswith("transform_silver_gold.")]
    assert gold
    for task in gold:
        assert any(u.startswith("dq_validation.") for u in task.upstream_task_ids)
        assert task.trigger_rule == TriggerRule.ALL_SUCCESS
    for task in dag.tasks:
        # No rule lets a task run after an upstream failure.
        assert task.trigger_rule in (TriggerRule.ALL_SUCCESS, TriggerRule.NONE_FAILED), task.task_id


def test_jobs_retry_three_times_with_exponential_backoff_and_notify(dagbag):
    from lakehouse_orchestration.callbacks import task_failure

    dag = dagbag.dags["lakehouse_daily"]
    for task in dag.tasks:
        if task.task_id == "validate_run":
            assert task.retries == 0  # a bad parameter does not get better by retrying
            continue
        assert task.retries == 3
        assert task.retry_exponential_backoff
        assert task.max_retry_delay == timedelta(minutes=30)
        assert task_failure in (task.on_failure_callback if isinstance(task.on_failure_callback, list)
                                else [task.on_failure_callback])  # fmt: skip


def test_jobs_are_deferrable_emr_serverless_runs_from_the_job_config(dagbag):
    cfg = json.loads((FIXTURES / "job_config.json").read_text())
    dag = dagbag.dags["lakehouse_daily"]
    op = dag.get_task("extract_source.extract_snowflake")
    assert op.operator_class is LakehouseJobOperator or issubclass(op.operator_class, LakehouseJobOperator)
    kwargs = op.partial_kwargs
    assert kwargs["job_config"]["emr"]["application_id"] == cfg["emr"]["application_id"]
    assert kwargs["job"]["args"] == {"source": "snowflake"}
    # Every run carries Terraform's configurationOverrides (Delta, Glue metastore, S3 + CloudWatch logs).
    overrides = json.loads((FIXTURES / oconfig.OVERRIDES_FILE).read_text())
    assert kwargs["configuration_overrides"] == overrides
    for task in dag.tasks:
        if issubclass(task.operator_class, LakehouseJobOperator):
            assert task.partial_kwargs["configuration_overrides"] == overrides, task.task_id


def test_job_driver_uses_the_interface_arguments(pipeline):
    cfg = oconfig.load_job_config()
    driver = spark_submit(cfg, pipeline.jobs["extract_snowflake"], "2024-06-01", "manual__x")["sparkSubmit"]
    code = cfg.emr["code_root"]
    assert driver["entryPoint"] == f"{code}/entrypoints/ingest.py"
    assert driver["entryPointArguments"] == [
        "--env", "dev", "--execution-date", "2024-06-01",
        "--config-uri", f"{cfg.raw['artifacts_root']}/config/job_config.json",
        "--run-id", "manual__x.extract_snowflake", "--trace-id", "manual__x", "--source", "snowflake",
    ]  # fmt: skip
    assert driver["sparkSubmitParameters"] == f"--py-files {code}/lakehouse.zip"
    hourly = spark_submit(
        cfg, pipeline.jobs["extract_snowflake"], "2024-06-01", "x", lock_args=pipeline.lock_args("hourly")
    )["sparkSubmit"]["entryPointArguments"]
    assert hourly[-6:] == ["--if-locked", "wait", "--lock-wait-minutes", "30", "--source", "snowflake"]


def test_each_schedule_hands_its_jobs_its_lock_policy(dagbag, pipeline):
    """Daily and hourly meet at 02:00 on the same job locks: each waits for the other's job to finish."""
    for schedule in ("daily", "hourly", "maintenance"):
        dag = dagbag.dags[f"lakehouse_{schedule}"]
        jobs = [t for t in dag.tasks if issubclass(t.operator_class, LakehouseJobOperator)]
        assert jobs, schedule
        for task in jobs:
            assert task.partial_kwargs["lock_args"] == pipeline.lock_args(schedule), task.task_id
    assert pipeline.lock_args("daily") == ["--if-locked", "wait", "--lock-wait-minutes", "30"]
    assert pipeline.lock_args("hourly") == ["--if-locked", "wait", "--lock-wait-minutes", "30"]


def test_the_job_waiter_allows_three_slas_plus_the_lock_wait(dagbag):
    """A job that waited its schedule's lock_wait_minutes for another run still gets 3x its SLA to run."""
    kw = dagbag.dags["lakehouse_hourly"].get_task("transform_silver_gold.silver_to_gold").partial_kwargs

    def waiter_minutes(**lock) -> float:
        op = LakehouseJobOperator(
            task_id="waiter_probe",
            job=kw["job"],
            job_config=kw["job_config"],
            configuration_overrides=kw["configuration_overrides"],
            execution_date="2024-06-01",
            **lock,
        )
        return op.waiter_max_attempts * op.waiter_delay / 60

    waited = waiter_minutes(lock_args=kw["lock_args"])
    assert waited >= 3 * kw["job"]["sla_minutes"] + 30
    assert waiter_minutes() < waited  # without a lock wait: 3x the SLA only


def test_sla_missed_pages_past_the_sla_plus_the_allowed_lock_wait(dagbag, monkeypatch):
    """EMR's wall time of a run includes its wait for another run's lock: the SLA page allows for it."""
    from airflow.providers.amazon.aws.operators.emr import EmrServerlessStartJobOperator
    from lakehouse_orchestration import callbacks, operators

    task = dagbag.dags["lakehouse_hourly"].get_task("transform_silver_gold.silver_to_gold")
    kw = {k: task.partial_kwargs[k] for k in ("job", "job_config", "configuration_overrides", "lock_args")}
    op = LakehouseJobOperator(task_id="sla_probe", execution_date="2024-06-01", **kw)
    paged = []
    monkeypatch.setattr(EmrServerlessStartJobOperator, "execute_complete", lambda *a, **k: "00run")
    monkeypatch.setattr(callbacks, "sla_missed", lambda *a: paged.append(a))
    sla = kw["job"]["sla_minutes"]
    for elapsed in (sla + 1, sla + 30, sla + 31):
        monkeypatch.setattr(operators, "job_run_minutes", lambda *a, e=elapsed: e)
        assert op.execute_complete({}, {"status": "success"}) == "00run"
    assert paged == [("silver_to_gold", sla, sla + 31, "00run")]


def test_a_backfill_run_has_silver_re_derive_each_date(pipeline):
    """A run with start_date/end_date params backfills: bronze_to_silver gets its backfill_args per date."""
    cfg = oconfig.load_job_config()
    silver = pipeline.jobs["bronze_to_silver"]
    daily = spark_submit(cfg, silver, "2024-06-01", "manual__x")["sparkSubmit"]["entryPointArguments"]
    backfill = spark_submit(cfg, silver, "2024-06-01", "manual__x", backfill=True)["sparkSubmit"]
    assert daily[-2:] == ["--step", "silver"]
    assert backfill["entryPointArguments"][-8:] == [
        "--step", "silver", "--mode", "backfill", "--since", "2024-06-01", "--until", "2024-06-01",
    ]  # fmt: skip
    gold = spark_submit(cfg, pipeline.jobs["silver_to_gold"], "2024-06-01", "manual__x", backfill=True)
    assert gold["sparkSubmit"]["entryPointArguments"][-2:] == ["--step", "gold"]


def _run_id(driver: dict) -> str:
    args = driver["sparkSubmit"]["entryPointArguments"]
    return args[args.index("--run-id") + 1]


def test_each_backfill_date_runs_under_its_own_run_id(pipeline):
    """The run id is the job's lock owner and the key of its DQ results: one per (run, date, job)."""
    cfg = oconfig.load_job_config()
    dates = execution_dates(
        {"environment": "dev", "start_date": "2024-02-28", "end_date": "2024-03-01"}, "2024-06-10", "dev"
    )
    for job in pipeline.jobs_for("daily"):
        drivers = [spark_submit(cfg, job, d, "manual__x", backfill=True) for d in dates]
        assert [_run_id(d) for d in drivers] == [f"manual__x.{d}.{job.name}" for d in dates], job.name
        for driver in drivers:  # one trace id: the Airflow run
            args = driver["sparkSubmit"]["entryPointArguments"]
            assert args[args.index("--trace-id") + 1] == "manual__x"
    # A scheduled run has one date, its own: the run id stays <run>.<job>.
    scheduled = "scheduled__2024-06-01T02:00:00+00:00"
    snow = spark_submit(cfg, pipeline.jobs["extract_snowflake"], "2024-06-01", scheduled)
    assert _run_id(snow) == f"{scheduled}.extract_snowflake"


def test_every_backfill_task_runs_one_date_at_a_time_in_date_order(dagbag, pipeline):
    """Each job is expanded over validate_run's dates (ascending: map index order is date order) with at
    most one task instance active per run, in the DAG and in what the scheduler reads (the serialized DAG)."""
    from airflow.serialization.serialized_objects import DagSerialization

    batch = [s for s, sched in pipeline.schedules.items() if sched["cron"] and pipeline.jobs_for(s)]
    assert {"daily", "hourly", "maintenance"} <= set(batch)
    for schedule in batch:
        dag = dagbag.dags[dag_id_for(schedule)]
        scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
        jobs = [t for t in dag.tasks if issubclass(t.operator_class, LakehouseJobOperator)]
        names = sorted(j.name for j in pipeline.jobs_for(schedule))
        assert sorted(t.task_id.split(".")[-1] for t in jobs) == names
        for task in jobs:
            assert task.is_mapped, task.task_id
            assert [s.task_id for s in task.iter_mapped_dependencies()] == ["validate_run"], task.task_id
            assert task.max_active_tis_per_dagrun == 1, task.task_id
            assert scheduler_dag.get_task(task.task_id).max_active_tis_per_dagrun == 1, task.task_id


def test_deadline_alert_replaces_sla(dagbag, pipeline):
    dag = dagbag.dags["lakehouse_daily"]
    alerts = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert len(alerts) == 1
    # extract (30) -> silver (45) -> dq (15) -> gold (45) -> governance (15)
    assert critical_path_minutes(pipeline.jobs_for("daily")) == 150
    assert alerts[0].interval == timedelta(minutes=150)


def test_params_have_allowed_values(dagbag, pipeline):
    params = dagbag.dags["lakehouse_daily"].params
    assert set(params.keys()) == {"environment", "start_date", "end_date", "sources"}
    sources = {j.source for j in pipeline.jobs_for("daily") if j.source}
    assert set(params.get_param("sources").schema["items"]["enum"]) == sources


@pytest.mark.parametrize(
    "conf, complaint",
    [
        ({"environment": "qa"}, "environment"),
        ({"start_date": "2024-13-40", "end_date": "2024-12-01"}, "start_date"),
        ({"sources": ["oracle"]}, "sources"),
    ],
)
def test_bad_params_are_refused_before_the_run_exists(dagbag, conf, complaint):
    params = copy.deepcopy(dagbag.dags["lakehouse_daily"].params)
    with pytest.raises(ParamValidationError, match=complaint):
        params.update(conf)  # how a trigger's conf reaches the params: validated on the way in
        params.validate()


def test_execution_dates_cover_a_backfill_range_and_refuse_bad_ranges():
    base = {"environment": "dev"}
    assert execution_dates(base, "2024-06-01", "dev") == ["2024-06-01"]
    rng = execution_dates({**base, "start_date": "2024-02-28", "end_date": "2024-03-01"}, "2024-06-01", "dev")
    assert rng == ["2024-02-28", "2024-02-29", "2024-03-01"]
    bad = [
        ({"environment": "prod"}, "this deployment is 'dev'"),
        ({**base, "start_date": "2024-03-02"}, "go together"),
        ({**base, "start_date": "2024-03-02", "end_date": "2024-03-01"}, "before"),
        ({**base, "start_date": "2024-01-01", "end_date": "2024-12-31"}, str(MAX_BACKFILL_DAYS)),
    ]
    for params, message in bad:
        with pytest.raises(AirflowFailException, match=message):
            execution_dates(params, "2024-06-01", "dev")


def test_a_missing_job_config_is_one_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_DAGS_CONFIG_DIR", str(tmp_path))
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.dag_ids == []
    [(path, error)] = bag.import_errors.items()
    assert path.endswith("lakehouse_pipelines.py")
    assert f"job configuration not found: {tmp_path}/job_config.json" in error


def test_missing_run_overrides_are_one_clear_import_error(tmp_path, monkeypatch):
    (tmp_path / "job_config.json").write_text((FIXTURES / "job_config.json").read_text())
    monkeypatch.setenv("LAKEHOUSE_DAGS_CONFIG_DIR", str(tmp_path))
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.dag_ids == []
    [error] = bag.import_errors.values()
    assert f"EMR configuration overrides not found: {tmp_path}/emr_configuration_overrides.json" in error


@pytest.mark.parametrize(
    "raw, complaint",
    [
        ([], "non-empty JSON object"),
        ({"sparkSubmitParameters": "--x"}, "unknown key(s) sparkSubmitParameters"),
        ({"applicationConfiguration": {"classification": "spark-defaults"}}, "list of {classification"),
        ({"applicationConfiguration": [{"properties": {}}]}, "list of {classification"),
        ({"monitoringConfiguration": ["s3"]}, "'monitoringConfiguration' must be an object"),
    ],
)
def test_bad_run_overrides_name_what_is_wrong(raw, complaint):
    with pytest.raises(oconfig.OrchestrationConfigError, match=re.escape(complaint)):
        oconfig.parse_run_overrides(raw, "emr_configuration_overrides.json")


def test_a_broken_job_graph_names_the_job():
    raw = {"schedules": {"daily": {"cron": "0 2 * * *"}},
           "jobs": {"a": {"entrypoint": "ingest.py", "group": "extract_source", "schedules": ["daily"], "needs": ["zz"]}}}  # fmt: skip
    with pytest.raises(oconfig.OrchestrationConfigError, match="job 'a' needs unknown job"):
        oconfig.parse_pipeline(raw, "pipeline.yaml")
    raw["jobs"]["a"]["needs"] = ["a"]
    with pytest.raises(oconfig.OrchestrationConfigError, match="cycle"):
        oconfig.parse_pipeline(raw, "pipeline.yaml")
