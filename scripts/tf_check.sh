#!/usr/bin/env bash
# Static checks of the Terraform platform (make tf-check). Runs every check, then exits non-zero
# naming each one that failed:
#   fmt -check · init -backend=false (provider mirror) + validate of the root and every module ·
#   tflint + checkov (scripts/tf_lint.sh) · terraform test (contract tests, then a mocked plan per
#   environment's tfvars, then each module's own tests/) · module READMEs current (scripts/tf_docs.sh --check).
# The S3 backend is never initialised here: `init -backend=false` is enough for validate and test.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF="$ROOT/terraform"
export TF_IN_AUTOMATION=1 TF_INPUT=0
failed=()
step() { echo "== $*"; }
fail() { failed+=("$1"); echo "!! FAILED: $1"; }

step "terraform fmt -check"
terraform fmt -check -recursive "$TF" >/dev/null && terraform fmt -check -recursive "$ROOT/environments" >/dev/null \
  || { terraform fmt -check -recursive -list=true "$TF" "$ROOT/environments"; fail "terraform fmt (run: terraform fmt -recursive terraform environments)"; }

for d in "$TF" "$TF"/modules/*/; do
  d="${d%/}"; rel="${d#"$ROOT"/}"
  step "init -backend=false + validate $rel"
  # init only when needed (first run, or a module/provider change that validate reports).
  if [ -d "$d/.terraform" ] && terraform -chdir="$d" validate -no-color >/dev/null 2>&1; then
    continue
  fi
  if ! out="$(terraform -chdir="$d" init -backend=false -input=false -no-color 2>&1)"; then
    echo "$out" | tail -20; fail "terraform init $rel"; continue
  fi
  terraform -chdir="$d" validate -no-color >/dev/null || { terraform -chdir="$d" validate -no-color; fail "terraform validate $rel"; }
done

step "tflint + checkov"
bash "$ROOT/scripts/tf_lint.sh" || fail "tflint/checkov (scripts/tf_lint.sh)"

step "terraform test (contract tests)"
terraform -chdir="$TF" test -no-color || fail "terraform test tests/"

for env in local dev staging prod; do
  step "terraform test: mocked plan with environments/$env.tfvars"
  terraform -chdir="$TF" test -no-color -test-directory=tests/environments -var-file="$ROOT/environments/$env.tfvars" \
    || fail "terraform test plan $env"
done

# Module contract tests (terraform/modules/<m>/tests/). Their init goes to a throw-away TF_DATA_DIR so
# the checkout gains no state; providers still come from the mirror ($TF_CLI_CONFIG_FILE).
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for d in "$TF"/modules/*/; do
  d="${d%/}"; [ -d "$d/tests" ] || continue
  rel="${d#"$ROOT"/}"; m="$(basename "$d")"
  step "terraform test $rel"
  if ! out="$(TF_DATA_DIR="$tmp/$m" terraform -chdir="$d" init -backend=false -input=false -no-color 2>&1)"; then
    echo "$out" | tail -20; fail "terraform init (module test) $rel"; continue
  fi
  TF_DATA_DIR="$tmp/$m" terraform -chdir="$d" test -no-color || fail "terraform test $rel"
done

step "module READMEs current"
bash "$ROOT/scripts/tf_docs.sh" --check || fail "module READMEs (run: make tf-docs)"

if ((${#failed[@]})); then
  echo
  printf 'tf_check: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "tf_check: all Terraform checks passed"
