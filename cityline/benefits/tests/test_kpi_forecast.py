"""Forecasts with Theil–Sen (C2.b, C3.d): the vectorised fit against scipy, and the forecast rules. No database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import theilslopes

from cityline.benefits.domain import forecast as fc
from cityline.benefits.domain.forecast import forecast, forecast_many, theil_sen
from cityline.benefits.domain.kpi import fmt_number, kpi_from_dict

D = date


def scipy_rows(x, y, confidence=0.95):
    return np.array([tuple(theilslopes(y[i], x[i], alpha=confidence)) for i in range(len(y))])


def random_series(rng, k, n, ties=False):
    x = np.cumsum(rng.integers(1, 60, size=(k, n)), axis=1).astype(float) + 738000
    y = rng.normal(0, 5, size=(k, n)).cumsum(axis=1) + rng.uniform(-1000, 1000, size=(k, 1))
    if ties:
        y = np.round(y / 3)  # many tied values: Sen's variance correction matters
    return x, y


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 11, 40, 121])
@pytest.mark.parametrize("ties", [False, True])
def test_exact_mode_reproduces_scipy(n, ties):
    rng = np.random.default_rng(n * 2 + ties)
    x, y = random_series(rng, 25, n, ties)
    got = theil_sen(x, y, exact=True)
    ref = scipy_rows(x, y)
    assert np.array_equal(got.slope, ref[:, 0])
    assert np.allclose(got.intercept, ref[:, 1], rtol=1e-12, atol=1e-9)
    assert np.array_equal(got.low_slope, ref[:, 2])
    assert np.array_equal(got.high_slope, ref[:, 3])


@pytest.mark.parametrize("n", [3, 7, 60, 120])
def test_fast_mode_agrees_with_scipy_to_float32_precision(n):
    rng = np.random.default_rng(100 + n)
    x, y = random_series(rng, 40, n, ties=n == 60)
    got = theil_sen(x, y)
    ref = scipy_rows(x, y)
    # slopes agree to about a millionth of the spread of the pairwise slopes
    spread = np.array([np.ptp(np.diff(y[i]) / np.diff(x[i])) for i in range(len(y))]) + 1e-12
    for col, ours in enumerate((got.slope, None, got.low_slope, got.high_slope)):
        if ours is not None:
            assert (np.abs(ours - ref[:, col]) <= 1e-6 * spread).all()
    # and the line itself (the forecast) to well under a millionth of the values' range
    yr = np.ptp(y, axis=1)
    assert (np.abs(got.intercept + got.slope * x[:, -1] - (ref[:, 1] + ref[:, 0] * x[:, -1])) <= 1e-5 * yr).all()


def test_other_confidence_levels_match_scipy():
    rng = np.random.default_rng(7)
    x, y = random_series(rng, 10, 30)
    for confidence in (0.5, 0.8, 0.99, 0.05):
        got = theil_sen(x, y, confidence=confidence, exact=True)
        ref = scipy_rows(x, y, confidence)
        assert np.array_equal(got.low_slope, ref[:, 2]) and np.array_equal(got.high_slope, ref[:, 3])


def test_chunking_and_shared_dates_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(11)
    x, y = random_series(rng, 30, 20)
    shared = np.broadcast_to(x[0], x.shape)
    whole = theil_sen(x, y, exact=True)
    whole_shared = theil_sen(shared, y, exact=True)
    monkeypatch.setattr(fc, "CHUNK_ELEMENTS", 400)  # 2 series per chunk: many chunks
    assert all(np.array_equal(a, b) for a, b in zip(theil_sen(x, y, exact=True), whole))
    assert all(np.array_equal(a, b) for a, b in zip(theil_sen(shared, y, exact=True), whole_shared))
    assert np.array_equal(whole_shared.slope, scipy_rows(shared, y)[:, 0])


def test_a_shared_workspace_gives_the_same_answers():
    rng = np.random.default_rng(12)
    workspace: dict = {}
    for n in (30, 8, 45):
        x, y = random_series(rng, 9, n, ties=True)
        fresh = theil_sen(x, y, exact=True)
        reused = theil_sen(x, y, exact=True, workspace=workspace)
        assert all(np.array_equal(a, b) for a, b in zip(fresh, reused))
    assert workspace  # the scratch arrays are kept for the next call


def test_one_series_and_bad_input():
    fit = theil_sen([0, 1, 2, 3], [1, 3, 5, 7.5])
    # pairwise slopes 2, 2, 2, 2.1667, 2.25, 2.5: the median is (2 + 2.1667) / 2
    assert fit.slope.shape == (1,) and fit.slope[0] == pytest.approx(2.0833333, rel=1e-6)
    assert fit.slope[0] == pytest.approx(theilslopes([1, 3, 5, 7.5], [0, 1, 2, 3]).slope, rel=1e-6)
    with pytest.raises(ValueError, match="strictly increasing"):
        theil_sen([[0, 2, 1]], [[1, 2, 3]])
    with pytest.raises(ValueError, match="differ in shape"):
        theil_sen([[0, 1]], [[1, 2, 3]])
    with pytest.raises(ValueError, match="at least 2 points"):
        theil_sen([[0]], [[1]])
    with pytest.raises(ValueError, match="confidence"):
        theil_sen([0, 1], [0, 1], confidence=1.0)


# --- the forecast rules -------------------------------------------------------------------

START = D(2021, 1, 31)


def series(values, start=START, step_days=30, quality=None):
    rows = []
    for i, v in enumerate(values):
        row = {"period_end": (start + timedelta(days=step_days * i)).isoformat(), "value": v}
        if quality and i in quality:
            row["quality"] = quality[i]
        rows.append(row)
    return rows


def kpi(values, *, target=(200.0, "2027-12-31"), direction="higher_is_better", **extra):
    data = {"unit": "t", "direction": direction, "frequency": "monthly",
            "baseline": {"value": 100, "date": "2020-12-31"},
            "targets": [{"value": target[0], "date": target[1]}] if target else [],
            "measurements": series(values, **extra.pop("series", {}))}
    data.update(extra)
    return kpi_from_dict(data)


def test_a_perfect_line_is_forecast_exactly_with_no_uncertainty():
    per_step = 1.5  # 1.5 t every 30 days
    f = forecast(kpi([100 + per_step * i for i in range(24)]))
    days = D(2027, 12, 31).toordinal() - START.toordinal()
    assert f.value == pytest.approx(100 + per_step * days / 30)
    assert f.low == pytest.approx(f.value) and f.high == pytest.approx(f.value)
    assert f.slope_per_year == pytest.approx(per_step / 30 * 365.25)
    assert (f.outcome, f.certain, f.n_points, f.method) == ("meets", True, 24, "theil-sen")
    assert f.gap == pytest.approx(f.value - 200)


def test_outliers_do_not_move_the_forecast():
    rng = np.random.default_rng(5)
    clean = [100 + 1.0 * i + rng.normal(0, 0.5) for i in range(36)]
    dirty = list(clean)
    for i in (3, 10, 17, 30):  # 4 wild values in 36 (11 %)
        dirty[i] += 80 if i % 2 else -80
    truth = 100 + 1.0 * (D(2027, 12, 31).toordinal() - START.toordinal()) / 30
    f_clean, f_dirty = forecast(kpi(clean)), forecast(kpi(dirty))
    assert abs(f_clean.value - truth) < 3
    assert abs(f_dirty.value - f_clean.value) < 3
    days = [D.fromisoformat(r["period_end"]).toordinal() for r in series(dirty)]
    slope, intercept = np.polyfit(days, dirty, 1)
    assert abs(slope * D(2027, 12, 31).toordinal() + intercept - truth) > 10  # least squares is dragged away
    assert f_dirty.low < f_dirty.value < f_dirty.high


def test_miss_messages_say_by_how_much_and_how_sure():
    f = forecast(kpi([100 + 0.5 * i for i in range(24)]))
    assert f.outcome == "misses" and f.certain is True
    assert f.gap == pytest.approx(f.value - 200)
    assert f.message.startswith(f"Projected to miss the target of 200 t by {fmt_number(abs(f.gap))} t on 2027-12-31: "
                                "the trend of the last 24 values points to")
    assert f.message.endswith("and even the best case in the band falls short.")


def test_uncertain_outcomes_say_the_band_straddles_the_target():
    rng = np.random.default_rng(1)
    noisy = [100 + 1.0 * i + rng.normal(0, 6) for i in range(12)]
    f = forecast(kpi(noisy))
    target = f.value + 0.1  # just above the central forecast, inside the band
    g = forecast(kpi(noisy, target=(target, "2027-12-31")))
    assert (g.outcome, g.certain) == ("misses", False)
    assert g.message.endswith("though the band includes meeting it.")
    h = forecast(kpi(noisy, target=(f.value - 0.1, "2027-12-31")))
    assert (h.outcome, h.certain) == ("meets", False)
    assert h.message.endswith("but the band includes missing it.")


def test_lower_is_better():
    f = forecast(kpi([100 - 0.5 * i for i in range(24)], target=(20, "2027-12-31"), direction="lower_is_better"))
    assert f.outcome == "misses" and f.gap == pytest.approx(20 - f.value) and f.gap < 0
    g = forecast(kpi([100 - 2 * i for i in range(24)], target=(20, "2027-12-31"), direction="lower_is_better"))
    assert g.outcome == "meets" and g.gap > 0


def test_target_band_forecasts():
    flat = [85 + (0.3 if i % 2 else -0.3) for i in range(20)]
    inside = forecast(kpi(flat, target=(85, "2027-12-31"), direction="target_band", band={"low": 80, "high": 90}))
    assert (inside.outcome, inside.gap) == ("meets", 0.0)
    assert inside.message.startswith("Projected to stay within the band 80 t to 90 t by 2027-12-31")
    rising = forecast(kpi([80 + 0.5 * i for i in range(20)], target=(85, "2027-12-31"),
                          direction="target_band", band={"low": 80, "high": 90}))
    assert rising.outcome == "misses" and rising.gap == pytest.approx(90 - rising.value)
    assert "(above it)" in rising.message


def test_the_forecast_goes_to_the_first_target_after_the_latest_value():
    values = [100 + i for i in range(24)]  # Jan 2021 .. late 2022
    two = dict(targets=[{"value": 110, "date": "2021-06-30"}, {"value": 150, "date": "2024-12-31"},
                        {"value": 300, "date": "2030-12-31"}])
    f = forecast(kpi(values, **two))
    assert (f.target_date, f.target_value) == (D(2024, 12, 31), 150)
    passed = forecast(kpi(values, target=(110, "2021-06-30")))
    assert passed.outcome == "target_passed" and passed.slope_per_day == pytest.approx(1 / 30)
    none = forecast(kpi(values, target=None))
    assert none.outcome == "no_target" and none.slope_per_day is not None and none.value is None


def test_minimum_points_bad_values_and_the_report_date():
    assert forecast(kpi([1, 2, 3, 4])).outcome == "not_enough_data"
    assert forecast(kpi([1, 2, 3, 4]), min_points=3).outcome in ("meets", "misses")
    # a bad value does not count, and is not a point of the trend
    bad = forecast(kpi([100, 101, 102, 103, 104, 500], series={"quality": {5: "bad"}}))
    assert (bad.outcome, bad.n_points) == ("misses", 5) and bad.slope_per_day == pytest.approx(1 / 30)
    assert forecast(kpi([100, 101, 102, 103, 500], series={"quality": {4: "bad"}})).outcome == "not_enough_data"
    flagged = forecast(kpi([100 + i for i in range(10)] + [900], series={"quality": {10: "bad"}}))
    assert flagged.n_points == 10 and flagged.slope_per_day == pytest.approx(1 / 30)
    # values after the report date are ignored
    cut = forecast(kpi([100 + i for i in range(12)]), on_date=START + timedelta(days=30 * 5))
    assert cut.n_points == 6
    with pytest.raises(ValueError):
        forecast(kpi([1, 2, 3]), min_points=2)
    with pytest.raises(ValueError):
        forecast(kpi([1, 2, 3]), min_points=5, max_points=4)


def test_max_points_keeps_the_most_recent_values():
    values = [100.0] * 20 + [100 + 2 * i for i in range(10)]
    f = forecast(kpi(values), max_points=10)
    assert f.n_points == 10 and f.slope_per_day == pytest.approx(2 / 30)


def test_forecast_many_mixes_lengths_and_matches_one_by_one():
    rng = np.random.default_rng(3)
    kpis = [kpi([100 + i + rng.normal(0, 2) for i in range(n)]) for n in (3, 12, 12, 30, 7, 12)]
    many = forecast_many(kpis)
    assert [f.n_points for f in many] == [3, 12, 12, 30, 7, 12]
    assert many == [forecast(k) for k in kpis]
    assert many[0].outcome == "not_enough_data"
    exact = forecast_many(kpis, exact=True)
    for a, b in zip(many[1:], exact[1:]):
        assert a.value == pytest.approx(b.value, rel=1e-6)


def test_value_at_draws_the_trend_and_band_and_results_serialise():
    f = forecast(kpi([100 + i * (1 + (i % 3) * 0.1) for i in range(15)]))
    central, low, high = f.value_at(f.target_date)
    assert (central, low, high) == pytest.approx((f.value, f.low, f.high))
    mid_low, mid_high = f.value_at(D.fromordinal(round(f.pivot_day)))[1:]
    assert mid_high - mid_low < high - low  # the band widens away from the data
    data = json.loads(json.dumps(f.as_dict()))
    assert data["target_date"] == "2027-12-31" and data["message"] == f.message
    assert data["slope_per_year"] == pytest.approx(f.slope_per_year)
    assert forecast(kpi([1, 2])).value_at(D(2030, 1, 1)) is None
