"""The whole platform on an AWS emulator, in one run (make integration).

1. start the emulator (moto on loopback, or the user's AWS_ENDPOINT_URL);
2. ``terraform apply -var-file=environments/local.tfvars`` — the same root module as prod — once;
3. check what the apply created and uploaded;
4. run the real jobs with local Spark against the emulated S3 (s3a://), from the configuration the apply
   uploaded, with the package zip and entry points downloaded from the emulated artifacts bucket;
5. check the lake, the catalog, watermarks, metrics, the DQ report and the row balance;
6. a second plan shows no changes; destroy leaves nothing behind.
Each phase's time is printed at the end.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

import pytest

from tests.unit.test_athena_views import VIEW

# One apply, the real jobs, a plan and a destroy: far longer than a unit test (pyproject default 900 s).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]

REPO = Path(__file__).resolve().parents[2]
PHASES: dict[str, float] = {}


@contextmanager
def phase(name: str):
    t0 = time.monotonic()
    try:
        yield
    finally:
        PHASES[name] = time.monotonic() - t0


def _print_phases(config):
    width = max(len(n) for n in PHASES) if PHASES else 10
    lines = ["", "integration phases (seconds):"]
    lines += [f"  {name:<{width}}  {secs:8.1f}" for name, secs in PHASES.items()]
    lines.append(f"  {'total':<{width}}  {sum(PHASES.values()):8.1f}")
    # pytest captures fixture output (and shows it only on failure): suspend capture for these lines
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        print("\n".join(lines), flush=True)


class Terraform:
    """terraform CLI on a copy of the root module with a local backend (the S3 backend needs a real account)."""

    def __init__(self, workdir: Path, env: dict[str, str], endpoint: str):
        self.workdir = workdir
        self.env = env
        self.vars = [
            f"-var-file={REPO / 'environments/local.tfvars'}",
            f"-var=emulator_endpoint={endpoint}",
            # moto serves every call from one Python process; fewer parallel calls avoid its write races
            # (a Glue CreateTable answered AlreadyExists under the default parallelism of 10).
            "-parallelism=4",
        ]

    @classmethod
    def prepare(cls, tmp: Path, env: dict[str, str], endpoint: str) -> Terraform:
        # Copy only terraform/; every sibling folder the root module reads (glue/, emr_jobs/, airflow/…)
        # is linked, so paths like "${path.root}/../glue" resolve exactly as in the checkout.
        root = tmp / "repo"
        root.mkdir()
        for item in REPO.iterdir():
            if item.name in ("terraform", ".git", ".venv", ".lake") or item.name.startswith("."):
                continue
            (root / item.name).symlink_to(item)
        shutil.copytree(
            REPO / "terraform", root / "terraform", ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*")
        )
        (root / "terraform" / "zz_backend_override.tf").write_text(
            'terraform {\n  backend "local" {\n    path = "%s"\n  }\n}\n' % (tmp / "terraform.tfstate")
        )
        env = dict(env, TF_DATA_DIR=str(tmp / "tfdata"), TF_IN_AUTOMATION="1")
        return cls(root / "terraform", env, endpoint)

    def run(self, *args: str, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
        out = subprocess.run(
            ["terraform", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and out.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed:\n{out.stdout[-6000:]}\n{out.stderr[-6000:]}"
            )
        return out

    def outputs(self) -> dict:
        return {k: v["value"] for k, v in json.loads(self.run("output", "-json").stdout).items()}


@pytest.fixture(scope="module")
def platform(tls_emulator, tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("platform")
    env = dict(os.environ, **tls_emulator.aws_env())
    tf = Terraform.prepare(tmp, env, tls_emulator.endpoint)
    try:
        with phase("terraform init"):
            tf.run("init", "-input=false", "-no-color")
        with phase("terraform apply"):
            tf.run("apply", "-auto-approve", "-input=false", "-no-color", *tf.vars)
        yield tf, tf.outputs(), tmp
    finally:
        _print_phases(request.config)


def _s3():
    from lakehouse.aws import client

    return client("s3")


def _keys(bucket: str, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def _bucket_of(uri: str) -> str:
    return uri.split("://", 1)[1].split("/", 1)[0]


def _job_config(outputs) -> dict:
    uri = outputs["job_config_uri"]
    bucket, key = uri.split("://", 1)[1].split("/", 1)
    return json.loads(_s3().get_object(Bucket=bucket, Key=key)["Body"].read())


# ---- 3. what the apply created and uploaded ------------------------------------------------------------


def test_apply_created_encrypted_tls_only_buckets(platform):
    _, outputs, _ = platform
    s3 = _s3()
    buckets = outputs["buckets"]
    assert {"lake", "artifacts", "access_logs", "athena_results"} <= set(buckets)
    for purpose, name in buckets.items():
        enc = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        # S3 server access logs can only be delivered to an SSE-S3 bucket; every other bucket is SSE-KMS.
        want = "AES256" if purpose == "access_logs" else "aws:kms"
        assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == want, name
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        assert any(
            st["Effect"] == "Deny"
            and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for st in policy["Statement"]
        ), f"{name} lacks the TLS-only statement"
        assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled", name


def test_apply_created_a_glue_table_for_every_contract(platform):
    from lakehouse.aws import client

    _, outputs, _ = platform
    glue = client("glue")
    cfg = _job_config(outputs)
    for contract in sorted((REPO / "glue").glob("*/*.yaml")):
        layer, table = contract.parent.name, contract.stem
        got = glue.get_table(DatabaseName=cfg["glue_databases"][layer], Name=table)["Table"]
        assert got["StorageDescriptor"]["Location"].rstrip("/") == f"{cfg['lake_root']}/{layer}/{table}"


def test_apply_created_the_athena_views_and_named_queries(platform):
    from lakehouse.aws import client

    _, outputs, _ = platform
    cfg = _job_config(outputs)
    glue, athena = client("glue"), client("athena")
    views, query_files = {}, set()
    for sql in sorted((REPO / "athena_sql").glob("*.sql")):
        m = VIEW.search(sql.read_text())  # the rule Terraform and the unit test apply
        if m:
            views[m.group(1)] = m.group(2)
        else:
            query_files.add(sql.stem)
    assert views, "athena_sql/ ships views"
    for name, select in views.items():
        got = glue.get_table(DatabaseName=cfg["glue_databases"]["gold"], Name=name)["Table"]
        assert got["TableType"] == "VIRTUAL_VIEW" and got["Parameters"]["presto_view"] == "true", name
        encoded = got["ViewOriginalText"].removeprefix("/* Presto View: ").removesuffix(" */")
        assert json.loads(base64.b64decode(encoded))["originalSql"] == select, name
    workgroup = outputs["athena_workgroup"]
    ids = athena.list_named_queries(WorkGroup=workgroup)["NamedQueryIds"]
    names = {athena.get_named_query(NamedQueryId=i)["NamedQuery"]["Name"] for i in ids}
    assert names == query_files  # a view file is a view, not also a named query


def test_apply_uploaded_the_package_and_entry_points_with_their_content_hashes(platform):
    _, outputs, tmp = platform
    cfg = _job_config(outputs)
    artifacts = _bucket_of(cfg["artifacts_root"])
    s3 = _s3()
    for entry in sorted((REPO / "emr_jobs/entrypoints").glob("*.py")):
        body = s3.get_object(Bucket=artifacts, Key=f"code/entrypoints/{entry.name}")["Body"].read()
        assert hashlib.md5(body).hexdigest() == hashlib.md5(entry.read_bytes()).hexdigest(), entry.name
    zpath = tmp / "lakehouse.zip"
    zpath.write_bytes(s3.get_object(Bucket=artifacts, Key="code/lakehouse.zip")["Body"].read())
    with zipfile.ZipFile(zpath) as zf:
        names = set(zf.namelist())
        for src in (REPO / "emr_jobs").rglob("lakehouse/**/*.py"):
            rel = src.relative_to(REPO / "emr_jobs").as_posix()
            assert rel in names, f"{rel} missing from the uploaded zip"
            assert zf.read(rel) == src.read_bytes(), f"{rel} in the zip differs from the checkout"
        assert not any("__pycache__" in n for n in names)
    for contract in (REPO / "glue").glob("*/*.yaml"):
        key = f"contracts/{contract.parent.name}/{contract.name}"
        assert s3.get_object(Bucket=artifacts, Key=key)["Body"].read() == contract.read_bytes()


def test_apply_uploaded_a_job_configuration_built_from_terraform_values(platform):
    from lakehouse.config import validate

    _, outputs, _ = platform
    raw = _job_config(outputs)
    cfg = validate(raw, outputs["job_config_uri"])  # the jobs' own schema accepts it
    assert cfg.environment == "local" and cfg.source_mode == "local"
    assert cfg.state["backend"] == "dynamodb" and cfg.metrics["backend"] == "cloudwatch"
    assert _bucket_of(cfg.lake_root) == outputs["buckets"]["lake"]
    assert cfg.emr["application_id"] and cfg.emr["execution_role_arn"].startswith("arn:aws:iam::")
    assert set(cfg.secrets) >= {"snowflake", "redshift", "salesforce", "kafka", "fx_api", "slack_webhook"}


def test_apply_created_the_state_table_log_groups_and_alarms(platform):
    from lakehouse.aws import client

    _, outputs, _ = platform
    cfg = _job_config(outputs)
    table = client("dynamodb").describe_table(TableName=cfg["state"]["table"])["Table"]
    assert table["SSEDescription"]["Status"] in ("ENABLED", "ENABLING")
    groups = {g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]}
    assert any(g.startswith("/aws/emr-serverless/") for g in groups)
    alarms = client("cloudwatch").describe_alarms()["MetricAlarms"]
    # Alarms read the jobs' metrics by name, directly or through a Metrics Insights expression.
    watched = " ".join(
        [a.get("MetricName") or "" for a in alarms]
        + [m.get("Expression") or "" for a in alarms for m in a.get("Metrics", [])]
    )
    for metric in ("JobFailed", "DQCriticalFailures", "DurationSeconds", "FreshnessMinutes"):
        assert metric in watched, f"no alarm watches {metric}"


# ---- 4 + 5. the real jobs against the emulated lake -----------------------------------------------------


@pytest.fixture(scope="module")
def pipeline_run(platform, tls_emulator):
    """Run the daily pipeline from what the apply uploaded: the package zip, the entry points, conf and
    contracts from the artifacts bucket, and the generated job configuration."""
    from lakehouse.assets import fetch

    _, outputs, tmp = platform
    cfg = _job_config(outputs)
    artifacts = _bucket_of(cfg["artifacts_root"])
    code = tmp / "code"
    for key in _keys(artifacts, "code/"):
        dest = code / key.removeprefix("code/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(_s3().get_object(Bucket=artifacts, Key=key)["Body"].read())
    conf_dir, contracts_dir = fetch(outputs["job_config_uri"], tmp / "assets")  # what EMR entry points do
    env = dict(os.environ, **tls_emulator.aws_env())
    env.update(
        PYTHONPATH=str(code / "lakehouse.zip"),  # the uploaded package, not the checkout
        LAKEHOUSE_CONF_DIR=str(conf_dir),
        LAKEHOUSE_CONTRACTS_DIR=str(contracts_dir),
        LAKEHOUSE_ENTRYPOINTS_DIR=str(code / "entrypoints"),
        LAKEHOUSE_SOURCES_DIR=str(tmp / "standins" / "_sources"),  # the local stand-ins' data
        LAKEHOUSE_LOG_LEVEL="WARNING",
    )
    summary_path = tmp / "summary.json"
    with phase("pipeline run (daily, emulated S3)"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "lakehouse.demo",
                "--env",
                "local",
                "--config-uri",
                outputs["job_config_uri"],
                "--scale",
                "0.02",
                "--summary-json",
                str(summary_path),
            ],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=2400,
        )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-6000:]
    return cfg, json.loads(summary_path.read_text())


def test_jobs_wrote_delta_tables_to_the_emulated_lake(pipeline_run):
    cfg, summary = pipeline_run
    lake = _bucket_of(cfg["lake_root"])
    keys = _keys(lake)
    for layer, table in [
        ("bronze", "orders"),
        ("silver", "orders"),
        ("gold", "fact_orders"),
        ("gold", "dim_customer"),
    ]:
        assert any(k.startswith(f"{layer}/{table}/_delta_log/") for k in keys), (
            f"{layer}/{table} has no Delta log"
        )
    assert {t["layer"] for t in summary["tables"]} >= {"bronze", "silver", "gold"}


def test_glue_tables_point_at_the_delta_tables_the_jobs_wrote(pipeline_run):
    """What Athena reads is what the jobs wrote: the Location Terraform gave each Glue table holds that
    table's Delta log, for every table the run left rows in."""
    from lakehouse.aws import client

    cfg, summary = pipeline_run
    glue = client("glue")
    written = [t for t in summary["tables"] if t["layer"] in ("bronze", "silver", "gold") and t["rows"]]
    assert len(written) >= 25, written
    keys = set(_keys(_bucket_of(cfg["lake_root"])))
    for t in written:
        got = glue.get_table(DatabaseName=cfg["glue_databases"][t["layer"]], Name=t["table"])["Table"]
        bucket, prefix = got["StorageDescriptor"]["Location"].split("://", 1)[1].split("/", 1)
        assert bucket == _bucket_of(cfg["lake_root"]), got["StorageDescriptor"]["Location"]
        assert any(k.startswith(f"{prefix.rstrip('/')}/_delta_log/") for k in keys), (
            f"Glue {t['layer']}.{t['table']} points at {prefix}, where the jobs wrote no Delta log"
        )


