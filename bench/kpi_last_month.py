"""Benchmark: KPI specs for the latest month only (what the scheduler computes) over a store of 36 months,
with and without the partition filters of ``cityline.observations.domain.sql._partitions`` (same process).

    .venv/bin/python bench/kpi_compute.py --rows 20000000 --no-pandas --no-postgres --dir /tmp/kpi20  # the data
    .venv/bin/python bench/kpi_last_month.py /tmp/kpi20

Prints the total of the ten specs of bench/kpi_compute.py, each the best of three runs.
"""
import sys
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
meta_table = S.series_meta_table(K.meta_rows())
last_month = [K.P.bounds(K.months()[-1])]
real = S._partitions
totals = {}
for mode in ("without partition filters", "with partition filters"):
    print(f"{mode}:")
    S._partitions = real if mode.startswith("with ") else (lambda d, p, a: "")
    totals[mode] = K.per_spec(root, meta_table, K.SPECS, last_month, repeat=3)
for mode, seconds in totals.items():
    print(f"{mode}: {seconds:.2f} s for 10 specs, the last month only")
