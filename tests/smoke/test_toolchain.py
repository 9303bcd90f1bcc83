"""Smoke tests: each tool of the offline toolchain really works on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"


def _run(
    cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"'{name}' is not on PATH: run `bash scripts/bootstrap.sh tools` (make does this)")
    return path


def test_terraform_inits_from_the_local_mirror_and_validates_the_root_module(tmp_path):
    cfg = os.environ.get("TF_CLI_CONFIG_FILE", "")
    assert cfg and Path(cfg).is_file(), "TF_CLI_CONFIG_FILE must point at the mirror config bootstrap writes"
    assert "filesystem_mirror" in Path(cfg).read_text()
    env = dict(os.environ, TF_DATA_DIR=str(tmp_path / "tfdata"))  # never touch the checkout's .terraform
    init = _run(
        [_tool("terraform"), "init", "-backend=false", "-input=false", "-no-color"], TERRAFORM_DIR, env
    )
    assert init.returncode == 0, init.stdout + init.stderr
    assert "hashicorp/aws" in init.stdout and "hashicorp/archive" in init.stdout
    validate = _run([_tool("terraform"), "validate", "-no-color"], TERRAFORM_DIR, env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid" in validate.stdout


def test_tflint_with_the_aws_ruleset_runs_over_terraform():
    out = _run([_tool("tflint"), "--version"], REPO)
    assert out.returncode == 0
    init = _run(
        [
            _tool("tflint"),
            "--chdir",
            str(TERRAFORM_DIR),
            f"--config={REPO / '.tflint.hcl'}",
            "--format=compact",
        ],
        REPO,
    )
    # exit 0: no issues; 2 would mean findings, 1 a tool error (e.g. the AWS plugin not found)
    assert init.returncode == 0, init.stdout + init.stderr
    plugins = _run(
        [_tool("tflint"), "--chdir", str(TERRAFORM_DIR), f"--config={REPO / '.tflint.hcl'}", "--version"],
        REPO,
    )
    assert "ruleset.aws" in plugins.stdout, plugins.stdout + plugins.stderr


def test_checkov_scans_terraform_with_no_failed_checks():
    out = _run(
        [
            _tool("checkov"),
            "-d",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "-o",
            "cli",
        ],
        REPO,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_emulator_answers_s3_and_dynamodb(emulator):
    from lakehouse.aws import client

    bucket = f"smoke-{uuid.uuid4().hex[:8]}"
    s3 = client("s3")
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"lakehouse")
    assert s3.get_object(Bucket=bucket, Key="hello.txt")["Body"].read() == b"lakehouse"

    ddb = client("dynamodb")
    table = f"smoke-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]["v"]["N"] == "1"


def _write_merge_read(spark, path: str) -> list[tuple]:
    from delta.tables import DeltaTable

    spark.createDataFrame([(1, "a"), (2, "b")], "id int, v string").write.format("delta").mode(
        "overwrite"
    ).save(path)
    updates = spark.createDataFrame([(2, "B"), (3, "c")], "id int, v string")
    (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(updates.alias("u"), "t.id = u.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    return sorted(tuple(r) for r in spark.read.format("delta").load(path).collect())


def test_spark_writes_merges_and_reads_a_delta_table_on_a_local_path(spark, tmp_path):
    assert _write_merge_read(spark, str(tmp_path / "t")) == [(1, "a"), (2, "B"), (3, "c")]
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.adaptive.enabled") == "true"


def test_spark_writes_merges_and_reads_a_delta_table_on_emulated_s3(spark, emulator):
    from lakehouse.aws import client

    bucket = f"smoke-delta-{uuid.uuid4().hex[:8]}"
    client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    # Per-bucket s3a settings can be set on a running session; the emulator is reached path-style.
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in {
        "endpoint": emulator.endpoint,
        "path.style.access": "true",
        "connection.ssl.enabled": "false",
        "access.key": os.environ["AWS_ACCESS_KEY_ID"],
        "secret.key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
    }.items():
        hconf.set(f"fs.s3a.bucket.{bucket}.{key}", value)
    assert _write_merge_read(spark, f"s3a://{bucket}/smoke/t") == [(1, "a"), (2, "B"), (3, "c")]
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith("smoke/t/_delta_log/") for k in keys)
