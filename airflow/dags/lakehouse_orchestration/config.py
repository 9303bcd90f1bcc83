"""Load the files Terraform uploads next to the DAGs: the job graph, the job configuration and the
EMR Serverless run configuration.

* ``config/pipeline.yaml`` — the job graph (``emr_jobs/conf/pipeline.yaml``, copied by Terraform).
* ``config/job_config.json`` — the environment's generated job configuration (docs/interfaces.md).
* ``config/emr_configuration_overrides.json`` — the StartJobRun ``configurationOverrides`` every job run
  passes (Delta jars/extension, Glue metastore, S3 + CloudWatch logging with KMS), from the
  emr_serverless module; the provider cannot set them on the application itself.

``LAKEHOUSE_DAGS_CONFIG_DIR`` points elsewhere (tests, local runs). In a repository checkout, a missing
``pipeline.yaml`` falls back to ``emr_jobs/conf/pipeline.yaml`` so the graph is never retyped; the job
configuration and the run configuration have no fallback: a DAG without them would start jobs nowhere (or
without Delta and logging), so the import fails naming the missing file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DAGS_DIR = Path(__file__).resolve().parents[1]
REPO_PIPELINE = DAGS_DIR.parents[1] / "emr_jobs" / "conf" / "pipeline.yaml"
ENVIRONMENTS = ("local", "dev", "staging", "prod")
GROUPS = ("extract_source", "transform_bronze_silver", "dq_validation", "transform_silver_gold", "governance")
# Groups outside the daily chain: their jobs run in their own schedule's DAG.
OTHER_GROUPS = ("maintenance", "streaming")
ENTRYPOINTS = ("ingest.py", "transform.py", "quality.py", "maintenance.py", "stream.py")
JOB_KEYS = ("entrypoint", "args", "backfill_args", "group", "needs", "schedules", "sla_minutes")
SCHEDULE_KEYS = ("cron", "description", "if_locked", "lock_wait_minutes")
IF_LOCKED = ("fail", "skip", "wait")  # what a job does when another run holds its lock (lakehouse.jobs)


class OrchestrationConfigError(ValueError):
    """The job graph or the job configuration is unusable; the message names the file and key."""


def config_dir() -> Path:
    return Path(os.environ.get("LAKEHOUSE_DAGS_CONFIG_DIR") or DAGS_DIR / "config")


@dataclass(frozen=True)
class Job:
    name: str
    entrypoint: str
    args: dict[str, Any]
    group: str
    needs: tuple[str, ...]
    schedules: tuple[str, ...]
    sla_minutes: int | None
    backfill_args: dict[str, Any] = field(default_factory=dict)  # merged over args on a backfill run

    @property
    def source(self) -> str | None:
        """The source an extract job reads (the ``--source`` argument), used by the source filter."""
        value = self.args.get("source")
        return str(value) if value is not None else None

    def cli_args(self, backfill_date: str | None = None) -> list[str]:
        """Job-specific arguments as the entry point takes them: ``{source: x}`` -> ``--source x``; on a
        backfill of ``backfill_date`` with ``backfill_args`` merged in (``{date}`` -> that date)."""
        args = dict(self.args)
        if backfill_date is not None:
            args.update({k: str(v).replace("{date}", backfill_date) for k, v in self.backfill_args.items()})
        out: list[str] = []
        for key, value in args.items():
            out += [f"--{key.replace('_', '-')}", str(value)]
        return out


@dataclass(frozen=True)
class Pipeline:
    schedules: dict[str, dict[str, Any]]
    jobs: dict[str, Job]

    def jobs_for(self, schedule: str) -> list[Job]:
        return [j for j in self.jobs.values() if schedule in j.schedules]

    def lock_args(self, schedule: str) -> list[str]:
        """The entry-point arguments of the schedule's ``if_locked`` policy, for each of its jobs."""
        sched = self.schedules[schedule]
        policy = sched.get("if_locked", "fail")
        out = ["--if-locked", policy]
        if policy == "wait":
            out += ["--lock-wait-minutes", str(sched["lock_wait_minutes"])]
        return out


def _fail(origin: Path | str, msg: str) -> None:
    raise OrchestrationConfigError(f"{origin}: {msg}")


