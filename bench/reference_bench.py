#!/usr/bin/env python3
"""The workloads of crates/tgbox-core/benches/crypto.rs, run through the Python reference
(tgbox 1.8.0.1) the way it runs them, printed as one JSON object per workload.

upload: OpenPretender over AESwState + hmac, read in 512 KiB parts (the exact push_file path).
download: the buffering loop of DecryptedRemoteBoxFile.download (concatenate, decrypt, HMAC).
scrypt: make_basekey with the default parameters. sharekey: make_sharekey ops/s.
Env: BENCH_MIB (512), BENCH_RUNS (3).
"""

import asyncio
import hmac
import io
import json
import os
import statistics
import sys
import time

from tgbox.crypto import AESwState
from tgbox.keys import FileKey, MainKey, make_basekey, make_requestkey, make_sharekey
from tgbox.tools import OpenPretender

MIB = int(os.environ.get("BENCH_MIB", "512"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PART = 524288
only = sys.argv[1] if len(sys.argv) > 1 else None
total = MIB << 20
pattern = bytes((i * 2654435761 >> 13) & 0xFF for i in range(2 << 20))
key, iv, hkey = bytes(range(32)), bytes(16), bytes(32)


def med(xs):
    return statistics.median(xs)


if only in (None, "encmac"):
    data = pattern * (total // len(pattern))
    times = []
    for _ in range(RUNS):
        stream = OpenPretender(io.BytesIO(data), AESwState(key, iv), hmac.new(hkey, digestmod="sha256"), total)
        t = time.perf_counter()

        async def go():
            while await stream.read(PART):
                pass
        asyncio.run(go())
        times.append(time.perf_counter() - t)
    del data
    print(json.dumps({"workload": "encmac", "mib": MIB, "mb_per_s": round(total / med(times) / 1e6)}))

if only in (None, "decmac"):
    ct = AESwState(key, iv).encrypt(pattern * (total // len(pattern)), pad=True, concat_iv=False)
    times = []
    for _ in range(RUNS):
        aws, h = AESwState(key, iv), hmac.new(hkey, digestmod="sha256")
        t = time.perf_counter()
        buffered = b""
        for i in range(0, len(ct), PART):
            buffered += ct[i:i + PART]
            chunk, buffered = buffered[:PART], buffered[PART:]
            last = i + PART >= len(ct)
            out = aws.decrypt(chunk, unpad=last)
            h.update(out)
        h.digest()
        times.append(time.perf_counter() - t)
    del ct
    print(json.dumps({"workload": "decmac", "mib": MIB, "mb_per_s": round(total / med(times) / 1e6)}))

if only in (None, "scrypt"):
    times = []
    for _ in range(min(RUNS, 3)):
        t = time.perf_counter()
        make_basekey(b"tgbox benchmark phrase")
        times.append(time.perf_counter() - t)
    print(json.dumps({"workload": "scrypt", "seconds": round(med(times), 3)}))

if only in (None, "sharekey"):
    req = make_requestkey(MainKey(bytes([5]) * 32), b"bob salt")
    rates = []
    for r in range(3):
        n = 500
        t = time.perf_counter()
        for i in range(n):
            make_sharekey(FileKey(bytes([i % 256, r]) + bytes(30)), b"alice salt", req)
        rates.append(n / (time.perf_counter() - t))
    print(json.dumps({"workload": "sharekey", "ops_per_s": round(med(rates))}))
