"""Batch identity and the metadata columns every bronze row carries (glue/_metadata_columns.yaml)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

METADATA_COLUMNS = ("_ingested_at", "_batch_id", "_source_system", "_execution_date")
# A fixed namespace so the same (source, date, input range) always yields the same batch id: a re-run
# of a batch is recognisably the same batch, which is what makes bronze writes idempotent.
_BATCH_NAMESPACE = uuid.UUID("6f1d8e62-3c1b-4a53-9f0e-0c7c2b1f5a10")


@dataclass(frozen=True)
class Batch:
    batch_id: str
    source_system: str
    execution_date: dt.date
    ingested_at: dt.datetime  # UTC, naive (Spark session time zone is UTC)

    @classmethod
    def new(cls, source_system: str, execution_date: dt.date, *, key: str | None = None) -> Batch:
        """A batch; ``key`` (e.g. the watermark the extract started from) makes the id deterministic."""
        if key is None:
            batch_id = str(uuid.uuid4())
        else:
            batch_id = str(
                uuid.uuid5(_BATCH_NAMESPACE, f"{source_system}|{execution_date.isoformat()}|{key}")
            )
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        return cls(batch_id, source_system, execution_date, now)


def metadata_columns(batch: Batch) -> dict:
    """Column name -> Spark Column for the four metadata columns, typed as the contract says."""
    from pyspark.sql import functions as F

    return {
        "_ingested_at": F.lit(batch.ingested_at).cast("timestamp"),
        "_batch_id": F.lit(batch.batch_id).cast("string"),
        "_source_system": F.lit(batch.source_system).cast("string"),
        "_execution_date": F.lit(batch.execution_date).cast("date"),
    }


def add_metadata(df, batch: Batch):
    """Return ``df`` with the metadata columns set from ``batch`` (existing ones are replaced)."""
    cols = metadata_columns(batch)
    base = df.drop(*[c for c in METADATA_COLUMNS if c in df.columns])
    return base.withColumns(cols)
