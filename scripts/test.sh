#!/usr/bin/env bash
# The project's test command: formatting, lints, every unit, integration, vector and doc test,
# then the interop suite against the Python reference in both directions.
#
# Needs ../shared (the vectors and the reference drivers) beside the repository, or
# TGBOX_SHARED pointing at it. Installs the reference into .venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
export TGBOX_SHARED="${TGBOX_SHARED:-$(cd .. && pwd)/shared}"
[[ -f "$TGBOX_SHARED/vectors/tgbox_vectors.json" ]] || { echo "error: shared/ not found at $TGBOX_SHARED (set TGBOX_SHARED)" >&2; exit 1; }

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --workspace
echo "== interop with the Python reference"
PY="$(scripts/setup-reference.sh)"
cargo build --release --quiet -p tgbox-cli
"$PY" interop/raw_interop.py target/release/tgbox "$TGBOX_SHARED"
"$PY" interop/channel_interop.py target/release/tgbox "$TGBOX_SHARED"
echo "== tgback interop with tgback-x 1.1"
"$(scripts/setup-tgback-reference.sh)" interop/tgback_interop.py target/release/tgbox "$TGBOX_SHARED"
echo "== whole boxes across implementations"
TGBOX_REFERENCE_PYTHON="$PY" cargo test --quiet -p tgbox --test it -- --ignored interop::
