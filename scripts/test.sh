#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, client, emulator and acceptance tests
# (acceptance tests drive the real terraform CLI against the emulator).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The acceptance tests run the emulator binary: build every binary first.
cargo build --workspace --locked
cargo test --workspace --locked --no-fail-fast