def parse_pipeline(raw: Any, origin: Path | str) -> Pipeline:
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("schedules"), dict)
        or not isinstance(raw.get("jobs"), dict)
    ):
        _fail(origin, "must be a mapping with 'schedules' and 'jobs' mappings")
    schedules: dict[str, dict[str, Any]] = {}
    for name, sched in raw["schedules"].items():
        if not isinstance(sched, dict) or "cron" not in sched:
            _fail(origin, f"schedule '{name}' needs a 'cron' key (a cron string or null)")
        unknown_keys = sorted(set(sched) - set(SCHEDULE_KEYS))
        if unknown_keys:
            _fail(
                origin,
                f"schedule '{name}': unknown key(s) {unknown_keys}; allowed: {', '.join(SCHEDULE_KEYS)}",
            )
        policy, wait = sched.get("if_locked", "fail"), sched.get("lock_wait_minutes")
        if policy not in IF_LOCKED:
            _fail(origin, f"schedule '{name}': if_locked {policy!r} is not one of {', '.join(IF_LOCKED)}")
        if (policy == "wait") != (wait is not None):
            _fail(origin, f"schedule '{name}': lock_wait_minutes goes with if_locked: wait, and only with it")
        if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait <= 0):
            _fail(origin, f"schedule '{name}': lock_wait_minutes must be a positive integer, got {wait!r}")
        if sched["cron"] is not None and (
            not isinstance(sched["cron"], str) or len(sched["cron"].split()) != 5
        ):
            _fail(origin, f"schedule '{name}': cron {sched['cron']!r} is not a 5-field cron string")
        schedules[name] = sched
    jobs: dict[str, Job] = {}
    for name, spec in raw["jobs"].items():
        if not isinstance(spec, dict):
            _fail(origin, f"job '{name}' must be a mapping")
        unknown_keys = sorted(set(spec) - set(JOB_KEYS))
        if unknown_keys:  # a typo ("need:") would otherwise drop the job's dependencies silently
            _fail(origin, f"job '{name}': unknown key(s) {unknown_keys}; allowed: {', '.join(JOB_KEYS)}")
        for key in ("entrypoint", "group", "schedules"):
            if key not in spec:
                _fail(origin, f"job '{name}' is missing '{key}'")
        if not isinstance(spec["schedules"], list) or not isinstance(spec.get("needs") or [], list):
            _fail(origin, f"job '{name}': needs and schedules must be lists")
        if spec["entrypoint"] not in ENTRYPOINTS:
            _fail(
                origin,
                f"job '{name}': entrypoint {spec['entrypoint']!r} is not one of {', '.join(ENTRYPOINTS)}",
            )
        if spec["group"] not in GROUPS + OTHER_GROUPS:
            _fail(
                origin,
                f"job '{name}': group {spec['group']!r} is not one of {', '.join(GROUPS + OTHER_GROUPS)}",
            )
        unknown = [s for s in spec["schedules"] if s not in schedules]
        if unknown:
            _fail(origin, f"job '{name}': unknown schedule(s) {unknown}; defined: {sorted(schedules)}")
        sla = spec.get("sla_minutes")
        if sla is not None and (isinstance(sla, bool) or not isinstance(sla, int) or sla <= 0):
            _fail(origin, f"job '{name}': sla_minutes must be a positive integer or null, got {sla!r}")
        args = spec.get("args") or {}
        backfill_args = spec.get("backfill_args") or {}
        if not isinstance(args, dict) or not isinstance(backfill_args, dict):
            _fail(origin, f"job '{name}': args and backfill_args must be mappings")
        jobs[name] = Job(
            name=name,
            entrypoint=spec["entrypoint"],
            args=args,
            group=spec["group"],
            needs=tuple(spec.get("needs") or ()),
            schedules=tuple(spec["schedules"]),
            sla_minutes=sla,
            backfill_args=backfill_args,
        )
    for job in jobs.values():
        missing = [n for n in job.needs if n not in jobs]
        if missing:
            _fail(origin, f"job '{job.name}' needs unknown job(s) {missing}")
        for need in job.needs:
            off = [s for s in job.schedules if s not in jobs[need].schedules]
            if off:  # that schedule's DAG would wait on a task it does not have
                _fail(origin, f"job '{job.name}' runs on {off} but needs '{need}', which does not")
    _check_acyclic(jobs, origin)
    return Pipeline(schedules=schedules, jobs=jobs)


def _check_acyclic(jobs: dict[str, Job], origin: Path | str) -> None:
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            _fail(origin, f"the job graph has a cycle: {' -> '.join(path + [name])}")
        state[name] = 1
        for dep in jobs[name].needs:
            visit(dep, path + [name])
        state[name] = 2

    for name in jobs:
        visit(name, [])


@lru_cache(maxsize=4)
def _load_pipeline(path: str, mtime: float) -> Pipeline:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise OrchestrationConfigError(f"{path}: not valid YAML ({exc})") from exc
    return parse_pipeline(raw, path)


def load_pipeline() -> Pipeline:
    path = config_dir() / "pipeline.yaml"
    if not path.is_file() and REPO_PIPELINE.is_file():
        path = REPO_PIPELINE
    if not path.is_file():
        raise OrchestrationConfigError(
            f"job graph not found: {config_dir() / 'pipeline.yaml'} (Terraform uploads it to dags/config/)"
        )
    return _load_pipeline(str(path), path.stat().st_mtime)


