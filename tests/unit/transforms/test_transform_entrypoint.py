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
