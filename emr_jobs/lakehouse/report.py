"""The run report: one self-contained HTML page (inline SVG charts, no scripts, no external assets) + JSON.

``summary`` keys (docs/pipeline_modules.md): run_id, env, execution_date, started_at, duration_s, status,
stages [{name, status, seconds}], tables [{layer, table, rows}], quarantine [{source_table, reason_code,
rows}], dq [{suite, check, table, severity, passed, observed}], accounting [{table, rows_in, loaded,
deduplicated, quarantined, balanced}]. Missing lists render as "none"; a missing scalar key is an error.
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

REQUIRED = ("run_id", "env", "execution_date", "status")
LISTS = ("stages", "tables", "quarantine", "dq", "accounting")
COLORS = {"ok": "#2e7d32", "bad": "#c62828", "warn": "#ef6c00", "bar": "#1565c0", "muted": "#9e9e9e"}


def _fmt(n: Any) -> str:
    if isinstance(n, bool) or n is None:
        return "" if n is None else str(n)
    if isinstance(n, int):
        return f"{n:,}"
    if isinstance(n, float):
        return f"{n:,.2f}" if abs(n) < 1e6 else f"{n:,.0f}"
    return str(n)


def bar_chart(
    title: str, items: list[tuple[str, float]], *, color: str = COLORS["bar"], unit: str = ""
) -> str:
    """A horizontal bar chart as inline SVG (labels left, values right of the bars)."""
    if not items:
        return f'<figure><figcaption>{escape(title)}</figcaption><p class="muted">none</p></figure>'
    bar_h, gap, label_w, bar_w, value_w = 18, 6, 230, 360, 110
    height = len(items) * (bar_h + gap) + gap
    top = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = max(1.0, bar_w * value / top) if value else 0
        rows.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}" rx="2">'
            f"<title>{escape(str(label))}: {escape(_fmt(value))}{escape(unit)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{escape(_fmt(value))}{escape(unit)}</text>'
        )
    width = label_w + bar_w + value_w
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="12" '
        f'font-family="sans-serif">{"".join(rows)}</svg></figure>'
    )


def stacked_pass_fail(title: str, groups: dict[str, tuple[int, int]]) -> str:
    """One bar per group split into passed (green) and failed (red) checks."""
    if not groups:
        return f'<figure><figcaption>{escape(title)}</figcaption><p class="muted">none</p></figure>'
    bar_h, gap, label_w, bar_w = 18, 6, 230, 360
    height = len(groups) * (bar_h + gap) + gap
    top = max(p + f for p, f in groups.values()) or 1
    rows = []
    for i, (label, (passed, failed)) in enumerate(groups.items()):
        y = gap + i * (bar_h + gap)
        wp, wf = bar_w * passed / top, bar_w * failed / top
        rows.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{wp:.1f}" height="{bar_h}" fill="{COLORS["ok"]}">'
            f"<title>{passed} passed</title></rect>"
            f'<rect x="{label_w + wp:.1f}" y="{y}" width="{wf:.1f}" height="{bar_h}" fill="{COLORS["bad"]}">'
            f"<title>{failed} failed</title></rect>"
            f'<text x="{label_w + wp + wf + 6:.1f}" y="{y + bar_h - 5}">{passed} passed, {failed} failed</text>'
        )
    width = label_w + bar_w + 160
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="12" '
        f'font-family="sans-serif">{"".join(rows)}</svg></figure>'
    )


def _table(rows: list[dict[str, Any]], columns: list[str], status_col: str | None = None) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cls = ""
        if status_col is not None:
            v = r.get(status_col)
            cls = ' class="bad"' if v in (False, "failed") else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(_fmt(r.get(c)))}</td>" for c in columns) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(summary: dict[str, Any]) -> str:
    s = _normalise(summary)
    layers: dict[str, int] = defaultdict(int)
    for t in s["tables"]:
        layers[t["layer"]] += int(t.get("rows") or 0)
    reasons: dict[str, int] = defaultdict(int)
    for q in s["quarantine"]:
        reasons[q["reason_code"]] += int(q.get("rows") or 0)
    dq_groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in s["dq"]:
        dq_groups[f"{d['suite']} / {d['severity']}"][0 if d["passed"] else 1] += 1
    dq_failed = [d for d in s["dq"] if not d["passed"]]
    unbalanced = [a for a in s["accounting"] if not a.get("balanced", True)]
    status_color = COLORS["ok"] if s["status"] == "succeeded" else COLORS["bad"]

    charts = "".join(
        [
            bar_chart(
                "Rows per layer",
                sorted(
                    layers.items(),
                    key=lambda kv: (
                        ["bronze", "silver", "gold"].index(kv[0])
                        if kv[0] in ("bronze", "silver", "gold")
                        else 9
                    ),
                ),
            ),
            bar_chart(
                "Quarantined rows by reason",
                sorted(reasons.items(), key=lambda kv: -kv[1]),
                color=COLORS["warn"],
            ),
            stacked_pass_fail(
                "DQ checks: passed / failed", {k: (v[0], v[1]) for k, v in sorted(dq_groups.items())}
            ),
            bar_chart(
                "Stage duration", [(x["name"], float(x.get("seconds") or 0)) for x in s["stages"]], unit=" s"
            ),
        ]
    )
    title = f"Lakehouse run {s['run_id']}"
    css = (
        "body{font-family:sans-serif;margin:2em;color:#212121;max-width:1100px}"
        "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.8em;border-bottom:1px solid #ddd}"
        "table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
        "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f5f5f5}"
        "tr.bad td{background:#ffebee}.muted{color:#9e9e9e}figure{margin:1em 0}"
        "figcaption{font-weight:bold;margin-bottom:.3em}.status{color:#fff;padding:2px 8px;border-radius:3px}"
        ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1em}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        # no scripts, no external resources: the page is inert and works offline
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{css}</style></head><body>"
        f'<h1>{escape(title)} <span class="status" style="background:{status_color}">{escape(s["status"])}</span></h1>'
        f"<p>Environment <b>{escape(s['env'])}</b> · execution date <b>{escape(str(s['execution_date']))}</b>"
        f" · started {escape(str(s.get('started_at') or ''))} · duration <b>{_fmt(float(s.get('duration_s') or 0))} s</b>"
        f" · DQ: {len(s['dq']) - len(dq_failed)}/{len(s['dq'])} checks passed"
        f" · row balance: {'holds' if not unbalanced else f'<b>broken for {len(unbalanced)} table(s)</b>'}</p>"
        f'<div class="grid">{charts}</div>'
        "<h2>Stages</h2>"
        + _table(s["stages"], ["name", "status", "seconds"], "status")
        + "<h2>Row accounting (rows in = loaded + deduplicated + quarantined)</h2>"
        + _table(
            s["accounting"],
            ["table", "rows_in", "loaded", "deduplicated", "quarantined", "balanced"],
            "balanced",
        )
        + "<h2>Failed DQ checks</h2>"
        + _table(dq_failed, ["suite", "table", "check", "severity", "observed"], "passed")
        + "<h2>Tables</h2>"
        + _table(s["tables"], ["layer", "table", "rows"])
        + "<h2>Quarantine</h2>"
        + _table(s["quarantine"], ["source_table", "reason_code", "rows"])
        + "<h2>All DQ checks</h2>"
        + _table(s["dq"], ["suite", "table", "check", "severity", "passed", "observed"], "passed")
        + "</body></html>"
    )


def _normalise(summary: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(summary, dict):
        raise ValueError("run report: summary must be a dict")
    missing = [k for k in REQUIRED if k not in summary]
    if missing:
        raise ValueError(f"run report: summary is missing key(s) {missing}")
    s = dict(summary)
    for key in LISTS:
        value = s.get(key) or []
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            raise ValueError(f"run report: summary key {key!r} must be a list of objects")
        s[key] = value
    return s


def write_run_report(summary: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``run_<run_id>.html`` and ``run_<run_id>.json`` into ``out_dir``; returns (html, json)."""
    s = _normalise(summary)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(s["run_id"]))
    html_path, json_path = out / f"run_{safe}.html", out / f"run_{safe}.json"
    html_path.write_text(render_html(s), encoding="utf-8")
    json_path.write_text(json.dumps(s, indent=2, default=str), encoding="utf-8")
    return html_path, json_path
