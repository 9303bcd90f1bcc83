"""Suite files (``emr_jobs/conf/dq/<suite>.yaml``): parsing and validation. Format: conf/dq/README.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import CONF_DIR, ConfigError

SUITES_DIR = CONF_DIR / "dq"
SEVERITIES = ("critical", "warning")
_COMMON = {"check", "severity", "name"}
# kind -> (required keys, optional keys)
KINDS: dict[str, tuple[set[str], set[str]]] = {
    "not_null": (set(), {"column", "columns", "max_failed_pct"}),
    "unique": (set(), {"column", "columns", "max_failed_pct"}),
    "accepted_values": ({"column", "values"}, {"max_failed_pct"}),
    "range": ({"column"}, {"min", "max", "max_failed_pct"}),
    "referential_integrity": ({"column", "ref_table", "ref_column"}, {"max_failed_pct"}),
    "freshness": ({"column", "max_age_hours"}, set()),
    "row_count_change": ({"max_change_pct"}, set()),
    "row_count": (set(), {"min", "max"}),
    "contract_conformance": (set(), set()),
}


class DQConfigError(ConfigError):
    """A suite file is malformed; the message names the file, the table and the check."""


@dataclass(frozen=True)
class Check:
    kind: str
    name: str
    severity: str
    table: str  # <layer>/<table>
    columns: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.columns[0] if self.columns else None


@dataclass(frozen=True)
class TableSpec:
    table: str  # <layer>/<table>
    checks: tuple[Check, ...]

    @property
    def layer(self) -> str:
        return self.table.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.table.split("/", 1)[1]


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    description: str
    tables: tuple[TableSpec, ...]

    @property
    def checks(self) -> list[Check]:
        return [c for t in self.tables for c in t.checks]


def _table_ref(value: Any, where: str) -> str:
    from lakehouse.config import LAYERS

    if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
        raise DQConfigError(f"{where}: table must be '<layer>/<table>', got {value!r}")
    if value.split("/")[0] not in LAYERS:
        raise DQConfigError(f"{where}: unknown layer in {value!r}; allowed: {', '.join(LAYERS)}")
    return value


def _number(raw: dict, key: str, where: str, *, minimum: float | None = None) -> float | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DQConfigError(f"{where}: '{key}' must be a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise DQConfigError(f"{where}: '{key}' must be >= {minimum}, got {value!r}")
    return float(value)


def _parse_check(raw: Any, table: str, index: int, origin: str) -> Check:
    where = f"{origin}: table {table}, check #{index + 1}"
    if not isinstance(raw, dict) or "check" not in raw:
        raise DQConfigError(f"{where}: each check must be a mapping with a 'check' key")
    kind = raw["check"]
    if kind not in KINDS:
        raise DQConfigError(f"{where}: unknown check {kind!r}; allowed: {', '.join(KINDS)}")
    where = f"{origin}: table {table}, check #{index + 1} ({kind})"
    required, optional = KINDS[kind]
    missing = sorted(required - set(raw))
    if missing:
        raise DQConfigError(f"{where}: missing key(s) {missing}")
    unknown = sorted(set(raw) - required - optional - _COMMON)
    if unknown:
        raise DQConfigError(
            f"{where}: unknown key(s) {unknown}; allowed: {sorted(required | optional | _COMMON)}"
        )
    severity = raw.get("severity", "critical")
    if severity not in SEVERITIES:
        raise DQConfigError(f"{where}: severity {severity!r}; allowed: {', '.join(SEVERITIES)}")

    columns: tuple[str, ...] = ()
    if kind in ("not_null", "unique"):
        if ("column" in raw) == ("columns" in raw):
            raise DQConfigError(f"{where}: give exactly one of 'column' or 'columns'")
        cols = raw.get("columns", [raw.get("column")])
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c for c in cols):
            raise DQConfigError(f"{where}: 'columns' must be a non-empty list of column names")
        columns = tuple(cols)
    elif "column" in raw:
        if not isinstance(raw["column"], str) or not raw["column"]:
            raise DQConfigError(f"{where}: 'column' must be a column name")
        columns = (raw["column"],)

    params: dict[str, Any] = {}
    pct = _number(raw, "max_failed_pct", where, minimum=0)
    if pct is not None:
        if pct > 100:
            raise DQConfigError(f"{where}: 'max_failed_pct' must be <= 100")
        params["max_failed_pct"] = pct
    if kind == "accepted_values":
        values = raw["values"]
        if not isinstance(values, list) or not values:
            raise DQConfigError(f"{where}: 'values' must be a non-empty list")
        params["values"] = values
    if kind in ("range", "row_count"):
        lo, hi = _number(raw, "min", where), _number(raw, "max", where)
        if lo is None and hi is None:
            raise DQConfigError(f"{where}: give 'min', 'max' or both")
        if lo is not None and hi is not None and lo > hi:
            raise DQConfigError(f"{where}: 'min' ({lo}) is greater than 'max' ({hi})")
        params.update(min=lo, max=hi)
    if kind == "referential_integrity":
        params["ref_table"] = _table_ref(raw["ref_table"], where)
        if not isinstance(raw["ref_column"], str) or not raw["ref_column"]:
            raise DQConfigError(f"{where}: 'ref_column' must be a column name")
        params["ref_column"] = raw["ref_column"]
    if kind == "freshness":
        params["max_age_hours"] = _number(raw, "max_age_hours", where, minimum=0)
    if kind == "row_count_change":
        params["max_change_pct"] = _number(raw, "max_change_pct", where, minimum=0)

    name = raw.get("name") or (f"{kind}:{','.join(columns)}" if columns else kind)
    if not isinstance(name, str):
        raise DQConfigError(f"{where}: 'name' must be a string")
    return Check(kind, name, severity, table, columns, params)


def suite_path(suite: str | Path) -> Path:
    p = Path(suite)
    if p.suffix in (".yaml", ".yml"):
        return p
    return SUITES_DIR / f"{suite}.yaml"


def load_suite(suite: str | Path) -> Suite:
    """Parse and validate a suite; every problem is a DQConfigError naming file, table and check."""
    path = suite_path(suite)
    origin = str(path)
    if not path.is_file():
        known = sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))
        raise DQConfigError(
            f"DQ suite {suite!r} not found at {path}; known suites: {', '.join(known) or 'none'}"
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DQConfigError(f"{origin}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise DQConfigError(f"{origin}: a suite must be a mapping with 'suite' and 'tables'")
    unknown = sorted(set(raw) - {"suite", "description", "tables"})
    if unknown:
        raise DQConfigError(f"{origin}: unknown key(s) {unknown}; allowed: description, suite, tables")
    name = raw.get("suite")
    if name != path.stem:
        raise DQConfigError(f"{origin}: key 'suite' is {name!r}; it must equal the file name {path.stem!r}")
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, list) or not tables_raw:
        raise DQConfigError(f"{origin}: 'tables' must be a non-empty list")
    tables: list[TableSpec] = []
    seen_tables: set[str] = set()
    for t_index, t in enumerate(tables_raw):
        if not isinstance(t, dict) or set(t) - {"table", "checks"} or "table" not in t:
            raise DQConfigError(
                f"{origin}: tables[{t_index}] must be a mapping with keys 'table' and 'checks'"
            )
        table = _table_ref(t["table"], f"{origin}: tables[{t_index}]")
        if table in seen_tables:
            raise DQConfigError(f"{origin}: table {table} is listed twice; put its checks in one entry")
        seen_tables.add(table)
        checks_raw = t.get("checks")
        if not isinstance(checks_raw, list) or not checks_raw:
            raise DQConfigError(f"{origin}: table {table}: 'checks' must be a non-empty list")
        checks = [_parse_check(c, table, i, origin) for i, c in enumerate(checks_raw)]
        names = [c.name for c in checks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DQConfigError(
                f"{origin}: table {table}: duplicate check name(s) {dupes}; set 'name' to tell them apart"
            )
        tables.append(TableSpec(table, tuple(checks)))
    return Suite(name, path, str(raw.get("description") or ""), tuple(tables))
