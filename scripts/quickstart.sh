#!/usr/bin/env bash
# The main job of tgbox, end to end, on the embedded local: channel, through the `tgbox`
# command line: make a box (the phrase is generated and shown once), upload a folder with its
# tree, list and search it, download it all and verify every byte, lock the box, then open it
# on "another device" from its channel with the phrase alone and check both see the same.
#
#   scripts/quickstart.sh [WORKDIR [FOLDER]]
#
# WORKDIR (default ./quickstart) is made anew; FOLDER (default crates/tgbox-core/src) is
# uploaded. The real scrypt parameters are used: each phrase derivation takes a few seconds
# and 1 GiB of memory.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$PWD/quickstart}"
folder="$(cd "${2:-$root/crates/tgbox-core/src}" && pwd)"
name="$(basename "$folder")"

echo "building tgbox (release)..."
cargo build --release --quiet -p tgbox-cli --manifest-path "$root/Cargo.toml"
bin="$root/target/release/tgbox"

rm -rf "$work"
mkdir -p "$work"
umask 077
chan="local:$work/channel"

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ tgbox %s\n' "$*" >&2; }
# Device one and device two each have their own home.
one() { show "$@"; TGBOX_HOME="$work/device-one" "$bin" "$@"; }
two() { show "$@"; TGBOX_HOME="$work/device-two" "$bin" "$@"; }

step "make a box in a local: channel; no phrase given, so one is generated and shown once"
show box make demo --channel "$chan"
made="$(TGBOX_HOME="$work/device-one" "$bin" box make demo --channel "$chan")"
echo "$made"
phrase="$(printf '%s\n' "$made" | sed -n 's/^phrase: //p')"
printf '%s\n' "$phrase" > "$work/phrase.txt"
echo "(kept in $work/phrase.txt, mode 0600, for device two below)"

step "upload a folder; its tree is kept under /demo"
one file upload "$folder" --to /demo --tag origin=quickstart --quiet
one dir list "/demo/$name"

step "search: Rust files of 10 KiB or more, then one name as JSON"
one file search --name .rs --min-size 10K
one file search --name lib.rs --json

step "download everything under /demo and verify it byte for byte"
one file download --under /demo --out "$work/downloaded" --quiet
diff -r "$folder" "$work/downloaded/$name"
echo "verified: every file matches the original"

step "lock the box: the next command on it needs the phrase again"
one box lock
if TGBOX_HOME="$work/device-one" "$bin" file list </dev/null >/dev/null 2>&1; then
    echo "unexpected: a locked box opened without its phrase" >&2
    exit 1
fi
echo "locked: refused without the phrase, as it should be"

step "device two: open the box from its channel with the phrase alone"
two box open demo --channel "$chan" --phrase-file "$work/phrase.txt"
two file list --json > "$work/two.json"
one file list --json --phrase-file "$work/phrase.txt" > "$work/one.json"
cmp "$work/one.json" "$work/two.json"
echo "both devices list the same $(grep -c '"id"' "$work/two.json") files"

step "device one renames a file; device two syncs and sees it"
first="$(sed -n 's/^ *"id": \([0-9]*\),$/\1/p' "$work/one.json" | head -n1)"
one file rename "$first" renamed-by-device-one.rs
two box sync
two file search --name renamed-by-device-one

printf '\nDone. Everything is under %s.\n' "$work"
