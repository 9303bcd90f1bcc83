"""``make bench``: pipeline figures on this machine, printed as a table and written to reports/bench.json.

1. full daily run at each scale (default 1 and 10) into a fresh lake: seconds and rows/s per layer
   (layer = the pipeline groups: extract_source -> bronze, transform_bronze_silver -> silver,
   dq_validation -> dq, transform_silver_gold -> gold, governance);
2. hourly incremental right after the daily run of the smallest scale (the ``hourly`` schedule reads only
   what is past the watermarks) vs that full run — goal <= 10 %;
3. framework overhead: the gold tables computed by ``lakehouse.bench_bare`` (plain PySpark) vs the
   pipeline's ``silver_to_gold`` job on the same silver — goal <= 1.2x.

No test asserts on these times. Usage: ``python -m lakehouse.bench [--scales 1,10] [--out reports/bench.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakehouse.config import REPO_ROOT

GROUP_LAYER = {
    "extract_source": "bronze",
    "transform_bronze_silver": "silver",
    "dq_validation": "dq",
    "transform_silver_gold": "gold",
    "governance": "governance",
}


def _cfg_for(lake: Path):
    from lakehouse import config

    os.environ["LAKEHOUSE_LAKE_DIR"] = str(lake)
    return config.load("local")


def _rows_per_layer(spark, cfg) -> dict[str, int]:
    from lakehouse import tables as io
    from lakehouse.maintenance import discover_tables

    rows: dict[str, int] = defaultdict(int)
    for layer, table in discover_tables(spark, cfg, ("bronze", "silver", "gold")):
        rows[layer] += io.read(spark, cfg, layer, table).count()
    return dict(rows)


def _per_layer(summary, pipeline) -> dict[str, float]:
    secs: dict[str, float] = defaultdict(float)
    for st in summary.stages:
        job = pipeline.jobs.get(st.name)
        secs[GROUP_LAYER.get(getattr(job, "group", ""), "other")] += st.seconds
    return dict(secs)


def full_run(spark, scale: float, work: Path, quiet) -> dict[str, Any]:
    from datetime import date

    from lakehouse.demo import prepare_sources
    from lakehouse.runner import load_pipeline, run

    lake = work / f"lake_scale_{scale:g}"
    shutil.rmtree(lake, ignore_errors=True)
    cfg = _cfg_for(lake)
    t0 = time.monotonic()
    manifest = prepare_sources(spark, cfg, scale=scale, log=quiet)
    gen_s = time.monotonic() - t0
    exec_date = date.fromisoformat(manifest["end_date"])
    t0 = time.monotonic()
    summary = run(cfg, exec_date, "daily", spark=spark, progress=quiet)
    seconds = time.monotonic() - t0
    secs = _per_layer(summary, load_pipeline())
    rows = _rows_per_layer(spark, cfg)
    return {
        "scale": scale,
        "status": summary.status,
        "generate_s": round(gen_s, 1),
        "total_s": round(seconds, 1),
        "layers": {
            layer: {
                "seconds": round(secs.get(layer, 0.0), 1),
                "rows": rows.get(layer),
                "rows_per_s": round(rows[layer] / secs[layer])
                if rows.get(layer) and secs.get(layer)
                else None,
            }
            for layer in ("bronze", "silver", "dq", "gold", "governance")
        },
        "_cfg": cfg,
        "_exec_date": exec_date,
    }


def hourly_run(spark, full: dict[str, Any], quiet) -> dict[str, Any]:
    from lakehouse.runner import run

    cfg, exec_date = full["_cfg"], full["_exec_date"]
    t0 = time.monotonic()
    summary = run(cfg, exec_date, "hourly", spark=spark, progress=quiet)
    seconds = time.monotonic() - t0
    return {
        "scale": full["scale"],
        "status": summary.status,
        "new_data": "none beyond the daily run's watermarks (see note)",
        "seconds": round(seconds, 1),
        "vs_full_pct": round(100 * seconds / full["total_s"], 1) if full["total_s"] else None,
    }


def overhead(spark, full: dict[str, Any], work: Path, quiet) -> dict[str, Any]:
    from lakehouse import bench_bare
    from lakehouse.runner import run

    cfg, exec_date = full["_cfg"], full["_exec_date"]
    out = work / "bare_gold"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    bench_bare.build(spark, cfg.lake_root, str(out))
    bare_s = time.monotonic() - t0
    t0 = time.monotonic()
    summary = run(cfg, exec_date, "daily", only=["silver_to_gold"], spark=spark, progress=quiet)
    pipe_s = time.monotonic() - t0
    return {
        "scale": full["scale"],
        "status": summary.status,
        "bare_s": round(bare_s, 1),
        "pipeline_s": round(pipe_s, 1),
        "ratio": round(pipe_s / bare_s, 2) if bare_s else None,
    }


def print_table(result: dict[str, Any], out=sys.stdout) -> None:
    p = lambda s="": print(s, file=out)  # noqa: E731
    p(f"{'scale':>6} {'layer':<11} {'seconds':>9} {'rows':>10} {'rows/s':>9}")
    for f in result["full_runs"]:
        for layer, v in f["layers"].items():
            p(
                f"{f['scale']:>6g} {layer:<11} {v['seconds']:>9.1f} {v['rows'] or '':>10} {v['rows_per_s'] or '':>9}"
            )
        p(
            f"{f['scale']:>6g} {'TOTAL':<11} {f['total_s']:>9.1f}   ({f['status']}; generation {f['generate_s']} s)"
        )
    if result.get("hourly"):
        h = result["hourly"]
        p(
            f"\nhourly incremental (scale {h['scale']:g}): {h['seconds']} s = {h['vs_full_pct']} % of the full run (goal <= 10 %)"
        )
    if result.get("overhead"):
        o = result["overhead"]
        p(
            f"framework overhead (scale {o['scale']:g}): pipeline silver_to_gold {o['pipeline_s']} s vs bare PySpark "
            f"{o['bare_s']} s = {o['ratio']}x (goal <= 1.2x)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lakehouse.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default=os.environ.get("LAKEHOUSE_BENCH_SCALES", "1,10"))
    ap.add_argument("--out", default=str(REPO_ROOT / "reports" / "bench.json"))
    ap.add_argument("--work-dir", default=None, help="where the bench lakes go (default: <cache>/bench)")
    ap.add_argument("--verbose", action="store_true", help="show the runner's stage progress")
    args = ap.parse_args(argv)
    try:
        scales = sorted(float(s) for s in args.scales.split(","))
        if not scales or min(scales) <= 0:
            raise ValueError
    except ValueError:
        print(
            f"bench: --scales must be positive numbers separated by commas, got {args.scales!r}",
            file=sys.stderr,
        )
        return 2
    from lakehouse.spark import build_session, cache_dir

    work = Path(args.work_dir or cache_dir() / "bench")
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LAKEHOUSE_LOG_LEVEL", "WARNING")
    quiet = print if args.verbose else (lambda *_: None)
    spark = build_session("lakehouse-bench")
    result: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "full_runs": [],
        "note": "hourly: the run after the daily run, with no new source data injected (the generator has no "
        "append mode yet); it measures the incremental path's fixed cost, not 1 % new data",
    }
    try:
        fulls = []
        for scale in scales:
            print(f"bench: full daily run at scale {scale:g} ...", flush=True)
            fulls.append(full_run(spark, scale, work, quiet))
        smallest = fulls[0]
        print("bench: hourly incremental ...", flush=True)
        result["hourly"] = hourly_run(spark, smallest, quiet)
        print("bench: framework overhead ...", flush=True)
        result["overhead"] = overhead(spark, smallest, work, quiet)
        result["full_runs"] = [{k: v for k, v in f.items() if not k.startswith("_")} for f in fulls]
    finally:
        spark.stop()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print_table(result)
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
