"""Benchmark: ten KPI specs over N observations (issue 6, performance): Cityline on DuckDB vs pandas vs PostgreSQL.

Generates N readings (default 100 million) in the observation store's layout (Parquet,
``group=<g>/month=<m>/``), 2,000 series in four groups over three years (2023-2025), then computes
ten KPI specs of different kinds (mean, sum, count with a quality filter, percentile, share of
time above a threshold, distinct days, weighted mean, per-district max, a ratio, hour and weekday
filters) for each of the 36 months:

- **Cityline**: ``ObservationStore.connect()`` (the deduplicating view) and the compiled SQL
  (:mod:`cityline.observations.domain.sql`), one query per spec for all 36 months;
- **pandas**: the straightforward way: read the store with ``pd.read_parquet``, drop duplicate
  ``(series, time)`` keeping the latest written, a month column, then per spec filter, join the
  series table and ``groupby`` (``shift(-1)`` per series for the time-weighted share);
- **PostgreSQL** (``--pg``, default ``postgres://postgres@127.0.0.1:5432/postgres``): the same rows
  loaded with ``COPY`` into a throwaway database, then the same compiled SQL (PostgreSQL dialect).
  Loading is not timed;
- **memory-bandwidth floor**: a NumPy sum over in-memory columns measures bytes/s in this run; the
  floor is the bytes the ten specs must read (each spec: the columns it uses, 8 bytes a value,
  4 bytes a series code, 1 byte a quality code, per reading of the group it selects: a quarter of
  the readings, since the store is partitioned by group) at that speed. Runs before 2026-11-28's
  third session counted every reading for every spec, a floor four times too high; the figure is
  still printed, labelled, to compare with them.

The numbers of all engines are checked against each other (relative 1e-9). Prints times and ratios.

    .venv/bin/python bench/kpi_compute.py                        # 100,000,000 rows
    .venv/bin/python bench/kpi_compute.py --rows 5000000 --no-postgres
    .venv/bin/python bench/kpi_compute.py --rows 20000000 --no-pandas --no-postgres --dir /tmp/kpi20 --per-spec
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cityline.observations.domain import periods as P  # noqa: E402
from cityline.observations.domain import sql as S  # noqa: E402
from cityline.observations.domain.spec import parse  # noqa: E402
from cityline.observations.store import ObservationStore  # noqa: E402

GROUPS = ("air", "traffic", "water", "noise")
SERIES_PER_GROUP = 500
DISTRICTS = 12
START, END = date(2023, 1, 1), date(2025, 12, 31)

SPECS = {
    "mean": {"value": {"series": {"group": "air"}, "function": "mean"}},
    "sum": {"value": {"series": {"group": "traffic"}, "function": "sum"}},
    "count_ok": {"value": {"series": {"group": "water"}, "function": "count", "where": {"quality": ["ok"]}}},
    "p95": {"value": {"series": {"group": "noise"}, "function": "percentile", "percentile": 0.95}},
    "share_above": {"value": {"series": {"group": "air"}, "function": "share_above", "threshold": 35,
                              "max_gap_seconds": 7200}},
    "distinct_days": {"value": {"series": {"group": "water"}, "function": "distinct_count", "of": "day",
                                "where": {"min_value": 50}}},
    "weighted": {"value": {"series": {"group": "air"}, "function": "mean", "weighted": True}},
    "district_max": {"value": {"series": {"group": "noise"}, "function": "mean"}, "group_by": "district",
                     "combine": "max"},
    "ratio": {"ratio": {"numerator": {"series": {"group": "traffic"}, "function": "count",
                                      "where": {"min_value": 45}},
                        "denominator": {"series": {"group": "traffic"}, "function": "count"}}, "scale": 100},
    "rush_hours": {"value": {"series": {"group": "traffic"}, "function": "mean",
                             "where": {"hours": [7, 10], "weekdays": [1, 2, 3, 4, 5]}}},
}
#: columns each spec must read, in bytes per row (series code 4, time 8, value 8, quality code 1)
BYTES = {"mean": 20, "sum": 20, "count_ok": 13, "p95": 20, "share_above": 20, "distinct_days": 20,
         "weighted": 20, "district_max": 20, "ratio": 20, "rush_hours": 20}


def spec_group(spec: dict) -> str:
    """The one group a benchmark spec reads (a ratio's sides read the same group's readings once)."""
    sides = [spec["value"]] if "value" in spec else [spec["ratio"]["numerator"], spec["ratio"]["denominator"]]
    (group,) = {side["series"]["group"] for side in sides}
    return group


def meta_rows() -> list[tuple]:
    rows = []
    for g, group in enumerate(GROUPS):
        for i in range(SERIES_PER_GROUP):
            rows.append((f"{group}-{i:03d}", group, "Observed", group, f"district-{i % DISTRICTS:02d}",
                         f"org-{i % 3}", float(1000 + (i * 37) % 5000)))
    return rows


def generate(root: Path, rows: int) -> None:
    """N readings spread evenly over the series and the three years, deterministic (hashes, no RNG state)."""
    n_series = len(GROUPS) * SERIES_PER_GROUP
    per_series = rows // n_series
    span = (END - START).days * 86400 + 86399
    step = span / per_series
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET temp_directory = '{root.parent / 'duckdb-tmp'}'")
    groups = ", ".join(f"'{g}'" for g in GROUPS)
    con.execute(f"""
        COPY (
          SELECT ([{groups}])[CAST(s // {SERIES_PER_GROUP} AS INTEGER) + 1] || '-' || lpad(CAST(s % {SERIES_PER_GROUP} AS VARCHAR), 3, '0') AS series,
                 TIMESTAMPTZ '{START.isoformat()} 00:00:00+00' + to_microseconds(CAST(k * {step * 1e6} + (s * 7919) % {int(step * 1e6)} AS BIGINT)) AS time,
                 round(30 + 20 * sin(k / 48.0) + (hash(s * 1000003 + k) % 2000) / 100.0 - 10, 2) AS value,
                 CASE WHEN hash(k * 31 + s) % 50 = 0 THEN 'bad' ELSE NULL END AS quality,
                 NULL::VARCHAR AS message_id,
                 TIMESTAMPTZ '2026-01-01 00:00:00+00' AS written,
                 ([{groups}])[CAST(s // {SERIES_PER_GROUP} AS INTEGER) + 1] AS "group",
                 date_trunc('month', CAST(TIMESTAMPTZ '{START.isoformat()} 00:00:00+00' + to_microseconds(CAST(k * {step * 1e6} + (s * 7919) % {int(step * 1e6)} AS BIGINT)) AS DATE))::DATE AS month
          FROM range({n_series}) a(s), range({per_series}) b(k)
        ) TO '{root}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY ("group", month), OVERWRITE_OR_IGNORE,
                       FILENAME_PATTERN 'part-20260101T000000000000-0000000bec40_{{i}}')""")
    con.close()


def months() -> list[tuple]:
    return P.ended_periods("monthly", START, date(2026, 1, 1))


def run_cityline(root: Path, meta_table, specs: dict, bounds) -> tuple[dict, float]:
    store = ObservationStore(root)
    out, t0 = {}, time.perf_counter()
    con = store.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("series_meta", meta_table)
    for name, spec in specs.items():
        out[name] = {r[0]: r[1] for r in con.sql(S.compile_spec(parse(spec), bounds, "duckdb")).fetchall()}
    con.close()
    return out, time.perf_counter() - t0


def per_spec(root: Path, meta_table, specs: dict, bounds, repeat: int = 2) -> float:
    """Each spec alone, best of ``repeat`` runs on one connection (where the time goes); returns the total."""
    con = ObservationStore(root).connect()
    con.register("series_meta", meta_table)
    total = 0.0
    for name, spec in specs.items():
        query, best = S.compile_spec(parse(spec), bounds, "duckdb"), float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            con.sql(query).fetchall()
            best = min(best, time.perf_counter() - t0)
        total += best
        print(f"  {name:14} {best:6.3f} s")
    print(f"  {'total':14} {total:6.3f} s (each spec best of {repeat})")
    con.close()
    return total


def run_pandas(root: Path, meta: list[tuple], specs: dict, bounds) -> tuple[dict, float]:
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(root, columns=["series", "time", "value", "quality", "written"])
    df = df.sort_values("written").drop_duplicates(["series", "time"], keep="last")
    edges = np.array([int(b[0].timestamp() * 1e6) for b in bounds] + [int(bounds[-1][1].timestamp() * 1e6)])
    t_us = df["time"].astype("int64").to_numpy() // (1000 if df["time"].dtype.unit == "ns" else 1)
    df["t_us"] = t_us
    df["period"] = np.searchsorted(edges, t_us, side="right") - 1
    df = df[(df["period"] >= 0) & (df["period"] < len(bounds)) & df["value"].notna()]
    m = pd.DataFrame(meta, columns=["series", "group", "entity_type", "attribute", "district", "organisation",
                                    "weight"])
    df = df.merge(m[["series", "group", "district", "weight"]], on="series")
    df["quality"] = df["quality"].fillna("ok")
    ends = pd.Series(edges[1:], index=range(len(bounds)))
    out = {}
    for name, spec in specs.items():
        s = parse(spec)
        if s.is_ratio:
            sub = df[df["group"] == s.numerator.series.group[0]]
            num = sub[sub["value"] >= s.numerator.where.min_value].groupby("period").size()
            den = sub.groupby("period").size()
            res = num.reindex(den.index, fill_value=0) / den * s.scale
        else:
            a = s.value
            sub = df[df["group"] == a.series.group[0]]
            seen = sub["period"].unique()  # a count, distinct count or sum is 0 where none passes the filters
            if a.where.quality:
                sub = sub[sub["quality"].isin(a.where.quality)]
            if a.where.min_value is not None:
                sub = sub[sub["value"] >= a.where.min_value]
            if a.where.hours:
                hours = sub["time"].dt.hour
                sub = sub[(hours >= a.where.hours[0]) & (hours < a.where.hours[1])]
            if a.where.weekdays:
                sub = sub[(sub["time"].dt.day_of_week + 1).isin(a.where.weekdays)]
            g = sub.groupby("period")
            if a.function == "mean" and a.weighted:
                per = sub.groupby(["period", "series"]).agg(mean=("value", "mean"), w=("weight", "first"))
                per["wm"] = per["mean"] * per["w"]
                tot = per.groupby(level="period")[["wm", "w"]].sum()
                res = tot["wm"] / tot["w"]
            elif s.group_by == "district":
                res = sub.groupby(["period", "district"])["value"].mean().groupby(level="period").max()
            elif a.function == "mean":
                res = g["value"].mean()
            elif a.function == "sum":
                res = g["value"].sum()
            elif a.function == "count":
                res = g.size().astype(float)
            elif a.function == "percentile":
                res = g["value"].quantile(a.percentile)
            elif a.function == "distinct_count":
                res = sub.assign(day=sub["time"].dt.floor("D")).groupby("period")["day"].nunique().astype(float)
            elif a.function == "share_above":
                sub = sub.sort_values(["series", "time"])
                nxt = sub.groupby(["series", "period"])["t_us"].shift(-1)
                end = sub["period"].map(ends)
                held = np.minimum(np.minimum(nxt.fillna(end), sub["t_us"] + a.max_gap_seconds * 1_000_000), end)
                held = held - sub["t_us"]
                above = held.where(sub["value"] > a.threshold, 0)
                res = above.groupby(sub["period"]).sum() / held.groupby(sub["period"]).sum()
        if not s.is_ratio and s.value.function in ("count", "distinct_count", "sum"):
            res = res.reindex(seen, fill_value=0.0)
        out[name] = {int(k): float(v) for k, v in res.items()}
    return out, time.perf_counter() - t0


def run_postgres(dsn: str, root: Path, meta: list[tuple], specs: dict, bounds) -> tuple[dict, float, float]:
    import psycopg

    name = f"bench_kpi_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        base = dsn.rsplit("/", 1)[0]
        with psycopg.connect(f"{base}/{name}", autocommit=True) as con:
            t_load = time.perf_counter()
            con.execute("CREATE TABLE observations (series text, time timestamptz, value double precision, "
                        "quality text)")
            con.execute('CREATE TABLE series_meta (series text PRIMARY KEY, "group" text, entity_type text, '
                        "attribute text, district text, organisation text, weight double precision)")
            with con.cursor().copy("COPY series_meta FROM STDIN") as cp:
                for row in meta:
                    cp.write_row(row)
            reader = duckdb.connect()
            reader.execute("SET TimeZone = 'UTC'")
            batches = reader.sql(f"SELECT series, strftime(time, '%Y-%m-%d %H:%M:%S.%f+00') AS time, value, quality "
                                 f"FROM read_parquet('{root}/group=*/month=*/*.parquet')").to_arrow_reader(1_000_000)
            with con.cursor().copy("COPY observations FROM STDIN (FORMAT csv)") as cp:
                import pyarrow.csv as pacsv

                for batch in batches:
                    buf = io.BytesIO()
                    pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False))
                    cp.write(buf.getvalue())
            con.execute("CREATE INDEX ON observations (time)")
            con.execute("ANALYZE")
            t_load = time.perf_counter() - t_load
            out, t0 = {}, time.perf_counter()
            con.execute("SET TimeZone = 'UTC'")
            for spec_name, spec in specs.items():
                rows = con.execute(S.compile_spec(parse(spec), bounds, "postgres")).fetchall()
                out[spec_name] = {r[0]: float(r[1]) if r[1] is not None else None for r in rows}
            return out, time.perf_counter() - t0, t_load
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bandwidth(rows: int) -> float:
    """Bytes per second of a NumPy sum over an in-memory float64 column (best of 3)."""
    values = np.arange(rows, dtype=np.float64)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        values.sum()
        best = min(best, time.perf_counter() - t0)
    return values.nbytes / best


def compare(a: dict, b: dict, label: str) -> int:
    bad = 0
    for name in a:
        for period, va in a[name].items():
            vb = b[name].get(period)
            if va is None or vb is None or not np.isclose(va, vb, rtol=1e-9, atol=1e-12):
                bad += 1
                if bad <= 5:
                    print(f"  {label} differs: {name} period {period}: {va!r} vs {vb!r}")
        if set(a[name]) != set(b[name]):
            bad += 1
            print(f"  {label}: {name} periods differ")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--no-pandas", action="store_true")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    ap.add_argument("--per-spec", action="store_true", help="also time each spec alone (best of two)")
    args = ap.parse_args()

    work = Path(args.dir or tempfile.mkdtemp(prefix="cityline-kpi-bench-"))
    root = work / "store"
    try:
        meta = meta_rows()
        from cityline.observations.domain.sql import series_meta_table

        meta_table = series_meta_table(meta)
        bounds = [P.bounds(p) for p in months()]
        t0 = time.perf_counter()
        if not root.exists():
            generate(root, args.rows)
        files = f"'{root}/group=*/month=*/*.parquet'"
        per_group = dict(duckdb.sql(f"SELECT \"group\", count(*) FROM read_parquet({files}, hive_partitioning = true) "
                                    "GROUP BY 1").fetchall())
        n = sum(per_group.values())
        print(f"data: {n:,} readings, {len(meta)} series, {len(bounds)} months "
              f"({time.perf_counter() - t0:.1f} s to generate)")
        ours, t_ours = run_cityline(root, meta_table, SPECS, bounds)
        print(f"Cityline (DuckDB {duckdb.__version__}): {t_ours:.2f} s for {len(SPECS)} specs x {len(bounds)} months")
        if args.per_spec:
            per_spec(root, meta_table, SPECS, bounds)
        bw = bandwidth(50_000_000)  # 400 MB: far beyond the caches
        floor_bytes = sum(BYTES[name] * per_group[spec_group(spec)] for name, spec in SPECS.items())
        floor = floor_bytes / bw
        print(f"memory-bandwidth floor: {bw / 1e9:.1f} GB/s measured, {floor_bytes / 1e9:.2f} GB to read (each "
              f"spec: its group's readings) -> {floor:.3f} s; Cityline / floor = {t_ours / floor:.1f}x")
        every = sum(BYTES.values()) * n / bw
        print(f"  (the figure of runs before 2026-11-28's third session, every reading for every spec: "
              f"{every:.2f} s, {t_ours / every:.1f}x)")
        status = 0
        if not args.no_pandas:
            theirs, t_pd = run_pandas(root, meta, SPECS, bounds)
            print(f"pandas: {t_pd:.2f} s; pandas / Cityline = {t_pd / t_ours:.1f}x")
            status |= compare(ours, theirs, "pandas") > 0
        if not args.no_postgres:
            pg, t_pg, t_load = run_postgres(args.pg, root, meta, SPECS, bounds)
            print(f"PostgreSQL: {t_pg:.2f} s (loading with COPY, not timed: {t_load:.1f} s); "
                  f"PostgreSQL / Cityline = {t_pg / t_ours:.1f}x")
            status |= compare(ours, pg, "PostgreSQL") > 0
        print("numbers agree" if not status else "NUMBERS DIFFER")
        for name in SPECS:
            print(f"  {name:14} {ours[name].get(0)!r}")
        return status
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
