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
for target in SECTIONS:
    print(target, len(list((HERE / 'corpus' / target).iterdir())))
