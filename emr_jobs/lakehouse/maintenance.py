"""Table maintenance: OPTIMIZE (+ Z-ORDER), VACUUM, table health, backfill, Glue registration, lineage.

Settings live in ``emr_jobs/conf/maintenance.yaml`` (validated on load, before anything runs).
Tables are discovered from the lake itself (every folder with a ``_delta_log`` under a layer), through
Hadoop's FileSystem API, so the same code lists a local folder and an ``s3a://`` bucket.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import CONF_DIR, LAYERS, Config, ConfigError
from lakehouse.lakefiles import write_lake_text

MAINTENANCE_FILE = CONF_DIR / "maintenance.yaml"
MIN_SAFE_RETENTION_HOURS = 168  # Delta's own default check: 7 days
log = logging.getLogger("lakehouse.maintenance")


class MaintenanceError(RuntimeError):
    pass


@dataclass(frozen=True)
class RowRetention:
    """Rows of ``<layer>/<table>`` whose ``column`` (a date or timestamp) is more than ``days`` old expire."""

    layer: str
    table: str
    column: str
    days: int

    @property
    def ref(self) -> str:
        return f"{self.layer}/{self.table}"


@dataclass(frozen=True)
class MaintenanceConfig:
    retention_hours: float
    row_retention: tuple[RowRetention, ...]
    layers: tuple[str, ...]
    zorder: dict[str, tuple[str, ...]]  # "<layer>/<table>" -> columns
    small_file_bytes: int
    min_files: int
    backfill_max_days: int


def load_config(path: Path = MAINTENANCE_FILE) -> MaintenanceConfig:
    origin = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"maintenance config not found: {path}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping")
    unknown = sorted(set(raw) - {"vacuum", "retention", "optimize", "health", "backfill"})
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {unknown}")

    def get(section: str, key: str, typ, default=None):
        value = (raw.get(section) or {}).get(key, default)
        if value is None or isinstance(value, bool) or not isinstance(value, typ):
            raise ConfigError(
                f"{origin}: key '{section}.{key}' must be {typ.__name__ if isinstance(typ, type) else 'a number'}"
            )
        return value

    retention = float(get("vacuum", "retention_hours", (int, float)))
    if retention < 0:
        raise ConfigError(f"{origin}: key 'vacuum.retention_hours' must be >= 0")
    row_retention = _row_retention(raw.get("retention"), origin)
    layers = tuple(get("optimize", "layers", list, []))
    bad = [x for x in layers if x not in LAYERS]
    if bad:
        raise ConfigError(f"{origin}: key 'optimize.layers' has unknown layer(s) {bad}")
    zorder: dict[str, tuple[str, ...]] = {}
    for ref, cols in (get("optimize", "zorder", dict, {}) or {}).items():
        if not isinstance(ref, str) or ref.count("/") != 1 or ref.split("/")[0] not in LAYERS:
            raise ConfigError(f"{origin}: key 'optimize.zorder' entry {ref!r} must be '<layer>/<table>'")
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            raise ConfigError(f"{origin}: key 'optimize.zorder.{ref}' must be a non-empty list of columns")
        _check_zorder_columns(ref, cols, origin)
        zorder[ref] = tuple(cols)
    return MaintenanceConfig(
        retention_hours=retention,
        row_retention=row_retention,
        layers=layers,
        zorder=zorder,
        small_file_bytes=int(get("health", "small_file_bytes", int, 32 * 1024 * 1024)),
        min_files=int(get("health", "min_files", int, 16)),
        backfill_max_days=int(get("backfill", "max_days", int, 366)),
    )


def _row_retention(section: Any, origin: str) -> tuple[RowRetention, ...]:
    """``retention: {<layer>/<table>: {column, days}}``: each column a date/timestamp of the table's contract,
    days >= 1; the quarantine table must be listed (its rows hold source rows verbatim)."""
    from lakehouse import contracts, quarantine

    if not isinstance(section, dict):
        raise ConfigError(f"{origin}: key 'retention' must map '<layer>/<table>' to {{column, days}}")
    out = []
    for ref, spec in section.items():
        where = f"{origin}: key 'retention.{ref}'"
        if not isinstance(ref, str) or ref.count("/") != 1:
            raise ConfigError(f"{origin}: key 'retention' entry {ref!r} must be '<layer>/<table>'")
        if not isinstance(spec, dict) or set(spec) != {"column", "days"}:
            raise ConfigError(f"{where} must be {{column: <date column>, days: <n>}}, got {spec!r}")
        days = spec["days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigError(f"{where}.days must be a whole number of days >= 1, got {days!r}")
        layer, table = ref.split("/")
        try:
            column = contracts.load_contract(layer, table).column(spec["column"])
        except (contracts.ContractError, KeyError) as exc:
            raise ConfigError(f"{where}.column: {exc}") from exc
        if column.type not in ("date", "timestamp"):
            raise ConfigError(f"{where}.column: {column.name} is {column.type}, not a date or timestamp")
        out.append(RowRetention(layer, table, column.name, days))
    if f"{quarantine.LAYER}/{quarantine.TABLE}" not in {r.ref for r in out}:
        raise ConfigError(
            f"{origin}: key 'retention' must list {quarantine.LAYER}/{quarantine.TABLE}: quarantined rows keep "
            "source rows verbatim (PII included)"
        )
    return tuple(out)


def _check_zorder_columns(ref: str, cols: list[str], origin: str) -> None:
    """Z-order columns must exist in the table's contract and must not be partition columns."""
    from lakehouse import contracts

    layer, table = ref.split("/")
    try:
        c = contracts.load_contract(layer, table)
    except contracts.ContractError:
        return  # a table without a contract (audit) is checked against the Delta schema at run time
    names = set(c.column_names) | (
        {m.name for m in contracts.metadata_contract_columns()} if c.carries_metadata else set()
    )
    missing = [x for x in cols if x not in names]
    if missing:
        raise ConfigError(
            f"{origin}: key 'optimize.zorder.{ref}': column(s) {missing} not in glue/{ref}.yaml"
        )
    part = [x for x in cols if x in c.partition_by]
    if part:
        raise ConfigError(
            f"{origin}: key 'optimize.zorder.{ref}': {part} are partition columns (Z-ORDER cannot use them)"
        )


