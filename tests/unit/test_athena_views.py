"""athena_sql views: the columns each view declares (what Terraform writes into the Glue view) are the
columns its SELECT really produces over the contract tables, and no view exposes a PII column — analysts
get SELECT on every view of their layers (modules/lakeformation)."""

import re
from pathlib import Path

import pytest

from lakehouse.contracts import all_contracts

SQL_DIR = Path(__file__).resolve().parents[2] / "athena_sql"
VIEW = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+([a-z_][a-z0-9_]*)\s+AS\s+(.+?)[;\s]*$", re.I | re.S
)
COLUMN = re.compile(r"^--\s*column:\s*([a-z_][a-z0-9_]*)\s+(\S+)\s*$", re.M)
LAYER = re.compile(r"^--\s*database:\s*([a-z]+)\s*$", re.M)

VIEW_FILES = sorted(p for p in SQL_DIR.glob("*.sql") if VIEW.search(p.read_text()))


def test_the_shipped_views_are_found():
    assert {VIEW.search(p.read_text()).group(1) for p in VIEW_FILES} >= {
        "current_customers",
        "revenue_orders",
    }


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_declared_columns_match_what_the_select_produces(spark, path):
    text = path.read_text()
    name, select = VIEW.search(text).groups()
    declared = COLUMN.findall(text)
    assert declared, f"{path.name}: a view declares its columns ('-- column: <name> <hive type>')"
    layer = LAYER.search(text).group(1)
    contracts = all_contracts(layer)
    for c in contracts:  # empty tables shaped like the contracts, under the names the SQL uses
        spark.createDataFrame([], c.spark_schema(with_metadata=True)).createOrReplaceTempView(c.table)
    produced = [(f.name, f.dataType.simpleString()) for f in spark.sql(select).schema.fields]
    assert produced == declared, (
        f"{path.name}: view {name} declares {declared} but its SELECT yields {produced}"
    )

    read = {t.lower() for t in re.findall(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)", select, re.I)}
    pii = {col.name for c in contracts if c.table in read for col in c.columns if col.pii}
    exposed = pii & {n for n, _ in declared}
    assert not exposed, f"{path.name}: view {name} exposes PII columns {sorted(exposed)}"
