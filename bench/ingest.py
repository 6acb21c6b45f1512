"""Benchmark: bulk ingestion of observations (issue 6, "Performance"): at least 20 million rows/s from
Parquet and 5 million rows/s from CSV on a 2-core machine, peak memory under 4 GiB, for 100 million rows.

    .venv/bin/python bench/ingest.py                    # 100,000,000 rows (the issue's size)
    .venv/bin/python bench/ingest.py --rows 10000000    # a quicker run

**Data** (deterministic): ``--series`` series (default 1,000) in 10 groups, one reading per series at a
fixed step so the rows span ``--days`` days (default 365), in time order as loggers write them; values
in [0, 100) with one decimal; ISO 8601 UTC times in the CSV (``2026-01-01T00:00:00Z``), a
``TIMESTAMP WITH TIME ZONE`` column in the Parquet file.

**Ours**: :meth:`cityline.observations.files.InputFile.stage` (every row checked: series known, time with
a zone, value not NaN; the batch checked for keys given twice) then ``commit()`` (files fsynced, moved into
``group=/month=`` partitions) into an empty store: the bulk path ``cityline ingest`` and the HTTP upload take
for big files. Timed twice (``--paths``): ``arrow``, the Arrow lane the bulk path tries first
(:mod:`cityline.observations.arrow_stage`), and ``duckdb``, the DuckDB staging alone (the lane's fallback).

**Baseline** (same run, same file): DuckDB's plain ``COPY (SELECT * FROM <file>) TO 'one.parquet'``, no
checks and no partitioning: the floor for "read the file, write Parquet" on this machine. The ratio says
what the checks, partitioning and crash safety cost.

**Peak memory**: the process's peak resident set (VmHWM) during each ingestion, reset before it
(``/proc/self/clear_refs``), so it counts DuckDB's buffers too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cityline.observations.files import InputFile  # noqa: E402
from cityline.observations.store import ObservationStore  # noqa: E402

GROUPS = 10


def series_groups(series: int) -> dict[str, str]:
    return {f"s{i:05d}": f"g{i % GROUPS}" for i in range(series)}


def generate(folder: Path, rows: int, series: int, days: int) -> tuple[Path, Path]:
    parquet, csv = folder / "readings.parquet", folder / "readings.csv"
    step = days * 86400 / max(1, rows // series)  # seconds between two readings of a series
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"""
            COPY (SELECT 's' || lpad(CAST(i % {series} AS VARCHAR), 5, '0') AS series,
                         TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(CAST((i // {series}) * {step} * 1e6 AS BIGINT)) AS time,
                         round(((i * 7919) % 1000) / 10.0, 1) AS value
                  FROM range({rows}) t(i))
            TO '{parquet}' (FORMAT parquet, COMPRESSION zstd)""")
        con.execute(f"COPY (SELECT series, strftime(time, '%Y-%m-%dT%H:%M:%SZ') AS time, value "
                    f"FROM '{parquet}') TO '{csv}' (HEADER)")
    return parquet, csv


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def ingest(path: Path, root: Path, groups: dict[str, str], lane: str) -> tuple[float, int, int]:
    shutil.rmtree(root, ignore_errors=True)
    store = ObservationStore(root)
    reset_peak()
    start = time.perf_counter()
    staged = InputFile(path).stage(store, groups, lane=lane == "arrow")
    assert staged.via == lane, (staged.via, lane)  # the lane did not decline
    rows = staged.commit()
    elapsed = time.perf_counter() - start
    return elapsed, rows, peak_rss()


def baseline(path: Path, out: Path) -> float:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        reader = (f"read_csv('{path}', header = true, columns = {{'series': 'VARCHAR', 'time': 'TIMESTAMPTZ', "
                  f"'value': 'DOUBLE'}})" if path.suffix == ".csv" else f"read_parquet('{path}')")
        start = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM {reader}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--dir", help="work folder (default: a temporary folder, removed afterwards)")
    parser.add_argument("--paths", default="arrow,duckdb",
                        help="which stagings to time, comma-separated: arrow (the lane cityline ingest takes first), "
                             "duckdb (the DuckDB path alone, what every file took before the lane)")
    args = parser.parse_args()
    work = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="cityline-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        parquet, csv = generate(work, args.rows, args.series, args.days)
        print(f"generated {args.rows:,} rows ({args.series:,} series, {args.days} days) in "
              f"{time.perf_counter() - t:.1f} s: Parquet {parquet.stat().st_size / 2**20:,.0f} MiB, "
              f"CSV {csv.stat().st_size / 2**20:,.0f} MiB")
        groups = series_groups(args.series)
        print(f"{'format':8} {'staging':8} {'ours':>9} {'rows/s':>14} {'peak RSS':>10} {'baseline COPY':>14} "
              f"{'ratio':>7}")
        for path, goal in ((parquet, 20e6), (csv, 5e6)):
            base = baseline(path, work / "baseline.parquet")
            for lane in args.paths.split(","):
                elapsed, rows, peak = ingest(path, work / "store", groups, lane)
                assert rows == args.rows, (rows, args.rows)
                name = path.suffix.lstrip(".")
                print(f"{name:8} {lane:8} {elapsed:8.2f}s {rows / elapsed:14,.0f} {peak / 2**30:8.2f} GiB "
                      f"{base:13.2f}s {elapsed / base:6.2f}x   (goal {goal / 1e6:.0f}M rows/s: "
                      f"{'met' if rows / elapsed >= goal else 'not met'})")
        files = sum(1 for _ in (work / "store").glob("group=*/month=*/*.parquet"))
        print(f"store: {files:,} part files")
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
