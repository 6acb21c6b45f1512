"""Values from another Cityline's API or pack are held to the records' limits as a CSV's are, and a population
column with a superscript digit is a named error (review of 55074a3)."""

import pytest

from cityline.benchmarking import imports
from cityline.benchmarking.models import PeerCity, PeerValue
from cityline.core import actions
from cityline.core.models import City

pytestmark = pytest.mark.django_db

BASE = "https://peer.example.org"
ROOT = f"{BASE}/api/v1/cities/far"


@pytest.fixture
def home():
    return actions.create(City, key="home", name="Home", country="GB")


def serve(monkeypatch, city, kpis, measurements):
    """Answer the API import's requests from these records, as another Cityline would."""
    indicators = [{"key": "unemployment", "source": "iso37120_2014", "code": "5.1", "name": "Unemployment rate"},
                  {"key": "broadband", "source": "u4ssc", "code": "EC: ICT: ICT: 2C", "name": "Broadband"}]
    pages = {ROOT: city, f"{ROOT}/city-indicators?_limit=500": {"results": indicators, "next": None},
             f"{ROOT}/kpis?_limit=500": {"results": kpis, "next": None},
             f"{ROOT}/measurements?_limit=500": {"results": measurements, "next": None}}
    monkeypatch.setattr(imports, "_get", lambda url, origin=None: pages[url])


def kpi(key, indicator, unit="%"):
    return {"key": key, "indicator": indicator, "unit": unit, "published": True, "title": key}


def test_every_value_the_records_cannot_hold_is_reported_naming_peer_kpi_and_period(home, monkeypatch):
    serve(monkeypatch, {"name": "Farbury", "country": "GB", "population": 1000},
          [kpi("jobless", "unemployment"), kpi("net", "broadband")],
          [{"kpi": "jobless", "period_end": "2022-12-31", "value": 1e30},
           {"kpi": "jobless", "period_end": "2023-12-31", "value": 5.5},
           {"kpi": "net", "period_end": "2023-12-31", "value": "1.1234567"}])
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_api(home, BASE, "far")
    assert exc.value.problems == [
        f"{ROOT}: peer Farbury: KPI jobless (iso37120_2014 5.1), period 2022-12-31: value: Ensure that there are "
        "no more than 20 digits in total.",
        f"{ROOT}: peer Farbury: KPI net (u4ssc EC: ICT: ICT: 2C), period 2023-12-31: value: Ensure that there are "
        "no more than 6 decimal places.",
    ]
    assert not PeerCity.objects.exists() and not PeerValue.objects.exists()


def test_the_peers_own_fields_and_a_kpis_unit_are_checked_too(home, monkeypatch):
    serve(monkeypatch, {"name": "F" * 201, "country": "GBR", "population": 99999999999},
          [kpi("jobless", "unemployment", unit="u" * 61)],
          [{"kpi": "jobless", "period_end": "2023-12-31", "value": 5.5}])
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_api(home, BASE, "far")
    peer = f"{ROOT}: peer {'F' * 201}"
    assert exc.value.problems == [
        f"{peer}: name: Ensure this value has at most 200 characters (it has 201).",
        f"{peer}: country: 'GBR' is not a two-letter ISO 3166 code",
        f"{peer}: population: Ensure this value is less than or equal to 2147483647.",
        f"{peer}: KPI jobless (iso37120_2014 5.1): unit: Ensure this value has at most 60 characters (it has 61).",
    ]
    assert not PeerCity.objects.exists()


def test_good_remote_values_are_stored(home, monkeypatch):
    serve(monkeypatch, {"name": "Farbury", "country": "gb", "population": 1000}, [kpi("jobless", "unemployment")],
          [{"kpi": "jobless", "period_end": "2023-12-31", "value": 5.5}])
    result = imports.import_api(home, BASE, "far")
    peer = result.peers[0]
    assert (peer.name, peer.country, peer.population) == ("Farbury", "GB", 1000)
    assert [(v.code, float(v.value), v.unit) for v in PeerValue.objects.filter(peer=peer)] == [("5.1", 5.5, "%")]


@pytest.mark.parametrize("population", ["²", "١٢٣"])     # a superscript digit, Arabic-Indic digits
def test_a_population_in_digits_other_than_ascii_is_a_named_error(home, tmp_path, population):
    path = tmp_path / "peers.csv"
    path.write_text(f"city,country,list,code,year,value,unit,population\nA,GB,u4ssc,X,2023,1,%,{population}\n",
                    encoding="utf-8")
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, path)
    assert exc.value.problems == [f"peers.csv: row 2, column population: {population!r} is not a whole number above 0"]
    assert not PeerCity.objects.exists()
