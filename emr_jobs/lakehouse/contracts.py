"""Schema contracts: ``glue/<layer>/<table>.yaml`` — the same files Terraform turns into Glue tables.

``load_contract(layer, table)`` parses and checks a contract (a malformed one raises ``ContractError``
naming the file and the key). ``Contract.validate(df, batch)`` splits an extracted frame into rows that
conform (typed to the contract, metadata added) and quarantine rows (reason code + the raw row as JSON).

Extractors may add control columns that ``validate`` understands and never writes to bronze:
``_parse_error`` (a reason code the extractor already knows, e.g. ``malformed_json``), ``_raw_record``
(the original text of the row), ``_source_file`` (where the row came from) and ``_drift`` (per-row
schema drift found by the extractor, e.g. for one landing file among several).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import CONTRACTS_DIR
from lakehouse.metadata import METADATA_COLUMNS, Batch, metadata_columns

LAYERS = ("bronze", "silver", "gold", "quarantine", "audit")
SOURCE_SYSTEMS = ("snowflake", "redshift", "salesforce", "s3_landing", "kafka", "fx_api", "derived")
DRIFT_POLICIES = ("add_column", "quarantine", "fail")
SENSITIVITIES = ("public", "internal", "confidential", "pii")
LANDING_FORMATS = ("csv", "json", "parquet")
_SIMPLE_TYPES = (
    "string",
    "int",
    "bigint",
    "smallint",
    "tinyint",
    "double",
    "float",
    "boolean",
    "date",
    "timestamp",
)
_DECIMAL = re.compile(r"^decimal\((\d{1,2}),\s*(\d{1,2})\)$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
CONTROL_COLUMNS = ("_parse_error", "_raw_record", "_source_file", "_drift")

# Reason codes written to quarantine.quarantined_rows.reason_code (one vocabulary for every stage).
REASONS = {
    "malformed_json": "the message is not valid JSON for the contract schema",
    "malformed_record": "the record could not be parsed",
    "schema_drift": "the source's columns differ from the contract (drift policy: quarantine)",
    "null_key": "a business-key column is null or empty",
    "invalid_type": "a value cannot be cast to the contract type",
    "null_value": "a non-nullable column is null",
    "out_of_range": "a value is outside the contract's min/max",
    "not_allowed": "a value is not in the contract's allowed values",
    "unknown_file": "a landing file matches no contract",
    "file_too_large": "a landing file exceeds the contract's max_bytes",
}


class ContractError(ValueError):
    """A contract file is malformed; the message names the file and the key."""


class SchemaDriftError(RuntimeError):
    """The source's columns differ from the contract and the contract says ``drift: fail``."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str = ""
    pii: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Contract:
    table: str
    layer: str
    source_system: str
    description: str
    business_key: tuple[str, ...]
    partition_by: tuple[str, ...]
    drift: str
    domain: str
    sensitivity: str
    columns: tuple[Column, ...]
    path: str
    watermark_column: str | None = None
    landing: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- schema ---------------------------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.layer}.{self.table} has no column {name!r}")

    def spark_schema(self, *, with_metadata: bool = False):
        """The contract columns as a StructType (nullability as declared)."""
        from pyspark.sql.types import StructField, StructType

        fields = [StructField(c.name, spark_type(c.type), c.nullable) for c in self.columns]
        if with_metadata:
            fields += [
                StructField(c.name, spark_type(c.type), c.nullable) for c in metadata_contract_columns()
            ]
        return StructType(fields)

    def string_schema(self):
        """All contract columns as strings: how raw text sources are read before validation casts."""
        from pyspark.sql.types import StringType, StructField, StructType

        return StructType([StructField(c.name, StringType(), True) for c in self.columns])

    @property
    def carries_metadata(self) -> bool:
        return self.layer == "bronze"

    # ---- validation -----------------------------------------------------------------------------
    def drift_of(self, columns: list[str]) -> tuple[list[str], list[str]]:
        """(extra, missing) source columns compared with the contract (control/metadata ignored)."""
        ignore = set(CONTROL_COLUMNS) | set(METADATA_COLUMNS)
        present = [c for c in columns if c not in ignore]
        extra = [c for c in present if c not in self.column_names]
        missing = [c for c in self.column_names if c not in present]
        return extra, missing

    def validate(self, df, batch: Batch):
        """Split ``df`` into ``(valid_df, quarantine_df)``.

        Checks, first failure wins: extractor parse errors, schema drift (per the contract's policy),
        null business keys, values not castable to the contract type, nulls in non-nullable columns,
        min/max and allowed values. Valid rows come back typed, in contract order (plus drifted extra
        columns when the policy is ``add_column``) with metadata; quarantine rows follow
        ``glue/quarantine/quarantined_rows.yaml``.
        """
        from pyspark.sql import functions as F

        where = f"{self.layer}.{self.table}"
        extra, missing = self.drift_of(df.columns)
        frame_drift = _describe_drift(extra, missing)
        if frame_drift and self.drift == "fail":
            raise SchemaDriftError(f"{where}: {frame_drift} (contract {self.path} says drift: fail)")
        if "_drift" in df.columns and self.drift == "fail":
            drifted = df.where(F.col("_drift").isNotNull()).select("_drift").limit(1).collect()
            if drifted:
                raise SchemaDriftError(f"{where}: {drifted[0][0]} (contract {self.path} says drift: fail)")

        # The row as it arrived, kept verbatim for quarantine.
        source_cols = [c for c in df.columns if c not in CONTROL_COLUMNS and c not in METADATA_COLUMNS]
        raw = F.to_json(F.struct(*[F.col(f"`{c}`") for c in source_cols])) if source_cols else F.lit("{}")
        if "_raw_record" in df.columns:
            raw = F.coalesce(F.col("_raw_record"), raw)
        work = df
        for c in missing:  # a missing column behaves as all-null from here on
            work = work.withColumn(c, F.lit(None).cast("string"))

        casted = {c.name: _try_cast(c.name, c.type) for c in self.columns}
        checks: list[tuple[Any, str, Any]] = []  # (condition, reason_code, reason text column)
        if "_parse_error" in work.columns:
            checks.append(
                (
                    F.col("_parse_error").isNotNull(),
                    F.col("_parse_error"),
                    F.concat(F.lit("could not parse the record: "), F.col("_parse_error")),
                )
            )
        if "_drift" in work.columns and self.drift == "quarantine":
            checks.append((F.col("_drift").isNotNull(), F.lit("schema_drift"), F.col("_drift")))
        if frame_drift and self.drift == "quarantine":
            checks.append((F.lit(True), F.lit("schema_drift"), F.lit(frame_drift)))
        for k in self.business_key:
            blank = F.col(k).isNull() | (F.trim(F.col(k).cast("string")) == F.lit(""))
            checks.append((blank, F.lit("null_key"), F.lit(f"business key column {k} is null or empty")))
        for c in self.columns:
            bad = F.col(c.name).isNotNull() & casted[c.name].isNull()
            reason = F.concat(
                F.lit(f"column {c.name}: "),
                F.coalesce(F.col(c.name).cast("string"), F.lit("")),
                F.lit(f" is not a valid {c.type}"),
            )
            checks.append((bad, F.lit("invalid_type"), reason))
        for c in self.columns:
            if not c.nullable and c.name not in self.business_key:
                checks.append(
                    (F.col(c.name).isNull(), F.lit("null_value"), F.lit(f"column {c.name} is null"))
                )
        for c in self.columns:
            v = casted[c.name]
            if c.min is not None:
                checks.append(
                    (
                        v < F.lit(c.min),
                        F.lit("out_of_range"),
                        F.concat(F.lit(f"column {c.name}: "), v.cast("string"), F.lit(f" < min {c.min:g}")),
                    )
                )
            if c.max is not None:
                checks.append(
                    (
                        v > F.lit(c.max),
                        F.lit("out_of_range"),
                        F.concat(F.lit(f"column {c.name}: "), v.cast("string"), F.lit(f" > max {c.max:g}")),
                    )
                )
            if c.allowed is not None:
                checks.append(
                    (
                        ~v.isin(list(c.allowed)),
                        F.lit("not_allowed"),
                        F.concat(F.lit(f"column {c.name}: "), v.cast("string"), F.lit(" is not allowed")),
                    )
                )

        code, reason = F.lit(None).cast("string"), F.lit(None).cast("string")
        for cond, c_code, c_reason in reversed(checks):  # build so the first check wins
            hit = F.coalesce(cond, F.lit(False))
            code = F.when(hit, c_code).otherwise(code)
            reason = F.when(hit, c_reason).otherwise(reason)
        if "_source_file" in work.columns:
            reason = F.when(
                F.col("_source_file").isNotNull(),
                F.concat(reason, F.lit(" (file "), F.col("_source_file"), F.lit(")")),
            ).otherwise(reason)
        checked = work.withColumns({"__code": code, "__reason": reason, "__raw": raw})

        meta = metadata_columns(batch)
        keep_extra = extra if self.drift == "add_column" else []
        valid = checked.where(F.col("__code").isNull()).select(
            *[casted[c.name].alias(c.name) for c in self.columns],
            *[F.col(f"`{c}`") for c in keep_extra],
        )
        if self.carries_metadata:
            valid = valid.withColumns(meta)
        quarantine = checked.where(F.col("__code").isNotNull()).select(
            F.lit(self.table).alias("source_table"),
            F.col("__code").alias("reason_code"),
            F.col("__reason").alias("reason"),
            F.col("__raw").alias("raw_record"),
            F.sha2(F.col("__raw"), 256).alias("record_hash"),
            meta["_batch_id"].alias("_batch_id"),
            meta["_source_system"].alias("_source_system"),
            meta["_execution_date"].alias("_execution_date"),
            meta["_ingested_at"].alias("_ingested_at"),
        )
        return valid, quarantine


