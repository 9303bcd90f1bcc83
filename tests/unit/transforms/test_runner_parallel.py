"""The runner's scheduling: independent jobs run side by side (up to ``parallel``), a job starts only after
every job it needs succeeded, and after a failure nothing new starts. The jobs are stand-in entry points
that record when they start and end; the shared session fixture is only handed through."""

from __future__ import annotations

import textwrap
import threading
from datetime import date

import pytest

from lakehouse import runner

# One entry point for every stand-in job: sleeps, optionally fails, and records start/end per job name.
ENTRYPOINT = """
import time

EVENTS = []  # (event, job, monotonic time), appended from the runner's worker threads


def add_args(p):
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--fail", default="no")


def body(ctx):
    EVENTS.append(("start", ctx.job, time.monotonic()))
    time.sleep(ctx.args.sleep)
    EVENTS.append(("end", ctx.job, time.monotonic()))
    if ctx.args.fail == "yes":
        raise RuntimeError(f"{ctx.job} failed on purpose")
"""

GRAPH = """
schedules:
  daily: {cron: "0 2 * * *", description: d}
jobs:
"""


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    d = tmp_path / "entrypoints"
    d.mkdir()
    (d / "transform.py").write_text(ENTRYPOINT)
    monkeypatch.setenv("LAKEHOUSE_ENTRYPOINTS_DIR", str(d))
    modules: dict[str, object] = {}
    load = runner._load_entrypoint

    def load_once(job):  # one module per entry point file, so every job records into the same EVENTS
        if job.entrypoint not in modules:
            modules[job.entrypoint] = load(job)
        return modules[job.entrypoint]

    monkeypatch.setattr(runner, "_load_entrypoint", load_once)

    def make(jobs: str):
        p = tmp_path / "pipeline.yaml"
        p.write_text(GRAPH + textwrap.indent(textwrap.dedent(jobs), "  "))
        pipe = runner.load_pipeline(p, d)
        events = lambda: load_once(next(iter(pipe.jobs.values()))).EVENTS  # noqa: E731
        return pipe, events

    return make


def _job(name, needs=(), sleep=0.0, fail="no"):
    return (
        f"{name}: {{entrypoint: transform.py, args: {{sleep: {sleep}, fail: '{fail}'}}, group: governance, "
        f"needs: [{', '.join(needs)}], schedules: [daily]}}\n"
    )


def _spans(events):
    start = {j: t for e, j, t in events() if e == "start"}
    end = {j: t for e, j, t in events() if e == "end"}
    return start, end


def test_independent_jobs_overlap_and_a_job_waits_for_what_it_needs(pipeline, spark, tmp_lake):
    pipe, events = pipeline(
        _job("a", sleep=1.0) + _job("b", sleep=1.0) + _job("c", needs=["a", "b"]) + _job("d", needs=["c"])
    )
    summary = runner.run(tmp_lake, date(2024, 6, 1), pipeline=pipe, spark=spark, parallel=2, progress=print)
    assert summary.status == "succeeded"
    assert [s.name for s in summary.stages] == [
        "a",
        "b",
        "c",
        "d",
    ]  # the graph's order, whatever finished first
    start, end = _spans(events)
    assert start["b"] < end["a"] and start["a"] < end["b"]  # a and b ran at the same time
    assert start["c"] >= max(end["a"], end["b"]) and start["d"] >= end["c"]
    st = {s.name: s for s in summary.stages}  # the summary places each stage on the run's clock
    assert st["b"].started_s < st["a"].started_s + st["a"].seconds
    assert (
        st["c"].started_s
        >= max(st["a"].started_s + st["a"].seconds, st["b"].started_s + st["b"].seconds) - 0.05
    )


