"""The TLS emulator (tests/emulator/launcher.py, ``tls=True``) — its own module: ``tls_emulator`` points this
process's AWS clients at itself until the module ends."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(cmd, cwd, env, timeout):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


_S3A_RENAME_ON_KMS_BUCKET = """
import sys
from lakehouse.spark import build_session
spark = build_session("tls-smoke", packages=("delta", "s3a"),
                      extra_conf={"spark.hadoop.fs.s3a.retry.limit": "1", "spark.hadoop.fs.s3a.attempts.maximum": "1"})
for _ in range(2):  # each commit's checksum file is written with a rename (CopyObject)
    spark.range(3).write.format("delta").mode("append").save(sys.argv[1])
print(spark.read.format("delta").load(sys.argv[1]).count())
"""


def test_tls_emulator_lets_s3a_rename_on_an_sse_kms_bucket(tls_emulator, tmp_path):
    # Over plain HTTP the AWS SDK v1 in hadoop-aws refuses the KMS parameters S3A copies from the source
    # object, so every rename on a KMS bucket failed (the integration test's stall). Over TLS it works.
    from lakehouse.aws import client

    assert tls_emulator.endpoint.startswith("https://") or os.environ.get("AWS_CA_BUNDLE") is None
    bucket = f"smoke-kms-{uuid.uuid4().hex[:8]}"
    s3 = client("s3")
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]}
    )
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    env = dict(os.environ, **tls_emulator.aws_env(), PYTHONPATH=str(REPO / "emr_jobs"))
    out = _run([sys.executable, "-c", _S3A_RENAME_ON_KMS_BUCKET, f"s3a://{bucket}/t"], REPO, env, timeout=600)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1] == "6", out.stderr[-3000:]
    logs = {
        o["Key"].rsplit("/", 1)[-1]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="t/_delta_log/")["Contents"]
    }
    assert {"00000000000000000000.crc", "00000000000000000001.crc"} <= logs
    assert not [k for k in logs if k.endswith(".tmp")], f"renames left temporary files: {sorted(logs)}"
