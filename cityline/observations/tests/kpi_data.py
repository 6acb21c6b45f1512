"""A small deterministic set of readings and KPI specs with hand-computed values (January and February 2026).

Shared by the SQL tests (DuckDB), the DuckDB/Spark agreement test and the compute tests. The
expected values are worked out by hand in the comments, not by running the code under test.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from cityline.observations.domain.periods import bounds
from cityline.observations.domain.spec import parse
from cityline.observations.domain.sql import compile_groups, compile_spec


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


QUAY = "St John's \\ quay"  # a quote and a backslash: literals must be escaped for both engines

#: (series, group, entity_type, attribute, district, organisation, weight)
META = [
    ("air-a", "air", "AirQualityObserved", "pm25", "north", "org1", 100.0),
    ("air-b", "air", "AirQualityObserved", "pm25", "south", "org2", 300.0),
    ("air-c", "air", "AirQualityObserved", "no2", "north", "org1", None),
    ("air-q", "air", "AirQualityObserved", "o3", QUAY, None, 50.0),
    ("traffic-t", "traffic", "TrafficFlowObserved", "intensity", "south", None, None),
]


def r(series, when, value, quality=None):
    return {"series": series, "time": when, "value": value, "quality": quality}


#: Written in two batches: the first one's air-a 06:00 reading (99) is replaced by the second's (10).
FIRST_BATCH = [r("air-a", utc(2026, 1, 5, 6), 99.0)]
READINGS = [
    # air-a, Monday 5 January: 10, 30, 20, 50 (flagged bad) and a reading without a value (not used)
    r("air-a", utc(2026, 1, 5, 6), 10.0, "ok"),
    r("air-a", utc(2026, 1, 5, 6, 30), 30.0),
    r("air-a", utc(2026, 1, 5, 9), 20.0, "ok"),
    r("air-a", utc(2026, 1, 5, 12), 50.0, "bad"),
    r("air-a", utc(2026, 1, 5, 13), None),
    # air.b, Tuesday 6 January: 40, 5
    r("air-b", utc(2026, 1, 6, 7), 40.0),
    r("air-b", utc(2026, 1, 6, 7, 10), 5.0),
    # air.c (no2, no weight), Saturday 10 January; air.q (o3, QUAY), Wednesday 7 January
    r("air-c", utc(2026, 1, 10, 10), 1.0),
    r("air-q", utc(2026, 1, 7, 12), 7.0),
    # traffic.t: Monday 5, Sunday 11, Saturday 31 January 23:30
    r("traffic-t", utc(2026, 1, 5), 100.0),
    r("traffic-t", utc(2026, 1, 11), 200.0),
    r("traffic-t", utc(2026, 1, 31, 23, 30), 300.0),
    # February: air-a once
    r("air-a", utc(2026, 2, 2, 10), 8.0),
]

PM25 = {"attribute": "pm25"}
#: January, February, March 2026 (March has no readings)
PERIODS = [bounds((date(2026, m, 1), date(2026, m, last))) for m, last in ((1, 31), (2, 28), (3, 31))]

#: name -> (spec, {period index: expected value}); a period missing from the dict has no readings.
CASES = {
    # pm25 in January: a 10, 30, 20, 50; b 40, 5 -> 155 / 6
    "mean": ({"value": {"series": PM25, "function": "mean"}}, {0: 155 / 6, 1: 8.0}),
    # quality ok (no flag counts as ok): 10, 30, 20, 40, 5 -> 105 / 5
    "mean_quality": ({"value": {"series": PM25, "function": "mean", "where": {"quality": ["ok"]}}}, {0: 21.0, 1: 8.0}),
    "sum": ({"value": {"series": {"keys": ["traffic-t"]}, "function": "sum"}}, {0: 600.0}),
    # air group in January: a 4 (the reading without a value is not used), b 2, c 1, q 1
    "count": ({"value": {"series": {"group": "air"}, "function": "count"}}, {0: 8.0, 1: 1.0}),
    "min": ({"value": {"series": PM25, "function": "min"}}, {0: 5.0, 1: 8.0}),
    "max": ({"value": {"series": PM25, "function": "max"}}, {0: 50.0, 1: 8.0}),
    # sorted 5, 10, 20, 30, 40, 50: position 0.9 * 5 = 4.5 -> 40 + 0.5 * (50 - 40)
    "percentile": ({"value": {"series": PM25, "function": "percentile", "percentile": 0.9}}, {0: 45.0, 1: 8.0}),
    # held seconds (gap 3600): a 06:00 1800, 06:30 3600, 09:00 3600, 12:00 3600 (13:00 has no value);
    # b 07:00 600, 07:10 3600 -> total 16800; above 25: 30 (3600), 50 (3600), 40 (600) = 7800
    "share_above": ({"value": {"series": PM25, "function": "share_above", "threshold": 25}},
                    {0: 7800 / 16800, 1: 0.0}),
    # the bad 50 is filtered out, but 09:00 still holds only until 12:00 (capped at 3600):
    # total 13200, above 4200
    "share_above_quality": ({"value": {"series": PM25, "function": "share_above", "threshold": 25,
                                       "where": {"quality": ["ok"]}}}, {0: 4200 / 13200, 1: 0.0}),
    # traffic with a 30-day gap: 5th holds 6 days (518400 s), 11th until 31st 23:30 (20 days 23.5 hours,
    # 1812600 s), 23:30 until the period end (1800 s, not the 30-day gap); above 150: 1812600 + 1800
    "share_above_period_end": ({"value": {"series": {"keys": ["traffic-t"]}, "function": "share_above",
                                          "threshold": 150, "max_gap_seconds": 30 * 86400}},
                               {0: 1814400 / 2332800}),
    # filters no February reading passes (air-a 8): 0, not "no readings" (March has none: no value);
    # pm25 of 25 or more in January: 30, 50 (a, north), 40 (b, south)
    "count_none_pass": ({"value": {"series": PM25, "function": "count", "where": {"min_value": 25}}},
                        {0: 3.0, 1: 0.0}),
    "sum_none_pass": ({"value": {"series": PM25, "function": "sum", "where": {"min_value": 25}}}, {0: 120.0, 1: 0.0}),
    # days with such a reading: the 5th and the 6th
    "distinct_days_none_pass": ({"value": {"series": PM25, "function": "distinct_count", "of": "day",
                                           "where": {"min_value": 25}}}, {0: 2.0, 1: 0.0}),
    # per district: north 2, south 1 -> mean 1.5; February: north 0 (south has no reading: no group)
    "count_none_pass_grouped": ({"value": {"series": PM25, "function": "count", "where": {"min_value": 25}},
                                 "group_by": "district"}, {0: 1.5, 1: 0.0}),
    "distinct_series": ({"value": {"series": PM25, "function": "distinct_count"}}, {0: 2.0, 1: 1.0}),
    # air readings on the 5th, 6th, 7th and 10th
    "distinct_days": ({"value": {"series": {"group": "air"}, "function": "distinct_count", "of": "day"}},
                      {0: 4.0, 1: 1.0}),
    # series means a 27.5, b 22.5 (c has no weight: left out), q 7 -> (100*27.5 + 300*22.5 + 50*7) / 450
    "weighted": ({"value": {"series": {"group": "air"}, "function": "mean", "weighted": True}},
                 {0: 9850 / 450, 1: 8.0}),
    # Monday 06:00-10:00: 10, 30, 20
    "hours_weekdays": ({"value": {"series": PM25, "function": "mean",
                                  "where": {"hours": [6, 10], "weekdays": [1]}}}, {0: 20.0}),
    # 10 <= value <= 25: 10, 20
    "min_max_value": ({"value": {"series": PM25, "function": "mean",
                                 "where": {"min_value": 10, "max_value": 25}}}, {0: 15.0}),
    # per district: north a+c 111/5 = 22.2, south b 22.5, QUAY 7
    "group_max": ({"value": {"series": {"group": "air"}, "function": "mean"}, "group_by": "district",
                   "combine": "max"}, {0: 22.5, 1: 8.0}),
    "group_mean": ({"value": {"series": {"group": "air"}, "function": "mean"}, "group_by": "district"},
                   {0: (22.2 + 22.5 + 7.0) / 3, 1: 8.0}),
    "group_organisation_sum": ({"value": {"series": {"group": "air"}, "function": "count"},
                                "group_by": "organisation", "combine": "sum"}, {0: 8.0, 1: 1.0}),
    "group_series_min": ({"value": {"series": PM25, "function": "max"}, "group_by": "series", "combine": "min"},
                         {0: 40.0, 1: 8.0}),
    "organisation_selection": ({"value": {"series": {"organisation": "org1"}, "function": "count"}},
                               {0: 5.0, 1: 1.0}),
    "quoted_district": ({"value": {"series": {"district": QUAY}, "function": "sum"}}, {0: 7.0}),
    # readings >= 25 among pm25: 30, 50, 40 of 6 -> 50 %; February 0 of 1
    "ratio": ({"ratio": {"numerator": {"series": PM25, "function": "count", "where": {"min_value": 25}},
                         "denominator": {"series": PM25, "function": "count"}}, "scale": 100}, {0: 50.0, 1: 0.0}),
    # per district: north 2 of 4 (a), south 1 of 2 (b); mean of 0.5 and 0.5 -> 0.5; QUAY has no pm25 reading
    "ratio_grouped": ({"ratio": {"numerator": {"series": PM25, "function": "count", "where": {"min_value": 25}},
                                 "denominator": {"series": PM25, "function": "count"}},
                       "group_by": "district", "combine": "min"}, {0: 0.5, 1: 0.0}),
    # traffic sum over weighted pm25 exposure, per district: south 600 / 22.5 (north has no traffic: no value)
    "ratio_weighted": ({"ratio": {"numerator": {"series": {"keys": ["traffic-t"]}, "function": "sum"},
                                  "denominator": {"series": PM25, "function": "mean", "weighted": True}},
                        "group_by": "district", "combine": "sum"}, {0: 600 / 22.5, 1: None}),
    # the highest pm25 (50; February 8) over the weighted air mean (9850 / 450; February 8): max and mean per
    # series, then over the series
    "ratio_max_weighted": ({"ratio": {"numerator": {"series": PM25, "function": "max"},
                                      "denominator": {"series": {"group": "air"}, "function": "mean",
                                                      "weighted": True}}}, {0: 50 / (9850 / 450), 1: 1.0}),
    # a percentile cannot be taken per series first: the weighted mean over the readings (a window) instead;
    # 90th percentile of pm25 45 (February 8) over the weighted pm25 mean (100 * 27.5 + 300 * 22.5) / 400 = 23.75
    "ratio_percentile_weighted": ({"ratio": {"numerator": {"series": PM25, "function": "percentile",
                                                           "percentile": 0.9},
                                             "denominator": {"series": PM25, "function": "mean", "weighted": True}}},
                                  {0: 45 / 23.75, 1: 1.0}),
    # the same window with a distinct count of series on the other side (the window keeps the series key):
    # 2 pm25 series over 23.75 in January, 1 over 8 in February
    "ratio_distinct_weighted": ({"ratio": {"numerator": {"series": PM25, "function": "distinct_count"},
                                           "denominator": {"series": PM25, "function": "mean", "weighted": True}}},
                                {0: 2 / 23.75, 1: 1 / 8.0}),
}


def queries(name: str, dialect: str = "duckdb") -> tuple[str, str]:
    spec = parse(CASES[name][0])
    return compile_spec(spec, PERIODS, dialect), compile_groups(spec, PERIODS, dialect)
