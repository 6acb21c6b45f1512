"""Forecast of a KPI to its next target date from the measured trend (C2.b, C3.d).

Method: the Theil–Sen estimator — the slope is the median of the slopes between
every pair of measurements, the line goes through the median date and median value
("separate" medians, as ``scipy.stats.theilslopes`` does by default). It is robust: up
to about 29 % of the values can be wild (a sensor fault, a one-off event) without
pulling the line, which an ordinary least-squares fit cannot promise, and it assumes
nothing about the noise.

Uncertainty band: Sen's (1968) confidence interval for the slope — two order
statistics of the pairwise slopes, with the variance corrected for tied values,
exactly as ``scipy.stats.theilslopes`` computes it — projected from the pivot (median
date, median value) to the target date. The band therefore widens the further the
target lies beyond the data. It reflects the uncertainty of the trend only, not the
scatter of single values around it.

Rules:

* Only usable values count (not flagged ``bad``), with period ends on or before the
  report date; at most the ``max_points`` most recent ones (default 1,000).
* At least ``min_points`` values (default 5) are needed; with fewer the outcome is
  ``not_enough_data``.
* The forecast goes to the first target dated after the latest value. If every target
  date is already covered by data the outcome is ``target_passed`` (the status says how
  it went); without a complete target it is ``no_target``. The trend itself is still
  reported in both cases.
* ``meets`` when the central forecast is at least as good as the target (inside the
  band for a target-band KPI), ``misses`` otherwise; ``certain`` says whether the whole
  uncertainty band falls on the same side.

Speed: :func:`theil_sen` is vectorised with numpy over many series at once (the pairwise
slopes of a chunk of series are built lag by lag, then the medians and interval ends
are picked with single-rank partitions). By default the slopes are held in float32,
which agrees with ``scipy.stats.theilslopes`` to about 1e-6 of the slope spread and takes
about a quarter less time; ``exact=True`` uses float64 and reproduces scipy to the last bit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri

from .kpi import Kpi, Target, band_distance, fmt_difference, fmt_quantity

OUTCOMES = ("meets", "misses", "not_enough_data", "no_target", "target_passed")
METHOD = "theil-sen"
MIN_POINTS = 5
MAX_POINTS = 1000
DAYS_PER_YEAR = 365.25
#: Upper bound on the pairwise slopes held in memory at once (elements per chunk).
CHUNK_ELEMENTS = 1 << 21


class TheilSen(NamedTuple):
    """Theil–Sen fits of k series: arrays of length k."""

    slope: np.ndarray
    intercept: np.ndarray
    low_slope: np.ndarray
    high_slope: np.ndarray
    x_median: np.ndarray
    y_median: np.ndarray


def theil_sen(x, y, confidence: float = 0.95, exact: bool = False, workspace: dict | None = None) -> TheilSen:
    """Theil–Sen slope, intercept and Sen's confidence interval of the slope for each row.

    ``x`` and ``y`` are arrays of shape (k, n) (or (n,) for one series): k series of n
    points each, every row with strictly increasing ``x``. Matches
    ``scipy.stats.theilslopes(y[i], x[i], alpha=confidence)`` row by row (method
    "separate"); see the module docstring for precision. ``workspace``, any dict kept
    between calls, lets several calls reuse the same scratch memory.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in shape: {x.shape} and {y.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie between 0 and 1, not {confidence!r}")
    k, n = y.shape
    if n < 2:
        raise ValueError("a trend needs at least 2 points per series")
    if not (np.diff(x, axis=1) > 0).all():
        raise ValueError("x must be strictly increasing in every row (one value per date)")
    pairs = n * (n - 1) // 2
    dtype = np.float64 if exact else np.float32
    rows = max(1, min(k, CHUNK_ELEMENTS // pairs))
    slopes_buf = _scratch(workspace, "slopes", rows * pairs, dtype).reshape(rows, pairs)
    dx_buf = _scratch(workspace, "dx", rows * pairs, dtype).reshape(rows, pairs)
    offsets = np.concatenate(([0], np.cumsum(np.arange(n - 1, 0, -1))))  # start of each lag's block

    alpha = 1.0 - confidence if confidence > 0.5 else confidence
    z = float(ndtri(alpha / 2.0))
    slope = np.empty(k)
    low = np.empty(k)
    high = np.empty(k)
    h = pairs // 2
    for a in range(0, k, rows):
        yc = y[a:a + rows]
        # whole days from each row's first point: exact in float32 (below 2**24 days)
        xc = (x[a:a + rows] - x[a:a + rows, :1]).astype(dtype)
        c = yc.shape[0]
        s = slopes_buf[:c]
        shared_x = bool((xc == xc[0]).all())
        if shared_x:
            x0 = xc[0]
            dx = np.concatenate([x0[lag:] - x0[:-lag] for lag in range(1, n)]).astype(dtype)
        for lag in range(1, n):
            pos, m = offsets[lag - 1], n - lag
            np.subtract(yc[:, lag:], yc[:, :-lag], out=s[:, pos:pos + m], casting="unsafe")
            if not shared_x:
                np.subtract(xc[:, lag:], xc[:, :-lag], out=dx_buf[:c, pos:pos + m], casting="unsafe")
        np.divide(s, dx if shared_x else dx_buf[:c], out=s)

        # Median of the pairwise slopes: numpy's single-rank partition is SIMD-accelerated,
        # several ranks at once are not, so pick one rank at a time.
        s.partition(h, axis=1)
        upper = s[:, h].astype(np.float64)

        # Sen's interval: ranks depend on n and on ties among the y values of each row.
        sigma = np.sqrt((n * (n - 1) * (2 * n + 5) - _tie_term(yc)) / 18.0)
        ru = np.minimum(np.round((pairs - z * sigma) / 2.0).astype(np.int64), pairs - 1)
        rl = np.maximum(np.round((pairs + z * sigma) / 2.0).astype(np.int64) - 1, 0)
        # All needed ranks lie in [first, last] around h: bring exactly those values into
        # place (one partition on each side of h), then sort the two short stretches.
        first = int(min(rl.min(), h - 1)) if h else 0
        last = int(ru.max())
        if first < h:
            left = s[:, :h]
            if first > 0:
                left.partition(first, axis=1)
            left[:, first:].sort(axis=1)
        if last > h:
            right = s[:, h + 1:]
            if last < pairs - 1:
                right.partition(last - h - 1, axis=1)
            right[:, :last - h].sort(axis=1)
        if pairs % 2 == 0:
            slope[a:a + c] = (s[:, h - 1].astype(np.float64) + upper) / 2.0
        else:
            slope[a:a + c] = upper
        low[a:a + c] = np.take_along_axis(s, rl[:, None], axis=1)[:, 0]
        high[a:a + c] = np.take_along_axis(s, ru[:, None], axis=1)[:, 0]
    x_med = np.median(x, axis=1)
    y_med = np.median(y, axis=1)
    return TheilSen(slope, y_med - slope * x_med, low, high, x_med, y_med)


def _scratch(workspace: dict | None, name: str, size: int, dtype) -> np.ndarray:
    """A flat scratch array of at least ``size`` elements, reused from ``workspace`` when possible
    (fresh large allocations cost page faults on every call)."""
    if workspace is None:
        return np.empty(size, dtype=dtype)
    key = (name, np.dtype(dtype).str)
    buf = workspace.get(key)
    if buf is None or buf.size < size:
        buf = workspace[key] = np.empty(max(size, CHUNK_ELEMENTS), dtype=dtype)
    return buf[:size]


def _tie_term(yc: np.ndarray) -> np.ndarray:
    """Per row, the sum over groups of tied y values of t(t-1)(2t+5) (Sen 1968, eq. 2.6)."""
    c, n = yc.shape
    ys = np.sort(yc, axis=1)
    starts = np.ones((c, n), dtype=bool)
    starts[:, 1:] = ys[:, 1:] != ys[:, :-1]
    if starts.all():
        return np.zeros(c)
    flat = starts.ravel()
    run_id = np.cumsum(flat) - 1
    t = np.bincount(run_id).astype(np.float64)
    row_of_run = np.flatnonzero(flat) // n
    return np.bincount(row_of_run, weights=t * (t - 1) * (2 * t + 5), minlength=c)


@dataclass(frozen=True)
class KpiForecast:
    """Forecast of one KPI. Plain data: ``as_dict()`` for JSON; ``value_at`` for a chart's trend line.

    ``message`` is the plain-language sentence ("Projected to miss the target of … by …").
    """

    kpi_id: object
    outcome: str
    n_points: int
    confidence: float
    method: str = METHOD
    #: the trend (None when there are fewer than min_points values): units per day through a pivot point
    slope_per_day: float | None = None
    slope_low_per_day: float | None = None
    slope_high_per_day: float | None = None
    pivot_day: float | None = None  # ordinal day (may end in .5)
    pivot_value: float | None = None
    #: the target forecast to (None for no_target / target_passed / not_enough_data without a target)
    target_date: date | None = None
    target_value: float | None = None
    #: forecast at the target date and its band
    value: float | None = None
    low: float | None = None
    high: float | None = None
    #: signed: positive = better than the target (for a band KPI: minus the distance outside the band)
    gap: float | None = None
    #: the whole band falls on the same side of the target as the central forecast
    certain: bool | None = None
    #: what the message needs to say it well
    unit: str = ""
    direction: str = "higher_is_better"
    band: tuple[float, float] | None = None
    min_points: int = MIN_POINTS
    #: why no forecast could be made at all: the KPI's data cannot be read (outcome ``no_target``)
    problem: str = ""

    @property
    def slope_per_year(self) -> float | None:
        return None if self.slope_per_day is None else self.slope_per_day * DAYS_PER_YEAR

    def value_at(self, day: date) -> tuple[float, float, float] | None:
        """(central, low, high) of the trend on ``day``; None without a trend."""
        if self.slope_per_day is None:
            return None
        dt = day.toordinal() - self.pivot_day
        ends = (self.pivot_value + self.slope_low_per_day * dt, self.pivot_value + self.slope_high_per_day * dt)
        return self.pivot_value + self.slope_per_day * dt, min(ends), max(ends)

    @property
    def message(self) -> str:
        if self.problem:
            return f"No forecast: the KPI's data cannot be used ({self.problem})."
        if self.outcome == "not_enough_data":
            return (f"Not enough data to forecast: {self.n_points} usable value(s), "
                    f"at least {self.min_points} are needed.")
        if self.outcome == "no_target":
            return "No forecast against a target: the KPI has no complete target (a number and a date)."
        if self.outcome == "target_passed":
            return ("No target ahead: every target date is already covered by measurements; "
                    "the status shows whether the final target was met.")
        q = lambda v: fmt_quantity(v, self.unit)  # noqa: E731 - tiny formatter
        when = self.target_date.isoformat()
        ok = self.outcome == "meets"
        if self.direction == "target_band":
            low, high = self.band
            if ok:
                head = f"Projected to stay within the band {q(low)} to {q(high)} by {when}"
            else:
                side = "below" if self.value < low else "above"
                head = f"Projected to miss the band {q(low)} to {q(high)} by {fmt_difference(abs(self.gap), self.unit)} ({side} it) on {when}"
        elif ok:
            head = f"Projected to meet the target of {q(self.target_value)} by {when}"
        else:
            head = f"Projected to miss the target of {q(self.target_value)} by {fmt_difference(abs(self.gap), self.unit)} on {when}"
        pct = f"{round(self.confidence * 100, 1):g}%"
        body = (f": the trend of the last {self.n_points} values points to {q(self.value)} "
                f"({pct} band {q(self.low)} to {q(self.high)})")
        if ok:
            tail = ", and even the worst case in the band meets it." if self.certain else ", but the band includes missing it."
        else:
            tail = (", and even the best case in the band falls short." if self.certain
                    else ", though the band includes meeting it.")
        return head + body + tail

    def as_dict(self) -> dict:
        data = asdict(self)
        if data["target_date"] is not None:
            data["target_date"] = data["target_date"].isoformat()
        data["slope_per_year"] = self.slope_per_year
        data["message"] = self.message
        return data


def forecast(kpi: Kpi, on_date: date | None = None, *, confidence: float = 0.95, min_points: int = MIN_POINTS,
             max_points: int = MAX_POINTS, exact: bool = False) -> KpiForecast:
    """Forecast one KPI (same rules and numbers as :func:`forecast_many`)."""
    return forecast_many([kpi], on_date, confidence=confidence, min_points=min_points,
                         max_points=max_points, exact=exact)[0]


def forecast_many(kpis: Iterable[Kpi], on_date: date | None = None, *, confidence: float = 0.95,
                  min_points: int = MIN_POINTS, max_points: int = MAX_POINTS, exact: bool = False) -> list[KpiForecast]:
    """Forecast many KPIs at once, in the same order; ``on_date`` None uses every measurement.

    Series of the same length are fitted together by :func:`theil_sen`.
    """
    if min_points < 3:
        raise ValueError("min_points must be at least 3")
    if max_points < min_points:
        raise ValueError("max_points cannot be smaller than min_points")
    kpis = list(kpis)
    series: list[tuple[np.ndarray, np.ndarray]] = []
    groups: dict[int, list[int]] = defaultdict(list)
    for i, kpi in enumerate(kpis):
        days, values = kpi.measurements.usable_until(on_date)
        if len(days) > max_points:
            days, values = days[-max_points:], values[-max_points:]
        series.append((days, values))
        if len(days) >= min_points:
            groups[len(days)].append(i)

    fits: dict[int, tuple[float, float, float, float, float]] = {}
    workspace: dict = {}
    for members in groups.values():
        x = np.stack([series[i][0] for i in members]).astype(np.float64)
        y = np.stack([series[i][1] for i in members])
        fit = theil_sen(x, y, confidence=confidence, exact=exact, workspace=workspace)
        for j, i, slope, lo, hi, px, py in zip(range(len(members)), members, fit.slope.tolist(), fit.low_slope.tolist(),
                                                 fit.high_slope.tolist(), fit.x_median.tolist(), fit.y_median.tolist()):
            fits[i] = (slope, lo, hi, px, py)
    return [_result(kpi, series[i][0], fits.get(i), confidence, min_points) for i, kpi in enumerate(kpis)]


def next_target(kpi: Kpi, after_day: int | None) -> tuple[Target | None, bool]:
    """The first target of the plan dated after ordinal day ``after_day``, and whether the plan has any target.

    Same targets as :func:`.trajectory.plan`: complete, dated after a complete baseline;
    for a target-band KPI only when the band is complete.
    """
    if kpi.direction == "target_band" and (kpi.band is None or not kpi.band.valid):
        return None, False
    base = kpi.baseline
    start = base.date if base is not None and base.complete else None
    best, any_target = None, False
    for t in kpi.targets:
        if t.value is None or t.date is None or (start is not None and t.date <= start):
            continue
        any_target = True
        if (after_day is None or t.date.toordinal() > after_day) and (best is None or t.date < best.date):
            best = t
    return best, any_target


def _result(kpi: Kpi, days: np.ndarray, fit, confidence: float, min_points: int) -> KpiForecast:
    n = len(days)
    target, any_target = next_target(kpi, int(days[-1]) if n else None)
    base = dict(kpi_id=kpi.id, n_points=n, confidence=confidence, unit=kpi.unit, direction=kpi.direction,
                min_points=min_points)
    if kpi.direction == "target_band" and kpi.band is not None and kpi.band.valid:
        base["band"] = (kpi.band.low, kpi.band.high)
    if target is not None:
        base.update(target_date=target.date, target_value=target.value)
    if fit is None:
        return KpiForecast(outcome="not_enough_data", **base)
    slope, lo, hi, px, py = fit
    lo, hi = (lo, hi) if lo <= hi else (hi, lo)
    base.update(slope_per_day=slope, slope_low_per_day=lo, slope_high_per_day=hi, pivot_day=px, pivot_value=py)
    if target is None:
        return KpiForecast(outcome="target_passed" if any_target else "no_target", **base)

    dt = target.date.toordinal() - px
    value = py + slope * dt
    ends = (py + lo * dt, py + hi * dt)
    low, high = min(ends), max(ends)
    gap = _gap(kpi, value, target.value)
    slack = -1e-9 * max(1.0, abs(target.value))
    ok = gap >= slack
    low_ok, high_ok = _gap(kpi, low, target.value) >= slack, _gap(kpi, high, target.value) >= slack
    certain = (low_ok and high_ok) if ok else (not low_ok and not high_ok)
    if kpi.direction == "target_band" and not ok and certain and low <= kpi.band.high and high >= kpi.band.low:
        certain = False  # the uncertainty band straddles the target band while both its ends lie outside
    return KpiForecast(outcome="meets" if ok else "misses", value=value, low=low, high=high, gap=gap,
                       certain=certain, **base)


def _gap(kpi: Kpi, value: float, target_value: float) -> float:
    if kpi.direction == "higher_is_better":
        return value - target_value
    if kpi.direction == "lower_is_better":
        return target_value - value
    return -band_distance(value, kpi.band)
