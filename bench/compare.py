#!/usr/bin/env python3
"""The same work through the Python reference (tgbox 1.8.0.1) and through our `tgbox` command,
in one run, on local: channels, printed as a table of both times and their ratio.

usage: compare.py TGBOX_BINARY SHARED_DIR WORKDIR

The reference runs in this process on shared/interop/ref_box.py's in-process Telegram server,
timed around the library calls only: its interpreter start-up (~0.35 s) and scrypt are left
out, which favours it. Ours runs as the real command line, one process per step, timed end to
end (start-up, reading the cached key, opening the LocalBox included). Both use scrypt N=2^14
and the same phrase, so either side can open the other's boxes.

The box: COMPARE_FILES small files (default 1,000; 1 to 4,096 bytes), spread round-robin
over 100 directories /bench/d00 .. /bench/d99, 1 % of them named *-needle.txt, as in
shared/notes/reference-baselines.md. Transfers: one COMPARE_MIB MiB file (default 64).

Workloads (each side on its own box, or on its own clone of the reference's box):
  upload_small  upload every small file (ours: one `file upload` of the tree)
  search        name contains "needle"
  list_dir      one directory (/bench/d07)
  clone         open the reference's box on a new device (the reference with its defaults:
                Telethon's 1 s between history pages and tgbox's 15 s per 1,000 files; a
                second line with both pauses off)
  sync_deep     a deep sync with nothing changed, on that clone (same two reference lines)
  upload_big / download_big   the COMPARE_MIB file, default parallelism on both sides
  cli_list      a new process lists every file (ours: `file list --json` on an unlocked box;
                the reference: `ref_box.py list`, which includes its start-up and scrypt)
  cli_startup   a new process that does nothing (`tgbox --version` / `python -c "import tgbox"`)

Writes WORKDIR/results.json and prints the table.
"""

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

TGBOX, SHARED, WORK = (Path(a).resolve() for a in sys.argv[1:4])
sys.path.insert(0, str(SHARED / "interop"))

import ref_box  # noqa: E402  (needs the path above)
from telethon.tl.types import PeerChannel  # noqa: E402
from tgbox import api as tg_api  # noqa: E402
from tgbox.keys import Phrase, make_basekey  # noqa: E402
from tgbox.tools import SearchFilter  # noqa: E402

FILES = int(os.environ.get("COMPARE_FILES", "1000"))
MIB = int(os.environ.get("COMPARE_MIB", "64"))
PHRASE = "compare bench phrase"
SCRYPT_N = 16384
LIST_DIR = "/bench/d07"
PY = sys.executable

results = []


def record(workload, ours, ref, note="", ref_label="reference"):
    results.append({"workload": workload, "ours_s": ours, "ref_s": ref, "reference": ref_label, "note": note})


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# ---------------------------------------------------------------------------------------------
# The source data, identical for both sides.


