#!/usr/bin/env python3
"""Local channels across implementations, both directions (spec/local-channel.md).

reference -> ours: the reference (shared/interop/ref_box.py) makes a box in a local channel,
uploads, renames, replaces and removes files; `tgbox raw channel` must see exactly the header,
records and events the reference wrote, read every document byte for byte, and clean up
nothing (a reference directory has no garbage).
ours -> reference: `tgbox raw channel` creates a channel and posts box files that
`tgbox raw encrypt` made; the reference must find the directory valid (check-channel), see
the same records, open the box from it, list and download every file, follow a document
replacement and a deletion, and then upload into it itself, after which we read its upload.

Usage: channel_interop.py TGBOX_BINARY SHARED_DIR   (run with the venv's python; prints
"N passed, M failed" last and exits non-zero on any failure)
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from checks import check, eq, finish, run

TGBOX, SHARED = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
REF_BOX = SHARED / "interop" / "ref_box.py"
PY = sys.executable
SCRYPT = ["--scrypt-n", "16384", "--scrypt-r", "8", "--scrypt-p", "1"]
PHRASE = "channel interop phrase ✓"
work = Path(tempfile.mkdtemp(prefix="tgbox-channel-interop-"))


def js(cmd):
    return json.loads(run(cmd).stdout)


def ours(*args):
    return js([TGBOX, "raw", "channel", *args])


def ref(command, chan, *args):
    return js([PY, REF_BOX, command, chan, *args])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_view(rec):
    """The keys of spec §4.1 (a record may carry more)."""
    return {k: rec[k] for k in ("id", "date", "edit_date", "caption", "document", "forwarded_from")}


def event_view(ev):
    """Everything of an event that both sides report (ours carries no photo file names)."""
    v = {k: ev[k] for k in ("id", "date", "action") if k in ev}
    for k in ("message_id", "title", "prev_title", "about", "prev_about"):
        if k in ev:
            v[k] = ev[k]
    for k in ("message", "prev_message"):
        if k in ev:
            v[k] = record_view(ev[k])
    return v


def same_channel(chan):
    """Our view of a channel equals the reference's raw view of it."""
    mine = ours("show", f"local:{chan}", "--events")
    theirs = ref("show-channel", chan)
    meta = theirs["channel"]
    eq({k: mine["channel"][k] for k in ("id", "title", "about", "created", "premium")},
       {k: meta[k] for k in ("id", "title", "about", "created", "premium")}, "header")
    eq(mine["channel"]["has_photo"], meta["photo"] is not None, "photo")
    eq(mine["messages"], [record_view(r) for r in theirs["messages"]], "records")
    eq([event_view(e) for e in mine["events"]], [event_view(e) for e in theirs["events"]], "events")
    return mine


def random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


# ---------------------------------------------------------------- reference -> ours
ref_chan, ref_db = work / "ref-chan", work / "ref.db"
BOX = ["--phrase", PHRASE, *SCRYPT, "--localbox", ref_db]
made = ref("make-box", ref_chan, "--phrase", PHRASE, *SCRYPT, "--name", "Ref channel ✓", "--localbox", ref_db,
           "--show-keys")
plain = {}
ids = []
for i, size in enumerate([1, 70_000, 600_000]):
    src = work / "ref-src" / f"file{i}.bin"
    data = random_file(src, size)
    up = ref("upload", ref_chan, *BOX, src, "--path", f"/ref/dir{i}", "--no-preview")
    ids.append(up["id"])
    plain[up["id"]] = data
ref("rename", ref_chan, *BOX, "--id", ids[0], "--name", "renamed ✓.bin")
replacement = work / "ref-src" / "replacement.bin"
plain[ids[1]] = random_file(replacement, 12_345)
ref("replace", ref_chan, *BOX, replacement, "--id", ids[1], "--no-preview")
ref("remove", ref_chan, *BOX, "--id", ids[2])
del plain[ids[2]]


