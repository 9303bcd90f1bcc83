"""Logs, metrics, secrets and the entry-point harness (no Spark needed)."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import replace
from datetime import date

import pytest

from lakehouse import jobs
from lakehouse.config import ConfigError
from lakehouse.logs import get_logger
from lakehouse.metrics import Metrics, estimate_emr_cost, load_pricing, worker_architecture
from lakehouse.secrets import SecretError, clear_cache, get_secret


@pytest.fixture(autouse=True)
def info_logs(monkeypatch):
    # Other suites (the e2e runs, the demo) quiet the job logs to WARNING; these tests read INFO lines.
    monkeypatch.setenv("LAKEHOUSE_LOG_LEVEL", "INFO")


# ---- logs ------------------------------------------------------------------------------------------
def test_log_lines_are_json_with_the_same_fields_everywhere():
    buf = io.StringIO()
    log = get_logger("build_gold", "run-1", "dev", trace_id="trace-9", stream=buf)
    log.info("published %s", "fact_orders", extra={"rows": 42})
    try:
        raise ValueError("bad row")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in buf.getvalue().splitlines())
    for doc in (first, second):
        assert {"timestamp", "level", "job", "run_id", "trace_id", "env", "message"} <= set(doc)
        assert (doc["job"], doc["run_id"], doc["trace_id"], doc["env"]) == (
            "build_gold",
            "run-1",
            "trace-9",
            "dev",
        )
    assert first["message"] == "published fact_orders" and first["rows"] == 42 and first["level"] == "INFO"
    assert second["level"] == "ERROR" and "ValueError: bad row" in second["exception"]


def test_trace_id_defaults_to_run_id():
    buf = io.StringIO()
    get_logger("j", "run-7", "local", stream=buf).info("x")
    assert json.loads(buf.getvalue())["trace_id"] == "run-7"


# ---- metrics ---------------------------------------------------------------------------------------
def test_default_stream_follows_sys_stdout_when_the_same_job_logs_again(monkeypatch):
    # a job's logger is module-global; a second run in one process (tests, the demo) must not keep
    # writing to the stdout of the first run
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", first)
    get_logger("same_job", "run-1", "local").info("one")
    monkeypatch.setattr("sys.stdout", second)
    get_logger("same_job", "run-2", "local").info("two")
    assert [json.loads(x)["message"] for x in first.getvalue().splitlines()] == ["one"]
    assert [json.loads(x)["run_id"] for x in second.getvalue().splitlines()] == ["run-2"]


def test_metrics_are_json_lines_locally(tmp_lake):
    m = Metrics(tmp_lake, "extract_snowflake", "run-1")
    m.put("RecordsIn", 100)
    m.put("RecordsQuarantined", 3, Table="bronze.orders")
    assert m.flush() == 2
    assert m.flush() == 0  # the buffer is emptied
    lines = [
        json.loads(x) for x in (tmp_lake_path(tmp_lake) / "extract_snowflake.jsonl").read_text().splitlines()
    ]
    assert [(d["metric"], d["value"]) for d in lines] == [("RecordsIn", 100.0), ("RecordsQuarantined", 3.0)]
    assert lines[1]["dimensions"] == {"Job": "extract_snowflake", "Table": "bronze.orders"}
    assert lines[0]["namespace"] == "Lakehouse/local" and lines[0]["run_id"] == "run-1"


def tmp_lake_path(cfg):
    from pathlib import Path

    return Path(cfg.metrics["path"])


def test_metrics_reject_bad_names_units_and_values(tmp_lake):
    m = Metrics(tmp_lake, "j", "r")
    with pytest.raises(ValueError, match="metric name"):
        m.put("Records In", 1)
    with pytest.raises(ValueError, match="unit"):
        m.put("RecordsIn", 1, unit="Rows")
    with pytest.raises(ValueError, match="non-finite"):
        m.put("DQPassRate", float("nan"))


def test_alarms_and_dashboards_read_the_metrics_the_jobs_emit_and_show_each_one():
    """A metric renamed on one side would leave an alarm or a chart silently empty."""
    import re

    from lakehouse.config import REPO_ROOT
    from lakehouse.metrics import METRIC_NAMES

    module = REPO_ROOT / "terraform" / "modules" / "cloudwatch"
    text = {p.name: p.read_text() for p in (module / "main.tf", *sorted((module / "dashboards").iterdir()))}
    read = {
        name: set(
            re.findall(r'MetricName=\\"(\w+)|(?:SUM|MAX|AVG|MIN)\((\w+)\)|metric_name\s*=\s*"(\w+)"', t)
        )
        for name, t in text.items()
    }
    names = {file: {n for match in found for n in match if n} for file, found in read.items()}
    unknown = {file: sorted(n - set(METRIC_NAMES)) for file, n in names.items() if n - set(METRIC_NAMES)}
    assert not unknown, f"alarms or dashboards read metrics no job emits: {unknown}"
    shown = set().union(*(n for file, n in names.items() if file.endswith(".tftpl")))
    assert set(METRIC_NAMES) - shown == set(), "every metric the jobs emit has a chart"


def test_metrics_go_to_cloudwatch_with_namespace_and_dimensions(tmp_lake, aws):
    from lakehouse.aws import client

    cfg = replace(
        tmp_lake, metrics={"backend": "cloudwatch", "namespace": "Lakehouse/dev"}, region="eu-west-1"
    )
    m = Metrics(cfg, "build_gold", "run-1")
    for i in range(600):  # more than one PutMetricData batch
        m.put("RecordsOut", i, Table="gold.fact_orders")
    m.put("DQPassRate", 97.5, "Percent")
    assert m.flush() == 601
    cw = client("cloudwatch", "eu-west-1")
    listed = [
        x
        for page in cw.get_paginator("list_metrics").paginate(Namespace="Lakehouse/dev")
        for x in page["Metrics"]
    ]
    names = {
        (x["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in x["Dimensions"]))) for x in listed
    }
    assert ("RecordsOut", (("Job", "build_gold"), ("Table", "gold.fact_orders"))) in names
    assert ("DQPassRate", (("Job", "build_gold"),)) in names
    from datetime import UTC, datetime, timedelta

    stats = cw.get_metric_statistics(
        Namespace="Lakehouse/dev",
        MetricName="RecordsOut",
        Dimensions=[{"Name": "Job", "Value": "build_gold"}, {"Name": "Table", "Value": "gold.fact_orders"}],
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
        Period=3600,
        Statistics=["SampleCount", "Sum"],
    )["Datapoints"]
    assert stats and stats[0]["SampleCount"] == 600 and stats[0]["Sum"] == sum(range(600))


def test_emr_cost_estimate_uses_the_price_table():
    prices = load_pricing()["regions"]["eu-west-1"]["x86_64"]
    # one hour of a 4 vCPU / 16 GB worker
    expected = 4 * 3600 * prices["vcpu_second"] + 16 * 3600 * prices["gb_second"]
    assert estimate_emr_cost(4 * 3600, 16 * 3600, "eu-west-1") == pytest.approx(expected, abs=1e-6)
    assert 0.3 < expected < 0.4  # $0.052624/vCPU-h and $0.0057785/GB-h
    assert estimate_emr_cost(3600, 3600, "eu-west-1", "arm64") < estimate_emr_cost(3600, 3600, "eu-west-1")
    # the job prices the architecture it runs on: Graviton workers (Terraform's ARM64) report aarch64
    assert worker_architecture("aarch64") == "arm64" and worker_architecture("x86_64") == "x86_64"
    assert worker_architecture("AMD64") == "x86_64"
    with pytest.raises(ConfigError, match="no EMR Serverless price for region 'mars-1'"):
        estimate_emr_cost(1, 1, "mars-1")


# ---- secrets ---------------------------------------------------------------------------------------
def test_secret_is_read_once_and_cached(tmp_lake, aws):
    from lakehouse.aws import client

    clear_cache()
    sm = client("secretsmanager", "eu-west-1")
    sm.create_secret(
        Name="lakehouse-dev/snowflake", SecretString=json.dumps({"user": "etl", "password": "p"})
    )
    cfg = replace(
        tmp_lake, source_mode="aws", secrets={"snowflake": "lakehouse-dev/snowflake"}, region="eu-west-1"
    )
    assert get_secret(cfg, "snowflake") == {"user": "etl", "password": "p"}
    sm.put_secret_value(SecretId="lakehouse-dev/snowflake", SecretString=json.dumps({"user": "changed"}))
    assert get_secret(cfg, "snowflake")["user"] == "etl"  # cached for the run
    clear_cache()


def test_secret_errors_name_the_key(tmp_lake, aws):
    from lakehouse.aws import client

    clear_cache()
    with pytest.raises(SecretError, match="local source mode"):
        get_secret(tmp_lake, "snowflake")
    cfg = replace(
        tmp_lake, source_mode="aws", secrets={"redshift": "lakehouse-dev/redshift"}, region="eu-west-1"
    )
    with pytest.raises(SecretError, match="'secrets.snowflake' is missing"):
        get_secret(cfg, "snowflake")
    with pytest.raises(SecretError, match="'lakehouse-dev/redshift' .* does not exist"):
        get_secret(cfg, "redshift")
    client("secretsmanager", "eu-west-1").create_secret(Name="lakehouse-dev/redshift", SecretString="hunter2")
    with pytest.raises(SecretError, match="not a JSON object") as err:
        get_secret(cfg, "redshift")
    assert "hunter2" not in str(err.value)  # a credential never lands in an error message


# ---- the job harness -------------------------------------------------------------------------------
@pytest.fixture
def local_env(tmp_lake, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_LAKE_DIR", tmp_lake.lake_root)
    monkeypatch.delenv("LAKEHOUSE_CONFIG_URI", raising=False)
    return tmp_lake


def _metrics_of(cfg, job):
    path = tmp_lake_path(cfg) / f"{job}.jsonl"
    return {
        (d["metric"], d["dimensions"].get("Table")): d["value"]
        for d in map(json.loads, path.read_text().splitlines())
    }


def test_main_runs_body_with_context_and_emits_metrics(local_env, capsys):
    seen = {}

    def add_args(p):
        p.add_argument("--source", required=True)

    def body(ctx: jobs.JobContext):
        seen.update(job=ctx.job, date=ctx.execution_date, source=ctx.args.source, run_id=ctx.run_id)
        ctx.count("RecordsIn", 10, table="bronze.orders")
        ctx.count("RecordsIn", 5, table="bronze.customers")
        ctx.count("RecordsOut", 14)
        assert not ctx.spark_started  # nothing touched ctx.spark: no JVM was started

    rc = jobs.main(
        "ingest",
        add_args,
        body,
        ["--env", "local", "--execution-date", "2024-03-01", "--source", "snowflake", "--run-id", "r-1"],
        job_name=lambda a: f"extract_{a.source}",
    )
    assert rc == 0
    assert seen == {
        "job": "extract_snowflake",
        "date": date(2024, 3, 1),
        "source": "snowflake",
        "run_id": "r-1",
    }
    m = _metrics_of(local_env, "extract_snowflake")
    assert (
        m[("RecordsIn", None)] == 15
        and m[("RecordsIn", "bronze.orders")] == 10
        and m[("RecordsOut", None)] == 14
    )
    assert (
        m[("JobFailed", None)] == 0 and ("DurationSeconds", None) in m and m[("EstimatedCostUSD", None)] >= 0
    )
    logs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["message"] for x in logs] == ["job started", "job finished"]
    assert logs[1]["status"] == "succeeded" and all(x["run_id"] == "r-1" for x in logs)


def test_module_loggers_write_json_with_the_job_context_also_from_threads_the_job_starts(local_env, capsys):
    """A Delta commit retry (lakehouse.tables) or a lock warning (lakehouse.state) logged while a job runs —
    in its thread or in one lakehouse.concurrency starts for it — names the job and run; outside a job the
    context is empty."""
    import logging

    from lakehouse.concurrency import run_when_ready

    def body(ctx):
        logging.getLogger("lakehouse.tables").warning("retrying %s", "commit")
        run_when_ready(
            ["t1"],
            {},
            lambda name: logging.getLogger("lakehouse.state").warning("in %s", name),
            1,
            lambda *_: True,
        )

    argv = ["--env", "local", "--execution-date", "2024-03-01", "--run-id", "r-7", "--trace-id", "tr-7"]
    assert jobs.main("transform", None, body, argv) == 0
    logging.getLogger("lakehouse.tables").warning("after the job")
    logs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    by_message = {x["message"]: x for x in logs}
    for message, logger in (("retrying commit", "lakehouse.tables"), ("in t1", "lakehouse.state")):
        line = by_message[message]
        assert (line["job"], line["run_id"], line["trace_id"], line["env"]) == (
            "transform",
            "r-7",
            "tr-7",
            "local",
        )
        assert (line["logger"], line["level"]) == (logger, "WARNING")
    assert by_message["after the job"]["run_id"] is None


def test_main_failure_exits_1_with_one_line_and_flushes_metrics(local_env, capsys):
    def body(ctx):
        ctx.count("RecordsIn", 7)
        raise RuntimeError("source unreachable: snowflake\nmore detail")

    rc = jobs.main(
        "transform", None, body, ["--env", "local", "--execution-date", "2024-03-01", "--run-id", "r-2"]
    )
    assert rc == 1
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "transform: FAILED (RuntimeError: source unreachable: snowflake) run_id=r-2"
    ]
    failed_log = [json.loads(x) for x in out.splitlines() if '"job failed' in x][0]
    assert "Traceback" in failed_log["exception"]
    m = _metrics_of(local_env, "transform")
    assert m[("JobFailed", None)] == 1 and m[("RecordsIn", None)] == 7
    # the lock was released: the next run proceeds
    assert (
        jobs.main("transform", None, lambda ctx: None, ["--env", "local", "--execution-date", "2024-03-01"])
        == 0
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--env", "prod", "--execution-date", "2024-03-01"], "needs --config-uri"),
        (
            [
                "--env",
                "dev",
                "--execution-date",
                "2024-03-01",
                "--config-uri",
                "/nonexistent/job_config.json",
            ],
            "not found",
        ),
    ],
)
def test_bad_config_exits_2_with_one_line_before_any_write(local_env, capsys, argv, message):
    called = []
    rc = jobs.main("ingest", None, lambda ctx: called.append(1), argv)
    assert rc == 2 and not called
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("ingest: configuration error:")
    assert not (tmp_lake_path(local_env)).exists()  # nothing written, not even metrics


def test_config_with_unknown_key_is_refused(local_env, tmp_path, capsys):
    raw = local_env.to_dict() | {"enviroment": "local"}
    path = tmp_path / "job_config.json"
    path.write_text(json.dumps(raw))
    rc = jobs.main(
        "ingest",
        None,
        lambda ctx: None,
        ["--env", "local", "--execution-date", "2024-03-01", "--config-uri", str(path)],
    )
    assert rc == 2 and "enviroment" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["2024-02-30", "2024-3-1", "yesterday"])
def test_bad_execution_date_is_rejected_by_argparse(local_env, bad, capsys):
    with pytest.raises(SystemExit) as exc:
        jobs.main("ingest", None, lambda ctx: None, ["--env", "local", "--execution-date", bad])
    assert exc.value.code == 2 and "expected YYYY-MM-DD" in capsys.readouterr().err


def test_unknown_env_is_rejected(local_env, capsys):
    with pytest.raises(SystemExit) as exc:
        jobs.main("ingest", None, lambda ctx: None, ["--env", "qa", "--execution-date", "2024-03-01"])
    assert exc.value.code == 2 and "invalid choice: 'qa'" in capsys.readouterr().err


def test_concurrent_run_of_the_same_job_is_refused(local_env, capsys):
    inside, release = threading.Event(), threading.Event()
    results = {}

    def slow(ctx):
        inside.set()
        release.wait(30)

    t = threading.Thread(
        target=lambda: results.setdefault(
            "first",
            jobs.main(
                "build_gold",
                None,
                slow,
                ["--env", "local", "--execution-date", "2024-03-01", "--run-id", "A"],
            ),
        )
    )
    t.start()
    assert inside.wait(30)
    ran = []
    results["second"] = jobs.main(
        "build_gold",
        None,
        lambda ctx: ran.append(1),
        ["--env", "local", "--execution-date", "2024-03-01", "--run-id", "B"],
    )
    release.set()
    t.join(30)
    assert results == {"first": 0, "second": 3} and not ran
    err = capsys.readouterr().err
    assert "build_gold: refused: job 'build_gold' is already running (lock held by run 'A'" in err


def test_a_config_error_inside_the_job_exits_2_not_1(local_env, capsys):
    """A file the job itself reads (a DQ suite, maintenance.yaml) is malformed: a configuration error (2), told
    apart from a failed run (1) — Airflow and the on-call read the same exit codes."""
    from lakehouse.dq.suite import DQConfigError

    def body(ctx):
        raise DQConfigError("emr_jobs/conf/dq/nope.yaml: suite file not found")

    rc = jobs.main("quality", None, body, ["--env", "local", "--execution-date", "2024-03-01"])
    assert rc == 2
    assert "quality: configuration error: emr_jobs/conf/dq/nope.yaml" in capsys.readouterr().err
