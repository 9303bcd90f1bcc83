"""The failure notifier turns EMR job failures and DQ failures into one SNS message and one Slack post."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

DQ = {
    "event_type": "dq_failure", "environment": "dev", "job": "dq_silver", "suite": "silver",
    "execution_date": "2024-06-01", "run_id": "scheduled__2024-06-01", "critical_failures": 1, "warning_failures": 0,
    "failed_checks": [{"table": "orders", "check": "not_null(order_id)", "severity": "critical", "observed": 3, "expected": 0}],
    "report_uri": "s3://lake/audit/dq_reports/2024-06-01.json",
}  # fmt: skip


@pytest.fixture()
def env(monkeypatch, slack_server, failure_notifier):
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="lakehouse-dev-critical")["TopicArn"]
        queue = sqs.create_queue(QueueName="critical")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        boto3.client("secretsmanager").create_secret(
            Name="lakehouse-dev/slack-webhook", SecretString=json.dumps({"webhook_url": slack_server["url"]})
        )
        monkeypatch.setenv("ENVIRONMENT", "dev")
        monkeypatch.setenv("CRITICAL_TOPIC_ARN", topic)
        monkeypatch.setenv("SLACK_SECRET_NAME", "lakehouse-dev/slack-webhook")

        def published() -> list[dict]:
            msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(m["Body"]) for m in msgs]

        yield {"mod": failure_notifier, "published": published, "slack": slack_server}


def emr_event(state: str) -> dict:
    return {
        "detail-type": "EMR Serverless Job Run State Change", "source": "aws.emr-serverless", "region": "eu-west-1",
        "detail": {"jobRunId": "00jr1", "jobRunName": "lakehouse-dev-silver_to_gold-2024-06-01", "applicationId": "00app",
                   "state": state, "stateDetails": "Job failed, ExitCode: 1. OutOfMemoryError"},
    }  # fmt: skip


def test_an_emr_job_failure_goes_to_sns_and_slack(env):
    assert env["mod"].handler(emr_event("FAILED"))["sent"] == 1
    [msg] = env["published"]()
    assert msg["Subject"] == "[dev] EMR job failed: lakehouse-dev-silver_to_gold-2024-06-01"
    assert "OutOfMemoryError" in msg["Message"] and "Job run: 00jr1" in msg["Message"]
    [post] = env["slack"]["received"]
    assert "EMR job failed" in post["text"] and "OutOfMemoryError" in post["text"]


def test_a_successful_job_state_sends_nothing(env):
    assert env["mod"].handler(emr_event("SUCCESS")) == {"sent": 0}
    assert env["published"]() == [] and env["slack"]["received"] == []


def test_a_dq_failure_lists_the_failed_checks(env):
    event = {"detail-type": "Lakehouse DQ Failure", "source": "lakehouse.quality", "detail": DQ}
    env["mod"].handler(event)
    [msg] = env["published"]()
    assert msg["Subject"] == "[dev] DQ failure: dq_silver 2024-06-01"
    assert "[critical] orders: not_null(order_id) (observed 3, expected 0)" in msg["Message"]
    assert "Gold was not published" in msg["Message"]
    assert "not_null(order_id)" in env["slack"]["received"][0]["text"]


def test_dq_failures_arriving_by_sns_are_formatted_and_our_own_messages_ignored(env):
    event = {"Records": [
        {"Sns": {"Message": json.dumps(DQ), "MessageAttributes": {}}},
        {"Sns": {"Message": "EMR job failed ...", "MessageAttributes": {"origin": {"Type": "String", "Value": "failure_notifier"}}}},
    ]}  # fmt: skip
    assert env["mod"].handler(event)["sent"] == 1
    assert len(env["published"]()) == 1


def test_slack_down_still_pages_through_sns(env):
    env["slack"]["status"]["code"] = 500
    out = env["mod"].handler(emr_event("FAILED"))
    assert out["sent"] == 1 and len(out["slack_errors"]) == 1
    assert len(env["published"]()) == 1


def test_an_unknown_event_is_refused_by_name(env):
    with pytest.raises(env["mod"].UnknownEvent, match="unsupported event"):
        env["mod"].handler({"detail-type": "Something Else"})


def test_a_non_https_webhook_is_refused(env):
    with pytest.raises(ValueError, match="https"):
        env["mod"].slack_url("http://hooks.slack.example.com/services/x")


def test_a_webhook_secret_without_a_value_still_pages_through_sns(env):
    # Terraform creates the secret empty; the operator puts the webhook in later
    sm = boto3.client("secretsmanager")
    sm.delete_secret(SecretId="lakehouse-dev/slack-webhook", ForceDeleteWithoutRecovery=True)
    sm.create_secret(Name="lakehouse-dev/slack-webhook")
    out = env["mod"].handler(emr_event("FAILED"))
    assert out["sent"] == 1 and out["slack_errors"] == ["webhook unavailable: ResourceNotFoundException"]
    [msg] = env["published"]()
    assert msg["Subject"] == "[dev] EMR job failed: lakehouse-dev-silver_to_gold-2024-06-01"
    assert env["slack"]["received"] == []


def test_the_quality_jobs_dq_failure_event_reaches_the_notifier_and_lists_the_checks(env):
    """Producer and consumer agree: lakehouse.dq.alerts puts the event on the default bus, a rule shaped like
    terraform/modules/cloudwatch's dq_failed routes it, and the notifier pages with the failed checks."""
    from datetime import date
    from types import SimpleNamespace

    from lakehouse import aws
    from lakehouse.dq import alerts
    from lakehouse.dq.engine import CheckResult, SuiteResult

    aws.client.cache_clear()  # clients built before mock_aws would reach the real endpoint
    result = SuiteResult("silver", "scheduled__2024-06-01.dq_silver", date(2024, 6, 1))
    result.results = [
        CheckResult("silver", "silver/orders", "not_null", "not_null:order_id", "order_id", "critical", False,
                    3.0, 3, 100, "0 failing rows", "3 of 100 rows have null order_id"),
        CheckResult("silver", "silver/orders", "unique", "unique:order_id", "order_id", "critical", True,
                    0.0, 0, 100, "0 failing rows", "0 duplicate row(s) on (order_id)"),
    ]  # fmt: skip
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="dq-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="dq-failed",
        EventPattern=json.dumps({"source": [alerts.SOURCE], "detail-type": [alerts.DETAIL_TYPE]}),
    )
    events.put_targets(Rule="dq-failed", Targets=[{"Id": "q", "Arn": qarn}])
    cfg = SimpleNamespace(
        environment="dev", region="eu-west-1", endpoint_url=None, notifications={"critical_topic_arn": "x"}
    )
    log = SimpleNamespace(info=lambda *a, **k: None, error=lambda *a, **k: pytest.fail(f"{a}"))

    assert alerts.publish_failure(cfg, result, "dq_silver", "s3://lake/audit/reports/dq_r.json", log)
    [delivered] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(delivered["Body"])
    assert event["detail"]["failed_checks"] == [
        {"table": "silver/orders", "check": "not_null:order_id", "severity": "critical", "observed": 3.0,
         "expected": "0 failing rows"}
    ]  # fmt: skip
    assert env["mod"].handler(event)["sent"] == 1
    [msg] = env["published"]()
    assert msg["Subject"] == "[dev] DQ failure: dq_silver 2024-06-01"
    assert (
        "[critical] silver/orders: not_null:order_id (observed 3.0, expected 0 failing rows)"
        in msg["Message"]
    )
    assert "Report: s3://lake/audit/reports/dq_r.json" in msg["Message"]

    # nothing is sent for a passing suite, or outside an AWS deployment (no notification topics)
    result.results = result.results[1:]
    assert not alerts.publish_failure(cfg, result, "dq_silver", None, log)
    result.results = [
        CheckResult(
            "silver", "silver/orders", "range", "range:qty", "qty", "critical", False, 1.0, 1, 9, "x", "y"
        )
    ]
    assert not alerts.publish_failure(
        SimpleNamespace(**{**vars(cfg), "notifications": {}}), result, "j", None, log
    )
