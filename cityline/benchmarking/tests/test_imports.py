"""Importing peer cities (B3.c, C2.c): CSV, city pack and another Cityline's API; all or nothing."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cityline.benchmarking import imports
from cityline.benchmarking.models import PeerCity, PeerValue
from cityline.core import actions
from cityline.core.models import City

pytestmark = pytest.mark.django_db

PEER_PACK = Path(__file__).resolve().parents[2] / "demo" / "peer-city-pack"

GOOD_CSV = """city,country,list,code,year,value,unit,population
Alphaville,fr,iso37120_2014,5.1,2022,7.5,%,120000
Alphaville,FR,iso37120_2014,5.1,2023,7.1,%,
Betatown,DE,u4ssc,EN: E: E: 1C,2023-06-30,31.25,%,
"""


@pytest.fixture
def home():
    return actions.create(City, key="home", name="Home", country="GB")


def write(tmp_path, text, name="peers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_creates_peers_and_values_and_reimport_replaces_them(home, tmp_path):
    result = imports.import_csv(home, write(tmp_path, GOOD_CSV))
    assert result.values == 3
    alpha = PeerCity.objects.get(city=home, key="alphaville")
    assert (alpha.name, alpha.country, alpha.population, alpha.source_kind, alpha.source) == (
        "Alphaville", "FR", 120000, "csv", "peers.csv")
    assert alpha.imported_at is not None
    assert [(v.code, v.period_end, v.value, v.unit) for v in alpha.values.order_by("period_end")] == [
        ("5.1", date(2022, 12, 31), Decimal("7.5"), "%"), ("5.1", date(2023, 12, 31), Decimal("7.1"), "%")]
    beta = PeerValue.objects.get(peer__key="betatown")
    assert (beta.source, beta.code, beta.period_end, beta.value) == ("u4ssc", "EN: E: E: 1C", date(2023, 6, 30),
                                                                    Decimal("31.25"))

    imports.import_csv(home, write(tmp_path, "city,country,list,code,year,value,unit\n"
                                             "Alphaville,FR,iso37120_2014,5.1,2024,6.9,%\n"))
    assert [v.value for v in PeerValue.objects.filter(peer=alpha)] == [Decimal("6.9")]
    assert PeerValue.history.filter(peer_id=alpha.pk, history_type="-").count() == 2  # old values kept in history


@pytest.mark.parametrize("text, message", [
    ("city,country,list,code,year,value\nA,GB,u4ssc,X,2023,1\n", "peers.csv: row 1: missing column unit"),
    ("city,country,list,code,year,value,unit\nA,GB,iso37120,5.1,2023,1,%\n", "peers.csv: row 2, column list: "),
    ("city,country,list,code,year,value,unit\nA,GB,u4ssc,X,23,1,%\n", "peers.csv: row 2, column year: "),
    ("city,country,list,code,year,value,unit\nA,GB,u4ssc,X,2023,1,%\nB,GB,u4ssc,X,2023,n/a,%\n",
     "peers.csv: row 3, column value: 'n/a' is not a number"),
    ("city,country,list,code,year,value,unit\nA,GBR,u4ssc,X,2023,1,%\n", "peers.csv: row 2, column country: "),
    ("city,country,list,code,year,value,unit\nA,GB,city,X,2023,1,%\n", "peers.csv: row 2, column list: "),
    ("city,country,list,code,year,value,unit\nA,GB,u4ssc,X,2023,1,%\nA,GB,u4ssc,X,2023,2,%\n",
     "peers.csv: row 3, column year: A already has a value of u4ssc X for 2023-12-31 (row 2)"),
])
def test_csv_errors_name_file_row_and_column_and_write_nothing(home, tmp_path, text, message):
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_csv(home, write(tmp_path, text))
    assert any(p.startswith(message) for p in exc.value.problems), exc.value.problems
    assert not PeerCity.objects.exists() and not PeerValue.objects.exists()


def pack_values(city):
    return sorted((v.source, v.code, v.period_end.isoformat(), str(v.value.normalize()), v.unit)
                  for v in PeerValue.objects.filter(city=city))


def test_city_pack_import_takes_only_published_kpis_on_list_indicators(home):
    result = imports.import_city_pack(home, PEER_PACK)
    peer = result.peers[0]
    assert (peer.key, peer.name, peer.country, peer.population, peer.source_kind, peer.licence) == (
        "brindlemoor", "Brindlemoor", "GB", 164200, "city_pack", "CC-BY-4.0")
    assert result.values == 55  # eleven published KPIs on catalogue indicators × five years
    codes = {v.code for v in PeerValue.objects.filter(city=home)}
    assert "EN: EN: EQ: 2A" not in codes  # noise exposure is not published
    assert len(codes) == 11
    assert ("iso37120_2014", "21.7", "2025-12-31", "18.8", "percent") in pack_values(home)


def test_bad_city_pack_is_refused_whole(home, tmp_path):
    bad = tmp_path / "bad-pack"
    bad.mkdir()
    (bad / "pack.yaml").write_text("format: cityline-pack\nformat_version: 1\ncity: {key: x}\n", encoding="utf-8")
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_city_pack(home, bad)
    assert any(p.startswith("pack.yaml") for p in exc.value.problems), exc.value.problems
    assert not PeerCity.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_api_import_from_a_live_cityline_matches_the_pack_import(live_server):
    from cityline.core.packs import import_pack

    import_pack(PEER_PACK, progress=False, trusted=True)  # the live server now serves Brindlemoor's public API
    home = actions.create(City, key="home", name="Home", country="GB")
    result = imports.import_api(home, live_server.url, "brindlemoor")
    peer = result.peers[0]
    assert (peer.source_kind, peer.source) == ("cityline_api", f"{live_server.url}/api/v1/cities/brindlemoor")
    assert (peer.name, peer.population) == ("Brindlemoor", 164200)
    from_api = pack_values(home)
    other = actions.create(City, key="other", name="Other", country="GB")
    imports.import_city_pack(other, PEER_PACK)
    assert from_api == pack_values(other) and len(from_api) == 55

    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_api(home, live_server.url, "nowhere")
    assert exc.value.problems == [f"{live_server.url}/api/v1/cities/nowhere: HTTP 404 Not Found"]


def test_peer_demo_pack_round_trips_byte_identically(tmp_path):
    """The second demo city's pack is exactly what the exporter writes after importing it (issue 9 item 6)."""
    from cityline.core.packs import export_pack, import_pack

    report = import_pack(PEER_PACK, progress=False, trusted=True)
    export_pack(report.city_key, tmp_path / "out")
    exported = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    committed = {p.name: p.read_bytes() for p in PEER_PACK.iterdir() if p.suffix == ".yaml"}
    assert committed == exported


# --- the command's options ----------------------------------------------------------------------


@pytest.mark.parametrize("given, message", [("-1", "'-1': give a whole number of 0 or more"),
                                            ("one", "'one' is not a whole number")])
def test_show_refuses_a_negative_year_gap_naming_the_option(capsys, given, message):
    from cityline import cli

    with pytest.raises(SystemExit) as refused:
        cli.main(["benchmark", "show", "--max-year-gap", given])
    out, err = capsys.readouterr()
    assert (refused.value.code, out) == (2, "") and f"error: argument --max-year-gap: {message}\n" in err


def test_show_takes_a_year_gap_of_0(home, tmp_path, capsys):
    import json

    from cityline import cli

    imports.import_csv(home, write(tmp_path, GOOD_CSV))
    assert cli.main(["benchmark", "show", "--city", "home", "--json", "--max-year-gap", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["max_year_gap"] == 0
