#!/usr/bin/env bash
# Offline toolchain bootstrap. Idempotent: every step checks a stamp or the built file first.
# Builds and downloads are cached outside the repo (LAKEHOUSE_CACHE_DIR) so CI and later runs reuse them.
#
#   scripts/bootstrap.sh python     # .venv with the jobs + dev dependencies (pyproject.toml)
#   scripts/bootstrap.sh terraform  # terraform binary check, provider mirror, CLI config
#   scripts/bootstrap.sh tools      # tflint + AWS ruleset, actionlint, terraform-docs, checkov
#   scripts/bootstrap.sh jars       # Delta / hadoop-aws / JDBC jars into the cached Ivy directory
#   scripts/bootstrap.sh postgres   # PostgreSQL server binaries (Debian) for the Redshift stand-in tests
#   scripts/bootstrap.sh airflow    # a separate venv with the Airflow version MWAA runs
#   scripts/bootstrap.sh all
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LAKEHOUSE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakehouse}"
BIN="$CACHE/bin"
MIRROR="$CACHE/terraform/mirror"
PYTHON="${PYTHON:-python3.11}"
mkdir -p "$BIN" "$MIRROR"
# Every download cache lives under $CACHE too, so an empty LAKEHOUSE_CACHE_DIR is a true cold start.
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" PIP_CACHE_DIR="$CACHE/pip"

# Versions: one place. Go tools are built from the Go module proxy (the only registry reachable offline).
TFLINT_VERSION=v0.54.0
TFLINT_RULESET_AWS_VERSION=v0.36.0
ACTIONLINT_VERSION=v1.7.12
TERRAFORM_DOCS_VERSION=v0.20.0
ARCHIVE_PROVIDER_VERSION=1.3.0   # the newest hashicorp/archive the Go proxy serves (v2 tags lack a /v2 module path)
AWS_PROVIDER_VERSION=5.100.0
CHECKOV_VERSION=3.3.30
AIRFLOW_VERSION="$(sed -n 's/^apache-airflow==\(.*\)$/\1/p' "$ROOT/airflow/requirements-local.txt" 2>/dev/null || true)"

die() { echo "bootstrap: $*" >&2; exit 1; }
log() { echo "bootstrap: $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is missing: $2"; }

# go install refuses modules whose version list the proxy hides, and modules with replace lines:
# download the exact version and build inside it.
go_build() { # module version output-name [package-dir]
  local mod="$1" ver="$2" out="$3" pkg="${4:-.}"
  [ -x "$BIN/$out" ] && [ -f "$BIN/.$out.$ver" ] && return 0
  need go "install Go (https://go.dev/dl) or put a prebuilt '$out' on PATH"
  log "building $out $ver from the Go module proxy (first run only)"
  local dir
  dir="$(GOFLAGS=-mod=mod go mod download -json "$mod@$ver" 2>/dev/null | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [ -n "$dir" ] || die "cannot download $mod@$ver from the Go module proxy ($(go env GOPROXY)); check the network or GOPROXY"
  local work="$CACHE/gobuild/$out"
  rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r "$dir" "$work" && chmod -R u+w "$work"
  (cd "$work" && GOFLAGS=-buildvcs=false go build -trimpath -o "$BIN/$out" "$pkg") \
    || die "building $out from $mod@$ver failed (see the go output above)"
  rm -rf "$work"
  touch "$BIN/.$out.$ver"
}

step_python() {
  need "$PYTHON" "install Python 3.11 (the jobs pin EMR 7's Spark 3.5, which supports 3.11)"
  local stamp="$ROOT/.venv/.stamp" want
  # only the dependency pins (direct in pyproject.toml, all of them in constraints.txt) decide whether the venv is current
  want="$( (sed -n '/^\[project.optional-dependencies\]/,/^\[tool/p' "$ROOT/pyproject.toml"; cat "$ROOT/constraints.txt") | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  log "creating .venv (jobs + dev dependencies)"
  "$PYTHON" -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check -c "$ROOT/constraints.txt" -e "$ROOT[jobs,dev]" \
    || die "pip could not install the pinned dependencies from PyPI (is PyPI reachable? PIP_INDEX_URL=${PIP_INDEX_URL:-default})"
  echo "$want" >"$stamp"
}

