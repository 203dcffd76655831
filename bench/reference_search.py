#!/usr/bin/env python3
"""The search of crates/tgbox/benches/browse.rs through the Python reference (tgbox 1.8.0.1),
on the LocalBox that bench left in target/bench-browse/box.db: the same filter (name contains
".txt", size >= 50,000, scope /bench), the same cheap scrypt parameters. Prints one JSON line.

usage: reference_search.py [DB]
"""

import asyncio
import json
import sys
import time

from tgbox.api import get_localbox
from tgbox.keys import Phrase, make_basekey
from tgbox.tools import SearchFilter

DB = sys.argv[1] if len(sys.argv) > 1 else "target/bench-browse/box.db"


async def main():
    basekey = make_basekey(Phrase(b"bench phrase"), n=16384, r=8, p=1)
    dlb = await get_localbox(basekey, DB)
    try:
        files = await dlb.get_files_total()
        sf = SearchFilter(file_name=".txt", min_size=50000, scope="/bench")
        t = time.perf_counter()
        hits = 0
        async for _ in dlb.search_file(sf, cache_preview=False):
            hits += 1
        ms = (time.perf_counter() - t) * 1e3
        print(json.dumps({"workload": "search", "files": files, "hits": hits, "ms": round(ms, 1)}))
    finally:
        await dlb.done()


asyncio.run(main())