# ---------------------------------------------------------------------------------------------- discovery
def _fs(spark, path: str):
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


def discover_tables(spark, cfg: Config, layers: Iterable[str]) -> list[tuple[str, str]]:
    """(layer, table) for every Delta table under the given layers, sorted."""
    found: list[tuple[str, str]] = []
    for layer in layers:
        root = cfg.resolve(f"lake://{layer}")
        fs, p = _fs(spark, root)
        if not fs.exists(p):
            continue
        stack = [(st.getPath(), st.getPath().getName()) for st in fs.listStatus(p) if st.isDirectory()]
        while stack:  # nested tables (checkpoints/gold_candidates/x) are found too, one level at a time
            path, rel = stack.pop()
            if fs.exists(spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path, "_delta_log")):
                found.append((layer, rel))
            elif rel.count("/") < 2:
                stack.extend(
                    (st.getPath(), f"{rel}/{st.getPath().getName()}")
                    for st in fs.listStatus(path)
                    if st.isDirectory()
                    and not st.getPath().getName().startswith(("_", "."))
                    and "=" not in st.getPath().getName()  # a partition folder is not a table
                )
    return sorted(found)


# ---------------------------------------------------------------------------------------------- optimize / vacuum
def optimize(spark, cfg: Config, mcfg: MaintenanceConfig | None = None, tables=None) -> list[dict[str, Any]]:
    """OPTIMIZE every table (Z-ORDER BY for the configured ones); returns per-table file metrics."""
    from delta.tables import DeltaTable

    mcfg = mcfg or load_config()
    out = []
    for layer, table in tables or discover_tables(spark, cfg, mcfg.layers):
        dt = DeltaTable.forPath(spark, cfg.table_path(layer, table))
        cols = mcfg.zorder.get(f"{layer}/{table}")
        if cols:
            missing = [c for c in cols if c not in dt.toDF().columns]
            if missing:
                raise MaintenanceError(f"Z-ORDER columns {missing} not in {layer}.{table}")
            metrics = dt.optimize().executeZOrderBy(*cols).collect()[0]["metrics"]
        else:
            metrics = dt.optimize().executeCompaction().collect()[0]["metrics"]
        out.append(
            {
                "table": f"{layer}.{table}",
                "zorder_by": list(cols or []),
                "files_added": int(metrics["numFilesAdded"]),
                "files_removed": int(metrics["numFilesRemoved"]),
            }
        )
    return out