def make_sources():
    src = WORK / "src" / "bench"
    for i in range(FILES):
        d = src / f"d{i % 100:02d}"
        d.mkdir(parents=True, exist_ok=True)
        name = f"file-{i:06d}-needle.txt" if i % 100 == 7 else f"file-{i:06d}.txt"
        size = 1 + (i * 7919) % 4096
        (d / name).write_bytes(hashlib.sha256(str(i).encode()).digest() * (size // 32 + 1))
        os.truncate(d / name, size)
    big = WORK / "src" / "big.bin"
    with open(big, "wb") as f:
        block = hashlib.sha256(b"big").digest() * 32768  # 1 MiB
        for i in range(MIB):
            f.write(bytes([i % 256]) + block[1:])
    return src, big


def small_files(src):
    for d in sorted(src.iterdir()):
        for f in sorted(d.iterdir()):
            yield f, f"/bench/{d.name}/{f.name}"


# ---------------------------------------------------------------------------------------------
# Ours: the command line, a home per device.


def tgbox(home, *args, phrase_file=None):
    env = {**os.environ, "TGBOX_HOME": str(home), "XDG_RUNTIME_DIR": str(WORK / "run")}
    env.pop("TGBOX_BOX", None)
    if phrase_file:
        env["TGBOX_PHRASE_FILE"] = str(phrase_file)
    else:
        env.pop("TGBOX_PHRASE_FILE", None)
    done = subprocess.run([str(TGBOX), *map(str, args)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tgbox {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def tgbox_timed(home, *args, phrase_file=None, runs=1):
    best, out = None, None
    for _ in range(runs):
        t, out = timed(lambda: tgbox(home, *args, phrase_file=phrase_file))
        best = t if best is None else min(best, t)
    return best, out


# ---------------------------------------------------------------------------------------------
# The reference, in this process.


def basekey():
    return make_basekey(Phrase(PHRASE.encode()), n=SCRYPT_N, r=8, p=1)


def client_for(dirs, **kw):
    server = ref_box.LocalTelegramServer([str(d) for d in dirs], **kw)
    return server, ref_box.LocalTelegramClient(server, parse_mode=None)


def no_history_pauses(client):
    """Telethon waits 1 s between history pages when no limit is given; this turns it off."""
    plain = client.iter_messages

    def iter_messages(*args, **kwargs):
        kwargs["wait_time"] = 0
        return plain(*args, **kwargs)

    client.iter_messages = iter_messages


async def ref_make_and_fill(chan, db, src, big):
    server, client = client_for([], create_dir=str(chan))
    key = basekey()
    erb = await tg_api.make_remotebox(client, box_name="compare")
    dlb = await tg_api.make_localbox(erb, key, box_name=db.name, box_path=db.parent)
    drb = await tg_api.get_remotebox(dlb, tc=client)
    try:
        start = time.perf_counter()
        for f, box_path in small_files(src):
            with open(f, "rb") as fh:
                pf = await dlb.prepare_file(fh, file_path=box_path, make_preview=False)
                await drb.push_file(pf)
        up_small = time.perf_counter() - start

        hits, search = await ref_search(dlb, SearchFilter(file_name="needle"))
        listed, list_dir = await ref_search(dlb, SearchFilter(scope=LIST_DIR))

        start = time.perf_counter()
        with open(big, "rb") as fh:
            pf = await dlb.prepare_file(fh, file_path="/big/big.bin", make_preview=False)
            drbf = await drb.push_file(pf)
        up_big = time.perf_counter() - start

        out = WORK / "ref-big.out"
        start = time.perf_counter()
        with open(out, "wb") as fo:
            await drbf.download(outfile=fo)
        down_big = time.perf_counter() - start
        same = sha256(out) == sha256(big)
        out.unlink()
        if not same:
            sys.exit("the reference downloaded different bytes")
        return {"upload_small": up_small, "search": (search, hits), "list_dir": (list_dir, listed),
                "upload_big": up_big, "download_big": down_big, "channel_id": server.primary.id}
    finally:
        server.close()
        await dlb.done()


async def ref_search(dlb, sf):
    start = time.perf_counter()
    hits = 0
    async for _ in dlb.search_file(sf, cache_preview=False):
        hits += 1
    return hits, time.perf_counter() - start


async def ref_clone_and_sync(chan, channel_id, db, pauses):
    server, client = client_for([chan])
    if not pauses:
        no_history_pauses(client)
    key = basekey()
    timeout = 15 if pauses else 0
    dlb = None
    try:
        start = time.perf_counter()
        erb = await tg_api.get_remotebox(tc=client, entity=PeerChannel(channel_id))
        drb = await erb.decrypt(key=key)
        dlb = await tg_api.clone_remotebox(drb, key, box_name=db.name, box_path=db.parent, timeout=timeout)
        clone = time.perf_counter() - start
        files = await dlb.get_files_total()
        start = time.perf_counter()
        await dlb.sync(drb, deep=True, timeout=timeout)
        sync = time.perf_counter() - start
        return clone, sync, files
    finally:
        server.close()
        if dlb is not None:
            await dlb.done()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------


def main():
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "run").mkdir(parents=True, mode=0o700)
    phrase_file = WORK / "phrase.txt"
    phrase_file.write_text(PHRASE + "\n")
    phrase_file.chmod(0o600)
    print(f"making {FILES} small files and a {MIB} MiB file...", file=sys.stderr)
    src, big = make_sources()
    scrypt = ["--scrypt-n", SCRYPT_N]

    print("the reference: make a box, upload, search, list, transfer...", file=sys.stderr)
    ref_chan, ref_db = WORK / "ref-channel", WORK / "ref" / "box.db"
    ref_db.parent.mkdir()
    ref = asyncio.run(ref_make_and_fill(ref_chan, ref_db, src, big))

    print("ours: the same...", file=sys.stderr)
    home = WORK / "ours-home"
    tgbox(home, "box", "make", "compare", "--channel", f"local:{WORK / 'our-channel'}", *scrypt,
          phrase_file=phrase_file)
    up_small, _ = tgbox_timed(home, "file", "upload", src, "--to", "/", "-q")
    search, out = tgbox_timed(home, "file", "search", "--name", "needle", "--json", runs=3)
    hits = len(json.loads(out))
    list_dir, out = tgbox_timed(home, "dir", "list", LIST_DIR, "--json", runs=3)
    listed = len(json.loads(out)["files"])
    up_big, out = tgbox_timed(home, "file", "upload", big, "--to", "/big", "-q", "--json")
    big_id = json.loads(out)["uploaded"][0]["id"]
    got = WORK / "ours-big"
    down_big, _ = tgbox_timed(home, "file", "download", big_id, "--out", got, "-q")
    if sha256(got / "big.bin") != sha256(big):
        sys.exit("ours downloaded different bytes")
    if (hits, listed) != (ref["search"][1], ref["list_dir"][1]):
        sys.exit(f"hits differ: ours {hits}/{listed}, reference {ref['search'][1]}/{ref['list_dir'][1]}")

    record("upload_small", up_small, ref["upload_small"], f"{FILES} files of 1-4,096 bytes")
    record("search", search, ref["search"][0], f"name contains needle: {hits} hits of {FILES}")
    record("list_dir", list_dir, ref["list_dir"][0], f"{LIST_DIR}: {listed} files")

    print("clone and deep sync of the reference's box...", file=sys.stderr)
    home2 = WORK / "ours-clone"
    clone, out = tgbox_timed(home2, "box", "open", "refbox", "--channel", f"local:{ref_chan}", *scrypt,
                             "--json", phrase_file=phrase_file)
    sync, _ = tgbox_timed(home2, "box", "sync", "--deep", "--json")
    ref_clone, ref_sync, files = asyncio.run(
        ref_clone_and_sync(ref_chan, ref["channel_id"], WORK / "ref" / "clone.db", pauses=True))
    fast_clone, fast_sync, _ = asyncio.run(
        ref_clone_and_sync(ref_chan, ref["channel_id"], WORK / "ref" / "clone-fast.db", pauses=False))
    clone_note = f"{files} files on a new device"
    record("clone", clone, ref_clone, clone_note, "reference (defaults)")
    record("clone", clone, fast_clone, clone_note, "reference (pauses off)")
    record("sync_deep", sync, ref_sync, "nothing changed", "reference (defaults)")
    record("sync_deep", sync, fast_sync, "nothing changed", "reference (pauses off)")

    record("upload_big", up_big, ref["upload_big"], f"{MIB} MiB, {MIB * 1.048576 / up_big:.0f} vs "
           f"{MIB * 1.048576 / ref['upload_big']:.0f} MB/s")
    record("download_big", down_big, ref["download_big"], f"{MIB} MiB, {MIB * 1.048576 / down_big:.0f} vs "
           f"{MIB * 1.048576 / ref['download_big']:.0f} MB/s")

    print("command start-up...", file=sys.stderr)
    cli_list, _ = tgbox_timed(home, "file", "list", "--json", runs=5)
    ref_list = best_of(5, [PY, SHARED / "interop" / "ref_box.py", "list", ref_chan, "--phrase", PHRASE,
                           "--localbox", ref_db, "--scrypt-n", SCRYPT_N])
    record("cli_list", cli_list, ref_list, f"new process lists all {FILES + 1} files (reference: ref_box.py)")
    startup, _ = tgbox_timed(home, "--version", runs=5)
    ref_startup = best_of(5, [PY, "-c", "import tgbox"])
    record("cli_startup", startup, ref_startup, "a process that does nothing (reference: import tgbox)")

    (WORK / "results.json").write_text(json.dumps(
        {"files": FILES, "mib": MIB, "results": results}, indent=2))
    print_table()


def best_of(runs, cmd):
    best = None
    for _ in range(runs):
        t, done = timed(lambda: subprocess.run([str(c) for c in cmd], capture_output=True))
        if done.returncode != 0:
            sys.exit(f"{cmd[:3]} failed: {done.stderr.decode()[-500:]}")
        best = t if best is None else min(best, t)
    return best


def fmt(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def print_table():
    print(f"\n{FILES} small files, a {MIB} MiB file; local: channels; ratio = reference time / ours\n")
    print(f"| {'workload':13} | {'ours':>10} | {'reference':>10} | {'ratio':>8} | {'':22} | note |")
    print(f"|{'-' * 15}|{'-' * 12}|{'-' * 12}|{'-' * 10}|{'-' * 24}|------|")
    for r in results:
        ratio = r["ref_s"] / r["ours_s"]
        print(f"| {r['workload']:13} | {fmt(r['ours_s']):>10} | {fmt(r['ref_s']):>10} | {ratio:>7.1f}x |"
              f" {r['reference']:22} | {r['note']} |")


main()
