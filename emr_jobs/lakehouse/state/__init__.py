"""Watermarks, run locks and the landing-file ledger: one interface, a DynamoDB and a local store."""

from __future__ import annotations

from pathlib import Path

from lakehouse.config import Config
from lakehouse.state.base import LockHeld, StateError, StateStore, WatermarkRegression, order_key
from lakehouse.state.dynamo import DynamoStateStore
from lakehouse.state.local import LocalStateStore

__all__ = [
    "DynamoStateStore",
    "LocalStateStore",
    "LockHeld",
    "StateError",
    "StateStore",
    "WatermarkRegression",
    "open_state",
    "order_key",
]


def open_state(cfg: Config) -> StateStore:
    backend = cfg.state["backend"]
    if backend == "dynamodb":
        return DynamoStateStore(cfg.state["table"], cfg.region, cfg.endpoint_url)
    return LocalStateStore(cfg.state.get("path") or Path(cfg.lake_root) / "_state")