def vacuum_retention(
    mcfg: MaintenanceConfig, retention_hours: float | None, allow_short_retention: bool
) -> float:
    """The retention to use; below 168 h only with the explicit override."""
    hours = mcfg.retention_hours if retention_hours is None else retention_hours
    if hours < 0:
        raise MaintenanceError(f"VACUUM retention must be >= 0 hours, got {hours:g}")
    if hours < MIN_SAFE_RETENTION_HOURS and not allow_short_retention:
        raise MaintenanceError(
            f"VACUUM retention {hours:g} h is below {MIN_SAFE_RETENTION_HOURS} h: readers on older snapshots and "
            "time travel would break; pass --allow-short-retention to do it anyway"
        )
    return hours


def vacuum(
    spark,
    cfg: Config,
    mcfg: MaintenanceConfig | None = None,
    *,
    retention_hours: float | None = None,
    allow_short_retention: bool = False,
    tables=None,
) -> list[dict[str, Any]]:
    """VACUUM every table with the configured retention; < 168 h needs ``allow_short_retention``."""
    from delta.tables import DeltaTable

    mcfg = mcfg or load_config()
    hours = vacuum_retention(mcfg, retention_hours, allow_short_retention)
    conf_key = "spark.databricks.delta.retentionDurationCheck.enabled"
    previous = spark.conf.get(conf_key, "true")
    if hours < MIN_SAFE_RETENTION_HOURS:
        spark.conf.set(conf_key, "false")  # Delta's own guard; we have checked the explicit override
    out = []
    try:
        for layer, table in tables or discover_tables(spark, cfg, mcfg.layers):
            path = cfg.table_path(layer, table)
            before = _file_count(spark, path)
            DeltaTable.forPath(spark, path).vacuum(hours)
            out.append(
                {
                    "table": f"{layer}.{table}",
                    "retention_hours": hours,
                    "data_files_deleted": before - _file_count(spark, path),
                }
            )
    finally:
        spark.conf.set(conf_key, previous)
    return out


def expire_rows(spark, cfg: Config, mcfg: MaintenanceConfig, today: date) -> list[dict[str, Any]]:
    """Delete the rows ``retention`` expires: those whose date column is more than the table's days before
    ``today`` (the maintenance run's execution date, so a re-run deletes the same rows: none, and commits
    nothing). A table not written yet is skipped."""
    from lakehouse import tables as io

    out = []
    for r in mcfg.row_retention:
        cutoff = today - timedelta(days=r.days)
        deleted = 0
        if io.exists(spark, cfg, r.layer, r.table):
            # a date literal compares with a timestamp column as its midnight
            deleted = io.delete_where(spark, cfg, r.layer, r.table, f"`{r.column}` < DATE'{cutoff}'")
        out.append({"table": f"{r.layer}.{r.table}", "before": cutoff.isoformat(), "rows_deleted": deleted})
    return out


def _file_count(spark, path: str) -> int:
    """Parquet data files physically present under the table (what VACUUM can delete)."""
    fs, p = _fs(spark, path)
    it = fs.listFiles(p, True)
    n = 0
    while it.hasNext():
        f = it.next().getPath()
        if f.getName().endswith(".parquet") and "_delta_log" not in f.toString():
            n += 1
    return n