def test_watermarks_advanced_in_the_emulated_dynamodb(pipeline_run):
    from lakehouse.aws import client
    from lakehouse.state.base import LockHeld, WatermarkRegression
    from lakehouse.state.dynamo import DynamoStateStore

    cfg, summary = pipeline_run
    items = client("dynamodb").scan(TableName=cfg["state"]["table"])["Items"]
    assert not [i for i in items if i["pk"]["S"].startswith("lock#") and i.get("owner")], (
        "a run lock was left held"
    )
    # silver reads bronze past one watermark per table: every silver table the run filled has one
    silver_wm = {i["sk"]["S"]: i["value"]["S"] for i in items if i["pk"]["S"] == "watermark#bronze_to_silver"}
    filled = {t["table"] for t in summary["tables"] if t["layer"] == "silver" and t["rows"]}
    assert filled - {"customers_conformed"} <= set(silver_wm), (filled, silver_wm)
    assert all(datetime.fromisoformat(v) for v in silver_wm.values())
    # the conditional writes hold on the applied table: a watermark never moves back, a held lock is refused
    store = DynamoStateStore(cfg["state"]["table"])
    table, value = sorted(silver_wm.items())[0]
    with pytest.raises(WatermarkRegression):
        store.set_watermark("bronze_to_silver", table, "2000-01-01 00:00:00.000000")
    assert store.get_watermark("bronze_to_silver", table) == value
    store.acquire_lock("integration_probe", "run-a", ttl_seconds=60)
    try:
        with pytest.raises(LockHeld):
            store.acquire_lock("integration_probe", "run-b", ttl_seconds=60)
    finally:
        assert store.release_lock("integration_probe", "run-a")


