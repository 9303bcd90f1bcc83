"""How the scheduler of the pinned Airflow queues a backfill run's mapped job tasks.

``dag.test()`` runs every scheduled task instance itself, ignoring concurrency limits, so it cannot show
the order a real deployment runs a backfill in. Here the DAG is parsed and stored as the DAG processor
does, a backfill run is created, ``validate_run`` is run, and the scheduler's own selection step
(``SchedulerJobRunner._executable_task_instances_to_queued``) decides what to queue. These are internals
of the pinned Airflow (airflow/requirements-local.txt; the set-up mirrors ``DAG.test``): if an upgrade
breaks this test, check the ordering and the limit again rather than dropping it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.utils.state import TaskInstanceState

pytestmark = pytest.mark.usefixtures("airflow_db")

DATES = ["2024-06-01", "2024-06-02", "2024-06-03"]


@pytest.fixture()
def backfill_run():
    """A running backfill of the daily DAG over DATES, validate_run done, the extract tasks scheduled."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.models.dagbag import DBDagBag
    from airflow.models.dagrun import get_or_create_dagrun
    from airflow.sdk.definitions.dag import _run_task
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    sdk_dags = {}
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
        sdk_dags.update(bag.dags)
    sdk_dag = sdk_dags["lakehouse_daily"]
    logical = datetime(2024, 6, 10, 2, tzinfo=UTC)
    with create_session() as session:
        # New DAGs are paused (dags_are_paused_at_creation); the scheduler skips paused DAGs.
        session.get(DagModel, "lakehouse_daily").is_paused = False
        dag = DBDagBag().get_latest_version_of_dag("lakehouse_daily", session=session)
        dr = get_or_create_dagrun(
            dag=dag, run_id="manual__backfill_order", logical_date=logical, data_interval=(logical, logical),
            run_after=logical, start_date=logical, session=session,
            conf={"start_date": DATES[0], "end_date": DATES[-1]},
            triggered_by=DagRunTriggeredByType.TEST, triggering_user_name="test",
        )  # fmt: skip
        [validate] = dr.update_state(session=session)[0]
        validate.try_number += 1
        session.commit()
        _run_task(ti=validate, task=sdk_dag.task_dict["validate_run"])
        session.expire_all()
        for ti in dr.update_state(session=session)[0]:  # expands the jobs with no upstream job
            ti.try_number += 1
            ti.state = TaskInstanceState.SCHEDULED
        session.commit()
    yield dr
    with create_session() as session:
        session.delete(session.merge(dr))
        session.get(DagModel, "lakehouse_daily").is_paused = True


def _queue_all(session) -> list:
    """Run the scheduler's selection until it queues nothing more (each loop queues up to its limits)."""
    from airflow.executors.executor_loader import ExecutorLoader
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner

    runner = SchedulerJobRunner(job=Job(), executors=ExecutorLoader.init_executors())
    queued = []
    while batch := runner._executable_task_instances_to_queued(max_tis=64, session=session):
        session.commit()
        queued += batch
    return queued


def _set(session, dr, task_id: str, map_index: int, state: TaskInstanceState) -> None:
    [ti] = [
        t for t in dr.get_task_instances(session=session) if (t.task_id, t.map_index) == (task_id, map_index)
    ]
    ti.state = state
    session.commit()


def test_a_backfill_queues_each_job_one_date_at_a_time_oldest_first(backfill_run):
    from airflow.utils.session import create_session

    dr = backfill_run
    with create_session() as session:
        dr = session.merge(dr)
        expanded = [t for t in dr.get_task_instances(session=session) if t.map_index >= 0]
        jobs = sorted({t.task_id for t in expanded})
        assert len(jobs) >= 6 and len(expanded) == len(jobs) * len(DATES)
        first = _queue_all(session)
        assert sorted((t.task_id, t.map_index) for t in first) == [(j, 0) for j in jobs]
        # The job run is started and the task defers while EMR runs it: its next date still waits.
        job = jobs[0]
        _set(session, dr, job, 0, TaskInstanceState.DEFERRED)
        assert [(t.task_id, t.map_index) for t in _queue_all(session)] == []
        _set(session, dr, job, 0, TaskInstanceState.SUCCESS)
        assert [(t.task_id, t.map_index) for t in _queue_all(session)] == [(job, 1)]
        _set(session, dr, job, 1, TaskInstanceState.SUCCESS)
        assert [(t.task_id, t.map_index) for t in _queue_all(session)] == [(job, 2)]
