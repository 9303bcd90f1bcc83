"""entrypoints/transform.py: argument and configuration errors exit before anything runs."""

import importlib.util
from pathlib import Path

import pytest

from lakehouse.jobs import main

PATH = Path(__file__).resolve().parents[3] / "emr_jobs" / "entrypoints" / "transform.py"


@pytest.fixture(scope="module")
def transform():
    spec = importlib.util.spec_from_file_location("transform_entry", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(mod, argv, body=None):
    calls = []
    rc = main(mod.JOB, mod.add_args, body or calls.append, argv, job_name=mod.job_name)
    return rc, calls


def test_unknown_step_is_an_argument_error(transform, capsys):
    with pytest.raises(SystemExit) as exc:
        _run(transform, ["--env", "local", "--execution-date", "2024-06-30", "--step", "platinum"])
    assert exc.value.code == 2
    assert "invalid choice: 'platinum'" in capsys.readouterr().err


def test_aws_environment_without_job_config_exits_2_before_the_body(transform, capsys):
    rc, calls = _run(transform, ["--env", "prod", "--execution-date", "2024-06-30", "--step", "gold"])
    assert rc == 2 and calls == []
    assert "needs --config-uri" in capsys.readouterr().err


def test_steps_map_to_the_job_names_of_the_graph(transform):
    from lakehouse.runner import load_pipeline

    pipe = load_pipeline()
    for step, job in transform.STEP_JOBS.items():
        assert pipe.jobs[job].entrypoint == "transform.py" and pipe.jobs[job].args == {"step": step}


def test_failing_body_exits_1_and_releases_the_lock(transform, tmp_lake, monkeypatch, tmp_path):
    import json

    cfg_file = tmp_path / "job_config.json"
    cfg_file.write_text(json.dumps(tmp_lake.to_dict()))

    def boom(ctx):
        raise RuntimeError("silver exploded")

    argv = [
        "--env",
        "local",
        "--execution-date",
        "2024-06-30",
        "--config-uri",
        str(cfg_file),
        "--step",
        "silver",
    ]
    rc, _ = _run(transform, argv, boom)
    assert rc == 1
    rc, calls = _run(transform, argv)  # the lock was released: the next run is not refused
    assert rc == 0 and len(calls) == 1 and calls[0].job == "bronze_to_silver"


def test_gold_refuses_the_silver_only_backfill_mode_before_any_work(transform):
    from argparse import Namespace
    from types import SimpleNamespace

    with pytest.raises(ValueError, match="--mode backfill is a silver mode"):
        transform.body(SimpleNamespace(args=Namespace(step="gold", mode="backfill")))


def _lock_argv(cfg_file, *policy):
    return ["--env", "local", "--execution-date", "2024-06-30", "--config-uri", str(cfg_file), "--step", "gold",
            "--run-id", "hourly.silver_to_gold", *policy]  # fmt: skip


def test_a_held_lock_fails_skips_or_waits_as_the_schedule_says(transform, tmp_lake, tmp_path, capsys):
    """pipeline.yaml if_locked: daily waits, hourly skips (exit 0, RunSkipped), otherwise exit 3."""
    import json

    from lakehouse.jobs import EXIT_LOCKED
    from lakehouse.state import open_state

    cfg_file = tmp_path / "job_config.json"
    cfg_file.write_text(json.dumps(tmp_lake.to_dict()))
    daily = open_state(tmp_lake)
    daily.acquire_lock("silver_to_gold", "daily.silver_to_gold", ttl_seconds=600)

    rc, calls = _run(transform, _lock_argv(cfg_file))
    assert (rc, calls) == (EXIT_LOCKED, []) and "refused" in capsys.readouterr().err

    rc, calls = _run(transform, _lock_argv(cfg_file, "--if-locked", "skip"))
    assert (rc, calls) == (0, [])
    assert "silver_to_gold: skipped: job 'silver_to_gold' is already running" in capsys.readouterr().err
    metrics_file = tmp_path / "lake" / "_metrics" / "silver_to_gold.jsonl"
    metrics = [json.loads(line) for line in metrics_file.read_text().splitlines()]
    assert {"RunSkipped": 1, "JobFailed": 0}.items() <= {m["metric"]: m["value"] for m in metrics}.items()

    rc, calls = _run(transform, _lock_argv(cfg_file, "--if-locked", "wait", "--lock-wait-minutes", "0.001"))
    assert (rc, calls) == (EXIT_LOCKED, [])  # waited 60 ms, still held
    daily.release_lock("silver_to_gold", "daily.silver_to_gold")
    rc, calls = _run(transform, _lock_argv(cfg_file, "--if-locked", "wait", "--lock-wait-minutes", "5"))
    assert rc == 0 and len(calls) == 1  # free: no wait at all


def test_a_waited_for_lock_is_lock_wait_not_duration(transform, tmp_lake, tmp_path, monkeypatch):
    """DurationSeconds starts when the lock is taken (a 30-min wait must not trip the duration alarm); the
    wait is LockWaitSeconds."""
    import json
    import threading
    import time

    from lakehouse.state import base, open_state

    monkeypatch.setattr(base, "LOCK_POLL_SECONDS", 0.05)
    cfg_file = tmp_path / "job_config.json"
    cfg_file.write_text(json.dumps(tmp_lake.to_dict()))
    daily = open_state(tmp_lake)
    daily.acquire_lock("silver_to_gold", "daily.silver_to_gold", ttl_seconds=600)
    releaser = threading.Timer(0.6, daily.release_lock, ("silver_to_gold", "daily.silver_to_gold"))
    releaser.start()

    def body(ctx):
        time.sleep(0.1)

    argv = _lock_argv(cfg_file, "--if-locked", "wait", "--lock-wait-minutes", "5")
    rc = main(transform.JOB, transform.add_args, body, argv, job_name=transform.job_name)
    releaser.join()
    assert rc == 0
    metrics_file = tmp_path / "lake" / "_metrics" / "silver_to_gold.jsonl"
    got = {m["metric"]: m["value"] for m in map(json.loads, metrics_file.read_text().splitlines())}
    assert got["LockWaitSeconds"] >= 0.6
    assert 0.1 <= got["DurationSeconds"] < 0.6


@pytest.mark.parametrize(
    "policy",
    [
        ["--if-locked", "wait"],
        ["--lock-wait-minutes", "5"],
        ["--if-locked", "wait", "--lock-wait-minutes", "0"],
    ],
)
def test_lock_wait_arguments_must_go_together(transform, policy, capsys):
    with pytest.raises(SystemExit) as exc:
        _run(transform, ["--env", "local", "--execution-date", "2024-06-30", "--step", "gold", *policy])
    assert exc.value.code == 2 and "minutes" in capsys.readouterr().err
