"""The lakehouse DAGs (Airflow on MWAA), generated from the job graph Terraform uploads next to them.

dag ids: ``lakehouse_<schedule>`` for every schedule in pipeline.yaml (``lakehouse_daily`` at 02:00 UTC,
``lakehouse_hourly``, ``lakehouse_maintenance``, ``lakehouse_streaming``) and ``lakehouse_gold_published``.
"""

from lakehouse_orchestration.factory import build_all

globals().update(build_all())
