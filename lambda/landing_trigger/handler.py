"""Landing-file trigger: S3 ObjectCreated under ``landing/`` -> check -> record -> start the ingest job.

Checks each new object against the landing contracts (name, size, format). An accepted file is recorded
in the state table once and the ingest job run is started on EMR Serverless; a refused file is recorded
with its reason and reported to the warning topic. Nothing of a refused file reaches bronze.

Environment (docs/interfaces.md): ENVIRONMENT, STATE_TABLE, ARTIFACTS_BUCKET, EMR_APPLICATION_ID,
EMR_EXECUTION_ROLE_ARN, CODE_ROOT, JOB_CONFIG_URI, WARNING_TOPIC_ARN.

Contracts are read from ``s3://$ARTIFACTS_BUCKET/contracts/index.json`` — a JSON rendering of
``glue/*/*.yaml`` that Terraform uploads next to the YAML (the Lambda runtime has no YAML parser):

    {"<table>": {"layer": "bronze", "source_system": "s3_landing",
                 "landing": {"prefix": "erp/", "pattern": "erp_invoices_*.csv",
                             "format": "csv", "max_bytes": 104857600}},
     ...}

Only entries with a ``landing`` block are landing contracts; ``prefix`` is relative to ``landing/``.

Every ingest run is started with the StartJobRun ``configurationOverrides`` the emr_serverless module
publishes at ``s3://$ARTIFACTS_BUCKET/config/emr_configuration_overrides.json`` (next to job_config.json:
Delta jars/extension, Glue metastore, S3 + CloudWatch logging with KMS), cached like the index.
Trigger ledger (state table): pk ``landing#<source_system>``, sk ``<s3 key>`` (status accepted | refused |
start_failed, reason, size, etag, job_run_id); written with a condition so a file starts one job run
(a refused file may be dropped again under the same name once fixed). It is deliberately not the ingest
job's own ``file#<source>`` ledger: that one means "loaded into bronze" and is written by the job at its
commit point — a trigger-side entry there would make the job skip the file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

log = logging.getLogger()
log.setLevel(logging.INFO)

LANDING = "landing/"
INDEX_KEY = "contracts/index.json"
OVERRIDES_KEY = "config/emr_configuration_overrides.json"  # beside config/job_config.json
OVERRIDE_KEYS = ("applicationConfiguration", "monitoringConfiguration")  # what StartJobRun takes
INGEST_ENTRYPOINT = "ingest.py"  # the extract_landing_files job of emr_jobs/conf/pipeline.yaml
INGEST_SOURCE = "s3_landing"
FORMATS = ("csv", "json", "parquet")
SNIFF_BYTES = 4096
LEDGER_PREFIX = "landing#"  # the trigger's decisions; file#<source> is the ingest job's ledger
_CACHE_TTL_SECONDS = 300  # warm containers pick up a new apply within minutes
_cache: dict[str, tuple[float, Any]] = {}


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def _client(service: str):
    # AWS_ENDPOINT_URL (emulators) is honoured by boto3 itself.
    return boto3.client(service)


def _artifact_json(s3, key: str) -> Any:
    """A JSON document of the artifacts bucket, cached for a few minutes per warm container."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < _CACHE_TTL_SECONDS:
        return hit[1]
    bucket = _env("ARTIFACTS_BUCKET")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        raise RuntimeError(f"cannot read s3://{bucket}/{key} (uploaded by terraform apply): {exc}") from exc
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"s3://{bucket}/{key} is not valid JSON: {exc}") from exc
    _cache[key] = (now, value)
    return value


def load_contracts(s3) -> dict[str, dict[str, Any]]:
    """Landing contracts by table."""
    index = _artifact_json(s3, INDEX_KEY)
    if not isinstance(index, dict):
        raise RuntimeError(f"{INDEX_KEY} must be a JSON object of contracts by table")
    return {t: c for t, c in index.items() if isinstance(c, dict) and c.get("landing")}


def load_overrides(s3) -> dict[str, Any]:
    """The StartJobRun configurationOverrides every ingest run is started with."""
    overrides = _artifact_json(s3, OVERRIDES_KEY)
    if not isinstance(overrides, dict) or not overrides:
        raise RuntimeError(f"{OVERRIDES_KEY} must be a non-empty JSON object")
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        raise RuntimeError(
            f"{OVERRIDES_KEY} has unknown key(s) {', '.join(unknown)}; StartJobRun takes {', '.join(OVERRIDE_KEYS)}"
        )
    return overrides


