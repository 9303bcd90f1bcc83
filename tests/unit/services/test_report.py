"""The run report renders a self-contained HTML page with charts, and the same summary as JSON."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from lakehouse.report import write_run_report

SUMMARY = {
    "run_id": "daily-2024-03-01-abc",
    "env": "local",
    "execution_date": "2024-03-01",
    "started_at": "2024-03-02T02:00:00+00:00",
    "duration_s": 312.4,
    "status": "failed",
    "stages": [
        {"name": "extract_snowflake", "status": "succeeded", "seconds": 40.2},
        {"name": "silver_to_gold", "status": "failed", "seconds": 80.0},
    ],
    "tables": [
        {"layer": "bronze", "table": "orders", "rows": 100000},
        {"layer": "bronze", "table": "customers", "rows": 5000},
        {"layer": "silver", "table": "orders", "rows": 98000},
        {"layer": "gold", "table": "fact_orders", "rows": 97000},
    ],
    "quarantine": [
        {"source_table": "bronze.orders", "reason_code": "NULL_KEY", "rows": 120},
        {"source_table": "bronze.orders", "reason_code": "BAD_NUMBER", "rows": 80},
        {"source_table": "silver.orders", "reason_code": "NULL_KEY", "rows": 5},
    ],
    "dq": [
        {
            "suite": "gold",
            "check": "unique:order_id",
            "table": "gold/fact_orders",
            "severity": "critical",
            "passed": True,
            "observed": 0.0,
        },
        {
            "suite": "gold",
            "check": "freshness:<order_ts>",
            "table": "gold/fact_orders",
            "severity": "warning",
            "passed": False,
            "observed": 50.5,
        },
    ],
    "accounting": [
        {
            "table": "bronze.orders",
            "rows_in": 100200,
            "loaded": 100000,
            "deduplicated": 0,
            "quarantined": 200,
            "balanced": True,
        }
    ],
}


def test_report_renders_charts_and_tables(tmp_path):
    html_path, json_path = write_run_report(SUMMARY, tmp_path / "reports")
    html = html_path.read_text()
    assert json.loads(json_path.read_text())["run_id"] == SUMMARY["run_id"]
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ElementTree.fromstring(svg)  # each chart is well-formed SVG
    # rows per layer are summed (bronze 105,000), quarantine grouped by reason (NULL_KEY 125)
    assert "105,000" in html and ">NULL_KEY<" in html and "125" in html
    assert ">gold / critical<" in html and "1 passed, 0 failed" in html and "0 passed, 1 failed" in html
    # user data is escaped: a check named with angle brackets cannot inject markup
    assert "freshness:&lt;order_ts&gt;" in html and "<order_ts>" not in html
    # self-contained: no scripts, no external resources
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_report_with_empty_sections_still_renders(tmp_path):
    minimal = {k: SUMMARY[k] for k in ("run_id", "env", "execution_date", "status")}
    html_path, _ = write_run_report(minimal, tmp_path)
    assert html_path.read_text().count("none") >= 4


def test_report_refuses_a_summary_without_required_keys(tmp_path):
    with pytest.raises(ValueError, match=r"missing key\(s\) \['status'\]"):
        write_run_report({"run_id": "x", "env": "local", "execution_date": "2024-03-01"}, tmp_path)
    with pytest.raises(ValueError, match="'tables' must be a list"):
        write_run_report({**SUMMARY, "tables": "bronze"}, tmp_path)
