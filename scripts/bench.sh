#!/usr/bin/env bash
# The scale benchmark: builds the release binaries, then runs bench/bench.py, which writes its
# tables into docs/performance.md (and the raw numbers into bench/results/latest.json).
#
#   scripts/bench.sh                                          # full run (about 25-30 minutes on 2 cores)
#   scripts/bench.sh --sizes 10,200 --latencies 0 --runs 1    # quick run
#   scripts/bench.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " != *" --help "* && " $* " != *" -h "* ]]; then
  cargo build --release --workspace --quiet
fi
exec python3 bench/bench.py "$@"