def test_bench_layers_are_wall_clock_spans_of_overlapping_jobs_and_each_job_is_listed():
    from types import SimpleNamespace

    from lakehouse.bench import _per_job, _per_layer

    pipe = SimpleNamespace(
        jobs={
            "x1": SimpleNamespace(group="extract_source"),
            "x2": SimpleNamespace(group="extract_source"),
            "s": SimpleNamespace(group="transform_bronze_silver"),
            "g": SimpleNamespace(group="transform_silver_gold"),
        }
    )
    stages = [
        runner.StageResult("x1", "succeeded", 10.0, 0, started_s=0.0),
        runner.StageResult("x2", "succeeded", 4.0, 0, started_s=2.0),  # inside x1's span
        runner.StageResult("s", "succeeded", 5.0, 0, started_s=10.0),
        runner.StageResult("g", "skipped"),
    ]
    assert _per_layer(SimpleNamespace(stages=stages), pipe) == {"bronze": 10.0, "silver": 5.0}
    # and what the spans are made of: each job that ran, in the order it started
    assert list(_per_job(SimpleNamespace(stages=stages[::-1])).items()) == [
        ("x1", 10.0),
        ("x2", 4.0),
        ("s", 5.0),
    ]


def test_bench_prints_each_scales_hourly_floors_under_its_own_hourly_figure():
    import io

    from lakehouse.bench import print_table

    def hourly(scale, seconds, full_s):
        return {
            "scale": scale,
            "fraction": 0.01,
            "seconds": seconds,
            "full_s": full_s,
            "vs_full_pct": round(100 * seconds / full_s, 1),
            "status": "succeeded",
            "appended_rows": 10,
            "batch": 1,
            "execution_date": "2024-07-01",
            "append_s": 1.0,
            "appended": {"orders": 10},
            "layers_s": {"bronze": 1.0},
            "rows_in": {"bronze": 10, "silver": 10},
            "rows_written": {"bronze": 10, "silver": 10, "gold": 10},
        }

    def floors(scale, empty_s, bare_s):
        return {
            "scale": scale,
            "empty_status": "succeeded",
            "empty_s": empty_s,
            "empty_pct": 1.0,
            "bare_tables": 31,
            "bare_layers_s": {"bronze": 1.0, "silver": 2.0, "gold": 3.0},
            "bare_s": bare_s,
            "bare_pct": 2.0,
        }

    out = io.StringIO()
    print_table(
        {
            "full_runs": [],
            "hourly": [hourly(1.0, 80.0, 180.0), hourly(10.0, 130.0, 200.0)],
            "hourly_floors": [floors(10.0, 21.5, 39.8), floors(1.0, 11.4, 19.2)],
        },
        out,
    )
    text = out.getvalue()
    assert text.index("scale 1:") < text.index("nothing new 11.4 s") < text.index("scale 10:")
    assert text.index("scale 10:") < text.index("nothing new 21.5 s")
    assert "each of 31 tables 39.8 s = 2.0 % (bronze 1.0, silver 2.0, gold 3.0)" in text


def test_a_job_waits_for_what_it_needs_through_a_job_left_out(pipeline, spark, tmp_lake):
    """--only silver_to_gold bronze_to_silver: gold needs dq_silver, which needs silver; dq_silver is not
    run, and gold must still wait for silver (they would otherwise run side by side)."""
    pipe, events = pipeline(
        _job("silver", sleep=0.5) + _job("dq", needs=["silver"]) + _job("gold", needs=["dq"])
    )
    summary = runner.run(
        tmp_lake,
        date(2024, 6, 1),
        only=["gold", "silver"],
        pipeline=pipe,
        spark=spark,
        parallel=2,
        progress=print,
    )
    assert summary.status == "succeeded" and [s.name for s in summary.stages] == ["silver", "gold"]
    start, end = _spans(events)
    assert start["gold"] >= end["silver"]


def test_parallel_one_runs_jobs_one_after_another(pipeline, spark, tmp_lake):
    pipe, events = pipeline(_job("a", sleep=0.3) + _job("b", sleep=0.3))
    summary = runner.run(tmp_lake, date(2024, 6, 1), pipeline=pipe, spark=spark, parallel=1, progress=print)
    assert summary.status == "succeeded"
    start, end = _spans(events)
    assert start["b"] >= end["a"]


