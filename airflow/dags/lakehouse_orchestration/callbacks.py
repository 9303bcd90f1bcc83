"""Failure, SLA and deadline notifications: SNS (topic ARNs from the job configuration) and Slack
(webhook URL read from Secrets Manager, secret name from the job configuration).

A notification that cannot be delivered is logged and never raised: a broken Slack webhook must not turn
a failed task's callback into a second failure that hides the first.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import urllib.parse
import urllib.request
from typing import Any

from lakehouse_orchestration.config import load_job_config

log = logging.getLogger(__name__)
AWS_CONN_ID = "aws_default"
SNS_SUBJECT_MAX = 100  # SNS refuses longer subjects


def _sns_publish(topic_arn: str | None, subject: str, message: str) -> bool:
    if not topic_arn:
        log.warning("no SNS topic configured; not sent: %s", subject)
        return False
    from airflow.providers.amazon.aws.hooks.sns import SnsHook

    try:
        SnsHook(aws_conn_id=AWS_CONN_ID).publish_to_target(
            target_arn=topic_arn,
            message=message,
            subject=subject[:SNS_SUBJECT_MAX],
            # The failure-notifier Lambda skips messages that carry an origin, so nothing loops.
            message_attributes={"origin": "airflow"},
        )
        return True
    except Exception:  # noqa: BLE001 - a notification failure must not mask the task failure
        log.exception("could not publish to SNS topic %s", topic_arn)
        return False


def slack_webhook_url(secret_value: str) -> str:
    """The secret holds the URL itself or JSON ``{"webhook_url": "..."}``; only https (or loopback) is sent to."""
    value = secret_value.strip()
    if value.startswith("{"):
        value = str(json.loads(value).get("webhook_url", ""))
    parsed = urllib.parse.urlparse(value)
    loopback = False
    try:
        loopback = ipaddress.ip_address(parsed.hostname or "").is_loopback
    except ValueError:
        loopback = parsed.hostname == "localhost"
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise ValueError("the Slack webhook secret must hold an https:// URL")
    return value


def _slack_post(secret_name: str | None, text: str) -> bool:
    if not secret_name:
        log.warning("no Slack webhook secret configured; not sent")
        return False
    from airflow.providers.amazon.aws.hooks.secrets_manager import SecretsManagerHook

    try:
        url = slack_webhook_url(str(SecretsManagerHook(aws_conn_id=AWS_CONN_ID).get_secret(secret_name)))
        req = urllib.request.Request(
            url,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - scheme checked above
            return 200 <= resp.status < 300
    except Exception:  # noqa: BLE001
        log.exception("could not post to Slack (secret %s)", secret_name)
        return False


def notify(severity: str, subject: str, lines: list[str]) -> dict[str, bool]:
    """Send one message to the SNS topic of ``severity`` (critical|warning) and to Slack."""
    cfg = load_job_config()
    topic = cfg.notification(f"{severity}_topic_arn")
    text = "\n".join(lines)
    return {
        "sns": _sns_publish(topic, f"[{cfg.environment}] {subject}", text),
        "slack": _slack_post(cfg.secret("slack_webhook"), f":rotating_light: *{subject}*\n{text}"),
    }


def _ti_field(ti: Any, name: str) -> Any:
    return getattr(ti, name, None) if ti is not None else None


def task_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every task: what failed, which try, why, and where the log is."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = _ti_field(ti, "dag_id") or getattr(context.get("dag"), "dag_id", "?")
    task_id = _ti_field(ti, "task_id") or "?"
    map_index = _ti_field(ti, "map_index")
    run_id = _ti_field(ti, "run_id") or context.get("run_id", "?")
    lines = [
        f"DAG: {dag_id}",
        f"Task: {task_id}" + (f" [{map_index}]" if map_index not in (None, -1) else ""),
        f"Run: {run_id}",
        f"Try: {_ti_field(ti, 'try_number')}",
        f"Error: {context.get('exception') or 'see the task log'}",
    ]
    log_url = _ti_field(ti, "log_url")
    if log_url:
        lines.append(f"Log: {log_url}")
    notify("critical", f"Airflow task failed: {dag_id}.{task_id}", lines)


def sla_missed(job: str, sla_minutes: int, elapsed_minutes: float, job_run_id: str) -> None:
    notify(
        "warning",
        f"SLA missed: {job} took {elapsed_minutes:.0f} min (SLA {sla_minutes} min)",
        [
            f"Job: {job}",
            f"EMR job run: {job_run_id}",
            f"Elapsed: {elapsed_minutes:.1f} min",
            f"SLA: {sla_minutes} min",
        ],
    )


def deadline_missed(context: dict[str, Any] | None = None, dag_id: str = "?", minutes: int = 0) -> None:
    """Deadline-alert callback (Airflow 3 replaced task ``sla`` with DAG deadline alerts)."""
    run = (context or {}).get("dag_run") or {}
    notify(
        "warning",
        f"Deadline missed: {dag_id} not finished {minutes} min after it was queued",
        [f"DAG: {dag_id}", f"Run: {run.get('dag_run_id', '?')}", f"State: {run.get('state', '?')}"],
    )
