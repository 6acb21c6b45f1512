"""Property tests: the KPI rules never crash on odd but valid drafts, and agree with themselves. No database."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityline.benefits.domain.forecast import OUTCOMES, forecast, forecast_many
from cityline.benefits.domain.kpi import DIRECTIONS, FREQUENCIES, QUALITY_FLAGS, TRAJECTORY_KINDS, kpi_from_dict
from cityline.benefits.domain.smart import smart_findings
from cityline.benefits.domain.status import STATUSES, status, status_many

START = date(2020, 1, 1)
days = st.integers(0, 3000).map(lambda d: (START + timedelta(days=d)).isoformat())
numbers = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def kpis(draw):
    measured = draw(st.dictionaries(days, st.tuples(numbers, st.sampled_from(QUALITY_FLAGS)), max_size=25))
    low = draw(numbers)
    return kpi_from_dict({
        "unit": draw(st.sampled_from(["", "%", "km"])),
        "direction": draw(st.sampled_from(DIRECTIONS)),
        "frequency": draw(maybe(st.sampled_from(tuple(FREQUENCIES)))),
        "baseline": draw(maybe(st.fixed_dictionaries({"value": maybe(numbers), "date": maybe(days)}))),
        "targets": draw(st.lists(st.fixed_dictionaries({"value": maybe(numbers), "date": maybe(days)}), max_size=3)),
        "trajectory": {"kind": draw(st.sampled_from(TRAJECTORY_KINDS)),
                       "points": draw(st.lists(st.fixed_dictionaries({"value": maybe(numbers), "date": maybe(days)}),
                                               max_size=3))},
        "band": draw(maybe(st.fixed_dictionaries({"low": st.just(low), "high": st.sampled_from([low, low + 10, low - 1])}))),
        "tolerance": draw(maybe(st.sampled_from([{"on_track": 0, "at_risk": 0}, {"basis": "change"}]))),
        "measurements": [{"period_end": d, "value": v, "quality": q} for d, (v, q) in measured.items()],
    })


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kpi=kpis(), on=days)
def test_status_forecast_and_smart_never_crash_and_stay_in_their_vocabulary(kpi, on):
    on_date = date.fromisoformat(on)
    s = status(kpi, on_date)
    assert s.status in STATUSES and s.reason
    if s.status in ("on_track", "at_risk", "off_track"):
        assert s.rating == s.status and s.actual is not None
    if s.actual_date is not None:
        assert s.actual_date <= on_date
    f = forecast(kpi, on_date, min_points=3)
    assert f.outcome in OUTCOMES and f.message
    if f.outcome in ("meets", "misses"):
        assert f.low <= f.value + 1e-6 * max(1, abs(f.value)) and f.value <= f.high + 1e-6 * max(1, abs(f.value))
    for finding in smart_findings(kpi):
        assert finding.severity in ("error", "warning") and finding.message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(kpis(), min_size=1, max_size=6), on=days)
def test_batches_agree_with_one_by_one(batch, on):
    on_date = date.fromisoformat(on)
    assert status_many(batch, on_date) == [status(k, on_date) for k in batch]
    assert forecast_many(batch, on_date, min_points=3) == [forecast(k, on_date, min_points=3) for k in batch]
