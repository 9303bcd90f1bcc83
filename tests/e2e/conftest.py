"""End-to-end fixtures: generated sources at a tiny scale, copied into a fresh lake per scenario, and one
clean daily run everyone compares against (built once per session: a full run is the expensive part)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

SCALE = float(os.environ.get("LAKEHOUSE_E2E_SCALE", "0.01"))


def make_cfg(lake: Path):
    from lakehouse.config import embedded_default, validate

    raw = embedded_default()
    raw.update(
        {
            "lake_root": str(lake),
            "state": {"backend": "local", "path": str(lake / "_state")},
            "metrics": {"backend": "jsonl", "path": str(lake / "_metrics")},
        }
    )
    return validate(raw, "e2e lake")


def gold_snapshot(spark, cfg) -> dict[str, list[tuple]]:
    """Every gold table as sorted rows: 'identical' means the same rows, whatever the Delta versions."""
    from lakehouse import tables as io
    from lakehouse.gold import GOLD_TABLES

    out = {}
    for t in GOLD_TABLES:
        df = io.read(spark, cfg, "gold", t)
        rows = [tuple(r) for r in df.select(*sorted(df.columns)).collect()]
        out[t] = sorted(rows, key=lambda r: [(v is None, repr(v)) for v in r])  # NULLs sort too
    return out


class Lakes:
    """Source data generated once; ``new()`` gives a fresh lake that holds a copy of it."""

    def __init__(self, root: Path, spark):
        from lakehouse.demo import prepare_sources

        self.root = root
        self.template = root / "template"
        self.template.mkdir()
        os.environ.setdefault("LAKEHOUSE_LOG_LEVEL", "WARNING")
        self.manifest = prepare_sources(spark, make_cfg(self.template), scale=SCALE, log=lambda *_: None)
        self.execution_date = date.fromisoformat(self.manifest["end_date"])
        self.n = 0

    def copy_of(self, cfg, name: str):
        """A private copy of a lake (e.g. the baseline) a test may change freely."""
        self.n += 1
        lake = self.root / f"{self.n:02d}-{name}"
        shutil.copytree(cfg.lake_root, lake)
        relocate_stream_checkpoints(Path(cfg.lake_root), lake)
        return make_cfg(lake)

    def new(self, name: str):
        self.n += 1
        lake = self.root / f"{self.n:02d}-{name}"
        shutil.copytree(self.template, lake)
        return make_cfg(lake)


def relocate_stream_checkpoints(old: Path, new: Path) -> None:
    """A file-stream checkpoint lists the files it processed by absolute URI: point a copied lake's
    checkpoints at the copy's own source files (else the Kafka stand-in stream fails on the copy with
    'Wrong basePath'). The rewritten logs' Hadoop .crc files are dropped (they would no longer match)."""
    for log in (new / "checkpoints").glob("**/sources/*/*"):
        if log.is_file() and not log.name.startswith("."):
            text = log.read_text()
            if f"{old.as_uri()}/" in text:
                log.write_text(text.replace(f"{old.as_uri()}/", f"{new.as_uri()}/"))
                log.with_name(f".{log.name}.crc").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def lakes(spark, tmp_path_factory):
    return Lakes(tmp_path_factory.mktemp("e2e"), spark)


@pytest.fixture(scope="session")
def baseline(spark, lakes):
    """One clean daily run: (cfg, RunSummary, gold snapshot)."""
    from lakehouse.runner import run

    cfg = lakes.new("baseline")
    summary = run(cfg, lakes.execution_date, "daily", spark=spark, progress=lambda *_: None)
    assert summary.status == "succeeded", [s for s in summary.stages if s.status != "succeeded"]
    return cfg, summary, gold_snapshot(spark, cfg)


def manifest_defects(lakes) -> list[dict]:
    return json.loads(json.dumps(lakes.manifest["defects"]))