def match_contract(key: str, contracts: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    rel = key[len(LANDING) :]
    for table, contract in sorted(contracts.items()):
        landing = contract["landing"]
        prefix = landing["prefix"]
        if not rel.startswith(prefix):
            continue
        name = rel[len(prefix) :]
        if "/" not in name and fnmatch.fnmatchcase(name, landing["pattern"]):
            return table, contract
    return None


def sniff_format(head: bytes, fmt: str) -> str | None:
    """None if the first bytes look like ``fmt``, else why not."""
    if fmt == "parquet":
        return None if head[:4] == b"PAR1" else "does not start with the Parquet magic bytes PAR1"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniff may cut a multi-byte character at the end: only earlier errors count.
        if exc.start < len(head) - 3:
            return f"is not UTF-8 text (byte {exc.start})"
        text = head[: exc.start].decode("utf-8")
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        return "has no content"
    if fmt == "json":
        return None if text[0] in "{[" else "does not start with a JSON object or array"
    if fmt == "csv":
        header = text.splitlines()[0]
        if header.startswith(("{", "[")):
            return "looks like JSON, not CSV"
        return None if ("," in header or ";" in header or "\t" in header) else "has no delimited header line"
    return f"has unknown format {fmt!r}"


def check(
    key: str, size: int, contracts: dict[str, dict[str, Any]], s3, bucket: str
) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """Return (table, contract, refusal reason). Reason None = accepted."""
    if not key.startswith(LANDING):
        return None, None, f"key {key!r} is not under {LANDING}"
    found = match_contract(key, contracts)
    if found is None:
        expected = ", ".join(
            f"{LANDING}{c['landing']['prefix']}{c['landing']['pattern']}" for c in contracts.values()
        )
        return None, None, f"no landing contract matches {key!r} (expected one of: {expected})"
    table, contract = found
    landing = contract["landing"]
    fmt = landing["format"]
    if fmt not in FORMATS:
        return table, contract, f"contract {table} declares unsupported format {fmt!r}"
    if size <= 0:
        return table, contract, f"{key} is empty"
    if size > int(landing["max_bytes"]):
        return (
            table,
            contract,
            f"{key} is {size} bytes, over the contract limit of {landing['max_bytes']} bytes",
        )
    head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}")["Body"].read()
    why = sniff_format(head, fmt)
    if why:
        return table, contract, f"{key} {why} (contract {table} expects {fmt})"
    return table, contract, None