def test_after_a_failure_running_jobs_finish_and_nothing_new_starts(pipeline, spark, tmp_lake):
    pipe, events = pipeline(
        _job("bad", sleep=0.1, fail="yes") + _job("slow", sleep=1.5) + _job("after", needs=["slow"])
    )
    summary = runner.run(tmp_lake, date(2024, 6, 1), pipeline=pipe, spark=spark, parallel=2, progress=print)
    status = {s.name: s.status for s in summary.stages}
    assert status == {"bad": "failed", "slow": "succeeded", "after": "skipped"}
    assert summary.status == "failed"
    assert "failed on purpose" in next(s.error for s in summary.stages if s.name == "bad")
    assert "after" not in {j for _, j, _ in events()}


def test_the_crash_switch_raises_once_the_running_jobs_are_done(pipeline, spark, tmp_lake, monkeypatch):
    pipe, events = pipeline(_job("a", sleep=0.1) + _job("b", sleep=1.0) + _job("c", needs=["a", "b"]))
    monkeypatch.setenv(runner.FAIL_AFTER_ENV, "a")
    with pytest.raises(runner.InjectedFailure, match="after job 'a'"):
        runner.run(tmp_lake, date(2024, 6, 1), pipeline=pipe, spark=spark, parallel=2, progress=print)
    ran = {j for e, j, _ in events() if e == "end"}
    assert ran == {"a", "b"}  # b was already running: it finished; c never started


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_a_bad_parallel_setting_is_refused_before_any_job(pipeline, spark, tmp_lake, monkeypatch, bad):
    pipe, events = pipeline(_job("a"))
    monkeypatch.setenv(runner.PARALLEL_ENV, bad)
    with pytest.raises(runner.PipelineError, match="LAKEHOUSE_PARALLEL_JOBS"):
        runner.run(tmp_lake, date(2024, 6, 1), pipeline=pipe, spark=spark, progress=print)
    assert events() == []


def test_two_threads_merging_into_one_table_both_land(spark, tmp_lake, monkeypatch):
    """The per-table writer lock: concurrent MERGEs into one table (as two bronze jobs of a local run
    quarantine rows) serialise instead of failing on Delta's conflict check, and each reports its own rows."""
    from lakehouse import tables as io

    monkeypatch.setattr(io, "CONFLICT_ATTEMPTS", 1)  # no retry: only the lock keeps the writers apart

    schema = "source_table string, k string, v string"
    io.merge(
        spark,
        tmp_lake,
        "quarantine",
        "q",
        spark.createDataFrame([("s0", "k0", "v")], schema),
        ["source_table", "k"],
        when_matched="ignore",
    )
    stats, errors = {}, []

    def write(src: str) -> None:
        try:
            df = spark.createDataFrame([(src, f"k{i}", "v") for i in range(20)], schema)
            stats[src] = io.merge(
                spark,
                tmp_lake,
                "quarantine",
                "q",
                df,
                ["source_table", "k"],
                when_matched="ignore",
                dedupe=False,
            )
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"s{n}",)) for n in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {s: st.inserted for s, st in stats.items()} == {"s1": 20, "s2": 20, "s3": 20}
    assert io.read(spark, tmp_lake, "quarantine", "q").count() == 61


def test_a_commit_that_lost_to_another_writer_is_retried(monkeypatch):
    from delta.exceptions import ConcurrentAppendException

    from lakehouse import tables as io

    monkeypatch.setattr(io.time, "sleep", lambda _s: None)
    calls = []

    def commit():
        calls.append(1)
        if len(calls) < 3:
            raise ConcurrentAppendException(desc="Files were added by a concurrent update.", stackTrace="")
        return "committed"

    assert io._retry_conflicts(commit, "merge into quarantine.q") == "committed" and len(calls) == 3

    def always():
        raise ConcurrentAppendException(desc="again", stackTrace="")

    with pytest.raises(ConcurrentAppendException):
        io._retry_conflicts(always, "merge into quarantine.q")


def test_other_errors_are_not_retried(monkeypatch):
    from lakehouse import tables as io

    calls = []

    def commit():
        calls.append(1)
        raise ValueError("schema mismatch")

    with pytest.raises(ValueError, match="schema mismatch"):
        io._retry_conflicts(commit, "merge into silver.t")
    assert len(calls) == 1
