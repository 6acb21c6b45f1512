"""Defects found reviewing cross-city comparison (B3.c, C2.c): each test failed before its fix."""

from datetime import date
from pathlib import Path
from decimal import Decimal

import pytest

from cityline.benchmarking import imports
from cityline.benchmarking.domain.compare import CityKpi, PeerSeries, compare
from cityline.benchmarking.models import PeerCity, PeerValue
from cityline.benchmarking.services import benchmark
from cityline.benefits.models import CityIndicator, Kpi, Measurement
from cityline.core import actions
from cityline.core.models import City

HEADER = "city,country,list,code,year,value,unit\n"


@pytest.fixture
def home(db):
    return actions.create(City, key="home", name="Home", country="GB")


def write(tmp_path, text, name="peers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def published_kpi(city, key, source, code, unit, direction, values):
    indicator = actions.create(CityIndicator, city=city, key=f"{key}-indicator", source=source, code=code, name=key)
    kpi = actions.create(Kpi, city=city, key=key, title=key, indicator=indicator, kind="outcome", unit=unit,
                         direction=direction, evaluation_method="periodic_survey", published=True)
    for year, value in values.items():
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(year, 12, 31), value=Decimal(str(value)))
    return kpi


# --- matching: ISO 37120:2014 and :2018 number their indicators differently ------------------------------


def test_the_2018_edition_of_iso37120_is_not_matched_on_the_2014_identifier():
    """21.7 is water loss in ISO 37120:2014 but an urban-planning indicator in :2018 (clause 21 is Urban
    planning there, Water is clause 23): the same identifier is not the same indicator."""
    water_loss = CityKpi("water-loss", "Water loss", "iso37120_2014", "21.7", "Water loss", "%", "lower_is_better",
                         [(date(2024, 12, 31), 18.0)])
    other_edition = PeerSeries("p", "P", "iso37120_2018", "21.7", "%", [(date(2024, 12, 31), 3.0)])
    result = compare("Home", [water_loss], [other_edition])
    assert result.rows == []
    assert result.unmatched == ["water-loss"]
    assert result.peer_only == [("iso37120_2018", "21.7")]


# --- units: a peer that changed unit between years -------------------------------------------------------


def test_a_peer_value_in_another_unit_is_never_compared_under_the_first_years_unit(home, tmp_path):
    published_kpi(home, "broadband", "u4ssc", "EC: ICT: ICT: 2C", "%", "higher_is_better", {2022: 40, 2023: 45})
    imports.import_csv(home, write(tmp_path, HEADER + "Peer,GB,u4ssc,EC: ICT: ICT: 2C,2022,50,%\n"
                                             "Peer,GB,u4ssc,EC: ICT: ICT: 2C,2023,3,per 100 inhabitants\n"))
    row = benchmark(home)["rows"][0]
    peer = next(m for m in row["members"] if not m["is_city"])
    # only the value given in % is placed: 2022's, beside the city's 2022 value
    assert (peer["value"], peer["unit"], peer["year"], peer["compared"]) == (50, "%", 2022, True)
    assert (row["year"], row["rank"], row["group_size"]) == (2022, 2, 2)
    [unit] = [w for w in row["warnings"] if w["kind"] == "unit"]
    # the peer is ranked on its % values: its other series is left out, not the peer
    assert unit["message"] == ("units differ: Peer also gives values in “per 100 inhabitants”, not the city's "
                               "“%”: those are left out, its values in “%” are compared")


def test_a_peer_with_no_value_in_the_citys_unit_is_shown_in_its_latest_unit_and_not_ranked(home, tmp_path):
    published_kpi(home, "broadband", "u4ssc", "EC: ICT: ICT: 2C", "%", "higher_is_better", {2023: 45})
    imports.import_csv(home, write(tmp_path, HEADER + "Peer,GB,u4ssc,EC: ICT: ICT: 2C,2022,2,per 100 inhabitants\n"
                                             "Peer,GB,u4ssc,EC: ICT: ICT: 2C,2023,3,per 1000 inhabitants\n"))
    row = benchmark(home)["rows"][0]
    peer = next(m for m in row["members"] if not m["is_city"])
    assert (peer["value"], peer["unit"], peer["compared"], peer["rank"]) == (3, "per 1000 inhabitants", False, None)
    assert (row["rank"], row["group_size"]) == (1, 1)
    assert sorted(w["message"] for w in row["warnings"] if w["kind"] == "unit") == [
        "units differ: Peer gives “per 100 inhabitants”, the city “%” — not compared",
        "units differ: Peer gives “per 1000 inhabitants”, the city “%” — not compared"]


# --- importing: every problem named by file, row and column ------------------------------------------------