# --------------------------------------------------------------------------------------------------
def _describe_drift(extra: list[str], missing: list[str]) -> str | None:
    parts = []
    if extra:
        parts.append(f"extra column(s) {extra}")
    if missing:
        parts.append(f"missing column(s) {missing}")
    return "; ".join(parts) or None


def _try_cast(name: str, typ: str):
    """Cast that yields NULL instead of failing, whatever spark.sql.ansi.enabled says."""
    from pyspark.sql import functions as F

    if typ == "string":
        return F.col(f"`{name}`").cast("string")
    return F.expr(f"try_cast(`{name}` AS {typ})")


def spark_type(typ: str):
    from pyspark.sql import types as T

    simple = {
        "string": T.StringType(),
        "int": T.IntegerType(),
        "bigint": T.LongType(),
        "smallint": T.ShortType(),
        "tinyint": T.ByteType(),
        "double": T.DoubleType(),
        "float": T.FloatType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }
    if typ in simple:
        return simple[typ]
    m = _DECIMAL.match(typ)
    if m:
        return T.DecimalType(int(m.group(1)), int(m.group(2)))
    raise ContractError(f"unsupported column type {typ!r}")


def _valid_type(typ: Any) -> bool:
    if not isinstance(typ, str):
        return False
    if typ in _SIMPLE_TYPES:
        return True
    m = _DECIMAL.match(typ)
    return bool(m) and 1 <= int(m.group(1)) <= 38 and int(m.group(2)) <= int(m.group(1))


