"""The demo city's sensor data (issue 6): real NOAA weather, deterministic synthetic series, KPIs fed from them."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pyarrow.compute as pc
import pytest

from cityline.observations import demo, registry
from cityline.observations.models import KpiComputation, Series

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)


def test_synthetic_values_do_not_depend_on_the_range_asked_for():
    profile = demo.PROFILES["aq-harbour-pm25"]
    long = demo.synthetic_table("aq-harbour-pm25", profile, date(2023, 11, 30), TODAY)
    short = demo.synthetic_table("aq-harbour-pm25", profile, date(2026, 11, 1), date(2026, 11, 15))
    again = demo.synthetic_table("aq-harbour-pm25", profile, date(2023, 11, 30), TODAY)
    assert long.equals(again)  # deterministic
    first = pc.index(long.column("time"), short.column("time")[0]).as_py()
    assert long.column("value").slice(first, short.num_rows).equals(short.column("value"))
    assert long.num_rows == (TODAY - date(2023, 11, 30)).days * 24


def test_synthetic_series_have_daily_weekly_and_seasonal_patterns():
    table = demo.synthetic_table("no2-x", demo.Profile("no2", 30, -0.05, 0.3), date(2024, 1, 1), date(2026, 1, 1))
    times = table.column("time").to_numpy(zero_copy_only=False).astype("datetime64[h]")
    values = table.column("value").to_numpy()
    hours = times.astype(np.int64) % 24
    assert values[hours == 8].mean() > 1.5 * values[hours == 3].mean()  # the morning rush
    months = times.astype("datetime64[M]").astype(np.int64) % 12
    assert values[months == 0].mean() > values[months == 6].mean()  # winter above summer
    years = times.astype("datetime64[Y]").astype(np.int64) + 1970
    assert values[years == 2025].mean() < values[years == 2024].mean()  # the clean-air trend
    cycles = demo.synthetic_table("c", demo.Profile("cycles", 100, 0.08, 0.15), date(2025, 1, 1), date(2026, 1, 1))
    assert cycles.column("value").to_numpy().min() >= 0
    assert np.all(cycles.column("value").to_numpy() == np.round(cycles.column("value").to_numpy()))  # counts


def test_weather_station_is_the_real_noaa_record():
    table = demo.weather_table(["weather-precipitation", "weather-temperature-max"])
    assert table.num_rows == 2 * 1461  # every day of 2012-2015
    rows = {(r["series"], r["time"].date()): r["value"] for r in table.to_pylist()}
    # the first rows of seattle-weather.csv as the vega_datasets package ships it
    assert rows[("weather-precipitation", date(2012, 1, 1))] == 0.0
    assert rows[("weather-precipitation", date(2012, 1, 4))] == 20.3
    assert rows[("weather-temperature-max", date(2012, 1, 1))] == 12.8


def test_demo_pack_series_match_the_generator_and_name_their_source(demo_city):
    series = {s.key: s for s in Series.objects.filter(city=demo_city)}
    assert set(series) == set(demo.PROFILES) | set(demo.WEATHER_COLUMNS)
    for key in demo.WEATHER_COLUMNS:
        text = series[key].description
        assert "NOAA" in text and "public domain" in text and "vega_datasets" in text, key
        assert series[key].public
    for key in demo.PROFILES:
        assert "Synthetic demo data" in series[key].description, key
    assert {s.key for s in series.values() if not s.public} == {"speed-quay-road", "speed-ring-road",
                                                                 "energy-harbour-depot"}
    computed = KpiComputation.objects.filter(city=demo_city).values_list("kpi__key", flat=True)
    assert len(set(computed)) >= 5


def test_seed_writes_every_series_once_and_again_adds_nothing(demo_city):
    report = demo.seed_observations(demo_city, today=TODAY)
    keys = set(demo.PROFILES) | set(demo.WEATHER_COLUMNS)
    assert set(report["series"]) == keys and report["rows"] > 400_000
    store = registry.store_for(demo_city)
    counts = dict(store.query("SELECT series, count(*) FROM observations GROUP BY series"))
    assert counts["aq-harbour-pm25"] == 3 * 365 * 24 + 24  # 2023-11-30 to 2026-11-29, a leap day included
    assert counts["water-harbour"] == 3 * 365 + 1
    assert counts["weather-wind-speed"] == 1461
    last = store.query("SELECT max(time) FROM observations WHERE series = 'aq-harbour-pm25'")[0][0]
    assert last == datetime(2026, 11, 29, 23, tzinfo=timezone.utc)
    files = len(store.files())
    again = demo.seed_observations(demo_city, today=TODAY)
    assert again["rows"] == 0 and set(again["skipped_groups"]) == {"air", "mobility", "utilities", "weather"}
    assert len(store.files()) == files


def test_at_least_five_kpis_are_computed_from_the_readings(demo_city):
    from cityline.observations import compute

    demo.seed_observations(demo_city, today=date(2026, 1, 1), years=1)  # all of 2025 is enough here
    compute.compute_city(demo_city)
    from cityline.observations.models import ComputationRun

    runs = ComputationRun.objects.filter(city=demo_city).exclude(value=None)
    assert len(set(runs.values_list("computation__kpi__key", flat=True))) >= 5
    water = runs.filter(computation__kpi__key="water-consumption", period_end=date(2025, 12, 31)).first()
    assert water is not None and 200 < float(water.value) < 225 and water.row_count == 365 * 10