def test_metrics_reached_the_emulated_cloudwatch(pipeline_run):
    from lakehouse.aws import client

    cfg, _ = pipeline_run
    names = {
        m["MetricName"]
        for m in client("cloudwatch").list_metrics(Namespace=cfg["metrics"]["namespace"])["Metrics"]
    }
    # FreshnessMinutes: the DQ suites' freshness checks, which the freshness alarms watch
    assert {"RecordsIn", "RecordsOut", "DurationSeconds", "FreshnessMinutes"} <= names


def test_dq_report_and_results_were_written(pipeline_run):
    cfg, summary = pipeline_run
    keys = _keys(_bucket_of(cfg["lake_root"]), "audit/")
    assert any(k.startswith("audit/dq_results/_delta_log/") for k in keys)
    assert any(k.startswith("audit/reports/") and k.endswith(".json") for k in keys)
    assert summary["dq"], "the run summary has no DQ results"


def test_every_input_row_is_accounted_for(pipeline_run):
    _, summary = pipeline_run
    assert summary["accounting"]
    for row in summary["accounting"]:
        assert row["rows_in"] == row["loaded"] + row["deduplicated"] + row["quarantined"], row
        assert row["balanced"], row


# ---- 6. converge and tear down ---------------------------------------------------------------------------


def test_second_plan_shows_no_changes_and_destroy_leaves_nothing(platform, pipeline_run):
    tf, outputs, _ = platform
    with phase("terraform plan (second)"):
        plan = tf.run("plan", "-detailed-exitcode", "-input=false", "-no-color", *tf.vars, check=False)
    assert plan.returncode == 0, f"second plan is not empty:\n{plan.stdout[-6000:]}{plan.stderr[-3000:]}"
    with phase("terraform destroy"):
        tf.run("destroy", "-auto-approve", "-input=false", "-no-color", *tf.vars)
    state = json.loads(tf.run("show", "-json").stdout or "{}")
    assert not state.get("values", {}).get("root_module", {}).get("resources"), "resources left in state"
    from lakehouse.aws import client

    left = {b["Name"] for b in client("s3").list_buckets()["Buckets"]} & set(outputs["buckets"].values())
    assert not left, f"buckets left behind: {left}"