@pytest.mark.parametrize("line, message", [
    ("A,GB,u4ssc,X,2023,1.1234567,%", "peers.csv: row 2, column value: Ensure that there are no more than 6 decimal "
                                      "places."),
    ("A,GB,u4ssc,X,2023,123456789012345678901,%", "peers.csv: row 2, column value: Ensure that there are no more "
                                                  "than 20 digits in total."),
    ("A,GB,u4ssc,X,2023,1," + "u" * 61, "peers.csv: row 2, column unit: Ensure this value has at most 60 characters "
                                        "(it has 61)."),
    ("A,GB,u4ssc," + "c" * 61 + ",2023,1,%", "peers.csv: row 2, column code: Ensure this value has at most 60 "
                                             "characters (it has 61)."),
])
def test_values_the_records_cannot_hold_are_refused_naming_row_and_column(home, tmp_path, line, message):
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, write(tmp_path, HEADER + line + "\n"))
    assert exc.value.problems == [message]
    assert not PeerCity.objects.exists() and not PeerValue.objects.exists()


def test_every_bad_row_is_reported_at_once(home, tmp_path):
    text = HEADER + "A,GB,u4ssc,X,2022,1.1234567,%\nA,GB,u4ssc,X,2023,1,%\nB,GB,u4ssc,X,2023,2.1234567,%\n"
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, write(tmp_path, text))
    assert [p.split(":")[1] for p in exc.value.problems] == [" row 2, column value", " row 4, column value"]


def test_row_numbers_are_the_files_lines_even_after_a_blank_line(home, tmp_path):
    text = HEADER + "\nA,GB,u4ssc,X,2023,1,%\n\nA,GB,u4ssc,X,2024,lots,%\n"
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, write(tmp_path, text))
    assert exc.value.problems == ["peers.csv: row 5, column value: 'lots' is not a number"]


# --- importing again: what the input does not carry is kept ---------------------------------------------


def test_importing_a_peer_again_keeps_the_details_the_input_does_not_give(home, tmp_path):
    imports.import_csv(home, write(tmp_path, HEADER[:-1] + ",population\nAshby,GB,u4ssc,X,2023,1,%,51000\n"))
    peer = PeerCity.objects.get(city=home, key="ashby")
    actions.update(peer, licence="CC-BY-4.0")  # the data steward records the licence in the editor
    imports.import_csv(home, write(tmp_path, HEADER + "Ashby,,u4ssc,X,2024,2,%\n"))
    peer.refresh_from_db()
    assert (peer.licence, peer.population, peer.country) == ("CC-BY-4.0", 51000, "GB")
    assert [v.period_end.year for v in peer.values.all()] == [2024]  # the values are replaced, as documented


def test_a_population_the_record_cannot_hold_is_refused_naming_row_and_column(home, tmp_path):
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, write(tmp_path, HEADER[:-1] + ",population\nA,GB,u4ssc,X,2023,1,%,99999999999999999999\n"))
    assert [p.split(": ")[1] for p in exc.value.problems] == ["row 2, column population"]
    assert not PeerCity.objects.exists()


# --- importing another Cityline's pack: one KPI per indicator -----------------------------------------------


def test_a_peers_district_kpi_on_the_same_indicator_does_not_overwrite_its_city_wide_values(home, tmp_path):
    import shutil

    import yaml

    pack = tmp_path / "brindlemoor"
    shutil.copytree(Path(__file__).resolve().parents[2] / "demo" / "peer-city-pack", pack)
    path = pack / "benefits.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["kpis"].append({"key": "harbour-unemployment", "title": "Unemployment in Harbour ward",
                         "indicator": "iso37120-5-1", "scope": "Harbour ward", "kind": "outcome", "unit": "%",
                         "direction": "lower_is_better", "published": True})
    data["measurements"] += [{"kpi": "harbour-unemployment", "period_end": date(year, 12, 31), "value": 12.5}
                             for year in range(2021, 2026)]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    result = imports.import_city_pack(home, pack)
    values = PeerValue.objects.filter(city=home, source="iso37120_2014", code="5.1").order_by("period_end")
    assert [float(v.value) for v in values] == [5.6, 5.3, 5.0, 4.7, 4.4]  # Brindlemoor's own, city-wide
    assert result.values == 55
    assert "harbour-unemployment" in str(result)  # the import says which KPI it left out, and why


# --- the API's options ------------------------------------------------------------------------------------


def test_the_api_refuses_a_negative_year_gap_naming_the_parameter(home, client):
    refused = client.get("/api/v1/cities/home/benchmark?max_year_gap=-1")
    assert refused.status_code == 400
    assert "max_year_gap" in refused.json()["detail"]
    assert client.get("/api/v1/cities/home/benchmark?max_year_gap=0").json()["max_year_gap"] == 0
