#!/usr/bin/env bash
# Runs the same work through the Python reference and through our `tgbox` in one run and
# prints a table of both times and their ratio (bench/compare.py says what each row is).
#   bench/compare.sh [WORKDIR]        (default target/bench-compare)
# COMPARE_FILES (1000) and COMPARE_MIB (64) size the box; TGBOX_SHARED points at ../shared.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PY="$(scripts/setup-reference.sh)"
cargo build --release --quiet -p tgbox-cli
exec "$PY" bench/compare.py target/release/tgbox "${TGBOX_SHARED:-$root/../shared}" "${1:-target/bench-compare}"
