"""athena_sql: every named query and view reads only tables and columns its Glue database holds (the contract
tables, shaped by glue/<layer>/*.yaml, the files Terraform turns into Glue tables); the columns each view
declares (what Terraform writes into the Glue view) are the columns its SELECT really produces, and no view
exposes a PII column — analysts get SELECT on every view of their layers (modules/lakeformation)."""

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

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))
VIEW_FILES = [p for p in SQL_FILES if VIEW.search(p.read_text())]


@pytest.fixture
def athena_dialect(spark):
    """Spark in ANSI mode with double-quoted identifiers parses the SQL Athena (Trino) and Spark share; the
    shipped queries keep to it, so Spark's analyser can check their tables and columns here."""
    keys = ("spark.sql.ansi.enabled", "spark.sql.ansi.doubleQuotedIdentifiers")
    before = {k: spark.conf.get(k, "false") for k in keys}
    for k in keys:
        spark.conf.set(k, "true")
    yield spark
    for k, v in before.items():
        spark.conf.set(k, v)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.stem)
def test_every_query_reads_only_what_its_glue_database_holds(athena_dialect, path):
    spark, text = athena_dialect, path.read_text()
    layer = LAYER.search(text)
    assert layer, f"{path.name}: says which Glue database it runs in ('-- database: <layer>')"
    contracts = all_contracts(layer.group(1))
    assert contracts, (
        f"{path.name}: database {layer.group(1)!r} has no contract tables (glue/{layer.group(1)}/)"
    )
    for c in contracts:
        spark.createDataFrame([], c.spark_schema(with_metadata=c.carries_metadata)).createOrReplaceTempView(
            c.table
        )
    for other in VIEW_FILES:  # a query may read a view of its database
        other_text = other.read_text()
        if other != path and LAYER.search(other_text).group(1) == layer.group(1):
            view, select = VIEW.search(other_text).groups()
            spark.sql(select).createOrReplaceTempView(view)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    view = VIEW.search(body)
    sql = view.group(2) if view else body.strip().rstrip(";")
    try:
        spark.sql(sql).schema  # noqa: B018 - analysis resolves every table and column
    except Exception as exc:  # AnalysisException / ParseException: name what is wrong
        pytest.fail(f"{path.name} does not resolve against the {layer.group(1)} contract tables: {exc}")


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
