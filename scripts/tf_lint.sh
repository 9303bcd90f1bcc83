#!/usr/bin/env bash
# tflint (AWS ruleset + recommended Terraform rules) over the root module and every module, then
# checkov over terraform/. Exit non-zero on any finding; prints which check failed.
# Needs the environment of `make` (TFLINT_PLUGIN_DIR, PATH with tflint/checkov): scripts/bootstrap.sh env.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF="$ROOT/terraform"
failed=()

dirs=("$TF")
for m in "$TF"/modules/*/; do dirs+=("${m%/}"); done

for d in "${dirs[@]}"; do
  rel="${d#"$ROOT"/}"
  if ! out="$(tflint --chdir="$d" --config="$ROOT/.tflint.hcl" --format=compact 2>&1)"; then
    echo "$out"
    failed+=("tflint $rel")
  fi
done

# checkov: 0 failed checks; a skip is only an inline `#checkov:skip=CKV_...:reason` next to the resource.
if ! checkov -d "$TF" --framework terraform --quiet --compact --skip-path '\.terraform' \
  --download-external-modules false >"${TMPDIR:-/tmp}/checkov.$$" 2>&1; then
  cat "${TMPDIR:-/tmp}/checkov.$$"
  failed+=("checkov terraform/")
fi
skips="$(grep -rhoE '#checkov:skip=CKV2?_AWS_[0-9]+' "$TF" --include='*.tf' | wc -l)"
rm -f "${TMPDIR:-/tmp}/checkov.$$"

if ((${#failed[@]})); then
  printf 'tf_lint: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "tf_lint: tflint clean in ${#dirs[@]} module(s); checkov 0 failed (${skips} inline skips, each with a reason)"
