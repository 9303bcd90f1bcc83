"""Run the generated DAGs with ``dag.test()``: every AWS call (EMR Serverless, SNS, Secrets Manager,
CloudWatch) goes to a moto server on loopback; Slack to a loopback HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from airflow.sdk.exceptions import ParamValidationError
from lakehouse_orchestration import config as oconfig
from lakehouse_orchestration.factory import build_batch_dag, build_streaming_dag

FIXTURES = Path(__file__).resolve().parent / "fixtures"
pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture()
def aws_env(moto_endpoint, slack_server, tmp_path, monkeypatch):
    """An EMR Serverless application, the two topics (each drained by an SQS queue) and the Slack secret."""
    url, received = slack_server
    emr = boto3.client("emr-serverless")
    app_id = emr.create_application(
        name=f"lakehouse-dev-spark-{tmp_path.name}", releaseLabel="emr-7.12.0", type="SPARK"
    )["applicationId"]
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topics, queues = {}, {}
    for kind in ("critical", "warning"):
        arn = sns.create_topic(Name=f"lakehouse-dev-{kind}-{tmp_path.name}")["TopicArn"]
        q = sqs.create_queue(QueueName=f"{kind}-{tmp_path.name}")["QueueUrl"]
        q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=q_arn)
        topics[kind], queues[kind] = arn, q
    secret = f"lakehouse-dev/slack-webhook-{tmp_path.name}"
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString=json.dumps({"webhook_url": url}))
    cfg = json.loads((FIXTURES / "job_config.json").read_text())
    cfg["emr"]["application_id"] = app_id
    cfg["notifications"] = {"critical_topic_arn": topics["critical"], "warning_topic_arn": topics["warning"]}
    cfg["secrets"]["slack_webhook"] = secret
    (tmp_path / "job_config.json").write_text(json.dumps(cfg))
    overrides = FIXTURES / oconfig.OVERRIDES_FILE
    (tmp_path / oconfig.OVERRIDES_FILE).write_text(overrides.read_text())
    monkeypatch.setenv("LAKEHOUSE_DAGS_CONFIG_DIR", str(tmp_path))

    def messages(kind: str) -> list[str]:
        out = sqs.receive_message(QueueUrl=queues[kind], MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        return [json.loads(m["Body"])["Message"] for m in out]

    def job_runs() -> list[dict]:
        try:
            listed = emr.list_job_runs(applicationId=app_id)["jobRuns"]
        except emr.exceptions.ResourceNotFoundException:
            # moto 5.2.5 answers "application does not exist" until its first job run: no runs.
            emr.get_application(applicationId=app_id)  # the application itself must exist
            listed = []
        ids = [r["id"] for r in listed]
        return [emr.get_job_run(applicationId=app_id, jobRunId=i)["jobRun"] for i in ids]

    return {"app_id": app_id, "emr": emr, "job_runs": job_runs, "messages": messages, "slack": received}


def _dag(schedule: str):
    build = build_streaming_dag if schedule == "streaming" else build_batch_dag
    dag = build(schedule, oconfig.load_pipeline(), oconfig.load_job_config(), oconfig.load_run_overrides())
    # dag.test() in Airflow 3.3.1 hands the run the in-memory DeadlineAlert objects where the scheduler
    # stores alert ids (DeadlineAlertModel.get_by_id(<dict>) fails when the run finishes). The deadline
    # itself is asserted in test_dag_structure.py; the scheduler path is unaffected.
    dag.deadline = None
    return dag


def _states(dag_run) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ti in dag_run.get_task_instances():
        out.setdefault(ti.task_id, set()).add(str(ti.state))
    return out


def test_daily_run_starts_each_job_on_emr_serverless_in_order(aws_env):
    dag = _dag("daily")
    run = dag.test(
        logical_date=datetime(2024, 6, 1, 2, tzinfo=UTC), run_conf={"sources": ["snowflake", "fx_api"]}
    )
    assert str(run.state) == "success"
    states = _states(run)
    assert states["extract_source.extract_snowflake"] == {"success"}
    assert states["extract_source.extract_fx_rates"] == {"success"}
    assert states["extract_source.extract_kafka"] == {"skipped"}  # outside the source filter
    for task in ("transform_bronze_silver.bronze_to_silver", "dq_validation.dq_silver",
                 "transform_silver_gold.silver_to_gold", "governance.register_catalog", "governance.lineage"):  # fmt: skip
        assert states[task] == {"success"}, task

    runs = aws_env["job_runs"]()
    args = {r["name"].split("-")[2]: r["jobDriver"]["sparkSubmit"]["entryPointArguments"] for r in runs}
    assert sorted(args) == sorted(["extract_snowflake", "extract_fx_rates", "bronze_to_silver", "dq_silver",
                                   "silver_to_gold", "register_catalog", "lineage"])  # fmt: skip
    snow = args["extract_snowflake"]
    assert snow[:4] == ["--env", "dev", "--execution-date", "2024-06-01"]
    # A scheduled-style run (one date, its own): <run>.<job> as before.
    assert snow[snow.index("--run-id") + 1] == f"{run.run_id}.extract_snowflake"
    assert snow[-2:] == ["--source", "snowflake"]
    assert all(r["executionRole"].endswith("role/lakehouse-dev-emr-job") for r in runs)
    # The gold job published its asset: consumers (lakehouse_gold_published) are triggered by this event.
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = [e for e in session.query(AssetEvent).all() if e.source_run_id == run.run_id]
        assert [e.asset.name for e in events] == ["lakehouse-dev.gold.silver_to_gold"]
        assert events[0].asset.uri == "s3://lakehouse-dev-lake-123456789012/gold"


def test_backfill_range_runs_every_job_for_every_date(aws_env):
    dag = _dag("daily")
    run = dag.test(
        logical_date=datetime(2024, 6, 10, 2, tzinfo=UTC),
        run_conf={"start_date": "2024-06-01", "end_date": "2024-06-02", "sources": ["redshift"]},
    )
    assert str(run.state) == "success"
    dates = sorted(
        (r["name"].split("-")[2], r["jobDriver"]["sparkSubmit"]["entryPointArguments"][3])
        for r in aws_env["job_runs"]()
    )
    assert ("extract_redshift", "2024-06-01") in dates and ("extract_redshift", "2024-06-02") in dates
    assert ("silver_to_gold", "2024-06-01") in dates and ("silver_to_gold", "2024-06-02") in dates
    assert len(dates) == 2 * 6  # extract_redshift + 5 downstream jobs, two dates each
    # Every (job, date) runs under its own run id: its lock owner and the key of its DQ results.
    ids = {}
    for r in aws_env["job_runs"]():
        args = r["jobDriver"]["sparkSubmit"]["entryPointArguments"]
        job, day = r["name"].split("-")[2], args[3]
        ids[job, day] = args[args.index("--run-id") + 1]
        assert args[args.index("--trace-id") + 1] == run.run_id
    assert len(set(ids.values())) == len(ids) == 12
    assert ids["dq_silver", "2024-06-01"] == f"{run.run_id}.2024-06-01.dq_silver"
    assert ids["dq_silver", "2024-06-02"] == f"{run.run_id}.2024-06-02.dq_silver"


def test_a_param_outside_its_values_fails_before_any_job_starts(aws_env):
    with pytest.raises(ParamValidationError, match="environment"):
        _dag("daily").test(logical_date=datetime(2024, 6, 1, 2, tzinfo=UTC), run_conf={"environment": "qa"})
    assert aws_env["job_runs"]() == []


def test_a_run_for_another_environment_fails_first_and_notifies_sns_and_slack(aws_env):
    run = _dag("daily").test(
        logical_date=datetime(2024, 6, 1, 2, tzinfo=UTC), run_conf={"environment": "prod"}
    )
    assert str(run.state) == "failed"
    states = _states(run)
    assert states["validate_run"] == {"failed"}
    assert states["extract_source.extract_snowflake"] == {"upstream_failed"}
    assert aws_env["job_runs"]() == []
    [critical] = aws_env["messages"]("critical")
    assert "Task: validate_run" in critical and "this deployment is 'dev'" in critical
    assert len(aws_env["slack"]) == 1 and "validate_run" in aws_env["slack"][0]["text"]


def test_streaming_dag_starts_the_continuous_job_once(aws_env):
    from airflow.providers.amazon.aws.hooks.emr import EmrServerlessHook
    from lakehouse_orchestration.operators import ensure_streaming_run

    cfg, pipeline = oconfig.load_job_config(), oconfig.load_pipeline()
    [job] = pipeline.jobs_for("streaming")
    hook = EmrServerlessHook(aws_conn_id=None)
    # moto's GetJobRun does not echo configurationOverrides: capture what StartJobRun is sent instead.
    sent: list[dict] = []
    hook.conn.meta.events.register(
        "provide-client-params.emr-serverless.StartJobRun", lambda params, **_: sent.append(params)
    )
    overrides = oconfig.load_run_overrides()
    # An earlier run of the stream that has stopped (moto ends every run at once): not active, so restarted.
    stopped = aws_env["emr"].start_job_run(
        applicationId=aws_env["app_id"], executionRoleArn=cfg.emr["execution_role_arn"],
        name=f"{cfg.prefix}-{job.name}", jobDriver={"sparkSubmit": {"entryPoint": "s3://old/stream.py"}},
    )["jobRunId"]  # fmt: skip
    first = ensure_streaming_run(cfg, job, "2024-06-01", "scheduled__1", hook, overrides)
    assert first["started"] == "true" and first["job_run_id"] != stopped
    [started] = [r for r in aws_env["job_runs"]() if r["jobRunId"] == first["job_run_id"]]
    assert started["jobDriver"]["sparkSubmit"]["entryPoint"].endswith("/entrypoints/stream.py")
    assert started["jobDriver"]["sparkSubmit"]["entryPointArguments"][-2:] == ["--mode", "continuous"]
    [request] = sent
    assert request["configurationOverrides"] == json.loads((FIXTURES / oconfig.OVERRIDES_FILE).read_text())
    assert request["mode"] == "STREAMING"
    # moto finishes every job run at once: the watch run sees a stream that stopped, fails and notifies.
    run = _dag("streaming").test(logical_date=datetime(2024, 6, 1, 2, 10, tzinfo=UTC))
    assert str(run.state) == "failed"
    assert _states(run)[f"{job.name}_check_running"] == {"failed"}
    assert any("check_running" in m for m in aws_env["messages"]("critical"))


def test_sla_and_deadline_misses_go_to_the_warning_topic_and_slack(aws_env):
    from lakehouse_orchestration import callbacks

    callbacks.sla_missed("silver_to_gold", 45, 61.5, "00jobrun")
    callbacks.deadline_missed(
        {"dag_run": {"dag_run_id": "scheduled__2024-06-01", "state": "running"}}, "lakehouse_daily", 150
    )
    warnings = aws_env["messages"]("warning")
    assert any("Elapsed: 61.5 min" in m and "SLA: 45 min" in m for m in warnings)
    assert any("Run: scheduled__2024-06-01" in m for m in warnings)
    assert aws_env["messages"]("critical") == []
    texts = [p["text"] for p in aws_env["slack"]]
    assert any("SLA missed: silver_to_gold" in t for t in texts)
    assert any("Deadline missed: lakehouse_daily not finished 150 min" in t for t in texts)


def test_gold_updates_publish_how_long_the_run_took_to_reach_gold(aws_env):
    """Airflow 3's logical date is the run's own start (02:00 the same day), so the old 'minutes past the end
    of the data's day' was always 0; the metric is now the run's latency to gold, by job and DAG."""
    from types import SimpleNamespace

    from lakehouse_orchestration.factory import publish_latency_metrics

    cfg = oconfig.load_job_config()
    from airflow.sdk import Asset

    asset = Asset(name="lakehouse-dev.gold.silver_to_gold", uri="s3://lakehouse-dev-lake-123456789012/gold")
    event = SimpleNamespace(
        timestamp=datetime(2024, 6, 2, 3, 30, tzinfo=UTC),
        source_dag_id="lakehouse_daily",
        source_task_id="transform_silver_gold.silver_to_gold",
        source_dag_run=SimpleNamespace(
            logical_date=datetime(2024, 6, 2, 2, tzinfo=UTC),
            start_date=datetime(2024, 6, 2, 2, 0, 30, tzinfo=UTC),
        ),
    )
    by_hand = SimpleNamespace(timestamp=datetime(2024, 6, 2, 4, tzinfo=UTC), source_dag_run=None)
    [datum] = publish_latency_metrics(cfg, {asset: [event, by_hand]})
    assert datum["Value"] == 89.5  # run started 02:00:30, gold published 03:30
    metrics = boto3.client("cloudwatch").list_metrics(
        Namespace="Lakehouse/dev", MetricName="GoldPublishLatencyMinutes"
    )
    assert metrics["Metrics"][0]["Dimensions"] == [
        {"Name": "Job", "Value": "silver_to_gold"},
        {"Name": "Dag", "Value": "lakehouse_daily"},
    ]
