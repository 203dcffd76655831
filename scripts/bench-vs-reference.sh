#!/usr/bin/env bash
# Runs the crypto workloads through our bench and through the Python reference in the same run
# and prints the figures side by side with their ratios. BENCH_MIB / BENCH_RUNS are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(scripts/setup-reference.sh)"
ours="$(cargo bench --quiet -p tgbox-core --bench crypto 2>/dev/null | grep '^{')"
theirs="$("$PY" bench/reference_bench.py)"
"$PY" - "$ours" "$theirs" <<'PY'
import json, sys
ours = {d["workload"]: d for d in map(json.loads, sys.argv[1].splitlines())}
ref = {d["workload"]: d for d in map(json.loads, sys.argv[2].splitlines())}
print(f"{'workload':10} {'ours':>12} {'reference':>12} {'ratio':>8}")
for w, unit, better in [("encmac", "mb_per_s", "higher"), ("decmac", "mb_per_s", "higher"),
                        ("scrypt", "seconds", "lower"), ("sharekey", "ops_per_s", "higher")]:
    a, b = ours[w][unit], ref[w][unit]
    ratio = a / b if better == "higher" else b / a
    print(f"{w:10} {a:>12} {b:>12} {ratio:>7.2f}x   ({unit}, {better} is better)")
PY

# Search over a large LocalBox: ours (first search, which builds the index, and warm) against
# the reference's search on the very same database file.
browse="$(cargo bench --quiet -p tgbox --bench browse 2>/dev/null | grep '^{')"
search_ref="$("$PY" bench/reference_search.py target/bench-browse/box.db)"
"$PY" - "$browse" "$search_ref" <<'PY'
import json, sys
ours = {d["workload"]: d for d in map(json.loads, sys.argv[1].splitlines())}
ref = json.loads(sys.argv[2])
assert ours["search"]["hits"] == ref["hits"], (ours["search"], ref)
print(f"\n{'search':34} {'ours ms':>10} {'reference ms':>12} {'ratio':>8}   ({ref['files']} files, {ref['hits']} hits)")
for w in ("search_first", "search_new_process", "search_new_process_after_a_change", "search"):
    print(f"{w:34} {ours[w]['ms']:>10} {ref['ms']:>12} {ref['ms'] / ours[w]['ms']:>7.0f}x")
print(f"{'list_dir':34} {ours['list_dir']['ms']:>10} {'-':>12}   ({ours['list_dir']['files']} files in one directory)")
PY
