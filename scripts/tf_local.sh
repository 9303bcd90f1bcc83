#!/usr/bin/env bash
# Run the root module for the local environment (the emulator) with a local state file.
#   scripts/tf_local.sh plan|apply|destroy [terraform args...]
# The root module declares an S3 backend (versions.tf) that needs a real account, so the local env
# runs from build/tf-local/: links to terraform/*.tf, modules/ and the sibling folders the root reads,
# plus a backend override that keeps the state in build/tf-local/terraform.tfstate.
# Endpoint: $AWS_ENDPOINT_URL if set, else local.tfvars' emulator_endpoint.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${LAKEHOUSE_TF_LOCAL_DIR:-$ROOT/build/tf-local}"
cmd="${1:?usage: scripts/tf_local.sh plan|apply|destroy [terraform args...]}"; shift
case "$cmd" in plan|apply|destroy|output|init) ;; *) echo "tf_local: unknown command '$cmd' (plan|apply|destroy|output|init)" >&2; exit 2;; esac

mkdir -p "$WORK/terraform"
for d in emr_jobs glue airflow athena_sql lambda quicksight environments; do
  [ -e "$ROOT/$d" ] && ln -sfn "$ROOT/$d" "$WORK/$d"
done
find "$WORK/terraform" -maxdepth 1 -type l -delete
for f in "$ROOT"/terraform/*.tf; do ln -sfn "$f" "$WORK/terraform/$(basename "$f")"; done
ln -sfn "$ROOT/terraform/modules" "$WORK/terraform/modules"
cat >"$WORK/terraform/zz_backend_override.tf" <<TF
terraform {
  backend "local" {
    path = "$WORK/terraform.tfstate"
  }
}
TF

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-eu-west-1}"
vars=(-var-file="$ROOT/environments/local.tfvars")
[ -n "${AWS_ENDPOINT_URL:-}" ] && vars+=(-var "emulator_endpoint=${AWS_ENDPOINT_URL%/}")

terraform -chdir="$WORK/terraform" init -input=false -reconfigure >/dev/null
[ "$cmd" = init ] && exit 0
[ "$cmd" = output ] && exec terraform -chdir="$WORK/terraform" output "$@"
exec terraform -chdir="$WORK/terraform" "$cmd" -input=false "${vars[@]}" "$@"