def record(ddb, source: str, key: str, item: dict[str, Any]) -> bool:
    """Write the ledger item once; False if this file was already accepted."""
    attrs = {"pk": {"S": f"{LEDGER_PREFIX}{source}"}, "sk": {"S": key}}
    for name, value in item.items():
        if value is not None:
            attrs[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    try:
        ddb.put_item(
            TableName=_env("STATE_TABLE"),
            Item=attrs,
            # A refused file may come back fixed under the same name, and a file whose job run could not
            # be started is retried; an accepted one is never redone.
            ConditionExpression="attribute_not_exists(sk) OR #s IN (:refused, :start_failed)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":refused": {"S": "refused"}, ":start_failed": {"S": "start_failed"}},
        )
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def start_ingest(emr, key: str, etag: str, execution_date: str, overrides: dict[str, Any]) -> str:
    code_root = _env("CODE_ROOT").rstrip("/")
    env = _env("ENVIRONMENT")
    token = hashlib.sha256(f"{key}#{etag}".encode()).hexdigest()[:64]  # S3 retries start one run
    response = emr.start_job_run(
        applicationId=_env("EMR_APPLICATION_ID"),
        executionRoleArn=_env("EMR_EXECUTION_ROLE_ARN"),
        clientToken=token,
        name=f"lakehouse-{env}-landing-{os.path.basename(key)}"[:256],
        jobDriver={
            "sparkSubmit": {
                "entryPoint": f"{code_root}/entrypoints/{INGEST_ENTRYPOINT}",
                "entryPointArguments": [
                    "--env", env,
                    "--execution-date", execution_date,
                    "--config-uri", _env("JOB_CONFIG_URI"),
                    "--run-id", f"landing-{token[:16]}",
                    "--source", INGEST_SOURCE,
                ],
                "sparkSubmitParameters": f"--py-files {code_root}/lakehouse.zip",
            }
        },
        configurationOverrides=overrides,
    )  # fmt: skip
    return response["jobRunId"]


def _records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """S3 notification records, or one EventBridge 'Object Created' event, as (bucket, key, size, etag, time)."""
    out = []
    for rec in event.get("Records", []):
        s3 = rec.get("s3") or {}
        obj = s3.get("object") or {}
        out.append(
            {
                "bucket": s3.get("bucket", {}).get("name"),
                "key": urllib.parse.unquote_plus(obj.get("key", "")),
                "size": int(obj.get("size", 0)),
                "etag": obj.get("eTag", ""),
                "time": rec.get("eventTime"),
            }
        )
    if event.get("detail-type") == "Object Created":
        d = event["detail"]
        out.append(
            {
                "bucket": d["bucket"]["name"],
                "key": d["object"]["key"],
                "size": int(d["object"].get("size", 0)),
                "etag": d["object"].get("etag", ""),
                "time": event.get("time"),
            }
        )
    return out


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    s3, ddb, emr, sns = _client("s3"), _client("dynamodb"), _client("emr-serverless"), _client("sns")
    records = _records(event)
    if not records:
        raise ValueError("event has no S3 object records (expected an S3 ObjectCreated notification)")
    contracts = load_contracts(s3)
    results = []
    for rec in records:
        key, bucket = rec["key"], rec["bucket"]
        when = rec["time"] or datetime.now(UTC).isoformat()
        execution_date = when[:10]
        table, contract, reason = check(key, rec["size"], contracts, s3, bucket)
        # Everything under landing/ belongs to the s3_landing source, matched or not.
        source = (contract or {}).get("source_system", INGEST_SOURCE)
        item = {"table": table, "bucket": bucket, "size": rec["size"], "etag": rec["etag"],
                "received_at": when, "execution_date": execution_date}  # fmt: skip
        if reason:
            first = record(ddb, source, key, {**item, "status": "refused", "reason": reason})
            log.warning(json.dumps({"event": "landing_refused", "key": key, "reason": reason}))
            if first:
                sns.publish(
                    TopicArn=_env("WARNING_TOPIC_ARN"),
                    Subject=f"[{_env('ENVIRONMENT')}] Landing file refused"[:100],
                    Message=json.dumps(
                        {"event": "landing_refused", "bucket": bucket, "key": key, "reason": reason}
                    ),
                    MessageAttributes={"origin": {"DataType": "String", "StringValue": "landing_trigger"}},
                )
            results.append({"key": key, "status": "refused", "reason": reason})
            continue
        # Read before the file is recorded: a deployment without its run configuration fails (and the
        # event is retried) without leaving the file marked accepted.
        overrides = load_overrides(s3)
        if not record(ddb, source, key, {**item, "status": "accepted"}):
            log.info(json.dumps({"event": "landing_duplicate", "key": key}))
            results.append({"key": key, "status": "duplicate"})
            continue
        ledger_key = {"pk": {"S": f"{LEDGER_PREFIX}{source}"}, "sk": {"S": key}}
        try:
            run_id = start_ingest(emr, key, rec["etag"], execution_date, overrides)
        except ClientError as exc:
            # Leave the file retryable (Lambda's async retries re-deliver the event), then fail loudly.
            ddb.update_item(
                TableName=_env("STATE_TABLE"), Key=ledger_key,
                UpdateExpression="SET #s = :s, reason = :r",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": {"S": "start_failed"}, ":r": {"S": str(exc)}},
            )  # fmt: skip
            raise
        ddb.update_item(
            TableName=_env("STATE_TABLE"),
            Key=ledger_key,
            UpdateExpression="SET job_run_id = :r",
            ExpressionAttributeValues={":r": {"S": run_id}},
        )
        log.info(json.dumps({"event": "landing_accepted", "key": key, "table": table, "job_run_id": run_id}))
        results.append({"key": key, "status": "accepted", "table": table, "job_run_id": run_id})
    return {"results": results}
