"""The pure comparison rules (B3.c, C2.c): exact values on hand-made data."""

from datetime import date

import pytest

from cityline.benchmarking.domain.compare import (
    CityKpi, PeerSeries, compare, compare_kpi, normalise_unit, trend, yearly,
)


def d(year, month=12, day=31):
    return date(year, month, day)


UNEMPLOYMENT = CityKpi(
    key="unemployment", title="Unemployment", source="iso37120_2014", code="5.1", indicator="City's unemployment rate",
    unit="%", direction="lower_is_better",
    points=[(d(2020), 6.0), (d(2021), 5.5), (d(2022), 5.0), (d(2023, 9, 30), 9.9), (d(2023), 4.8)],
)


def peers():
    return [
        PeerSeries("alpha", "Alpha", "iso37120_2014", "5.1", "Percent", [(d(2021), 7.0), (d(2022), 6.0), (d(2023), 4.0)]),
        PeerSeries("beta", "Beta", "iso37120_2014", "5.1", "%", [(d(2020), 5.0), (d(2021), 5.2)]),
        PeerSeries("gamma", "Gamma", "iso37120_2014", "5.1", "% of labour force", [(d(2023), 3.0)]),
        PeerSeries("alpha", "Alpha", "iso37120_2014", "8.1", "µg/m³", [(d(2023), 9.0)]),
    ]


def test_unit_normalisation_only_spells_percent_one_way():
    assert normalise_unit(" Percent ") == "%"
    assert normalise_unit("per cent of homes") == "% of homes"
    assert normalise_unit("PERCENTAGE") == "%"
    assert normalise_unit("km per 100,000  residents") == "km per 100,000 residents"
    assert normalise_unit("% of labour force") != normalise_unit("%")


def test_yearly_value_is_the_last_period_of_the_year_and_trend_is_theil_sen():
    years = yearly(UNEMPLOYMENT.points)
    assert years == {2020: 6.0, 2021: 5.5, 2022: 5.0, 2023: 4.8}
    # pairwise slopes -0.5, -0.5, -0.4, -0.5, -0.35, -0.2: median -0.45
    assert trend(years) == pytest.approx(-0.45)
    assert trend({2023: 1.0}) is None


def test_position_years_and_units_on_one_indicator():
    row = compare_kpi(UNEMPLOYMENT, "Home", [p for p in peers() if p.code == "5.1"], max_year_gap=1)
    assert row.year == 2023  # the latest year the city and a comparable peer (alpha) share
    by = {m.key: m for m in row.members}
    assert [(m.key, m.rank) for m in row.members] == [("alpha", 1), ("", 2), ("beta", 3), ("gamma", None)]
    assert (by[""].value, by[""].year, by[""].trend, by[""].trend_direction) == (4.8, 2023, pytest.approx(-0.45),
                                                                                 "improving")
    assert (by["alpha"].value, by["alpha"].trend) == (4.0, pytest.approx(-1.5))
    assert (by["beta"].value, by["beta"].year, by["beta"].trend_direction) == (5.2, 2021, "worsening")
    assert not by["gamma"].compared
    assert row.rank == 2 and row.group_size == 3 and row.percentile == 50.0
    kinds = sorted((w.kind, w.peer) for w in row.warnings)
    assert kinds == [("unit", "gamma"), ("year_gap", "beta")]
    gap = next(w for w in row.warnings if w.kind == "year_gap")
    assert gap.params == {"peer_year": 2021, "year": 2023, "max_gap": 1}
    unit = next(w for w in row.warnings if w.kind == "unit")
    assert unit.params == {"peer_unit": "% of labour force", "city_unit": "%", "ranked": False}  # gamma: not ranked


def test_year_gap_threshold_is_configurable():
    row = compare_kpi(UNEMPLOYMENT, "Home", [p for p in peers() if p.code == "5.1"], max_year_gap=2)
    assert "year_gap" not in {w.kind for w in row.warnings}


def test_comparison_year_falls_back_to_the_latest_common_year():
    only_old = [PeerSeries("old", "Old", "iso37120_2014", "5.1", "%", [(d(2020), 8.0), (d(2021), 7.0)])]
    row = compare_kpi(UNEMPLOYMENT, "Home", only_old)
    assert row.year == 2021
    assert row.city.value == 5.5 and row.rank == 1 and row.percentile == 100.0
    assert row.warnings == []


def test_target_band_ranks_by_distance_outside_the_band_and_ties_share_a_rank():
    band = CityKpi("jobs", "Jobs/housing", "iso37120_2014", "19.4", "Jobs/housing ratio", "ratio", "target_band",
                   [(d(2023), 1.0)], band_low=0.9, band_high=1.1)
    row = compare_kpi(band, "Home", [PeerSeries("hi", "Hi", "iso37120_2014", "19.4", "ratio", [(d(2023), 1.3)]),
                                     PeerSeries("lo", "Lo", "iso37120_2014", "19.4", "ratio", [(d(2023), 0.8)])])
    assert [(m.key, m.rank) for m in row.members] == [("", 1), ("lo", 2), ("hi", 3)]
    assert row.percentile == 100.0
    higher = CityKpi("pt", "Trips", "iso37120_2014", "18.3", "Trips", "trips", "higher_is_better", [(d(2023), 10.0)])
    row = compare_kpi(higher, "Home", [PeerSeries("same", "Same", "iso37120_2014", "18.3", "trips", [(d(2023), 10.0)]),
                                       PeerSeries("low", "Low", "iso37120_2014", "18.3", "trips", [(d(2023), 5.0)])])
    assert [(m.key, m.rank) for m in row.members] == [("", 1), ("same", 1), ("low", 3)]
    assert row.percentile == 50.0


def test_city_without_values_is_not_placed():
    empty = CityKpi("e", "E", "iso37120_2014", "5.1", "", "%", "lower_is_better", [])
    row = compare_kpi(empty, "Home", peers()[:1])
    assert row.rank is None and row.percentile is None and row.year is None
    assert [w.kind for w in row.warnings] == ["no_data"]


def test_compare_sorts_kpis_into_rows_city_defined_unmatched_and_peer_only():
    own = CityKpi("own", "Own", "city", "", "Own", "%", "higher_is_better", [(d(2023), 1.0)])
    lonely = CityKpi("pt", "Trips", "iso37120_2014", "18.3", "Trips", "trips", "higher_is_better", [(d(2023), 1.0)])
    result = compare("Home", [UNEMPLOYMENT, own, lonely], peers())
    assert [r.kpi.key for r in result.rows] == ["unemployment"]
    assert result.city_defined == ["own"]
    assert result.unmatched == ["pt"]
    assert result.peer_only == [("iso37120_2014", "8.1")]
