"""Benchmark: KPI specs for the latest month only (what the scheduler computes) over a store of 36 months,
with and without the partition filters of ``cityline.observations.domain.sql._partitions`` (same process).

    .venv/bin/python bench/kpi_compute.py --rows 20000000 --no-pandas --no-postgres --dir /tmp/kpi20  # the data
    .venv/bin/python bench/kpi_last_month.py /tmp/kpi20

Prints the total of the ten specs of bench/kpi_compute.py, each the best of three runs.
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import kpi_compute as K  # noqa: E402
from cityline.observations.domain import sql as S  # noqa: E402

if len(sys.argv) != 2:
    raise SystemExit(__doc__)
root = Path(sys.argv[1]) / "store"
if not root.is_dir():
    raise SystemExit(f"no store at {root}: make the data first (see --help)")
store = K.ObservationStore(root)
con = store.connect()
con.register("series_meta", S.series_meta_table(K.meta_rows()))
bounds = [K.P.bounds(p) for p in K.months()]


def timed(q):
    best = 9e9
    for _ in range(3):
        t = time.perf_counter()
        con.sql(q).fetchall()
        best = min(best, time.perf_counter() - t)
    return best


real = S._partitions
tot = {"without partition filters": 0.0, "with partition filters": 0.0}
for mode in tot:
    S._partitions = real if mode.startswith("with ") else (lambda d, p, a: "")
    for name, spec in K.SPECS.items():
        tot[mode] += timed(S.compile_spec(K.parse(spec), bounds[-1:], "duckdb"))
for mode, seconds in tot.items():
    print(f"{mode}: {seconds:.2f} s for 10 specs, the last month only")
