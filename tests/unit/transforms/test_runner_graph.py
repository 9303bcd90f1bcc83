"""pipeline.yaml validation and ordering (no Spark)."""

import textwrap

import pytest

from lakehouse.runner import PIPELINE_FILE, PipelineError, load_pipeline

HEAD = """
schedules:
  daily: {cron: "0 2 * * *", description: d}
  hourly: {cron: "0 * * * *", description: h}
jobs:
"""


@pytest.fixture
def entrypoints(tmp_path):
    d = tmp_path / "entrypoints"
    d.mkdir()
    for f in ("ingest.py", "transform.py", "quality.py", "maintenance.py"):
        (d / f).write_text("")
    return d


def _write(tmp_path, jobs: str):
    p = tmp_path / "pipeline.yaml"
    p.write_text(HEAD + textwrap.indent(textwrap.dedent(jobs), "  "))
    return p


def test_repository_pipeline_is_valid_and_orders_extract_silver_dq_gold(entrypoints):
    (entrypoints / "stream.py").write_text("")
    pipe = load_pipeline(PIPELINE_FILE, entrypoints)
    daily = [j.name for j in pipe.order("daily")]
    pos = {n: i for i, n in enumerate(daily)}
    assert max(pos[n] for n in daily if n.startswith("extract_")) < pos["bronze_to_silver"]
    assert pos["bronze_to_silver"] < pos["dq_silver"] < pos["silver_to_gold"]
    assert "table_maintenance" not in daily and "stream_kafka" not in daily
    assert [j.name for j in pipe.order("hourly")][-1] == "silver_to_gold"


def test_order_is_topological_and_schedule_filtered(tmp_path, entrypoints):
    p = _write(
        tmp_path,
        """
        gold: {entrypoint: transform.py, group: governance, needs: [silver], schedules: [daily, hourly]}
        extract: {entrypoint: ingest.py, group: governance, needs: [], schedules: [daily, hourly]}
        silver: {entrypoint: transform.py, group: governance, needs: [extract], schedules: [daily, hourly]}
        catalog: {entrypoint: maintenance.py, group: governance, needs: [gold], schedules: [daily]}
        """,
    )
    pipe = load_pipeline(p, entrypoints)
    assert [j.name for j in pipe.order("daily")] == ["extract", "silver", "gold", "catalog"]
    assert [j.name for j in pipe.order("hourly")] == ["extract", "silver", "gold"]
    assert [j.name for j in pipe.order("daily", only=["gold", "silver"])] == ["silver", "gold"]


@pytest.mark.parametrize(
    "jobs, message",
    [
        (
            "a: {entrypoint: transform.py, group: governance, needs: [nope], schedules: [daily]}",
            "needs unknown job 'nope'",
        ),
        (
            """
            a: {entrypoint: transform.py, group: governance, needs: [b], schedules: [daily]}
            b: {entrypoint: transform.py, group: governance, needs: [a], schedules: [daily]}
            """,
            "dependency cycle: a -> b -> a",
        ),
        (
            "a: {entrypoint: spark_magic.py, group: governance, needs: [], schedules: [daily]}",
            "unknown entrypoint 'spark_magic.py'",
        ),
        (
            "a: {entrypoint: stream.py, group: governance, needs: [], schedules: [daily]}",
            "stream.py does not exist",
        ),
        (
            "a: {entrypoint: transform.py, group: governance, needs: [], schedules: [weekly]}",
            "unknown schedule(s) ['weekly']",
        ),
        (
            "a: {entrypoint: transform.py, group: governance, needs: [], schedules: [daily], retries: 3}",
            "unknown key(s) ['retries']",
        ),
        (
            """
            a: {entrypoint: transform.py, group: governance, needs: [], schedules: [daily]}
            b: {entrypoint: transform.py, group: governance, needs: [a], schedules: [daily, hourly]}
            """,
            "job 'b' runs on ['hourly'] but needs 'a'",
        ),
        (
            "a: {entrypoint: transform.py, group: governance, needs: [], schedules: [daily], backfill_args: [x]}",
            "'args' and 'backfill_args' must be mappings",
        ),
    ],
)
def test_inconsistent_graph_is_refused_with_a_clear_error(tmp_path, entrypoints, jobs, message):
    with pytest.raises(PipelineError) as exc:
        load_pipeline(_write(tmp_path, jobs), entrypoints)
    assert message in str(exc.value)


def test_unknown_schedule_and_job_in_only_are_refused(tmp_path, entrypoints):
    pipe = load_pipeline(
        _write(tmp_path, "a: {entrypoint: transform.py, group: governance, needs: [], schedules: [daily]}"),
        entrypoints,
    )
    with pytest.raises(PipelineError, match="unknown schedule 'weekly'"):
        pipe.order("weekly")
    with pytest.raises(PipelineError, match=r"unknown job\(s\) \['zz'\]"):
        pipe.order("daily", only=["zz"])
    with pytest.raises(PipelineError, match="not in schedule 'hourly'"):
        pipe.order("hourly", only=["a"])


def test_a_backfill_run_gives_silver_the_dates_to_re_derive(entrypoints):
    """The repository's graph: on a backfill of D, bronze_to_silver re-derives what bronze loaded on D;
    an ordinary run and the jobs without backfill_args keep their arguments."""
    from datetime import date

    (entrypoints / "stream.py").write_text("")
    jobs = load_pipeline(PIPELINE_FILE, entrypoints).jobs
    d = date(2024, 6, 30)
    assert jobs["bronze_to_silver"].cli_args() == ["--step", "silver"]
    assert jobs["bronze_to_silver"].cli_args(d) == [
        "--step", "silver", "--mode", "backfill", "--since", "2024-06-30", "--until", "2024-06-30"
    ]  # fmt: skip
    assert jobs["silver_to_gold"].cli_args(d) == jobs["silver_to_gold"].cli_args() == ["--step", "gold"]


def test_with_args_overrides_one_job_for_a_one_off_run(entrypoints):
    (entrypoints / "stream.py").write_text("")
    pipe = load_pipeline(PIPELINE_FILE, entrypoints)
    full = pipe.with_args("silver_to_gold", mode="full")
    assert full.jobs["silver_to_gold"].cli_args() == ["--step", "gold", "--mode", "full"]
    assert pipe.jobs["silver_to_gold"].cli_args() == ["--step", "gold"]  # the graph itself is unchanged
    assert full.jobs["bronze_to_silver"] == pipe.jobs["bronze_to_silver"]
    with pytest.raises(PipelineError, match="unknown job 'nope'"):
        pipe.with_args("nope", mode="full")
