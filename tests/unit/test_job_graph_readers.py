"""The job graph is read twice: by the local runner (``lakehouse.runner``) and by the Airflow DAGs
(``airflow/dags/lakehouse_orchestration/config.py``; MWAA cannot import the Spark package). Both readers must
see the same jobs, arguments and dependencies, and refuse the same broken graphs: a graph only one of them
refuses would pass every local run and break on MWAA (or the other way round). No Spark, no Airflow."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from datetime import date

import pytest
import yaml

from lakehouse import runner as runner_module
from lakehouse.config import REPO_ROOT
from lakehouse.runner import PIPELINE_FILE, PipelineError, entrypoints_dir, load_pipeline

_spec = importlib.util.spec_from_file_location(
    "airflow_job_graph", REPO_ROOT / "airflow" / "dags" / "lakehouse_orchestration" / "config.py"
)
airflow_config = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = airflow_config  # dataclasses look their module up there
_spec.loader.exec_module(airflow_config)


def test_both_readers_know_the_same_entry_points_and_groups():
    assert set(runner_module.KNOWN_ENTRYPOINTS) == set(airflow_config.ENTRYPOINTS)
    assert set(runner_module.KNOWN_GROUPS) == set(airflow_config.GROUPS + airflow_config.OTHER_GROUPS)


def test_both_readers_see_the_same_graph():
    runner = load_pipeline()
    dags = airflow_config.parse_pipeline(yaml.safe_load(PIPELINE_FILE.read_text()), PIPELINE_FILE)
    assert list(runner.jobs) == list(dags.jobs)
    assert {n: s["cron"] for n, s in runner.schedules.items()} == {
        n: s["cron"] for n, s in dags.schedules.items()
    }
    for name in runner.schedules:  # the lock policy each side hands every job of the schedule
        assert runner.lock_args(name) == dags.lock_args(name), name
    assert runner.lock_args("daily") == ["--if-locked", "wait", "--lock-wait-minutes", "30"]
    assert runner.lock_args("hourly") == ["--if-locked", "wait", "--lock-wait-minutes", "30"]
    day = date(2024, 6, 30)
    for name, r in runner.jobs.items():
        a = dags.jobs[name]
        assert (r.entrypoint, r.group, r.needs, r.schedules, r.sla_minutes) == (
            a.entrypoint,
            a.group,
            a.needs,
            a.schedules,
            a.sla_minutes,
        ), name
        # the argv each side hands the entry point, also on a backfill of one date
        assert r.cli_args() == a.cli_args(), name
        assert r.cli_args(day) == a.cli_args(day.isoformat()), name


GOOD_JOB = {
    "entrypoint": "ingest.py",
    "args": {"source": "snowflake"},
    "group": "extract_source",
    "needs": [],
    "schedules": ["daily"],
    "sla_minutes": 30,
}
BROKEN = {
    "unknown key (a typo of needs)": {"extract": {**GOOD_JOB, "need": ["x"]}},
    "missing entrypoint": {"extract": {k: v for k, v in GOOD_JOB.items() if k != "entrypoint"}},
    "missing group": {"extract": {k: v for k, v in GOOD_JOB.items() if k != "group"}},
    "unknown entrypoint": {"extract": {**GOOD_JOB, "entrypoint": "nope.py"}},
    "unknown group": {"extract": {**GOOD_JOB, "group": "extract_sources"}},
    "unknown schedule": {"extract": {**GOOD_JOB, "schedules": ["weekly"]}},
    "needs not a list": {"extract": {**GOOD_JOB, "needs": "other"}},
    "schedules not a list": {"extract": {**GOOD_JOB, "schedules": "daily"}},
    "sla not a positive integer": {"extract": {**GOOD_JOB, "sla_minutes": 0}},
    "args not a mapping": {"extract": {**GOOD_JOB, "args": ["--source", "x"]}},
    "unknown need": {"extract": {**GOOD_JOB, "needs": ["nowhere"]}},
    "need off the job's schedule": {
        "extract": {**GOOD_JOB, "schedules": ["hourly"]},
        "silver": {**GOOD_JOB, "group": "transform_bronze_silver", "needs": ["extract"]},
    },
    "cycle": {
        "a": {**GOOD_JOB, "needs": ["b"]},
        "b": {**GOOD_JOB, "needs": ["a"]},
    },
}


BROKEN_SCHEDULES = {
    "unknown schedule key (a typo of if_locked)": {"if_lock": "skip"},
    "unknown lock policy": {"if_locked": "queue"},
    "wait without minutes": {"if_locked": "wait"},
    "minutes without wait": {"if_locked": "skip", "lock_wait_minutes": 10},
    "minutes not a positive integer": {"if_locked": "wait", "lock_wait_minutes": 0},
}


def _graph(jobs, **daily) -> dict:
    return {
        "schedules": {
            "daily": {"cron": "0 2 * * *", **daily},
            "hourly": {"cron": "0 * * * *"},
        },
        "jobs": jobs,
    }


def test_a_good_graph_passes_both(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(_graph({"extract": GOOD_JOB})))
    assert list(load_pipeline(path, entrypoints_dir()).jobs) == ["extract"]
    assert list(airflow_config.parse_pipeline(_graph({"extract": GOOD_JOB}), path).jobs) == ["extract"]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_both_readers_refuse_the_same_broken_graph(tmp_path, case):
    graph = _graph(BROKEN[case])
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(yaml.safe_dump(graph)))
    with pytest.raises(PipelineError):
        load_pipeline(path, entrypoints_dir())
    with pytest.raises(airflow_config.OrchestrationConfigError):
        airflow_config.parse_pipeline(graph, path)


@pytest.mark.parametrize("case", sorted(BROKEN_SCHEDULES))
def test_both_readers_refuse_the_same_broken_schedule(tmp_path, case):
    graph = _graph({"extract": GOOD_JOB}, **BROKEN_SCHEDULES[case])
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(graph))
    with pytest.raises(PipelineError, match="schedule 'daily'"):
        load_pipeline(path, entrypoints_dir())
    with pytest.raises(airflow_config.OrchestrationConfigError, match="schedule 'daily'"):
        airflow_config.parse_pipeline(graph, path)
