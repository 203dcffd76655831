#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another, from a corpus
# seeded with the golden vectors. Needs the nightly toolchain and cargo-fuzz.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(box_header packed_attributes caption key_text sharekey local_records tgback_capsule)
python3 seed_corpus.py "${TGBOX_SHARED:-../../shared}" >/dev/null
for t in "${targets[@]}"; do
  echo "== $t: ${seconds}s"
  cargo +nightly fuzz run -O "$t" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|stat::number_of_executed_units|stat::peak_rss_mb)|panicked|artifact" || true
  if ls artifacts/"$t"/crash-* >/dev/null 2>&1; then
    echo "!! $t found crashes: fuzz/artifacts/$t/"; exit 1
  fi
done
