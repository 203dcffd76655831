#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the golden vectors and sample box files in ../shared, so
the fuzzers start from inputs the reference really produces instead of from nothing.

usage: fuzz/seed_corpus.py [SHARED_DIR]      (default: ../shared next to the repository)
"""
import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / 'shared'
VECTORS = json.loads((SHARED / 'vectors' / 'tgbox_vectors.json').read_text())
HEX = re.compile(r'^(?:[0-9a-f]{2})+$')

# target -> the sections of tgbox_vectors.json whose strings are likely inputs of that target
SECTIONS = {
    'box_header': ['box_files', 'legacy_box_files', 'negative'],
    'packed_attributes': ['packed_attributes', 'caption_updates'],
    'caption': ['caption_updates'],
    'key_text': ['keys', 'sharing'],
    'sharekey': ['sharing'],
}


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def add(target, data: bytes):
    out = HERE / 'corpus' / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


for target, sections in SECTIONS.items():
    for section in sections:
        for s in strings(VECTORS.get(section, {})):
            add(target, bytes.fromhex(s) if HEX.match(s) else s.encode('utf-8'))
for sample in sorted((SHARED / 'vectors' / 'tgbox_samples').glob('*.tgbox')):
    add('box_header', sample.read_bytes())
# TGBACK-X: every capsule, message and page of its vectors, and the sample pages.
TGBACKX = json.loads((SHARED / 'vectors' / 'tgbackx_vectors.json').read_text())
for s in strings(TGBACKX):
    if 'JSON_AES_CBC_UB64' in s or s.startswith('1') or '+T+' in s:
        add('tgback_capsule', s.encode('utf-8'))
for page in sorted((SHARED / 'vectors').glob('tme_preview_*.html')):
    add('tgback_capsule', page.read_bytes())
# Local channel records: a valid header, message record and event line, each behind its
# selector byte (0 channel.json, 1 message record, 2 events.jsonl).
for i, rec in enumerate([
    b'{"format": "tgbox-local-channel", "version": 1, "id": 1000000001, "title": "TGBOX[01]: x", "about": "", "premium": false, "created": 1, "next_message_id": 2, "next_event_id": 3, "photo": null}',
    b'{"id": 1, "date": 1, "edit_date": null, "caption": "c", "document": {"id": 5, "name": "doc.bin", "mime": "application/octet-stream", "size": 3}, "forwarded_from": null}',
    b'{"id": 1, "date": 1, "action": "new_message", "message_id": 1}\n',
]):
    add('local_records', bytes([i]) + rec)
for target in list(SECTIONS) + ['tgback_capsule', 'local_records']:
    print(target, len(list((HERE / 'corpus' / target).iterdir())))
