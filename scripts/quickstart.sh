#!/usr/bin/env bash
# Quickstart: build, start the emulator, terraform apply examples/quickstart against it,
# print the outputs, stop the emulator. Needs cargo, protoc and terraform >= 1.5.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "==> building the provider and the emulator"
cargo build --workspace --locked

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting the emulator"
mkfifo "$work/emulator.out"
"$root/target/debug/defender-emulator" --listen 127.0.0.1:0 >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
exec 3<"$work/emulator.out"
read -r base_url <&3
# Keep draining the emulator's stdout in the background.
cat <&3 >/dev/null &
echo "    emulator at $base_url"

cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/defender/defender" = "$root/target/debug"
  }
  direct {}
}
CFG
mkdir -p "$work/config"
cp "$root/examples/quickstart/"*.tf "$work/config/"

export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export DEFENDER_ENDPOINT="$base_url/apiproxy" DEFENDER_AUTHORITY_HOST="$base_url"
# The emulator's demo home tenant (see emulator/README.md).
export DEFENDER_TENANT_ID=c0000000-0000-4000-8000-000000000000
export DEFENDER_CLIENT_ID=demo-client-id DEFENDER_CLIENT_SECRET=demo-client-secret

cd "$work/config"
echo "==> terraform apply"
terraform apply -auto-approve -input=false
echo "==> outputs"
terraform output
echo "==> plan after apply (expect no changes)"
terraform plan -detailed-exitcode -input=false >/dev/null && echo "    no changes"
