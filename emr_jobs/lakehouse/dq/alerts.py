"""A critical DQ failure as an EventBridge event the failure notifier (lambda/failure_notifier) turns into one
SNS + Slack message listing the failed checks — the page an EMR "job failed" event cannot give.

The event: source ``lakehouse.quality``, detail-type ``Lakehouse DQ Failure`` on the account's default bus
(terraform/modules/cloudwatch routes it to the notifier). Sent only in an AWS deployment (the job
configuration names its notification topics); locally the failure is in the log and the run report.
"""

from __future__ import annotations

import json
from typing import Any

from lakehouse.dq.engine import SuiteResult

SOURCE = "lakehouse.quality"
DETAIL_TYPE = "Lakehouse DQ Failure"  # lambda/failure_notifier/handler.py DQ_DETAIL_TYPE
MAX_CHECKS = 25  # keeps the event far below EventBridge's 256 KB


def failure_detail(cfg, result: SuiteResult, job: str, report_uri: str | None) -> dict[str, Any]:
    """The notifier's ``dq_failure`` payload: critical failures first, then warnings."""
    failed = result.critical_failures + result.warning_failures
    return {
        "event_type": "dq_failure",
        "environment": cfg.environment,
        "job": job,
        "suite": result.suite,
        "execution_date": result.execution_date.isoformat(),
        "run_id": result.run_id,
        "critical_failures": len(result.critical_failures),
        "warning_failures": len(result.warning_failures),
        "failed_checks": [
            {
                "table": r.table,
                "check": r.name,
                "severity": r.severity,
                "observed": r.observed,
                "expected": r.threshold,
            }
            for r in failed[:MAX_CHECKS]
        ],
        "report_uri": report_uri,
    }


def publish_failure(cfg, result: SuiteResult, job: str, report_uri: str | None, log) -> bool:
    """Send the event when critical checks failed and this is an AWS deployment; True when sent. A failure to
    send is logged, never raised: the job fails anyway and the EMR and Airflow failure pages still go out."""
    if result.passed_critical or not cfg.notifications:
        return False
    from lakehouse.aws import client

    entry = {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(failure_detail(cfg, result, job, report_uri), default=str),
    }
    try:
        out = client("events", cfg.region, cfg.endpoint_url).put_events(Entries=[entry])
        if out.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused the event: {out['Entries'][0].get('ErrorMessage')}")
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.error("could not publish the DQ failure event: %s: %s", type(exc).__name__, exc)
        return False
    log.info("DQ failure event published", extra={"dq_suite": result.suite, "job": job})
    return True