def _parse_column(raw: Any, where: str) -> Column:
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: each column must be a mapping, got {type(raw).__name__}")
    for key in ("name", "type", "nullable"):
        if key not in raw:
            raise ContractError(f"{where}: missing key '{key}'")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ContractError(f"{where}: key 'name' must be a lower_snake_case identifier, got {name!r}")
    where = f"{where} ({name})"
    if not _valid_type(raw["type"]):
        raise ContractError(
            f"{where}: key 'type' is {raw['type']!r}; allowed: {', '.join(_SIMPLE_TYPES)}, decimal(p,s)"
        )
    if not isinstance(raw["nullable"], bool):
        raise ContractError(f"{where}: key 'nullable' must be true or false, got {raw['nullable']!r}")
    for key in ("min", "max"):
        if key in raw and not isinstance(raw[key], int | float):
            raise ContractError(f"{where}: key '{key}' must be a number, got {raw[key]!r}")
    allowed = raw.get("allowed")
    if allowed is not None and not (isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)):
        raise ContractError(f"{where}: key 'allowed' must be a list of strings")
    return Column(
        name=name,
        type=raw["type"],
        nullable=raw["nullable"],
        description=str(raw.get("description", "")),
        pii=bool(raw.get("pii", False)),
        min=raw.get("min"),
        max=raw.get("max"),
        allowed=tuple(allowed) if allowed is not None else None,
    )


