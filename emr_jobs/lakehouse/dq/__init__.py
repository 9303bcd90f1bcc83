"""Data quality: YAML suites (emr_jobs/conf/dq/, format in its README), a one-pass Spark engine, results."""

from lakehouse.dq.alerts import publish_failure
from lakehouse.dq.engine import (
    CheckResult,
    DQError,
    SuiteResult,
    emit_metrics,
    previous_row_counts,
    raise_for_critical,
    row_aggregates,
    run_suite,
)
from lakehouse.dq.results import write_results
from lakehouse.dq.suite import DQConfigError, load_suite

__all__ = [
    "CheckResult",
    "DQConfigError",
    "DQError",
    "SuiteResult",
    "emit_metrics",
    "load_suite",
    "previous_row_counts",
    "publish_failure",
    "raise_for_critical",
    "row_aggregates",
    "run_suite",
    "write_results",
]
