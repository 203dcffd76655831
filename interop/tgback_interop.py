#!/usr/bin/env python3
"""TGBACK-X backups across implementations, both directions, through `tgbox backup`.

ours -> reference: `tgbox backup make --provider file:F` writes the message the channel
provider posts; tgback-x 1.1 must compute the same KeyID from the phrase, find the capsule
in that text rendered as Telegram's preview page renders it (its own page parser, fed through
a patched urlopen), and decrypt it to the same session and credentials.
reference -> ours: tgback-x seals a backup; `tgbox backup open` must open it from a file and,
anonymously, from a preview page served on loopback, printing the same fields.

Phrases: ASCII, Spanish as the NFD word list stores it (and typed as NFC: our reader retries),
Japanese; keys: the library salt, a custom salt typed as hex (XQt's integer rule), and XQt's
birthday salt. Cheap scrypt (N=2^10) throughout.

Usage: tgback_interop.py TGBOX_BINARY SHARED_DIR   (run with .venv-tgback's python)
"""

import hashlib
import http.server
import json
import sys
import tempfile
import threading
import unicodedata
from pathlib import Path

from checks import check, eq, finish, run

from tgback_x import providers
from tgback_x.crypto import KeyAES, make_scrypt_key
from tgback_x.protocols import JSON_AES_CBC_UB64
from tgback_x.tools import make_key_id

TGBOX, SHARED = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
VECTORS = json.loads((SHARED / "vectors" / "tgbackx_vectors.json").read_text())
SESSIONS = [s["string"] for s in VECTORS["session_strings"]]
API_ID, API_HASH = 1234567, "0123456789abcdef0123456789abcdef"
DEFAULT_SALT = 0x5261696E626F77202D205374617267617A6572207C20C2E467EF2FBBC8ABB46B
work = Path(tempfile.mkdtemp(prefix="tgback-interop-"))


