"""Failure notifier: EMR Serverless job failures and data-quality failures -> SNS (critical) and Slack.

Accepted events:
* EventBridge ``EMR Serverless Job Run State Change`` with ``detail.state`` FAILED (or CANCELLED);
* a data-quality failure, either as an EventBridge event with ``detail-type`` ``Lakehouse DQ Failure``
  or as an SNS record whose message is the same JSON. Its shape (what ``lakehouse.dq.alerts`` publishes when
  the quality job or the gold gate finds a critical failure)::

      {"event_type": "dq_failure", "environment": "prod", "job": "dq_silver", "suite": "silver",
       "execution_date": "2024-06-01", "run_id": "...", "critical_failures": 2, "warning_failures": 1,
       "failed_checks": [{"table": "silver/orders", "check": "not_null:order_id", "severity": "critical",
                          "observed": 12, "expected": "0 failing rows"}],
       "report_uri": "s3://.../audit/reports/dq_<run_id>.json"}

Environment (docs/interfaces.md): ENVIRONMENT, CRITICAL_TOPIC_ARN, SLACK_SECRET_NAME.
Messages this function (or Airflow, or the landing trigger) published carry an ``origin`` attribute and
are ignored when they come back through a subscription, so a topic can never feed itself.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import urllib.parse
import urllib.request
from typing import Any

import boto3

log = logging.getLogger()
log.setLevel(logging.INFO)

EMR_DETAIL_TYPE = "EMR Serverless Job Run State Change"
DQ_DETAIL_TYPE = "Lakehouse DQ Failure"
FAILED_STATES = ("FAILED", "CANCELLED")
MAX_CHECKS_LISTED = 10
ORIGIN = "failure_notifier"


class UnknownEvent(ValueError):
    """The event is neither an EMR job-state change nor a DQ failure."""


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def format_emr(detail: dict[str, Any], region: str | None = None) -> dict[str, str] | None:
    state = detail.get("state")
    if state not in FAILED_STATES:
        return None  # only failures are worth a page
    app, run = detail.get("applicationId", "?"), detail.get("jobRunId", "?")
    name = detail.get("jobRunName") or run
    lines = [
        f"EMR Serverless job run {state}: {name}",
        f"Application: {app}",
        f"Job run: {run}",
        f"Reason: {detail.get('stateDetails') or 'not given'}",
    ]
    if region:
        lines.append(
            f"Console: https://{region}.console.aws.amazon.com/emr/home?region={region}#/serverless-applications/{app}"
        )
    return {"subject": f"EMR job {state.lower()}: {name}", "text": "\n".join(lines)}


def format_dq(payload: dict[str, Any]) -> dict[str, str]:
    for key in ("job", "execution_date"):
        if key not in payload:
            raise UnknownEvent(f"DQ failure event is missing '{key}'")
    checks = payload.get("failed_checks") or []
    lines = [
        f"Data-quality failure: {payload['job']} (suite {payload.get('suite', '?')}) for {payload['execution_date']}",
        f"Critical failures: {payload.get('critical_failures', 0)}, warnings: {payload.get('warning_failures', 0)}",
        "Gold was not published for this run."
        if payload.get("critical_failures")
        else "Gold publication not blocked.",
    ]
    for c in checks[:MAX_CHECKS_LISTED]:
        lines.append(
            f"- [{c.get('severity', '?')}] {c.get('table', '?')}: {c.get('check', '?')} "
            f"(observed {c.get('observed', '?')}, expected {c.get('expected', '?')})"
        )
    if len(checks) > MAX_CHECKS_LISTED:
        lines.append(f"... and {len(checks) - MAX_CHECKS_LISTED} more")
    if payload.get("report_uri"):
        lines.append(f"Report: {payload['report_uri']}")
    return {"subject": f"DQ failure: {payload['job']} {payload['execution_date']}", "text": "\n".join(lines)}


def messages(event: dict[str, Any]) -> list[dict[str, str]]:
    """The notifications an event calls for (possibly none)."""
    detail_type = event.get("detail-type")
    if detail_type == EMR_DETAIL_TYPE:
        msg = format_emr(event.get("detail") or {}, event.get("region"))
        return [msg] if msg else []
    if detail_type == DQ_DETAIL_TYPE:
        return [format_dq(event.get("detail") or {})]
    records = event.get("Records")
    if records:
        out = []
        for rec in records:
            sns = rec.get("Sns") or {}
            if "origin" in (sns.get("MessageAttributes") or {}):
                continue  # a notification we (or a sibling) sent: never re-send it
            try:
                payload = json.loads(sns.get("Message", ""))
            except json.JSONDecodeError as exc:
                raise UnknownEvent(f"SNS message is not JSON: {exc}") from exc
            if payload.get("event_type") != "dq_failure":
                raise UnknownEvent(
                    f"SNS message has event_type {payload.get('event_type')!r}, expected 'dq_failure'"
                )
            out.append(format_dq(payload))
        return out
    raise UnknownEvent(f"unsupported event (detail-type {detail_type!r}, no SNS records)")


def slack_url(secret_value: str) -> str:
    value = secret_value.strip()
    if value.startswith("{"):
        value = str(json.loads(value).get("webhook_url", ""))
    parsed = urllib.parse.urlparse(value)
    try:
        loopback = ipaddress.ip_address(parsed.hostname or "").is_loopback
    except ValueError:
        loopback = parsed.hostname == "localhost"
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise ValueError("the Slack webhook secret must hold an https:// URL")
    return value


def post_slack(url: str, subject: str, text: str) -> int:
    body = {"text": f":rotating_light: *{subject}*\n{text}"}
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - scheme checked in slack_url
        return resp.status


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    env = _env("ENVIRONMENT")
    to_send = messages(event)
    if not to_send:
        return {"sent": 0}
    sns = boto3.client("sns")
    for msg in to_send:  # the page first: nothing about Slack may keep it from going out
        sns.publish(
            TopicArn=_env("CRITICAL_TOPIC_ARN"),
            Subject=f"[{env}] {msg['subject']}"[:100],  # SNS subject limit
            Message=msg["text"],
            MessageAttributes={"origin": {"DataType": "String", "StringValue": ORIGIN}},
        )
    slack_errors = []
    try:
        # Terraform creates the secret without a value (the operator puts the webhook in): until then, or
        # with a malformed value, only Slack is skipped
        url = slack_url(
            boto3.client("secretsmanager").get_secret_value(SecretId=_env("SLACK_SECRET_NAME"))[
                "SecretString"
            ]
        )
    except Exception as exc:  # noqa: BLE001 - SNS already carries the alert; a retry would page twice
        log.error(json.dumps({"event": "slack_unavailable", "error": f"{type(exc).__name__}: {exc}"}))
        return {"sent": len(to_send), "slack_errors": [f"webhook unavailable: {type(exc).__name__}"]}
    for msg in to_send:
        try:
            post_slack(url, f"[{env}] {msg['subject']}", msg["text"])
        except OSError as exc:
            # SNS already carries the alert; Slack being down must not make the event retry (duplicate pages).
            log.error(json.dumps({"event": "slack_failed", "error": str(exc)}))
            slack_errors.append(str(exc))
    return {"sent": len(to_send), "slack_errors": slack_errors}
