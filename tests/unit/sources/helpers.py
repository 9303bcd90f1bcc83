"""A minimal job context for driving bronze.ingest in tests (the real one is lakehouse.jobs.JobContext)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ctx:
    cfg: Any
    state: Any
    spark: Any
    execution_date: dt.date = dt.date(2024, 6, 30)
    job: str = "ingest"
    run_id: str = "test-run"
    log: Any = field(default_factory=lambda: logging.getLogger("test.ingest"))
    counters: Counter = field(default_factory=Counter)

    def count(self, name, value, table=None):
        self.counters[(name, table)] += value


def make_ctx(cfg, spark, **kw):
    from lakehouse.state import open_state

    return Ctx(cfg=cfg, state=open_state(cfg), spark=spark, **kw)