# Keys the DAGs need from the job configuration (a subset of the full schema in docs/interfaces.md).
_REQUIRED = {
    "environment": str,
    "project": str,
    "region": str,
    "lake_root": str,
    "artifacts_root": str,
    "emr": dict,
}
_REQUIRED_EMR = ("application_id", "execution_role_arn", "code_root", "log_uri")


@dataclass(frozen=True)
class JobConfig:
    raw: dict[str, Any]

    @property
    def environment(self) -> str:
        return self.raw["environment"]

    @property
    def prefix(self) -> str:
        """``<project>-<environment>``: the resource-name prefix of docs/interfaces.md."""
        return f"{self.raw['project']}-{self.raw['environment']}"

    @property
    def emr(self) -> dict[str, str]:
        return self.raw["emr"]

    @property
    def config_uri(self) -> str:
        return f"{self.raw['artifacts_root'].rstrip('/')}/config/job_config.json"

    @property
    def lake_root(self) -> str:
        return self.raw["lake_root"].rstrip("/")

    def notification(self, key: str) -> str | None:
        return (self.raw.get("notifications") or {}).get(key) or None

    def secret(self, key: str) -> str | None:
        return (self.raw.get("secrets") or {}).get(key) or None

    @property
    def metrics_namespace(self) -> str:
        return (self.raw.get("metrics") or {}).get("namespace") or f"Lakehouse/{self.environment}"


def parse_job_config(raw: Any, origin: Path | str) -> JobConfig:
    if not isinstance(raw, dict):
        _fail(origin, "the job configuration must be a JSON object")
    for key, typ in _REQUIRED.items():
        if not isinstance(raw.get(key), typ):
            _fail(origin, f"key '{key}' is missing or not a {typ.__name__}")
    if raw["environment"] not in ENVIRONMENTS:
        _fail(origin, f"key 'environment' is {raw['environment']!r}; allowed: {', '.join(ENVIRONMENTS)}")
    for key in _REQUIRED_EMR:
        if not raw["emr"].get(key):
            _fail(origin, f"key 'emr.{key}' is missing or empty (the DAGs start EMR Serverless jobs with it)")
    return JobConfig(raw=raw)


@lru_cache(maxsize=4)
def _load_job_config(path: str, mtime: float) -> JobConfig:
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise OrchestrationConfigError(f"{path}: not valid JSON ({exc})") from exc
    return parse_job_config(raw, path)


def load_job_config() -> JobConfig:
    path = config_dir() / "job_config.json"
    if not path.is_file():
        raise OrchestrationConfigError(
            f"job configuration not found: {path} (Terraform uploads it to dags/config/job_config.json; "
            "set LAKEHOUSE_DAGS_CONFIG_DIR to use another folder)"
        )
    return _load_job_config(str(path), path.stat().st_mtime)


# StartJobRun configurationOverrides: the two keys the API takes.
_OVERRIDE_KEYS = ("applicationConfiguration", "monitoringConfiguration")
OVERRIDES_FILE = "emr_configuration_overrides.json"


def parse_run_overrides(raw: Any, origin: Path | str) -> dict[str, Any]:
    """Check the shape StartJobRun accepts, so a broken file fails the import, not every job run."""
    if not isinstance(raw, dict) or not raw:
        _fail(origin, "the EMR configuration overrides must be a non-empty JSON object")
    unknown = sorted(set(raw) - set(_OVERRIDE_KEYS))
    if unknown:
        _fail(
            origin,
            f"unknown key(s) {', '.join(unknown)}; configurationOverrides takes {', '.join(_OVERRIDE_KEYS)}",
        )
    app = raw.get("applicationConfiguration", [])
    if not isinstance(app, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("classification"), str)
        and isinstance(c.get("properties", {}), dict)
        for c in app
    ):
        _fail(origin, "key 'applicationConfiguration' must be a list of {classification, properties} objects")
    if not isinstance(raw.get("monitoringConfiguration", {}), dict):
        _fail(origin, "key 'monitoringConfiguration' must be an object")
    return raw


@lru_cache(maxsize=4)
def _load_run_overrides(path: str, mtime: float) -> dict[str, Any]:
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise OrchestrationConfigError(f"{path}: not valid JSON ({exc})") from exc
    return parse_run_overrides(raw, path)


def load_run_overrides() -> dict[str, Any]:
    path = config_dir() / OVERRIDES_FILE
    if not path.is_file():
        raise OrchestrationConfigError(
            f"EMR configuration overrides not found: {path} (Terraform uploads them to dags/config/{OVERRIDES_FILE}; "
            "set LAKEHOUSE_DAGS_CONFIG_DIR to use another folder)"
        )
    return _load_run_overrides(str(path), path.stat().st_mtime)
