"""Benchmark: the datastore half of issue 4's performance section (B8, B14).

(a) ``search`` pages of 100 rows at random offsets of a 10-million-row Parquet file:
    p95 must be under 30 ms (no exact-count scan: the total comes from the footer).
(b) a filter + group-by query (average PM10 per district for one month) through
    ``sql()`` against the same query in PostgreSQL on the same rows loaded the way
    CKAN's DataStore does it (COPY into a table, an index on the filter column); the
    goal is DuckDB at least 5x faster.

    .venv/bin/python bench/bench_datastore.py                  # 10,000,000 rows
    .venv/bin/python bench/bench_datastore.py --rows 1000000 --no-postgres

PostgreSQL: ``--pg postgres://postgres@127.0.0.1:5432/test``; the table is created in
a private schema (``bench_datastore_<pid>``) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cityline.opendata.domain.query import search, sql  # noqa: E402

GROUP_SQL = """SELECT district, avg(pm10) AS pm10, count(*) AS n FROM {t}
WHERE ts >= TIMESTAMP '2024-03-01' AND ts < TIMESTAMP '2024-04-01'
GROUP BY district ORDER BY district"""


def generate(path: Path, rows: int) -> None:
    """Synthetic city sensor readings: 500 stations, 10 districts, one reading per station
    every few minutes through 2024 (ordered by time, as a logger writes them)."""
    duckdb.sql(f"""
        COPY (
          SELECT 'ST' || lpad(CAST(i % 500 AS VARCHAR), 3, '0') AS station,
                 TIMESTAMP '2024-01-01' + to_seconds(CAST(i * (31536000.0 / {rows}) AS BIGINT)) AS ts,
                 round(5 + 40 * random(), 1) AS pm10,
                 round(10 + 60 * random(), 1) AS no2,
                 'district-' || CAST((i % 500) % 10 AS VARCHAR) AS district
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)  -- as ingest() writes it
    """)


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=100)[94]


def bench_search(path: Path, rows: int, requests: int, seed: int) -> float:
    rng = random.Random(seed)
    search(path, limit=100, offset=0)  # warm the footer cache, as a running server would be
    times = []
    for _ in range(requests):
        off = rng.randrange(0, max(rows - 100, 1))
        t = time.perf_counter()
        page = search(path, limit=100, offset=off)
        times.append((time.perf_counter() - t) * 1000)
        assert len(page.records) == 100 and page.total == rows
    return p95(times), statistics.median(times)


def bench_duckdb_group(path: Path, repeat: int) -> tuple[float, list]:
    best, rec = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        r = sql(GROUP_SQL.format(t="readings"), {"readings": path}, timeout_s=60)
        best = min(best, time.perf_counter() - t)
        rec = r.records
    return best, rec


def bench_postgres(path: Path, url: str, repeat: int) -> tuple[float, float, list]:
    import psycopg

    schema = f"bench_datastore_{os.getpid()}"
    csv_path = path.with_suffix(".csv")
    duckdb.sql(f"COPY (SELECT * FROM '{path}') TO '{csv_path}' (HEADER false)")
    with psycopg.connect(url, autocommit=True) as con:
        try:
            con.execute(f"CREATE SCHEMA {schema}")
            con.execute(f"""CREATE TABLE {schema}.readings (station text, ts timestamp, pm10 double precision,
                            no2 double precision, district text)""")
            t = time.perf_counter()
            with con.cursor() as cur, cur.copy(f"COPY {schema}.readings FROM STDIN (FORMAT csv)") as cp, \
                    open(csv_path, "rb") as f:
                while block := f.read(1 << 20):
                    cp.write(block)
            con.execute(f"CREATE INDEX ON {schema}.readings (ts)")  # the filter column, as CKAN's datastore_create(indexes=...)
            con.execute(f"ANALYZE {schema}.readings")
            load = time.perf_counter() - t
            best, rec = float("inf"), None
            for _ in range(repeat):
                t = time.perf_counter()
                rows = con.execute(GROUP_SQL.format(t=f"{schema}.readings")).fetchall()
                best = min(best, time.perf_counter() - t)
                rec = [{"district": d, "pm10": float(a), "n": n} for d, a, n in rows]
            return best, load, rec
        finally:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            csv_path.unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=37106)
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-postgres", action="store_true")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-datastore-") as tmp:
        path = Path(tmp) / "readings.parquet"
        t = time.perf_counter()
        generate(path, a.rows)
        print(f"generated {a.rows:,} rows in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB Parquet)")

        p, med = bench_search(path, a.rows, a.requests, a.seed)
        ok = "PASS" if p < 30 else "FAIL"
        print(f"(a) search, 100-row page at random offsets, {a.requests} requests: p95 {p:.2f} ms, "
              f"median {med:.2f} ms -> {ok} (target < 30 ms)")

        duck, duck_rec = bench_duckdb_group(path, a.repeat)
        print(f"(b) avg pm10 per district for March 2024 via sql(): best of {a.repeat} {duck * 1000:.1f} ms")
        if a.no_postgres:
            return
        pg, load, pg_rec = bench_postgres(path, a.pg, a.repeat)
        assert [r["n"] for r in pg_rec] == [r["n"] for r in duck_rec], "PostgreSQL and DuckDB disagree"
        assert all(abs(x["pm10"] - y["pm10"]) < 1e-6 for x, y in zip(pg_rec, duck_rec))
        ratio = pg / duck
        print(f"    same query in PostgreSQL (COPY + index on ts, loaded in {load:.0f} s): best of {a.repeat} "
              f"{pg * 1000:.1f} ms")
        print(f"    ratio PostgreSQL / DuckDB: {ratio:.1f}x -> {'PASS' if ratio >= 5 else 'FAIL'} (goal >= 5x)")


if __name__ == "__main__":
    main()
