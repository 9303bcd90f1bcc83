"""The one quarantine table (``glue/quarantine/quarantined_rows.yaml``): rows a contract (bronze) or a rule
(silver) refused, kept verbatim with a reason code and the batch that refused them. Every stage writes it
through ``write``; maintenance expires it (``lakehouse.maintenance.expire_rows``)."""

from __future__ import annotations

from lakehouse import tables
from lakehouse.contracts import load_contract

LAYER, TABLE = "quarantine", "quarantined_rows"


def write(spark, cfg, rows) -> int:
    """Merge quarantine rows, one per refused row (an ``occurrences`` column of ``rows`` is not read):
    identical rows of a batch collapse into one with ``occurrences``, and the contract's business key makes a
    re-run of the batch insert nothing. Returns the rows inserted."""
    from pyspark.sql import functions as F

    contract = load_contract(LAYER, TABLE)
    keys = list(contract.business_key)
    grouped = rows.groupBy(*keys).agg(
        F.first("reason").alias("reason"),
        F.first("raw_record").alias("raw_record"),
        F.count(F.lit(1)).cast("int").alias("occurrences"),
        F.first("_source_system").alias("_source_system"),
        F.first("_execution_date").alias("_execution_date"),
        F.first("_ingested_at").alias("_ingested_at"),
    )
    stats = tables.merge(
        spark,
        cfg,
        LAYER,
        TABLE,
        grouped.select(*contract.column_names),
        keys,
        partition_by=contract.partition_by,
        when_matched="ignore",
        dedupe=False,
    )
    return stats.inserted