step_terraform() {
  local tf
  tf="$(command -v terraform || command -v tofu || true)"
  if [ -z "$tf" ]; then
    go_build github.com/opentofu/opentofu v1.9.1 tofu ./cmd/tofu
    ln -sf "$BIN/tofu" "$BIN/terraform"
    tf="$BIN/terraform"
  fi
  local ver
  ver="$("$tf" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')"
  case "$ver" in 1.[6-9].*|1.[1-9][0-9].*) ;; *) die "terraform >= 1.6 is needed, found '${ver:-unknown}' at $tf";; esac

  # AWS provider: reuse one already on disk (a filesystem-mirror layout), else fail with the fix.
  local aws_dir="$MIRROR/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64"
  if [ ! -e "$aws_dir/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5" ]; then
    local found
    found="$(find /opt /usr/local /usr/share /root/.terraform.d "$HOME/.terraform.d" -path "*hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64/terraform-provider-aws*" -type f 2>/dev/null | head -1 || true)"
    [ -n "$found" ] || die "the AWS provider $AWS_PROVIDER_VERSION is not on disk and the Terraform registry is unreachable; put it in a filesystem mirror (…/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64/) or run plain 'terraform init' where the registry is reachable"
    mkdir -p "$aws_dir" && ln -sf "$found" "$aws_dir/terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
  fi
  # hashicorp/archive is not on disk: build it.
  local arc_dir="$MIRROR/registry.terraform.io/hashicorp/archive/$ARCHIVE_PROVIDER_VERSION/linux_amd64"
  if [ ! -x "$arc_dir/terraform-provider-archive_v$ARCHIVE_PROVIDER_VERSION" ]; then
    go_build github.com/hashicorp/terraform-provider-archive "v$ARCHIVE_PROVIDER_VERSION" terraform-provider-archive
    mkdir -p "$arc_dir" && cp "$BIN/terraform-provider-archive" "$arc_dir/terraform-provider-archive_v$ARCHIVE_PROVIDER_VERSION"
  fi
  cat >"$CACHE/terraform/terraformrc" <<EOF
# Written by scripts/bootstrap.sh: providers come only from the local mirror (no registry here).
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
plugin_cache_dir = "$CACHE/terraform/plugin-cache"
EOF
  mkdir -p "$CACHE/terraform/plugin-cache"
}

step_tools() {
  go_build github.com/terraform-linters/tflint "$TFLINT_VERSION" tflint
  go_build github.com/terraform-linters/tflint-ruleset-aws "$TFLINT_RULESET_AWS_VERSION" tflint-ruleset-aws
  go_build github.com/rhysd/actionlint "$ACTIONLINT_VERSION" actionlint ./cmd/actionlint
  go_build github.com/terraform-docs/terraform-docs "$TERRAFORM_DOCS_VERSION" terraform-docs
  # tflint finds a manually installed ruleset in its plugin dir (no download from GitHub).
  mkdir -p "$CACHE/tflint/plugins"
  ln -sf "$BIN/tflint-ruleset-aws" "$CACHE/tflint/plugins/tflint-ruleset-aws"
  # checkov pins many libraries of its own: it gets its own venv so it cannot move the jobs' pins.
  local cv="$CACHE/venvs/checkov-$CHECKOV_VERSION"
  if [ ! -x "$cv/bin/checkov" ]; then
    log "installing checkov $CHECKOV_VERSION into its own venv"
    "$PYTHON" -m venv "$cv" && "$cv/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION" \
      || { rm -rf "$cv"; die "pip could not install checkov==$CHECKOV_VERSION"; }
  fi
  ln -sf "$cv/bin/checkov" "$BIN/checkov"
}

step_jars() {
  step_python
  "$ROOT/.venv/bin/python" -m lakehouse.spark --fetch-jars
}

step_postgres() {
  if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing PostgreSQL from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; } \
      || die "apt-get could not install postgresql"
  else
    die "PostgreSQL server binaries are missing: install the 'postgresql' package (tests start their own server on 127.0.0.1)"
  fi
}

step_airflow() {
  [ -n "$AIRFLOW_VERSION" ] || die "airflow/requirements-local.txt does not pin apache-airflow"
  local av="$CACHE/venvs/airflow-$(sha256sum "$ROOT/airflow/requirements-local.txt" | cut -c1-12)"
  if [ ! -x "$av/bin/airflow" ]; then
    log "installing Airflow $AIRFLOW_VERSION into its own venv (first run only)"
    "$PYTHON" -m venv "$av" && "$av/bin/pip" install -q --disable-pip-version-check -r "$ROOT/airflow/requirements-local.txt" \
      || { rm -rf "$av"; die "pip could not install airflow/requirements-local.txt"; }
  fi
  ln -sfn "$av" "$CACHE/venvs/airflow"
}

case "${1:-all}" in
  python) step_python ;;
  terraform) step_terraform ;;
  tools) step_tools ;;
  jars) step_jars ;;
  postgres) step_postgres ;;
  airflow) step_airflow ;;
  all) step_python; step_terraform; step_tools; step_jars; step_postgres; step_airflow ;;
  env) # print the environment the Makefile exports
    echo "export TF_CLI_CONFIG_FILE=$CACHE/terraform/terraformrc"
    echo "export TFLINT_PLUGIN_DIR=$CACHE/tflint/plugins"
    echo "export PATH=$BIN:\$PATH" ;;
  *) die "unknown step '$1' (python|terraform|tools|jars|postgres|airflow|all)" ;;
esac
