"""KPI definitions as plain data (C2): building them, their errors, dates and formatting. No database."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from cityline.benefits.domain.kpi import (
    FREQUENCIES, Kpi, KpiDataError, Measurements, Tolerance, add_months, fmt_difference, fmt_number, fmt_quantity,
    kpi_from_dict, next_due,
)


def test_kpi_from_dict_reads_every_field():
    kpi = kpi_from_dict({
        "id": 7, "name": "Cycle lanes", "kind": "leading", "unit": "km", "direction": "target_band",
        "frequency": "quarterly", "grace_days": 10,
        "baseline": {"value": "120.5", "date": "2024-01-01"},
        "targets": [{"value": Decimal("160"), "date": date(2026, 1, 1), "label": "phase 1"}],
        "trajectory": {"kind": "custom", "points": [{"value": 130, "date": datetime(2025, 1, 1, 12)}]},
        "band": [150, 170],
        "tolerance": {"on_track": 0.1, "at_risk": "0.2", "basis": "change"},
        "measurements": [{"period_end": "2024-03-31", "value": 121, "quality": "provisional", "source": "GIS"}],
    })
    assert (kpi.id, kpi.name, kpi.kind, kpi.unit, kpi.direction, kpi.frequency) == (
        7, "Cycle lanes", "leading", "km", "target_band", "quarterly")
    assert kpi.baseline.value == 120.5 and kpi.baseline.date == date(2024, 1, 1)
    assert kpi.targets[0].value == 160.0 and kpi.targets[0].label == "phase 1"
    assert kpi.trajectory.kind == "custom" and kpi.trajectory.points[0].date == date(2025, 1, 1)
    assert (kpi.band.low, kpi.band.high) == (150, 170)
    assert kpi.tolerance == Tolerance(0.1, 0.2, "change")
    assert kpi.effective_grace_days == 10
    assert kpi.measurements.rows() == [{"period_end": date(2024, 3, 31), "value": 121.0, "quality": "provisional"}]


def test_defaults_for_a_minimal_draft():
    kpi = kpi_from_dict({})
    assert (kpi.kind, kpi.direction, kpi.frequency, kpi.baseline, kpi.targets) == (
        "outcome", "higher_is_better", None, None, ())
    assert kpi.trajectory.kind == "linear" and len(kpi.measurements) == 0
    assert kpi.effective_grace_days is None


@pytest.mark.parametrize("data, message", [
    ({"direction": "up"}, "direction: unknown direction 'up'"),
    ({"kind": "output"}, "kind: unknown kind 'output'"),
    ({"frequency": "hourly"}, "frequency: unknown frequency 'hourly'"),
    ({"trajectory": "curvy"}, "trajectory.kind: unknown trajectory 'curvy'"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"baseline": {"value": 1, "when": "2024-01-01"}}, "baseline.when: unknown field"),
    ({"baseline": {"value": "lots", "date": "2024-01-01"}}, "baseline.value: 'lots' is not a number"),
    ({"baseline": {"value": True}}, "baseline.value: True is not a number"),
    ({"targets": [{"value": "nan", "date": "2030-01-01"}]}, "targets[0].value: 'nan' is not a finite number"),
    ({"targets": [{"value": 1, "date": "2030-02-30"}]}, "targets[0].date: '2030-02-30' is not a date"),
    ({"targets": ["90 by 2030"]}, "targets[0]: must be a mapping"),
    ({"trajectory": {"kind": "custom", "points": [{"value": 1, "date": "x"}]}}, "trajectory.points[0].date: 'x' is not a date"),
    ({"band": [1, 2, 3]}, "band: must be a mapping"),
    ({"grace_days": 2.5}, "grace_days: must be a whole number"),
    ({"grace_days": -1}, "grace_days: must be a whole number of days, 0 or more"),
    ({"tolerance": {"on_track": 0.2, "at_risk": 0.1}}, "tolerance.at_risk: (0.1) cannot be smaller"),
    ({"tolerance": {"on_track": -0.1}}, "tolerance.on_track: must be a number of 0 or more"),
    ({"tolerance": {"basis": "target"}}, "tolerance.basis: unknown basis 'target'"),
    ({"measurements": [("2024-01-31",)]}, "measurements[0]: a row is (period_end, value)"),
    ({"measurements": [("2024-01-31", 1), ("2024-13-31", 2)]}, "measurements[1].period_end: '2024-13-31' is not a date"),
    ({"measurements": [("2024-01-31", None)]}, "measurements[0].value: is missing"),
    ({"measurements": [("2024-01-31", "1,5")]}, "measurements[0].value: '1,5' is not a number"),
    ({"measurements": [("2024-01-31", 1, "dubious")]}, "measurements[0].quality: unknown quality flag 'dubious'"),
    ({"measurements": [{"period_end": "2024-01-31"}]}, "measurements[0]: needs period_end and value"),
    ({"measurements": [{"period_end": "2024-01-31", "value": 1, "unit": "km"}]}, "measurements[0]: unknown field(s) unit"),
    ({"measurements": [("2024-02-29", 1), ("2024-01-31", 2), ("2024-02-29", 3)]},
     "measurements: two values for the period ending 2024-02-29"),
])
def test_bad_data_names_the_field(data, message):
    with pytest.raises(KpiDataError) as exc:
        kpi_from_dict(data)
    assert str(exc.value).startswith(message), str(exc.value)


def test_measurements_are_sorted_and_bad_values_set_aside():
    m = Measurements.from_rows([("2024-03-31", 3), ("2024-01-31", 1, "bad"), ("2024-02-29", 2, "estimated")])
    assert [r["period_end"].month for r in m.rows()] == [1, 2, 3]
    assert m.bad_count == 1
    assert m.usable_values.tolist() == [2.0, 3.0]
    days, values = m.usable_until(date(2024, 3, 30))
    assert values.tolist() == [2.0] and days.tolist() == [date(2024, 2, 29).toordinal()]
    assert m.usable_until(date(2024, 3, 31))[1].tolist() == [2.0, 3.0]


def test_measurements_from_numpy_arrays_match_rows():
    dates = np.array(["2024-01-31", "2024-02-29"], dtype="datetime64[D]")
    a = Measurements(dates, [1.5, 2.5], ["ok", "bad"])
    b = Measurements.from_rows([(date(2024, 1, 31), 1.5), (date(2024, 2, 29), 2.5, "bad")])
    assert a.rows() == b.rows()
    with pytest.raises(KpiDataError, match="differ in length"):
        Measurements(dates, [1.0])
    with pytest.raises(KpiDataError, match=r"measurements\[1\].value: must be a finite number"):
        Measurements(dates, [1.0, np.inf])
    with pytest.raises(KpiDataError, match="quality codes run from 0 to 3"):
        Measurements(dates, [1.0, 2.0], np.array([0, 9]))


def test_a_kpi_can_be_built_directly_and_checks_its_vocabulary():
    with pytest.raises(KpiDataError, match="direction"):
        Kpi(direction="sideways")
    assert Kpi(targets=[]).targets == ()


@pytest.mark.parametrize("day, months, expected", [
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 5, 15), 0, date(2024, 5, 15)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2025, 9, 30), 3, date(2025, 12, 31)),
    (date(2024, 4, 30), 1, date(2024, 5, 31)),
    (date(2024, 1, 30), 1, date(2024, 2, 29)),
    (date(2024, 4, 29), 1, date(2024, 5, 29)),
])
def test_add_months_keeps_month_ends_and_clips_other_days(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("frequency, last, due", [
    ("daily", date(2026, 1, 10), date(2026, 1, 13)),
    ("weekly", date(2026, 1, 4), date(2026, 1, 18)),
    ("monthly", date(2026, 1, 31), date(2026, 3, 31)),
    ("quarterly", date(2025, 12, 31), date(2026, 6, 1)),
    ("quarterly", date(2025, 9, 30), date(2026, 3, 3)),
    ("annual", date(2024, 12, 31), date(2026, 7, 2)),
    ("biennial", date(2024, 12, 31), date(2027, 7, 2)),
])
def test_next_value_is_due_one_period_plus_grace_after_the_last(frequency, last, due):
    assert next_due(Kpi(frequency=frequency), last) == due
    grace = FREQUENCIES[frequency].grace_days
    assert next_due(Kpi(frequency=frequency, grace_days=0), last) == date.fromordinal(due.toordinal() - grace)
    assert next_due(Kpi(), last) is None


def test_no_value_is_due_past_the_last_day_the_calendar_holds():
    """A period ending near 9999-12-31 has its next value due beyond the calendar: no due date, never overdue."""
    assert next_due(Kpi(frequency="annual"), date(9999, 6, 30)) is None          # 12 months on: year 10000
    assert next_due(Kpi(frequency="daily"), date(9999, 12, 30)) is None           # a day and two days' grace
    assert next_due(Kpi(frequency="daily", grace_days=10**18), date(2026, 1, 1)) is None
    assert next_due(Kpi(frequency="monthly", grace_days=0), date(9999, 11, 30)) == date(9999, 12, 31)


def test_numbers_are_written_for_people():
    assert [fmt_number(v) for v in (1234567.8, 120.0, 87.4794, 2.5, 0.0123456, 0, -3.10)] == [
        "1,234,568", "120", "87.48", "2.5", "0.0123", "0", "-3.1"]
    assert fmt_quantity(12.5, "%") == "12.5%"
    assert fmt_quantity(12.5, "km") == "12.5 km"
    assert fmt_quantity(12.5, "") == "12.5"
    assert fmt_difference(2.5, "%") == "2.5 percentage points"
    assert fmt_difference(2.5, "km") == "2.5 km"


def test_a_forecast_misses_a_share_by_percentage_points():
    """A unit that is a share of something ("% of households") is a percentage too: 93% less 92.1% of households is
    0.9 percentage points, not 0.9% of households (C3.d's "projected to miss the target by X")."""
    from cityline.benefits.domain.forecast import forecast

    kpi = kpi_from_dict({"unit": "% of households", "direction": "higher_is_better", "frequency": "annual",
                         "baseline": {"value": 85, "date": "2019-12-31"},
                         "targets": [{"value": 93, "date": "2027-12-31"}],
                         "measurements": [(f"{y}-12-31", 86 + 0.8 * (y - 2020)) for y in range(2020, 2026)]})
    f = forecast(kpi)
    assert f.outcome == "misses"
    assert f.message.startswith(f"Projected to miss the target of 93 % of households by {fmt_number(-f.gap)} "
                                "percentage points on 2027-12-31")
    assert fmt_difference(0.9, "% of households") == "0.9 percentage points"
    assert fmt_difference(0.9, "%age") == "0.9 %age" and fmt_difference(2, "kWh/m²") == "2 kWh/m²"


def test_measurement_rows_round_trip_through_json():
    kpi = kpi_from_dict({"measurements": [("2024-01-31", 1.25, "estimated")]})
    rows = json.loads(json.dumps(kpi.measurements.rows(), default=str))
    assert kpi_from_dict({"measurements": rows}).measurements.rows() == kpi.measurements.rows()
