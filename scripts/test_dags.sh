#!/usr/bin/env bash
# DAG tests: run tests/dags with the Airflow version MWAA runs, in its own venv (bootstrap.sh airflow).
# The tests start their own moto server on a free loopback port and stop it by PID.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LAKEHOUSE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakehouse}"
bash "$ROOT/scripts/bootstrap.sh" airflow
PY="$CACHE/venvs/airflow/bin/python"
cd "$ROOT"
# AWS_ENDPOINT_URL/credentials of the caller must not leak into the tests (they set their own).
exec env -u AWS_ENDPOINT_URL -u AWS_PROFILE "$PY" -m pytest tests/dags -p no:cacheprovider \
  -W ignore::DeprecationWarning "$@"
