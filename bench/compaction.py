"""Benchmark: compacting a month that a live feed is still writing, whole against by size tiers.

A live feed (MQTT, NGSI-LD) writes a small part per batch. ``cityline observations compact`` used to
rewrite the whole month at every run, so each run cost the month so far; it now merges the open
month's parts by size tiers (``ObservationStore.merge_tiers``; docs/observations.md, "Layout").
This script replays the same feed twice into fresh stores, in one run, and compacts as it goes:
once with the whole-month rewrite, once by tiers. It prints, for each, the seconds spent compacting,
the readings rewritten, the parts left at the end and the seconds a query of the month takes, and
the ratios between the two. It checks that both stores answer the query alike.

    .venv/bin/python bench/compaction.py                       # 5 days, a batch a minute, hourly compaction
    .venv/bin/python bench/compaction.py --days 2 --rows 200   # a quicker run
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tqdm import tqdm

from cityline.observations.store import ObservationStore

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
MONTH = date(2026, 3, 1)
QUERY = "SELECT count(*), sum(value), max(time) FROM observations WHERE \"group\" = 'air'"


class CountingStore(ObservationStore):
    """The store, counting the readings its rewrites write."""

    rewritten = 0

    def rewrite_partition(self, *args, **kwargs) -> int:
        rows = super().rewrite_partition(*args, **kwargs)
        self.rewritten += rows
        return rows


def feed(args, minute: int) -> list[dict]:
    """One batch: a reading of each of ``--rows`` sensors at this minute."""
    at = START + timedelta(minutes=minute)
    return [{"series": f"air.s{i:05d}", "time": at, "value": float((i * 31 + minute * 7) % 97)}
            for i in range(args.rows)]


def replay(args, root: Path, tiers: bool) -> dict:
    store = CountingStore(root)
    compacting = 0.0
    batches = args.days * 24 * 60
    for minute in tqdm(range(batches), desc="tiers" if tiers else "whole", unit="batch", leave=False):
        store.write(feed(args, minute))
        if (minute + 1) % args.every == 0:
            start = time.perf_counter()
            if tiers:
                store.merge_tiers("air", MONTH)
            else:
                store.compact("air", MONTH)
            compacting += time.perf_counter() - start
    start = time.perf_counter()
    answer = store.query(QUERY)
    query = time.perf_counter() - start
    return {"compacting": compacting, "rewritten": store.rewritten, "parts": len(store.parts("air", MONTH)),
            "query": query, "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=5, help="days of the feed (default 5)")
    parser.add_argument("--rows", type=int, default=500, help="sensors, one reading each a minute (default 500)")
    parser.add_argument("--every", type=int, default=60, help="compact every this many batches (default 60)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-compaction-") as tmp:
        whole = replay(args, Path(tmp) / "whole", tiers=False)
        tiers = replay(args, Path(tmp) / "tiers", tiers=True)
    if whole["answer"] != tiers["answer"]:
        raise SystemExit(f"the stores disagree: {whole['answer']} against {tiers['answer']}")
    readings = args.days * 24 * 60 * args.rows
    print(f"A live feed of {args.days} days, {args.rows} readings a minute in a batch each ({readings:,} readings, "
          f"{args.days * 24 * 60:,} parts), compacted every {args.every} batches")
    for name, r in (("whole month", whole), ("by tiers", tiers)):
        print(f"  {name:11}: compacting {r['compacting']:7.2f} s, {r['rewritten']:>13,} readings rewritten, "
              f"{r['parts']} part(s) left, query of the month {r['query']:.3f} s")
    print(f"whole / tiers: compacting {whole['compacting'] / tiers['compacting']:.1f}x, readings rewritten "
          f"{whole['rewritten'] / max(tiers['rewritten'], 1):.1f}x; both stores answer {tiers['answer'][0]}")


if __name__ == "__main__":
    main()
