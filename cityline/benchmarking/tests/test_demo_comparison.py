"""The demo city compared with its partner Brindlemoor (issue 9 item 6; B3.c, C2.c): service, API, page, CLI."""

import json

import pytest

from cityline import cli
from cityline.benchmarking.models import PeerCity
from cityline.benchmarking.services import benchmark
from cityline.core import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def kestermouth(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    from cityline.core.demo_snapshot import import_demo_pack

    city = import_demo_pack()  # the demo city from the worker's snapshot
    demo.prepare_peer(city)  # what `cityline demo` adds for the comparison (its readings and accounts are not needed)
    return city


def test_demo_registers_brindlemoor_as_a_peer_of_kestermouth_with_exact_positions(kestermouth, client):
    peer = PeerCity.objects.get(city=kestermouth)
    assert (peer.key, peer.source_kind, peer.values.count()) == ("brindlemoor", "city_pack", 55)
    demo.prepare_peer(kestermouth)  # idempotent
    assert PeerCity.objects.filter(city=kestermouth).count() == 1

    data = benchmark(kestermouth)
    rows = {r["kpi"]: r for r in data["rows"]}
    assert len(rows) == 11
    u = rows["unemployment"]  # Kestermouth 4.5 (Q4 2025), Brindlemoor 4.4 (2025); lower is better
    assert (u["year"], u["rank"], u["group_size"], u["percentile"]) == (2025, 2, 2, 0.0)
    assert [(m["name"], m["value"], m["rank"]) for m in u["members"]] == [("Brindlemoor", 4.4, 1),
                                                                         ("Kestermouth", 4.5, 2)]
    assert next(m for m in u["members"] if not m["is_city"])["trend_per_year"] == pytest.approx(-0.3)
    w = rows["water-loss"]  # "percent" is "%": compared; 17.8 beats 18.8
    assert (w["rank"], w["percentile"], w["warnings"]) == (1, 100.0, [])
    g = rows["ghg-per-capita"]
    assert [x["kind"] for x in g["warnings"]] == ["unit"]
    assert (g["rank"], g["group_size"], g["percentile"]) == (1, 1, None)
    assert "units differ" in g["warnings"][0]["message"]
    e = rows["electricity-per-capita"]
    assert [x["kind"] for x in e["warnings"]] == ["year_gap"]
    assert [(m["year"], m["value"]) for m in e["members"] if not m["is_city"]] == [(2018, 4340)]
    assert "market-footfall" not in data["city_defined"]  # Brindlemoor's own KPI: not in Kestermouth
    assert "adults-without-digital-skills" in data["city_defined"]

    api = client.get("/api/v1/cities/kestermouth/benchmark").json()
    assert api["rows"] == json.loads(json.dumps(data["rows"]))
    peers = client.get("/api/v1/cities/kestermouth/peer-cities").json()
    assert [p["key"] for p in peers["results"]] == ["brindlemoor"]
    values = client.get("/api/v1/cities/kestermouth/peer-values?peer=brindlemoor&_limit=100").json()
    assert values["count"] == 55

    page = client.get("/kestermouth/benchmark/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Brindlemoor" in html and "units differ" in html
    csv = client.get("/kestermouth/benchmark.csv").content.decode().splitlines()
    assert csv[0].startswith("kpi,list,code,indicator,unit")
    assert len(csv) == 1 + 2 * 11
    warnings = client.get("/kestermouth/benchmark-warnings.csv").content.decode().splitlines()
    assert len(warnings) == 1 + 2
    assert client.get("/kestermouth/benchmark.json").json()["summary"]["compared"] == 11


def test_cli_show_and_import_csv(kestermouth, tmp_path, capsys):
    path = tmp_path / "more.csv"
    path.write_text("city,country,list,code,year,value,unit\nCitadel,GB,iso37120_2014,5.1,2025,3.9,%\n",
                    encoding="utf-8")
    assert cli.main(["benchmark", "import-csv", str(path), "--city", "kestermouth"]) == 0
    assert "1 peer city (Citadel), 1 values" in capsys.readouterr().out
    assert cli.main(["benchmark", "show", "--city", "kestermouth", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    u = next(r for r in data["rows"] if r["kpi"] == "unemployment")
    assert (u["rank"], u["group_size"], u["percentile"]) == (3, 3, 0.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("city,country,list,code,year,value,unit\nX,GB,nolist,5.1,2025,1,%\n", encoding="utf-8")
    assert cli.main(["benchmark", "import-csv", str(bad), "--city", "kestermouth"]) == 1
    assert "bad.csv: row 2, column list" in capsys.readouterr().err