def parse_contract(
    doc: Any, path: str, *, expect_layer: str | None = None, expect_table: str | None = None
) -> Contract:
    """Check a decoded contract document; every problem names ``path`` and the key."""
    if not isinstance(doc, dict):
        raise ContractError(f"{path}: a contract must be a YAML mapping")
    required = {
        "table": str,
        "layer": str,
        "source_system": str,
        "description": str,
        "business_key": list,
        "partition_by": list,
        "drift": str,
        "domain": str,
        "sensitivity": str,
        "columns": list,
    }
    for key, typ in required.items():
        if key not in doc:
            raise ContractError(f"{path}: missing required key '{key}'")
        if not isinstance(doc[key], typ):
            raise ContractError(
                f"{path}: key '{key}' must be a {typ.__name__}, got {type(doc[key]).__name__}"
            )
    if expect_table and doc["table"] != expect_table:
        raise ContractError(
            f"{path}: key 'table' is {doc['table']!r} but the file is named {expect_table}.yaml"
        )
    if doc["layer"] not in LAYERS or (expect_layer and doc["layer"] != expect_layer):
        raise ContractError(f"{path}: key 'layer' is {doc['layer']!r}; expected {expect_layer or LAYERS}")
    for key, allowed in (
        ("source_system", SOURCE_SYSTEMS),
        ("drift", DRIFT_POLICIES),
        ("sensitivity", SENSITIVITIES),
    ):
        if doc[key] not in allowed:
            raise ContractError(f"{path}: key '{key}' is {doc[key]!r}; allowed: {', '.join(allowed)}")
    if not doc["columns"]:
        raise ContractError(f"{path}: key 'columns' must list at least one column")
    columns = tuple(_parse_column(c, f"{path}: key 'columns[{i}]'") for i, c in enumerate(doc["columns"]))
    names = [c.name for c in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ContractError(f"{path}: key 'columns' repeats {dupes}")
    meta = [c.name for c in metadata_contract_columns()] if doc["layer"] == "bronze" else []
    for key in ("business_key", "partition_by"):
        unknown = [c for c in doc[key] if c not in names and c not in meta]
        if unknown:
            raise ContractError(f"{path}: key '{key}' names unknown column(s) {unknown}")
    wm = doc.get("watermark_column")
    if wm is not None and wm not in names:
        raise ContractError(f"{path}: key 'watermark_column' names unknown column {wm!r}")
    landing = doc.get("landing")
    if landing is not None:
        if not isinstance(landing, dict):
            raise ContractError(f"{path}: key 'landing' must be a mapping")
        for key in ("prefix", "pattern", "format"):
            if not isinstance(landing.get(key), str) or not landing.get(key):
                raise ContractError(f"{path}: key 'landing.{key}' is required (a non-empty string)")
        if landing["format"] not in LANDING_FORMATS:
            raise ContractError(
                f"{path}: key 'landing.format' is {landing['format']!r}; allowed: {', '.join(LANDING_FORMATS)}"
            )
        if "max_bytes" in landing and not (
            isinstance(landing["max_bytes"], int) and landing["max_bytes"] > 0
        ):
            raise ContractError(f"{path}: key 'landing.max_bytes' must be a positive integer")
    known = set(required) | {"watermark_column", "landing"}
    return Contract(
        table=doc["table"],
        layer=doc["layer"],
        source_system=doc["source_system"],
        description=doc["description"],
        business_key=tuple(doc["business_key"]),
        partition_by=tuple(doc["partition_by"]),
        drift=doc["drift"],
        domain=doc["domain"],
        sensitivity=doc["sensitivity"],
        columns=columns,
        path=path,
        watermark_column=wm,
        landing=dict(landing) if landing else None,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def load_contract_file(path: str | Path) -> Contract:
    p = Path(path)
    if not p.is_file():
        raise ContractError(f"{p}: contract file not found")
    try:
        doc = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ContractError(f"{p}: not valid YAML ({exc})") from exc
    return parse_contract(
        doc, str(p), expect_layer=p.parent.name if p.parent.name in LAYERS else None, expect_table=p.stem
    )


@cache
def _load_cached(path: str, mtime_ns: int) -> Contract:  # mtime in the key: edits are picked up
    return load_contract_file(path)


def load_contract(layer: str, table: str, contracts_dir: str | Path | None = None) -> Contract:
    p = Path(contracts_dir or CONTRACTS_DIR) / layer / f"{table}.yaml"
    if not p.is_file():
        raise ContractError(f"{p}: no contract for {layer}.{table}")
    return _load_cached(str(p), p.stat().st_mtime_ns)


def all_contracts(layer: str | None = None, contracts_dir: str | Path | None = None) -> list[Contract]:
    base = Path(contracts_dir or CONTRACTS_DIR)
    layers = [layer] if layer else [d for d in LAYERS if (base / d).is_dir()]
    return [load_contract(lay, f.stem, base) for lay in layers for f in sorted((base / lay).glob("*.yaml"))]


def contracts_for_source(source_system: str, contracts_dir: str | Path | None = None) -> list[Contract]:
    return [c for c in all_contracts("bronze", contracts_dir) if c.source_system == source_system]


@lru_cache(maxsize=1)
def metadata_contract_columns() -> tuple[Column, ...]:
    p = Path(CONTRACTS_DIR) / "_metadata_columns.yaml"
    doc = yaml.safe_load(p.read_text())
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        raise ContractError(f"{p}: missing required key 'columns'")
    return tuple(_parse_column(c, f"{p}: key 'columns[{i}]'") for i, c in enumerate(doc["columns"]))
