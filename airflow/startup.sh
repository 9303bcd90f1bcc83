#!/usr/bin/env bash
# MWAA startup script (runs on every scheduler, worker and webserver before Airflow starts).
# Checks that the files Terraform uploads next to the DAGs are present, so a broken upload shows up in
# the startup log instead of as a DAG import error later, and points the DAG factory at them.
set -euo pipefail

DAGS_DIR="${AIRFLOW_HOME:-/usr/local/airflow}/dags"
export LAKEHOUSE_DAGS_CONFIG_DIR="${DAGS_DIR}/config"
# Regional STS endpoints: the execution role's credentials never depend on us-east-1.
export AWS_STS_REGIONAL_ENDPOINTS=regional

for f in pipeline.yaml job_config.json; do
  if [ ! -s "${LAKEHOUSE_DAGS_CONFIG_DIR}/${f}" ]; then
    echo "lakehouse startup: ${LAKEHOUSE_DAGS_CONFIG_DIR}/${f} is missing or empty (terraform apply uploads it)" >&2
  fi
done
echo "lakehouse startup: component=${MWAA_AIRFLOW_COMPONENT:-unknown} config=${LAKEHOUSE_DAGS_CONFIG_DIR}"
