"""Benchmark: compacting a month of very many small parts (a store whose compaction never ran), bounded or not.

Writes N parts of two readings each into one month of a fresh store (pyarrow, no fsync: the set-up is not
timed), then compacts the month with ``ObservationStore.compact`` in a child process, twice: with the store's
``MERGE_AT_MOST`` (a rewrite reads at most that many parts in one DuckDB statement; more are merged in rounds
first) and with the bound lifted (every part in one statement, as before the bound). Each child process
prints its time and peak memory (``ru_maxrss``); both must leave one part holding every reading.

    .venv/bin/python bench/many_parts.py                 # 100,000 parts
    .venv/bin/python bench/many_parts.py --parts 20000
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cityline.observations import store as store_module  # noqa: E402

MONTH = date(2025, 10, 1)
SCHEMA = store_module.SCHEMA.append(pa.field("written", pa.timestamp("us", tz="UTC")))


def make(root: Path, parts: int) -> None:
    folder = root / "group=air" / f"month={MONTH.isoformat()}"
    folder.mkdir(parents=True)
    start = datetime(2025, 10, 1, tzinfo=timezone.utc)
    for i in range(parts):
        written = datetime(2025, 11, 1, tzinfo=timezone.utc) + timedelta(microseconds=i)
        table = pa.Table.from_pydict({
            "series": ["air.a", "air.b"], "time": [start + timedelta(seconds=i)] * 2, "value": [float(i), 1.0],
            "quality": [None, None], "message_id": [None, None], "written": [written, written]}, schema=SCHEMA)
        pq.write_table(table, folder / f"part-{written:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}.parquet")


def compact(root: str, bounded: bool) -> None:
    """In a child process: compact the month, print seconds, peak MB, parts and rows left."""
    if not bounded:
        store_module.MERGE_AT_MOST = sys.maxsize
    store = store_module.ObservationStore(root)
    t0 = time.perf_counter()
    store.compact("air", MONTH)
    seconds = time.perf_counter() - t0
    rows = store.query("SELECT count(*) FROM observations")[0][0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.1f} {peak:.0f} {len(store.files())} {rows}")


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        compact(sys.argv[2], sys.argv[3] == "bounded")
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=100_000, help="small parts in the month (default 100,000)")
    args = parser.parse_args()
    status = 0
    with tempfile.TemporaryDirectory(prefix="cityline-many-parts-") as tmp:
        for mode in ("unbounded", "bounded"):
            root = Path(tmp) / mode
            t0 = time.perf_counter()
            make(root, args.parts)
            made = time.perf_counter() - t0
            out = subprocess.run([sys.executable, __file__, "--child", str(root), mode], capture_output=True,
                                 text=True, check=True).stdout.split()
            seconds, peak, left, rows = float(out[0]), float(out[1]), int(out[2]), int(out[3])
            label = f"MERGE_AT_MOST = {store_module.MERGE_AT_MOST}" if mode == "bounded" else "one statement"
            print(f"{args.parts:,} parts, {label:22}: {seconds:6.1f} s, peak {peak:,.0f} MB, "
                  f"{left} part left, {rows:,} readings (set-up {made:.0f} s, not timed)")
            status |= left != 1 or rows != 2 * args.parts  # two series, a reading each a second
            shutil.rmtree(root)
    print("every reading kept, one part" if not status else "WRONG RESULT")
    return status


if __name__ == "__main__":
    sys.exit(main())