def reference_channel_reads_back():
    view = same_channel(ref_chan)
    eq(sorted(m["id"] for m in view["messages"]), sorted(plain), "message ids")
    actions = [e["action"] for e in view["events"]]
    for needed in ("edit_photo", "edit_about", "new_message", "edit_message", "delete_message"):
        if needed not in actions:
            raise AssertionError(f"no {needed} event in {actions}")


def reference_documents_read_and_decrypt():
    view = ours("show", f"local:{ref_chan}")
    for m in view["messages"]:
        out = work / f"ref-doc-{m['id']}"
        ours("read", f"local:{ref_chan}", "--id", m["id"], out)
        on_disk = ref_chan / "messages" / f"{m['id']:012d}.{m['document']['id']:016d}.bin"
        eq(sha(out.read_bytes()), sha(on_disk.read_bytes()), f"message {m['id']} bytes")
        cmd = [TGBOX, "raw", "decrypt", "--key", made["mainkey"]]
        if m["caption"]:
            cmd += ["--caption", m["caption"]]
        plain_out = work / f"ref-plain-{m['id']}"
        report = js(cmd + [out, plain_out])
        eq(sha(plain_out.read_bytes()), sha(plain[m["id"]]), f"message {m['id']} plaintext")
        if m["id"] == ids[0]:
            eq(report["file_name"], "renamed ✓.bin", "renamed file")


def reference_channel_has_no_garbage():
    eq(ours("gc", f"local:{ref_chan}"), {"documents": [], "tmp": []}, "clean-up of a clean channel")


check("reference -> ours: header, records and events read back exactly", reference_channel_reads_back)
check("reference -> ours: every document reads back and decrypts", reference_documents_read_and_decrypt)
check("reference -> ours: clean-up finds nothing to remove", reference_channel_has_no_garbage)

# ---------------------------------------------------------------- ours -> reference
our_chan, our_db = work / "our-chan", work / "our.db"
salt = base64.urlsafe_b64encode(os.urandom(32)).decode()
phrase_file = work / "phrase.txt"
phrase_file.write_text(PHRASE + "\n", encoding="utf-8")
basekey, mainkey = run([TGBOX, "raw", "key", "--phrase-file", phrase_file, "--box-salt", salt, *SCRYPT]).stdout.split()
ours("create", f"local:{our_chan}", "--title", "TGBOX[01]: Rust channel ✓")
ours("set-header", f"local:{our_chan}", "--about", salt)
our_plain = {}


def post_box_file(path_in_box, data, name):
    src = work / "our-src" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    boxed = work / "our-boxed" / (name + ".tgbox")
    boxed.parent.mkdir(parents=True, exist_ok=True)
    run([TGBOX, "raw", "encrypt", "--key", mainkey, "--box-salt", salt, "--path", path_in_box, src, boxed])
    file_salt = js([TGBOX, "raw", "inspect", boxed])["file_salt"]
    return boxed, file_salt


for name, size in [("one.txt", 1), ("two.bin", 300_000)]:
    data = os.urandom(size)
    boxed, file_salt = post_box_file("/rust/docs", data, name)
    msg = ours("post", f"local:{our_chan}", boxed, "--box-file")
    eq(msg["document"]["name"], file_salt, "document name")
    our_plain[msg["id"]] = (name, data)


def reference_accepts_our_channel():
    report = ref("check-channel", our_chan)
    eq((report["ok"], report["problems"]), (True, []), "check-channel")
    same_channel(our_chan)


def reference_opens_and_downloads(db):
    def go():
        if db.exists():
            db.unlink()
        opened = ref("open-box", our_chan, "--phrase", PHRASE, *SCRYPT, "--localbox", db)
        eq(opened["files"], len(our_plain), "files in the cloned box")
        listed = ref("list", our_chan, "--phrase", PHRASE, *SCRYPT, "--localbox", db, "--remote")
        eq(sorted(f["id"] for f in listed["files"]), sorted(our_plain), "remote listing")
        for mid, (name, data) in our_plain.items():
            out = work / f"ref-got-{db.stem}-{mid}"
            got = ref("download", our_chan, "--phrase", PHRASE, *SCRYPT, "--localbox", db, "--id", mid, "--out", out)
            eq(got["sha256"], sha(data), f"file {mid} as the reference downloads it")
            eq(got["hmac_verified"], True, f"file {mid} tag")
            eq(out.read_bytes() == data, True, f"file {mid} bytes")
    return go


