"""Extractors, one module per source system. Each has the real connector path (``cfg.source_mode ==
"aws"``) and the local path (stand-ins), and returns ``{table: ExtractResult}`` — one entry per bronze
table the source feeds (a source such as Snowflake feeds several tables, each with its own watermark)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SOURCES = ("snowflake", "redshift", "salesforce", "s3_landing", "kafka", "fx_api")
WATERMARK_JOB = "bronze"  # state key: watermark#bronze / <table>
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?)?$")


@dataclass
class ExtractResult:
    df: Any  # Spark DataFrame (raw: values may still be strings; bronze validates and casts)
    new_watermark: str | None  # advance to this after the bronze write commits (None: unchanged)
    source_rows: int | None = None  # rows the source reported, when it reports them
    batch_key: str = ""  # identifies the input range/files: the same input gives the same batch id
    files: list[tuple[str, str]] = field(default_factory=list)  # landing (key, etag) to record after commit
    refused: list[dict[str, str]] = field(
        default_factory=list
    )  # whole files refused: key, reason_code, reason


def safe_watermark(value: str | None, source: str) -> str | None:
    """Watermarks end up inside SQL/SOQL predicates: accept only a plain date/timestamp literal."""
    if value is None:
        return None
    if not isinstance(value, str) or not _TS.match(value):
        raise ValueError(
            f"{source}: refusing watermark {value!r} (expected 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]')"
        )
    return value.replace("T", " ")


def max_watermark(df, column: str, current: str | None) -> str | None:
    """The highest parseable value of ``column`` in ``df`` (as 'YYYY-MM-DD HH:MM:SS[.ffffff]'), never
    lower than ``current``."""
    from pyspark.sql import functions as F

    row = df.select(F.max(F.expr(f"try_cast(`{column}` AS timestamp)")).alias("m")).collect()[0]
    if row["m"] is None:
        return current
    new = row["m"].isoformat(sep=" ")
    return new if current is None or new > current.replace("T", " ") else current


def get_module(source: str):
    import importlib

    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; allowed: {', '.join(SOURCES)}")
    return importlib.import_module(f"lakehouse.sources.{source}")
