#!/usr/bin/env bash
# Regenerate the README of every module under terraform/modules with terraform-docs.
#   scripts/tf_docs.sh          write the READMEs
#   scripts/tf_docs.sh --check  exit 1 and name the modules whose README is out of date
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=false
[ "${1:-}" = "--check" ] && check=true
stale=()

for m in "$ROOT"/terraform/modules/*/; do
  m="${m%/}"
  readme="$m/README.md"
  name="$(basename "$m")"
  # Keep a hand-written title/summary above the generated block. --lockfile=false: the lock file is
  # not committed, so versions come from the constraints and the README is the same everywhere.
  if [ ! -f "$readme" ]; then
    if $check; then stale+=("$name (missing README.md)"); continue; fi
    printf '# %s\n\n<!-- BEGIN_TF_DOCS -->\n<!-- END_TF_DOCS -->\n' "$name" >"$readme"
  fi
  if $check; then
    terraform-docs markdown table --lockfile=false --output-file README.md --output-mode inject --output-check "$m" >/dev/null 2>&1 \
      || stale+=("$name")
  else
    terraform-docs markdown table --lockfile=false --output-file README.md --output-mode inject "$m" >/dev/null \
      || { echo "tf_docs: terraform-docs failed for $name" >&2; exit 1; }
  fi
done

if ((${#stale[@]})); then
  printf 'tf_docs: README out of date: terraform/modules/%s (run: make tf-docs)\n' "${stale[@]}" >&2
  exit 1
fi
$check && echo "tf_docs: module READMEs are current" || echo "tf_docs: module READMEs regenerated"
