"""The landing trigger accepts files that match a contract (once) and refuses the rest with a reason."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

ART, LAKE, TABLE = "lakehouse-dev-artifacts-1", "lakehouse-dev-lake-1", "lakehouse-dev-state"
INDEX = {
    "erp_invoices": {"layer": "bronze", "source_system": "s3_landing",
                     "landing": {"prefix": "erp/", "pattern": "erp_invoices_*.csv", "format": "csv", "max_bytes": 1000}},
    "vendor_catalog": {"layer": "bronze", "source_system": "s3_landing",
                       "landing": {"prefix": "vendor/", "pattern": "vendor_catalog_*.parquet", "format": "parquet",
                                   "max_bytes": 1000}},
    "orders": {"layer": "bronze", "source_system": "snowflake"},
}  # fmt: skip
# The shape modules/emr_serverless publishes (its configuration_overrides output).
OVERRIDES = {
    "applicationConfiguration": [{"classification": "spark-defaults", "properties": {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.jars": "/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar",
        "spark.hadoop.hive.metastore.client.factory.class":
            "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory",
    }}],
    "monitoringConfiguration": {
        "s3MonitoringConfiguration": {"logUri": f"s3://{ART}/logs/emr/", "encryptionKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/lake"},
        "cloudWatchLoggingConfiguration": {"enabled": True, "logGroupName": "/aws/emr-serverless/lakehouse-dev",
                                           "encryptionKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/logs"},
    },
}  # fmt: skip


@pytest.fixture()
def env(monkeypatch, landing_trigger):
    with mock_aws():
        s3 = boto3.client("s3")
        for b in (ART, LAKE):
            s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket=ART, Key="contracts/index.json", Body=json.dumps(INDEX))
        s3.put_object(Bucket=ART, Key="config/emr_configuration_overrides.json", Body=json.dumps(OVERRIDES))
        # moto's GetJobRun does not echo configurationOverrides: capture what StartJobRun is sent.
        boto3.setup_default_session()
        started: list[dict] = []
        boto3.DEFAULT_SESSION.events.register(
            "provide-client-params.emr-serverless.StartJobRun", lambda params, **_: started.append(params)
        )
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        )  # fmt: skip
        emr = boto3.client("emr-serverless")
        app = emr.create_application(name="lakehouse-dev-spark", releaseLabel="emr-7.12.0", type="SPARK")[
            "applicationId"
        ]
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="lakehouse-dev-warning")["TopicArn"]
        queue = sqs.create_queue(QueueName="warning")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        for k, v in {
            "ENVIRONMENT": "dev", "STATE_TABLE": TABLE, "ARTIFACTS_BUCKET": ART, "EMR_APPLICATION_ID": app,
            "EMR_EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/lakehouse-dev-emr-job",
            "CODE_ROOT": f"s3://{ART}/code", "JOB_CONFIG_URI": f"s3://{ART}/config/job_config.json",
            "WARNING_TOPIC_ARN": topic,
        }.items():  # fmt: skip
            monkeypatch.setenv(k, v)
        mod = landing_trigger

        def drop(key: str, body: bytes) -> dict:
            s3.put_object(Bucket=LAKE, Key=key, Body=body)
            head = s3.head_object(Bucket=LAKE, Key=key)
            return {"Records": [{"eventTime": "2024-06-01T10:00:00.000Z", "s3": {
                "bucket": {"name": LAKE}, "object": {"key": key, "size": len(body), "eTag": head["ETag"].strip('"')}}}]}  # fmt: skip

        def warnings() -> list[dict]:
            msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(json.loads(m["Body"])["Message"]) for m in msgs]

        def ledger(key: str) -> dict | None:
            return ddb.get_item(
                TableName=TABLE, Key={"pk": {"S": "landing#s3_landing"}, "sk": {"S": key}}
            ).get("Item")

        def runs() -> list[dict]:
            try:
                listed = emr.list_job_runs(applicationId=app)["jobRuns"]
            except emr.exceptions.ResourceNotFoundException:
                # moto 5.2.5 answers "application does not exist" until its first job run: no runs.
                emr.get_application(applicationId=app)  # the application itself must exist
                listed = []
            ids = [r["id"] for r in listed]
            return [emr.get_job_run(applicationId=app, jobRunId=i)["jobRun"] for i in ids]

        def job_ledger() -> list[dict]:
            return ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "file#s3_landing"}})["Items"]  # fmt: skip

        yield {
            "mod": mod,
            "drop": drop,
            "warnings": warnings,
            "ledger": ledger,
            "runs": runs,
            "job_ledger": job_ledger,
            "started": started,
            "s3": s3,
        }


CSV = b"invoice_id,order_id,invoice_date,amount,currency,status\nI1,O1,2024-06-01,10.00,EUR,open\n"


def test_a_matching_file_is_recorded_and_starts_the_ingest_job(env):
    key = "landing/erp/erp_invoices_20240601.csv"
    out = env["mod"].handler(env["drop"](key, CSV))
    [result] = out["results"]
    assert result["status"] == "accepted" and result["table"] == "erp_invoices"
    item = env["ledger"](key)
    assert item["status"]["S"] == "accepted" and item["job_run_id"]["S"] == result["job_run_id"]
    [run] = env["runs"]()
    driver = run["jobDriver"]["sparkSubmit"]
    assert driver["entryPoint"] == f"s3://{ART}/code/entrypoints/ingest.py"
    assert driver["entryPointArguments"][:4] == ["--env", "dev", "--execution-date", "2024-06-01"]
    assert driver["entryPointArguments"][-2:] == ["--source", "s3_landing"]
    [request] = env["started"]
    assert request["configurationOverrides"] == OVERRIDES  # Delta, Glue metastore, logging
    assert env["warnings"]() == []
    # The ingest job's own ledger (file#s3_landing = "loaded") is left to the job, or it would skip the file.
    assert env["job_ledger"]() == []


def test_the_same_file_is_processed_once(env):
    key = "landing/erp/erp_invoices_20240601.csv"
    event = env["drop"](key, CSV)
    env["mod"].handler(event)
    again = env["mod"].handler(event)  # S3 delivers at least once
    assert again["results"] == [{"key": key, "status": "duplicate"}]
    assert len(env["runs"]()) == 1


@pytest.mark.parametrize(
    "key, body, reason",
    [
        (
            "landing/hr/payroll_2024.xlsx",
            b"PK\x03\x04",
            "no landing contract matches 'landing/hr/payroll_2024.xlsx'",
        ),
        ("landing/erp/erp_invoices_big.csv", b"a,b\n" + b"x" * 2000, "over the contract limit of 1000 bytes"),
        ("landing/erp/erp_invoices_empty.csv", b"", "is empty"),
        ("landing/erp/erp_invoices_json.csv", b'{"invoice_id": "I1"}\n', "looks like JSON, not CSV"),
        ("landing/vendor/vendor_catalog_1.parquet", b"not parquet at all", "Parquet magic bytes"),
    ],
)
def test_a_bad_file_is_refused_with_a_reason_and_nothing_is_started(env, key, body, reason):
    out = env["mod"].handler(env["drop"](key, body))
    [result] = out["results"]
    assert result["status"] == "refused" and reason in result["reason"]
    assert env["runs"]() == []
    [warning] = env["warnings"]()
    assert warning["key"] == key and reason in warning["reason"]
    item = env["ledger"](key)
    assert item["status"]["S"] == "refused" and reason in item["reason"]["S"]


def test_a_refused_file_dropped_again_fixed_is_accepted(env):
    key = "landing/erp/erp_invoices_20240602.csv"
    assert env["mod"].handler(env["drop"](key, b""))["results"][0]["status"] == "refused"
    assert env["mod"].handler(env["drop"](key, CSV))["results"][0]["status"] == "accepted"
    assert len(env["runs"]()) == 1


def test_a_valid_parquet_file_is_accepted(env):
    body = b"PAR1" + b"\x00" * 20 + b"PAR1"
    out = env["mod"].handler(env["drop"]("landing/vendor/vendor_catalog_2024.parquet", body))
    assert out["results"][0]["status"] == "accepted" and out["results"][0]["table"] == "vendor_catalog"


def test_an_event_without_s3_records_is_an_error(env):
    with pytest.raises(ValueError, match="no S3 object records"):
        env["mod"].handler({"foo": "bar"})


def test_without_the_run_configuration_nothing_is_recorded_or_started(env):
    env["s3"].delete_object(Bucket=ART, Key="config/emr_configuration_overrides.json")
    key = "landing/erp/erp_invoices_20240602.csv"
    with pytest.raises(RuntimeError, match="config/emr_configuration_overrides.json"):
        env["mod"].handler(env["drop"](key, CSV))
    # The event is retried by Lambda; the file is neither marked accepted nor started.
    assert env["ledger"](key) is None and env["runs"]() == []


def test_run_configuration_with_unknown_keys_is_refused(env):
    bad = {**OVERRIDES, "sparkSubmitParameters": "--conf x=y"}
    env["s3"].put_object(Bucket=ART, Key="config/emr_configuration_overrides.json", Body=json.dumps(bad))
    with pytest.raises(RuntimeError, match="unknown key\\(s\\) sparkSubmitParameters"):
        env["mod"].handler(env["drop"]("landing/erp/erp_invoices_20240603.csv", CSV))
    assert env["runs"]() == []


def test_contracts_and_run_configuration_are_cached_per_container(env):
    mod = env["mod"]
    env["mod"].handler(env["drop"]("landing/erp/erp_invoices_20240604.csv", CSV))
    # A warm container does not re-read either document for the next event...
    env["s3"].delete_object(Bucket=ART, Key="config/emr_configuration_overrides.json")
    env["s3"].delete_object(Bucket=ART, Key="contracts/index.json")
    out = mod.handler(env["drop"]("landing/erp/erp_invoices_20240605.csv", CSV))
    assert out["results"][0]["status"] == "accepted"
    assert env["started"][-1]["configurationOverrides"] == OVERRIDES
    # ...until the cache expires (then a missing document is one clear error).
    for key, (loaded, value) in list(mod._cache.items()):
        mod._cache[key] = (loaded - mod._CACHE_TTL_SECONDS - 1, value)
    with pytest.raises(RuntimeError, match="cannot read s3://"):
        mod.handler(env["drop"]("landing/erp/erp_invoices_20240606.csv", CSV))