def int_to_bytes(v: int) -> bytes:
    return v.to_bytes(v.bit_length() // 8 + 1, "big")


def reference_key(phrase: str, salt_hex=None, birthday=None) -> bytes:
    """The key as tgback-x (salt as an int) and XQt (birthday) derive it."""
    salt = int(salt_hex, 16) if salt_hex else DEFAULT_SALT
    if birthday:
        salt = hashlib.sha256(birthday.encode() + int_to_bytes(salt)).digest()
    return make_scrypt_key(phrase.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)


def key_args(salt_hex=None, birthday=None):
    args = ["--scrypt-n", "1024"]
    if salt_hex:
        args += ["--scrypt-salt", salt_hex]
    if birthday:
        args += ["--birthday", birthday]
    return args


def as_preview_page(key_id: str, messages) -> bytes:
    """Messages rendered the way t.me/s/<KeyID> shows posts (oldest first)."""
    posts = "".join(
        f'<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message js-widget_message" data-post="{key_id}/{i + 2}">'
        f'<div class="tgme_widget_message_text js-message_text" dir="auto">'
        f'{m.replace(chr(10), "<br/>")}</div></div></div>\n'
        for i, m in enumerate(messages)
    )
    return f"<html><body><section>{posts}</section></body></html>".encode()


def reference_reads_page(key_id: str, page: bytes) -> str:
    """tgback-x's own page parser on `page` (urlopen patched: nothing leaves the machine)."""

    class Fake:
        def read(self):
            return page

    saved = providers.urlopen
    providers.urlopen = lambda request: Fake()
    try:
        return providers.TelegramChannel()._get_data(key_id)
    finally:
        providers.urlopen = saved


CASES = [
    ("ascii", "correct horse battery staple", None, None),
    ("es_nfd", VECTORS["scrypt_keyid_cheap"][2]["phrase"], None, None),
    ("ja", "あいこくしん あいさつ あいだ あおぞら", None, None),
    ("custom_salt", "frequent panel color doll humor game fantasy pottery", "00AB12", None),
    ("birthday", "frequent panel color doll humor game fantasy pottery", None, "07/03/1990"),
]


def ours_to_reference(name, phrase, salt_hex, birthday, session):
    pf = work / f"phrase-{name}"
    pf.write_text(phrase + "\n", encoding="utf-8")
    out = work / f"ours-{name}.txt"
    made = run([TGBOX, "backup", "make", "--provider", f"file:{out}", "--phrase-file", pf,
                "--session-string", session, "--api-id", API_ID, "--api-hash", API_HASH,
                "--json", *key_args(salt_hex, birthday)])
    key_id = json.loads(made.stdout)["key_id"]
    key = reference_key(phrase, salt_hex, birthday)
    eq(key_id, make_key_id(key), "KeyID")
    text = out.read_text()
    eq(text.startswith("+T+\nJSON_AES_CBC_UB64_") and text.endswith("\n+T+"), True, "message form")
    capsule = reference_reads_page(key_id, as_preview_page(key_id, [text]))
    data = JSON_AES_CBC_UB64(KeyAES(key)).extract(capsule)
    eq(data["session"], session, "session")
    eq(data["api_id"], API_ID, "api_id")
    eq(data["api_hash"], API_HASH, "api_hash")
    eq(data["version"], "1.1", "version")
    eq(isinstance(data["created_at"], float), True, "created_at is a float")


def reference_to_ours(name, phrase, salt_hex, birthday, session):
    key = reference_key(phrase, salt_hex, birthday)
    key_id = make_key_id(key)
    older = JSON_AES_CBC_UB64(KeyAES(key)).capsulate(
        session=SESSIONS[1], api_id=7, api_hash="f" * 32, created_at=1.5, version="1.1")
    capsule = JSON_AES_CBC_UB64(KeyAES(key)).capsulate(
        session=session, api_id=API_ID, api_hash=API_HASH, created_at=1737203696.789012,
        version="1.1")
    message = f"+T+\n{capsule}\n+T+"
    f = work / f"ref-{name}.txt"
    f.write_text(message)
    typed = unicodedata.normalize("NFC", phrase)  # as a keyboard types it
    pf = work / f"typed-{name}"
    pf.write_text(typed + "\n", encoding="utf-8")
    want = {"key_id": key_id, "session": session, "api_id": API_ID, "api_hash": API_HASH,
            "created_at": 1737203696.789012, "version": "1.1"}
    got = json.loads(run([TGBOX, "backup", "open", "--provider", f"file:{f}", "--phrase-file",
                          pf, "--print-session", "--json", *key_args(salt_hex, birthday)]).stdout)
    eq(got, want, "opened from a file")

    # The public page: an older backup first, the newest last; ours must pick the newest.
    page = as_preview_page(key_id, [f"+T+\n{older}\n+T+", message])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            body = page if self.path == f"/s/{key_id}" else b"<html>no</html>"
            self.send_response(200 if self.path == f"/s/{key_id}" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        got = json.loads(run([TGBOX, "backup", "open", "--provider", "telegram", "--preview-url",
                              base, "--phrase-file", pf, "--print-session", "--json",
                              *key_args(salt_hex, birthday)]).stdout)
        eq(got, want, "opened from the preview page")
    finally:
        server.shutdown()


for i, (name, phrase, salt_hex, birthday) in enumerate(CASES):
    session = SESSIONS[i % len(SESSIONS)]
    check(f"ours -> reference: {name}", lambda: ours_to_reference(name, phrase, salt_hex, birthday, session))
    check(f"reference -> ours: {name}", lambda: reference_to_ours(name, phrase, salt_hex, birthday, session))


def wrong_phrase():
    f = work / "ours-ascii.txt"
    pf = work / "wrong"
    pf.write_text("not the phrase\n")
    r = run([TGBOX, "backup", "open", "--provider", f"file:{f}", "--phrase-file", pf,
             "--print-session", "--json", "--scrypt-n", "1024"], ok=False)
    eq(r.returncode, 4, "exit code")
    eq(r.stdout, "", "stdout")


check("a wrong phrase opens nothing", wrong_phrase)
finish("tgback interop")
