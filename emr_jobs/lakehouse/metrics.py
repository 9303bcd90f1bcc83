"""Job metrics: CloudWatch PutMetricData in AWS (and on the emulator), JSON lines locally.

Names and dimensions follow docs/interfaces.md (namespace ``Lakehouse/<env>``, dimensions ``Job`` and
``Table`` where relevant); the alarms and the dashboard in terraform/modules/cloudwatch read exactly these.
Metrics are buffered and sent by ``flush()`` — the job harness flushes once at the end, also on failure,
so a failing job still reports ``JobFailed`` and its duration.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import CONF_DIR, Config, ConfigError

# The agreed metric names (docs/interfaces.md). Others may be added, but alarms only know these.
METRIC_NAMES = (
    "RecordsIn",
    "RecordsOut",
    "RecordsQuarantined",
    "DurationSeconds",
    "DQPassRate",
    "DQCriticalFailures",
    "DQWarningFailures",
    "EstimatedCostUSD",
    "JobFailed",
    "FreshnessMinutes",
    "RunSkipped",
    "LockWaitSeconds",
)
UNITS = {"Count", "Seconds", "Percent", "None", "Bytes", "Milliseconds"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,254}$")
_BATCH = 500  # PutMetricData takes up to 1000 datums per request; stay well under the 1 MB payload limit
PRICING_FILE = CONF_DIR / "emr_pricing.yaml"


class Metrics:
    """Buffer of metric datums for one job run."""

    def __init__(self, cfg: Config, job: str, run_id: str):
        self.cfg = cfg
        self.job = job
        self.run_id = run_id
        self._buffer: list[dict[str, Any]] = []
        self.backend = cfg.metrics["backend"]

    def put(self, name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r} (letters and digits, starting with a letter)")
        if unit not in UNITS:
            raise ValueError(f"invalid metric unit {unit!r}; allowed: {', '.join(sorted(UNITS))}")
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"metric {name} has a non-finite value {value!r}")
        dims = {"Job": self.job, **{k: str(v) for k, v in dimensions.items() if v is not None}}
        self._buffer.append(
            {"name": name, "value": value, "unit": unit, "dimensions": dims, "timestamp": time.time()}
        )

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._buffer)

    def flush(self) -> int:
        """Send the buffered datums; returns how many were sent. The buffer is emptied only on success."""
        if not self._buffer:
            return 0
        if self.backend == "cloudwatch":
            self._flush_cloudwatch()
        else:
            self._flush_jsonl()
        sent = len(self._buffer)
        self._buffer.clear()
        return sent

    def _flush_cloudwatch(self) -> None:
        from lakehouse.aws import client

        cw = client("cloudwatch", self.cfg.region, self.cfg.endpoint_url)
        datums = [
            {
                "MetricName": d["name"],
                "Value": d["value"],
                "Unit": d["unit"],
                "Timestamp": datetime.fromtimestamp(d["timestamp"], timezone.utc),
                "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(d["dimensions"].items())],
            }
            for d in self._buffer
        ]
        for i in range(0, len(datums), _BATCH):
            cw.put_metric_data(Namespace=self.cfg.metrics["namespace"], MetricData=datums[i : i + _BATCH])

    def _flush_jsonl(self) -> None:
        path = Path(self.cfg.metrics.get("path") or Path(self.cfg.lake_root) / "_metrics")
        path.mkdir(parents=True, exist_ok=True)
        namespace = self.cfg.metrics.get("namespace") or f"Lakehouse/{self.cfg.environment}"
        lines = [
            json.dumps(
                {
                    "timestamp": datetime.fromtimestamp(d["timestamp"], timezone.utc).isoformat(
                        timespec="milliseconds"
                    ),
                    "namespace": namespace,
                    "run_id": self.run_id,
                    "metric": d["name"],
                    "value": d["value"],
                    "unit": d["unit"],
                    "dimensions": d["dimensions"],
                },
                separators=(",", ":"),
            )
            for d in self._buffer
        ]
        # One write of whole lines in append mode: concurrent jobs never interleave inside a line.
        with open(path / f"{self.job}.jsonl", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def load_pricing(path: Path = PRICING_FILE) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"EMR price table not found: {path}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("regions"), dict):
        raise ConfigError(f"{path}: expected a mapping with a 'regions' key")
    return data


def estimate_emr_cost(
    vcpu_seconds: float, gb_seconds: float, region: str, architecture: str | None = None, *, pricing=None
) -> float:
    """EMR Serverless on-demand cost in USD for the given usage, from emr_jobs/conf/emr_pricing.yaml."""
    if vcpu_seconds < 0 or gb_seconds < 0:
        raise ValueError("vcpu_seconds and gb_seconds must be >= 0")
    pricing = pricing or load_pricing()
    arch = architecture or pricing.get("default_architecture", "x86_64")
    regions = pricing["regions"]
    if region not in regions:
        raise ConfigError(
            f"no EMR Serverless price for region {region!r} in {PRICING_FILE.name}; known: {', '.join(sorted(regions))}"
        )
    if arch not in regions[region]:
        raise ConfigError(f"no EMR Serverless price for architecture {arch!r} in region {region!r}")
    price = regions[region][arch]
    return round(vcpu_seconds * float(price["vcpu_second"]) + gb_seconds * float(price["gb_second"]), 6)


def _parse_memory_gb(value: str | None, default_gb: float) -> float:
    if not value:
        return default_gb
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)b?\s*", value.lower())
    if not m:
        return default_gb
    number, unit = float(m.group(1)), m.group(2) or "m"  # Spark reads a bare number as MiB
    return number * {"k": 1 / 1024**2, "m": 1 / 1024, "g": 1.0, "t": 1024.0}[unit]


def worker_architecture(machine: str | None = None) -> str:
    """The pricing architecture of the machine the driver runs on (Terraform deploys ARM64 workers; a
    laptop is usually x86_64): read from the platform, so the price never disagrees with the deployment."""
    machine = (machine or platform.machine()).lower()
    return "arm64" if machine in ("aarch64", "arm64", "armv8l") else "x86_64"


def resource_footprint(spark) -> tuple[float, float]:
    """(vCPUs, GB) the job holds: driver + registered executors, from the live Spark configuration.

    An estimate for the cost metric; the exact billed usage is in the EMR job run's
    ``totalResourceUtilization`` once the run has ended.
    """
    if spark is None:
        return 1.0, 1.0  # a driver-only run (no Spark touched) still pays for its driver container
    conf = spark.sparkContext.getConf()
    master = conf.get("spark.master", "")
    driver_cores = float(conf.get("spark.driver.cores", "1"))
    driver_gb = _parse_memory_gb(conf.get("spark.driver.memory"), 1.0)
    if master.startswith("local"):
        threads = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
        return float(spark.sparkContext.defaultParallelism if threads == "*" else threads), driver_gb
    executors = max(0, spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1)
    executor_cores = float(conf.get("spark.executor.cores", "4"))
    executor_gb = _parse_memory_gb(conf.get("spark.executor.memory"), 14.0)
    return driver_cores + executors * executor_cores, driver_gb + executors * executor_gb
