#!/usr/bin/env bash
# Regenerates docs/ from the provider's schema, templates/ and examples/.
#
#   scripts/docs.sh           build the provider and docgen, rewrite docs/ (guides are left alone)
#   scripts/docs.sh --check   write nothing; fail when docs/ is stale (what tests/docs_up_to_date.rs checks)
#
# The schema comes from `terraform providers schema -json`, run against the freshly built
# provider through a temporary dev_overrides CLI config: no registry, no `terraform init`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

mode=(--out docs)
if [ "${1:-}" = "--check" ]; then
  mode=(--check docs)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--check]" >&2
  exit 2
fi

command -v terraform >/dev/null 2>&1 || { echo "terraform must be on PATH" >&2; exit 1; }

echo "==> building the provider and docgen" >&2
cargo build --quiet --locked -p terraform-provider-defender -p docgen
bin_dir="${CARGO_TARGET_DIR:-$root/target}/debug"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/defender/defender" = "$bin_dir"
  }
  direct {}
}
CFG
cat >"$work/main.tf" <<'TF'
terraform {
  required_providers {
    defender = { source = "defender/defender" }
  }
}
TF

echo "==> terraform providers schema -json" >&2
(cd "$work" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 \
  terraform providers schema -json >"$work/schema.json")

echo "==> docgen ${mode[*]}" >&2
"$bin_dir/docgen" --strict --schema "$work/schema.json" --root "$root" "${mode[@]}"
