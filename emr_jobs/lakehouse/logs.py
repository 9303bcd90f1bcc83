"""Structured logs: one JSON object per line, the same fields from every job.

Every line carries ``timestamp`` (UTC, ISO 8601), ``level``, ``job``, ``run_id``, ``trace_id``, ``env`` and
``message``, plus whatever the caller passes in ``extra=``. On EMR Serverless stdout/stderr go to the
application's log group, where CloudWatch Logs Insights can query these fields directly.

``trace_id`` ties together the jobs of one pipeline run (Airflow passes its run id in
``LAKEHOUSE_TRACE_ID``); it defaults to the job's run id.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from contextvars import ContextVar
from datetime import datetime, timezone

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged too.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_CONTEXT = ("job", "run_id", "trace_id", "env")
# The job running in this thread (and the threads it starts: lakehouse.concurrency copies the context), so
# module loggers (lakehouse.tables, .bronze, .state, ...) log with the job's context.
_JOB_CONTEXT: ContextVar[dict | None] = ContextVar("lakehouse_job_context", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
        }
        bound = _JOB_CONTEXT.get() or {}
        for key in _CONTEXT:
            doc[key] = getattr(record, key, None) or bound.get(key)
        doc["message"] = record.getMessage()
        doc["logger"] = record.name
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in doc:
                doc[key] = value
        if record.exc_info:
            doc["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(doc, default=str, separators=(",", ":"))


class _ContextAdapter(logging.LoggerAdapter):
    """Merges the job context with per-call ``extra`` (the stdlib adapter would drop the caller's)."""

    def process(self, msg, kwargs):
        # a caller's key that collides with a LogRecord attribute ("args", "name"...) would make logging
        # raise; it is kept under a suffixed name instead of breaking the job
        extra = {(f"{k}_" if k in _RESERVED else k): v for k, v in (kwargs.get("extra") or {}).items()}
        kwargs["extra"] = {**self.extra, **extra}
        return msg, kwargs


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at emit time, not the object it was when the job's logger was
    first built (a redirected or captured stdout would otherwise keep receiving every later job's lines)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _handler(stream) -> logging.Handler:
    handler = logging.StreamHandler(stream) if stream is not None else _StdoutHandler()
    handler.setFormatter(JsonFormatter())
    handler._lakehouse = True  # type: ignore[attr-defined]  # marks our handler so it is added once
    return handler


def get_logger(
    job: str, run_id: str, env: str, trace_id: str | None = None, *, stream=None
) -> logging.LoggerAdapter:
    """A logger whose every line is a JSON object with the job context. The module loggers under
    ``lakehouse`` write JSON lines too, with the context of the job bound in their thread (``bind``)."""
    parent = logging.getLogger("lakehouse")
    if not any(getattr(h, "_lakehouse", False) for h in parent.handlers):
        parent.addHandler(_handler(None))
        parent.setLevel(os.environ.get("LAKEHOUSE_LOG_LEVEL", "INFO").upper())
    logger = logging.getLogger(f"lakehouse.{job}")
    logger.setLevel(os.environ.get("LAKEHOUSE_LOG_LEVEL", "INFO").upper())
    logger.propagate = False  # no second, unstructured copy through the root logger
    for h in [h for h in logger.handlers if getattr(h, "_lakehouse", False)]:
        logger.removeHandler(h)  # one handler per logger, pointed at this call's stream
    logger.addHandler(_handler(stream))
    context = {
        "job": job,
        "run_id": run_id,
        "trace_id": trace_id or os.environ.get("LAKEHOUSE_TRACE_ID") or run_id,
        "env": env,
    }
    return _ContextAdapter(logger, context)


def bind(log: logging.LoggerAdapter):
    """Make ``log``'s job context the one module loggers use in this thread; returns the token for
    ``unbind``."""
    return _JOB_CONTEXT.set(dict(log.extra))


def unbind(token) -> None:
    _JOB_CONTEXT.reset(token)
