"""Bronze ingest: extract -> validate against the contract -> quarantine -> MERGE -> advance watermark.

For every table a source feeds:

1. the extractor returns the rows past the table's watermark (or the new landing files);
2. ``Contract.validate`` splits them into conforming rows (typed, with metadata) and quarantine rows;
3. quarantine rows are merged into ``lake://quarantine/quarantined_rows`` keyed by (table, batch, reason,
   row hash) and valid rows into ``lake://bronze/<table>`` by business key ("latest version wins" on the
   watermark column). The batch id is derived from the input range, so re-running a batch — e.g. after
   a crash before step 4 — writes nothing new;
4. only then the watermark advances / the landing files are recorded.

Returns per-table ``Accounting``: rows_in = loaded + deduplicated + quarantined.
"""

from __future__ import annotations

import logging

from lakehouse import quarantine, tables
from lakehouse.accounting import Accounting
from lakehouse.contracts import load_contract
from lakehouse.metadata import Batch, metadata_columns
from lakehouse.sources import SOURCES, WATERMARK_JOB, get_module

log = logging.getLogger("lakehouse.bronze")


def load_table(spark, cfg, table: str, df, batch: Batch) -> Accounting:
    """Validate one extracted frame and write it; returns the table's accounting.

    Extractors hand over a persisted frame: it is not cached a second time here (counting it is cheap).
    The balance counts the frame itself, not what the source reported.
    """
    from pyspark.sql import functions as F

    contract = load_contract("bronze", table)
    owned = not df.is_cached  # cache only what the caller has not; the caller unpersists its own
    src = df.persist() if owned else df
    try:
        rows_in = src.count()
        valid, quar = contract.validate(src, batch)  # even with no rows: drift of the columns is refused
        if not rows_in:  # nothing past the watermark: no quarantine pass, no MERGE (ingest's ensure_table
            # creates a table that is still missing)
            return Accounting(f"bronze.{table}", rows_in=0)
        quar = quar.persist()
        by_reason = {
            r["reason_code"]: r["n"]
            for r in quar.groupBy("reason_code").agg(F.count("*").alias("n")).collect()
        }
        quarantined = sum(by_reason.values())
        if quarantined:
            quarantine.write(spark, cfg, quar)
        order_col = contract.watermark_column
        stats = tables.merge(
            spark,
            cfg,
            "bronze",
            table,
            valid,
            list(contract.business_key),
            partition_by=contract.partition_by,
            when_matched="update_if_newer" if order_col else "update_if_changed",
            order_col=order_col,
            allow_new_columns=contract.drift == "add_column",
        )
        quar.unpersist()
    finally:
        if owned:
            src.unpersist()
    acct = Accounting(
        f"bronze.{table}",
        rows_in=rows_in,
        loaded=stats.rows_in - stats.deduplicated,
        deduplicated=stats.deduplicated,
        quarantined=quarantined,
        by_reason=by_reason,
    )
    log.info(
        "bronze.%s: in=%d loaded=%d (inserted=%d updated=%d unchanged=%d) dedup=%d quarantined=%d %s",
        table,
        rows_in,
        acct.loaded,
        stats.inserted,
        stats.updated,
        stats.unchanged,
        stats.deduplicated,
        quarantined,
        by_reason,
    )
    return acct


def _refuse_files(spark, cfg, state, refused: list[dict], batch: Batch) -> Accounting:
    """Whole landing files that fit no contract: one quarantine row each, then recorded as seen."""
    import json

    from pyspark.sql import functions as F

    meta = metadata_columns(batch)
    rows = [
        (
            "landing",
            r["reason_code"],
            r["reason"],
            json.dumps({"file": f"landing/{r['key']}", "size": int(r["size"]), "etag": r["etag"]}),
        )
        for r in refused
    ]
    df = spark.createDataFrame(
        rows, "source_table string, reason_code string, reason string, raw_record string"
    )
    df = df.withColumns({"record_hash": F.sha2("raw_record", 256), **{k: v for k, v in meta.items()}})
    quarantine.write(spark, cfg, df)
    for r in refused:
        state.record_file("s3_landing", r["key"], r["etag"])
        log.warning("refused landing file %s: %s", r["key"], r["reason"])
    by_reason: dict[str, int] = {}
    for r in refused:
        by_reason[r["reason_code"]] = by_reason.get(r["reason_code"], 0) + 1
    return Accounting("landing.files", rows_in=len(refused), quarantined=len(refused), by_reason=by_reason)


def ensure_table(spark, cfg, table: str) -> None:
    """An empty bronze table with the contract schema, so readers never meet a missing table."""
    if tables.exists(spark, cfg, "bronze", table):
        return
    contract = load_contract("bronze", table)
    empty = spark.createDataFrame([], contract.spark_schema(with_metadata=True))
    tables.merge(
        spark,
        cfg,
        "bronze",
        table,
        empty,
        list(contract.business_key),
        partition_by=contract.partition_by,
        when_matched="update",
        dedupe=False,
    )


def ingest(ctx, source: str, *, spark=None, **source_kwargs) -> dict[str, Accounting]:
    """Run one source into bronze. ``source_kwargs`` go to the extractor (tests: stand-in URLs, retries)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; allowed: {', '.join(SOURCES)}")
    spark = spark or ctx.spark
    cfg, state = ctx.cfg, ctx.state
    if source == "kafka":
        from lakehouse.sources.kafka import run_kafka

        return run_kafka(ctx, spark=spark, available_now=True, **source_kwargs)
    mod = get_module(source)
    from lakehouse.contracts import contracts_for_source

    tables_of = [c.table for c in contracts_for_source(source)]
    watermarks = {t: state.get_watermark(WATERMARK_JOB, t) for t in tables_of}
    results = mod.extract(cfg, spark, ctx.execution_date, watermarks, state=state, **source_kwargs)
    out: dict[str, Accounting] = {}
    for table, res in results.items():
        batch = Batch.new(source, ctx.execution_date, key=f"{table}|{res.batch_key}")
        if table == "_refused":
            out["landing.files"] = _refuse_files(spark, cfg, state, res.refused, batch)
            continue
        acct = load_table(spark, cfg, table, res.df, batch)
        res.df.unpersist()
        # Commit point passed: only now move the watermark / record the files.
        if res.new_watermark and res.new_watermark != watermarks.get(table):
            state.set_watermark(WATERMARK_JOB, table, res.new_watermark)
        for key, etag in res.files:
            state.record_file("s3_landing", key, etag)
        out[acct.table] = acct
        ctx.count("RecordsIn", acct.rows_in, table=table)
        ctx.count("RecordsOut", acct.loaded, table=table)
        ctx.count("RecordsQuarantined", acct.quarantined, table=table)
    for t in tables_of:
        ensure_table(spark, cfg, t)
    return out
