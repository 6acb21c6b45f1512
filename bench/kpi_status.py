"""Benchmark: status and forecast for many KPIs (issue 3, item 4; C2.b).

Generates a reproducible set of KPIs (seeded), times our batch functions
(``status_many`` + ``forecast_many``) and a straightforward per-KPI baseline
(a pandas DataFrame per KPI, ``scipy.stats.theilslopes`` per KPI) in the same process,
checks that both give the same answers, and prints the ratio.

The baseline is slow, so by default it runs on a random sample of the KPIs and its
time is scaled up linearly to the full set (it is a plain loop, so it scales
linearly); ``--baseline-sample 0`` runs it on every KPI.

    .venv/bin/python bench/kpi_status.py                      # 10,000 KPIs x 120 values
    .venv/bin/python bench/kpi_status.py --kpis 1000 --points 60 --repeat 1

Needs the ``bench`` extra (pandas) for the baseline only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cityline.benefits.domain.forecast import forecast_many  # noqa: E402
from cityline.benefits.domain.kpi import (  # noqa: E402
    BAD, EPOCH_ORDINAL, FREQUENCIES, QUALITY_FLAGS, Band, Baseline, Kpi, Measurements, Point, Target, Trajectory,
    add_months,
)
from cityline.benefits.domain.status import status_many  # noqa: E402

DIRECTIONS = ("higher_is_better", "lower_is_better", "target_band")


def generate(count: int, points: int, seed: int) -> tuple[list[Kpi], date]:
    """``count`` monthly KPIs with ``points`` month-end values each, starting in different months.

    Trend plus noise, about 2 % wild outliers, 3 % of values flagged bad, a quarter of the
    KPIs with whole-number values (ties), a tenth with a target band; linear, stepped and
    custom trajectories; one or two targets 1 to 3 years after the data ends.
    """
    rng = np.random.default_rng(seed)
    report_month = np.datetime64("2026-01", "M")
    on_date = date(2026, 1, 15)
    kpis = []
    for i in range(count):
        lag = int(rng.integers(0, 4))  # months of data missing at the end: some KPIs are overdue
        months = report_month - lag - points + np.arange(points)
        ends = ((months + 1).astype("datetime64[D]") - 1).astype(np.int64) + EPOCH_ORDINAL
        direction = DIRECTIONS[int(rng.choice(3, p=(0.45, 0.45, 0.10)))]
        level = float(rng.uniform(10, 1000))
        sign = {"higher_is_better": 1, "lower_is_better": -1, "target_band": 1}[direction]
        drift = sign * level * rng.uniform(-0.002, 0.006)  # per month: most improve, some worsen
        noise = level * rng.uniform(0.005, 0.05)
        values = level + drift * np.arange(points) + rng.normal(0, noise, points)
        wild = rng.random(points) < 0.02
        values[wild] += rng.normal(0, 10 * noise, wild.sum())
        if rng.random() < 0.25:
            values = np.round(values)
        quality = np.where(rng.random(points) < 0.03, BAD, 0).astype(np.int8)
        quality[(rng.random(points) < 0.05) & (quality == 0)] = 1  # provisional
        start = date.fromordinal(int(ends[0]))
        end = date.fromordinal(int(ends[-1]))
        improve = sign * level * rng.uniform(0.05, 0.4)
        targets = [Target(level + improve, add_months(end, int(rng.integers(12, 36))))]
        if rng.random() < 0.3:
            targets.insert(0, Target(level + improve / 2, add_months(end, 6)))
        kind = ("linear", "stepped", "custom")[int(rng.integers(0, 3))]
        traj_points = (Point(level + improve / 3, add_months(start, 60)),) if kind != "linear" else ()
        band = None
        if direction == "target_band":
            centre = level + improve
            band = Band(centre - level * 0.05, centre + level * 0.05)
        kpis.append(Kpi(
            id=i, name=f"KPI {i}", unit="units", direction=direction, frequency="monthly",
            baseline=Baseline(round(level, 2), start), targets=tuple(targets), trajectory=Trajectory(kind, traj_points),
            band=band, measurements=Measurements(ends, values, quality),
        ))
    return kpis, on_date


def baseline_run(kpis: list[Kpi], on_date: date) -> tuple[list[str], list[float | None]]:
    """The straightforward way: one pandas DataFrame and one scipy fit per KPI."""
    import pandas as pd
    from scipy.stats import theilslopes

    statuses, forecasts = [], []
    on_ts = pd.Timestamp(on_date)
    for kpi in kpis:
        m = kpi.measurements
        df = pd.DataFrame({
            "period_end": pd.to_datetime([date.fromordinal(int(d)) for d in m.dates]),
            "value": m.values,
            "quality": [QUALITY_FLAGS[int(q)] for q in m.quality],
        })
        df = df[(df["quality"] != "bad") & (df["period_end"] <= on_ts)].sort_values("period_end")
        knots = [(pd.Timestamp(kpi.baseline.date), kpi.baseline.value)] + [
            (pd.Timestamp(t.date), t.value) for t in sorted(kpi.targets, key=lambda t: t.date)]
        if kpi.trajectory.kind != "linear":
            knots += [(pd.Timestamp(p.date), p.value) for p in kpi.trajectory.points]
            knots.sort()
        plan = pd.Series([v for _, v in knots], index=[d for d, _ in knots])

        last = df.iloc[-1]
        when = last["period_end"]
        if kpi.trajectory.kind == "stepped":
            planned = float(plan[plan.index <= when].iloc[-1])
        else:
            x = np.array([d.toordinal() for d in plan.index], dtype=float)
            planned = float(np.interp(when.toordinal(), x, plan.to_numpy()))
        actual = float(last["value"])
        if kpi.direction == "higher_is_better":
            var, scale = actual - planned, abs(planned) or abs(plan.iloc[-1] - plan.iloc[0])
        elif kpi.direction == "lower_is_better":
            var, scale = planned - actual, abs(planned) or abs(plan.iloc[-1] - plan.iloc[0])
        else:
            dist = lambda v: max(kpi.band.low - v, v - kpi.band.high, 0.0)  # noqa: E731
            var, scale = dist(planned) - dist(actual), kpi.band.high - kpi.band.low
        rel = var / scale
        rating = "on_track" if rel >= -0.05 - 1e-9 else "at_risk" if rel >= -0.15 - 1e-9 else "off_track"
        freq = FREQUENCIES[kpi.frequency]
        due = when + pd.DateOffset(months=freq.months) + pd.Timedelta(days=freq.days + freq.grace_days)
        statuses.append("data_overdue" if on_ts > due else rating)

        target = next(t for t in sorted(kpi.targets, key=lambda t: t.date) if pd.Timestamp(t.date) > when)
        days = np.array([d.toordinal() for d in df["period_end"]], dtype=float)
        fit = theilslopes(df["value"].to_numpy(), days)
        forecasts.append(fit.intercept + fit.slope * target.date.toordinal())
    return statuses, forecasts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kpis", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=120)
    parser.add_argument("--seed", type=int, default=37106)
    parser.add_argument("--repeat", type=int, default=3, help="runs of our batch; the best is reported")
    parser.add_argument("--baseline-sample", type=int, default=1000, help="KPIs the baseline runs on (0 = all)")
    parser.add_argument("--exact", action="store_true", help="float64 slopes (bit-for-bit scipy) instead of float32")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    kpis, on_date = generate(args.kpis, args.points, args.seed)
    t_gen = time.perf_counter() - t0
    print(f"{args.kpis:,} KPIs x {args.points} monthly values generated in {t_gen:.2f} s (seed {args.seed}, report date {on_date})")

    best = float("inf")
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        statuses = status_many(kpis, on_date)
        t_status = time.perf_counter() - t0
        forecasts = forecast_many(kpis, on_date, exact=args.exact)
        total = time.perf_counter() - t0
        if total < best:
            best, best_status = total, t_status
    print(f"ours: status_many {best_status:.3f} s + forecast_many {best - best_status:.3f} s = {best:.3f} s "
          f"({'float64' if args.exact else 'float32'} slopes; best of {max(1, args.repeat)})")

    sample_size = args.kpis if args.baseline_sample <= 0 else min(args.baseline_sample, args.kpis)
    picks = np.sort(np.random.default_rng(args.seed + 1).choice(args.kpis, sample_size, replace=False))
    sample = [kpis[i] for i in picks]
    t0 = time.perf_counter()
    base_status, base_forecast = baseline_run(sample, on_date)
    t_base = time.perf_counter() - t0
    scaled = t_base * args.kpis / sample_size
    print(f"baseline (pandas + scipy per KPI): {t_base:.2f} s for {sample_size:,} KPIs"
          + (f", scaled to {args.kpis:,}: {scaled:.1f} s" if sample_size < args.kpis else ""))

    same_status = sum(statuses[i].status == s for i, s in zip(picks, base_status))
    ours = np.array([forecasts[i].value for i in picks], dtype=float)
    theirs = np.array(base_forecast, dtype=float)
    scale = np.maximum(np.abs(theirs), 1.0)
    worst = float(np.max(np.abs(ours - theirs) / scale)) if len(picks) else 0.0
    print(f"agreement on the sample: status {same_status}/{sample_size}; forecast values within {worst:.1e} (relative)")
    counts = {s: sum(1 for r in statuses if r.status == s) for s in sorted({r.status for r in statuses})}
    outcomes = {o: sum(1 for f in forecasts if f.outcome == o) for o in sorted({f.outcome for f in forecasts})}
    print(f"statuses: {counts}\nforecasts: {outcomes}")
    print(f"ratio: baseline / ours = {scaled / best:.0f}x; under 2 s: {'yes' if best < 2 else 'NO'}")
    return 0 if same_status == sample_size else 1


if __name__ == "__main__":
    raise SystemExit(main())