# ---------------------------------------------------------------------------------------------- health
def table_health(spark, cfg: Config, mcfg: MaintenanceConfig | None = None, tables=None) -> dict[str, Any]:
    """Files, sizes, versions and last operation per table (DESCRIBE DETAIL / DESCRIBE HISTORY)."""
    mcfg = mcfg or load_config()
    report = []
    for layer, table in tables or discover_tables(spark, cfg, mcfg.layers):
        path = cfg.table_path(layer, table)
        detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()[0].asDict()
        history = (
            spark.sql(f"DESCRIBE HISTORY delta.`{path}`")
            .select("version", "timestamp", "operation", "operationMetrics")
            .collect()
        )
        latest = history[0]
        files, size = int(detail["numFiles"] or 0), int(detail["sizeInBytes"] or 0)
        avg = size / files if files else 0
        report.append(
            {
                "table": f"{layer}.{table}",
                "location": detail["location"],
                "files": files,
                "size_bytes": size,
                "avg_file_bytes": round(avg),
                "partition_columns": list(detail["partitionColumns"] or []),
                "version": int(latest["version"]),
                "versions_retained": len(history),
                "last_operation": latest["operation"],
                "last_modified": detail["lastModified"].isoformat() if detail["lastModified"] else None,
                "last_rows_written": int((latest["operationMetrics"] or {}).get("numOutputRows", 0) or 0),
                "needs_optimize": files > mcfg.min_files and avg < mcfg.small_file_bytes,
            }
        )
    return {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "tables": report}


# ---------------------------------------------------------------------------------------------- backfill
def date_range(start: date, end: date, max_days: int) -> list[date]:
    if end < start:
        raise MaintenanceError(f"backfill range is empty: --end {end} is before --start {start}")
    days = (end - start).days + 1
    if days > max_days:
        raise MaintenanceError(
            f"backfill of {days} days exceeds backfill.max_days={max_days} in maintenance.yaml"
        )
    return [start + timedelta(days=i) for i in range(days)]


