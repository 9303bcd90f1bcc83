"""Helpers the lakehouse DAG files share: configuration loading, the DAG factory, operators, callbacks.

Listed in ``.airflowignore`` so the DAG processor does not parse it as DAG files; the DAG folder is on
``sys.path`` (Airflow and MWAA both add it), so ``import lakehouse_orchestration`` works.
"""