check("ours -> reference: the reference finds our channel valid and identical", reference_accepts_our_channel)
check("ours -> reference: the reference opens the box and downloads every file",
      reference_opens_and_downloads(work / "ref-view1.db"))

# A document replacement and a deletion made by us, then seen by the reference.
first, second = sorted(our_plain)
new_data = os.urandom(50_000)
boxed, file_salt = post_box_file("/rust/docs", new_data, "two-v2.bin")
ours("replace", f"local:{our_chan}", "--id", second, boxed, "--name", file_salt)
our_plain[second] = ("two-v2.bin", new_data)
eq(ours("delete", f"local:{our_chan}", first)["deleted"], 1, "deleted")
del our_plain[first]
check("ours -> reference: after our replacement and deletion the channel is still valid",
      reference_accepts_our_channel)
check("ours -> reference: the reference follows the replacement and the deletion",
      reference_opens_and_downloads(work / "ref-view2.db"))


def reference_uploads_into_our_channel():
    db = work / "ref-view2.db"
    src = work / "ref-src" / "into-ours.bin"
    data = random_file(src, 40_000)
    up = ref("upload", our_chan, "--phrase", PHRASE, *SCRYPT, "--localbox", db, src, "--path", "/from/ref",
             "--no-preview")
    if up["id"] <= second:
        raise AssertionError(f"the reference got id {up['id']}, not above ours ({second})")
    view = same_channel(our_chan)
    msg = next(m for m in view["messages"] if m["id"] == up["id"])
    out = work / "into-ours.tgbox"
    ours("read", f"local:{our_chan}", "--id", msg["id"], out)
    plain_out = work / "into-ours.plain"
    report = js([TGBOX, "raw", "decrypt", "--key", mainkey, out, plain_out])
    eq(sha(plain_out.read_bytes()), sha(data), "the reference's upload as we decrypt it")
    eq(report["file_path"], "/from/ref", "its path")


check("both: the reference uploads into our channel and we read its upload", reference_uploads_into_our_channel)


def both_write_at_once():
    """The writers' lock is the same flock on both sides: concurrent writers never collide."""
    db = work / "ref-view2.db"
    srcs = []
    for i in range(3):
        src = work / "ref-src" / f"concurrent{i}.bin"
        random_file(src, 20_000 + i)
        srcs.append(src)
    before = {m["id"] for m in ours("show", f"local:{our_chan}")["messages"]}
    procs = [subprocess.Popen([str(c) for c in [PY, REF_BOX, "upload", our_chan, "--phrase", PHRASE, *SCRYPT,
                                                "--localbox", db, src, "--path", "/concurrent", "--no-preview"]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for src in srcs[:1]]
    posted = []
    for i in range(15):
        blob = work / "our-src" / f"raw{i}.bin"
        blob.write_bytes(os.urandom(1000 + i))
        posted.append(ours("post", f"local:{our_chan}", blob)["id"])
        if i == 5:  # a second reference writer joins half-way
            procs.append(subprocess.Popen([str(c) for c in [PY, REF_BOX, "upload", our_chan, "--phrase", PHRASE,
                                                            *SCRYPT, "--localbox", db, srcs[1], "--path", "/concurrent",
                                                            "--no-preview"]],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise AssertionError(f"reference upload failed: {err.decode()[-300:]}")
    report = ref("check-channel", our_chan)
    eq((report["ok"], report["problems"]), (True, []), "check-channel after concurrent writers")
    after = {m["id"] for m in ours("show", f"local:{our_chan}")["messages"]}
    eq(len(after - before), 15 + len(procs), "new messages from both writers")
    same_channel(our_chan)


check("both: our posts and the reference's uploads interleave on one channel", both_write_at_once)

shutil.rmtree(work, ignore_errors=True)
finish("channel interop")