def backfill(
    cfg: Config,
    start: date,
    end: date,
    *,
    schedule: str = "daily",
    only: Iterable[str] | None = None,
    spark=None,
    run: Callable[..., Any] | None = None,
    mcfg: MaintenanceConfig | None = None,
    progress: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Re-run the pipeline for every date in [start, end], oldest first; stop at the first failed date.

    Each run is a backfill run: jobs get their ``backfill_args`` from the job graph, so ``bronze_to_silver``
    re-derives the bronze rows loaded on that date whatever the watermark says and MERGEs them with the
    ``repair`` policy (lakehouse.silver); the DQ gate and gold follow as in a daily run, the extracts pick up
    only what is new. Watermarks do not move back. Idempotent because every write is a MERGE/replace keyed
    by business key: running the same range again leaves every table as it was (tests/e2e/test_backfill.py).
    """
    if run is None:
        from lakehouse.runner import run
    mcfg = mcfg or load_config()
    dates = date_range(start, end, mcfg.backfill_max_days)
    jobs = list(only) if only else None
    done = []
    for d in dates:
        summary = run(cfg, d, schedule=schedule, only=jobs, spark=spark, backfill=True)
        status = getattr(summary, "status", "succeeded")
        done.append(
            {"execution_date": d.isoformat(), "run_id": getattr(summary, "run_id", None), "status": status}
        )
        progress(f"backfill {d}: {status}")
        if status != "succeeded":
            raise MaintenanceError(f"backfill stopped at {d}: the run {status} (later dates not run)")
    return done


# ---------------------------------------------------------------------------------------------- catalog
def _glue_table_input(cfg: Config, contract, metadata_columns) -> dict[str, Any]:
    """The same table definition terraform/modules/glue creates, so a re-registration is no drift."""
    cols = list(contract.columns) + (list(metadata_columns) if contract.layer == "bronze" else [])
    part = set(contract.partition_by)

    def col(c):
        d = {"Name": c.name, "Type": c.type, "Comment": c.description}
        if c.pii:
            d["Parameters"] = {"pii": "true"}
        return d

    return {
        "Name": contract.table,
        "Description": contract.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "table_type": "DELTA",
            "classification": "delta",
            "spark.sql.sources.provider": "delta",
            "source_system": contract.source_system,
            "domain": contract.domain,
            "sensitivity": contract.sensitivity,
        },
        "PartitionKeys": [col(c) for p in contract.partition_by for c in cols if c.name == p],
        "StorageDescriptor": {
            "Columns": [col(c) for c in cols if c.name not in part],
            "Location": f"{cfg.lake_root.rstrip('/')}/{contract.layer}/{contract.table}",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
            },
        },
    }


def register_catalog(cfg: Config, logger=None) -> list[dict[str, str]]:
    """Create or update a Glue table per contract in the configured Glue databases; no-op locally."""
    from lakehouse import contracts

    logger = logger or log
    if not cfg.glue_databases:
        logger.info("register_catalog: no Glue databases configured (local lake); nothing to register")
        return []
    from lakehouse.aws import client

    glue = client("glue", cfg.region, cfg.endpoint_url)
    meta = contracts.metadata_contract_columns()
    done = []
    for contract in contracts.all_contracts():
        database = cfg.glue_databases.get(contract.layer)
        if not database:
            continue
        table_input = _glue_table_input(cfg, contract, meta)
        try:
            glue.get_table(DatabaseName=database, Name=contract.table)
            glue.update_table(DatabaseName=database, TableInput=table_input)
            action = "updated"
        except glue.exceptions.EntityNotFoundException:
            glue.create_table(DatabaseName=database, TableInput=table_input)
            action = "created"
        done.append({"table": f"{database}.{contract.table}", "action": action})
    logger.info("register_catalog: %d table(s) registered", len(done), extra={"tables": done})
    return done


# ---------------------------------------------------------------------------------------------- lineage
def lineage_graph(spark, cfg: Config, execution_date: date, run_id: str) -> dict[str, Any]:
    """Nodes (tables with their current Delta version) and edges (what feeds what).

    Edges come from code and contracts, not from a hand-kept list: source system -> bronze table
    (contract ``source_system``), bronze -> silver per silver spec (plus its FK and FX lookups), and
    silver -> gold from ``lakehouse.gold.INPUTS`` when the gold module declares it (else one layer-level
    edge, marked so).
    """
    from lakehouse import contracts

    edges: set[tuple[str, str, str]] = set()
    for c in contracts.all_contracts("bronze"):
        edges.add((f"source:{c.source_system}", f"bronze.{c.table}", "extract"))
    try:
        from lakehouse import silver

        for spec in silver.SPECS:
            edges.add((f"bronze.{spec.table}", f"silver.{spec.table}", "transform"))
            for fk in getattr(spec, "fks", ()):
                edges.add((f"silver.{fk.ref_table}", f"silver.{spec.table}", "reference"))
            if getattr(spec, "money", ()):
                edges.add(("silver.fx_rates", f"silver.{spec.table}", "fx"))
    except (ImportError, AttributeError) as exc:
        log.warning("lineage: silver specs unavailable (%s); bronze->silver edges by table name", exc)
        for c in contracts.all_contracts("silver"):
            edges.add((f"bronze.{c.table}", f"silver.{c.table}", "transform"))
    try:
        from lakehouse import gold

        inputs = getattr(gold, "INPUTS", None)
        gold_tables = getattr(gold, "GOLD_TABLES", ())
    except ImportError:
        inputs, gold_tables = None, ()
    if inputs:
        for out, ins in inputs.items():
            for i in ins:
                edges.add((i.replace("/", "."), f"gold.{out}", "transform"))
    else:
        for t in gold_tables or [c.table for c in contracts.all_contracts("gold")]:
            edges.add(("silver.*", f"gold.{t}", "transform (layer-level)"))

    nodes = []
    for layer, table in discover_tables(spark, cfg, ("bronze", "silver", "gold", "quarantine")):
        h = spark.sql(f"DESCRIBE HISTORY delta.`{cfg.table_path(layer, table)}` LIMIT 1").collect()[0]
        nodes.append(
            {
                "id": f"{layer}.{table}",
                "version": int(h["version"]),
                "last_operation": h["operation"],
                "last_commit": h["timestamp"].isoformat() if h["timestamp"] else None,
            }
        )
    return {
        "run_id": run_id,
        "execution_date": execution_date.isoformat(),
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "nodes": nodes,
        "edges": [{"from": a, "to": b, "kind": k} for a, b, k in sorted(edges)],
    }


def write_lineage(spark, cfg: Config, execution_date: date, run_id: str) -> str:
    graph = lineage_graph(spark, cfg, execution_date, run_id)
    return write_lake_text(
        cfg, f"audit/lineage/{execution_date.isoformat()}/lineage_{run_id}.json", json.dumps(graph, indent=2)
    )


def write_health(cfg: Config, report: dict[str, Any], execution_date: date, run_id: str) -> str:
    return write_lake_text(
        cfg, f"audit/health/{execution_date.isoformat()}/health_{run_id}.json", json.dumps(report, indent=2)
    )
