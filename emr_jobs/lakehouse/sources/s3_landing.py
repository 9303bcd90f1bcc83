"""S3 landing files (ERP CSV, HR JSON lines, vendor Parquet) under ``<lake>/landing/``.

Each file is matched to the one contract whose ``landing.prefix`` + ``landing.pattern`` it fits; files
already in the state store's ledger are skipped (exactly once: bronze records the file only after its
rows are committed). A file that fits no contract, or is larger than ``max_bytes``, is refused whole with
a reason — never half-ingested. Drift is judged per file (its own header/columns)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

from lakehouse.contracts import CONTROL_COLUMNS, contracts_for_source
from lakehouse.sources import ExtractResult

SOURCE = "s3_landing"


def list_files(cfg) -> list[tuple[str, int, str]]:
    """(key relative to landing/, size, etag) of every landing file (hidden/marker files skipped)."""
    out = []
    if cfg.is_local_lake:
        root = Path(cfg.lake_root.removeprefix("file://")) / "landing"
        for dirpath, _, names in os.walk(root):
            for n in names:
                if n.startswith((".", "_")):
                    continue
                p = Path(dirpath) / n
                out.append(
                    (
                        p.relative_to(root).as_posix(),
                        p.stat().st_size,
                        hashlib.md5(p.read_bytes()).hexdigest(),
                    )
                )  # noqa: S324 - etag, not security
    else:
        from lakehouse.aws import client

        bucket = cfg.lake_bucket
        pages = (
            client("s3", cfg.region, cfg.endpoint_url)
            .get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix="landing/")
        )
        for page in pages:
            for o in page.get("Contents", []):
                key = o["Key"][len("landing/") :]
                if key and not key.endswith("/") and not key.rsplit("/", 1)[-1].startswith((".", "_")):
                    out.append((key, int(o["Size"]), o["ETag"].strip('"')))
    return sorted(out)


def match(contracts, key: str):
    for c in contracts:
        lp = c.landing or {}
        prefix = lp["prefix"].rstrip("/") + "/"
        if (
            key.startswith(prefix)
            and "/" not in key[len(prefix) :]
            and fnmatch.fnmatchcase(key[len(prefix) :], lp["pattern"])
        ):
            return c
    return None


def _read(spark, contract, path: str):
    fmt = contract.landing["format"]
    if fmt == "csv":
        return (
            spark.read.option("header", True)
            .option("inferSchema", False)
            .option("mode", "PERMISSIVE")
            .csv(path)
        )
    if fmt == "json":
        return spark.read.option("primitivesAsString", True).option("mode", "PERMISSIVE").json(path)
    return spark.read.parquet(path)


def extract(cfg, spark, execution_date, watermarks=None, *, state=None, **_) -> dict[str, ExtractResult]:
    from functools import reduce

    from pyspark.sql import functions as F

    if state is None:
        raise ValueError("s3_landing: needs the state store (the processed-file ledger)")
    contracts = [c for c in contracts_for_source(SOURCE) if c.landing]
    seen = state.seen_files(SOURCE)
    by_table: dict[str, list] = {}
    refused: list[dict[str, str]] = []
    for key, size, etag in list_files(cfg):
        if key in seen:
            continue
        c = match(contracts, key)
        if c is None:
            refused.append(
                {
                    "key": key,
                    "etag": etag,
                    "size": str(size),
                    "reason_code": "unknown_file",
                    "reason": f"landing/{key} matches no contract's landing prefix/pattern",
                }
            )
            continue
        if size > int(c.landing.get("max_bytes", 1 << 62)):
            refused.append(
                {
                    "key": key,
                    "etag": etag,
                    "size": str(size),
                    "reason_code": "file_too_large",
                    "reason": f"landing/{key} is {size} bytes > max_bytes {c.landing['max_bytes']} of {c.table}",
                }
            )
            continue
        df = _read(spark, c, f"{cfg.spark_root}/landing/{key}")
        if "_corrupt_record" in df.columns:  # a line the reader could not parse
            df = df.withColumn(
                "_parse_error", F.when(F.col("_corrupt_record").isNotNull(), F.lit("malformed_record"))
            )
            df = df.withColumnRenamed("_corrupt_record", "_raw_record")
        extra, missing = c.drift_of(df.columns)
        drift = "; ".join(
            p
            for p in (
                (f"extra column(s) {extra}" if extra else ""),
                (f"missing column(s) {missing}" if missing else ""),
            )
            if p
        )
        df = df.withColumns(
            {"_source_file": F.lit(f"landing/{key}"), "_drift": F.lit(drift or None).cast("string")}
        )
        if c.drift != "add_column":  # extra columns only travel on when the contract adopts them
            keep = [x for x in df.columns if x in c.column_names or x in CONTROL_COLUMNS]
            if extra:  # keep them in the raw record for quarantine
                df = df.withColumn(
                    "_raw_record",
                    F.to_json(F.struct(*[F.col(f"`{x}`") for x in df.columns if x not in CONTROL_COLUMNS])),
                )
                keep.append("_raw_record")
            df = df.select(*dict.fromkeys(keep))
        by_table.setdefault(c.table, []).append((key, etag, df))
    out: dict[str, ExtractResult] = {}
    for table, items in by_table.items():
        df = reduce(
            lambda a, b: a.unionByName(b, allowMissingColumns=True), [d for _, _, d in items]
        ).persist()
        files = [(k, e) for k, e, _ in items]
        out[table] = ExtractResult(
            df, None, df.count(), batch_key="|".join(f"{k}@{e}" for k, e in files), files=files
        )
    if refused:
        out["_refused"] = ExtractResult(
            None,
            None,
            len(refused),
            refused=refused,
            batch_key="|".join(f"{r['key']}@{r['etag']}" for r in refused),
        )
    return out
