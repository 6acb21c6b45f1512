"""Peer cities' ISO 37106 maturity beside the city's (B3.c, B2.g; issue 9 item 5): import from another
Cityline's API and from this instance, the comparison, API, page, CSV and CLI."""

from datetime import date
from pathlib import Path

import pytest

from cityline import cli
from cityline.assessment.models import AssessmentSettings
from cityline.assessment.services import assess
from cityline.benchmarking import imports
from cityline.benchmarking.models import PeerAssessment, PeerCity
from cityline.benchmarking.services import assessment_comparison
from cityline.core import actions
from cityline.core.models import City

pytestmark = pytest.mark.django_db

PEER_PACK = Path(__file__).resolve().parents[2] / "demo" / "peer-city-pack"
COMPONENTS = ["A", "B-strategy", "B-service", "B-resource", "C", "D"]


def maturity(levels: dict[str, tuple[float | None, int | None]], score, level) -> dict:
    return {"score": score, "level": level,
            "components": [{"component": c, "score": levels[c][0], "level": levels[c][1]} for c in COMPONENTS]}


@pytest.fixture
def home():
    return actions.create(City, key="home", name="Home", country="GB")


def test_comparison_places_each_peers_latest_assessment_per_component(home):
    """The city does not publish its own assessment (B2.g): only the peers are shown; the latest date wins."""
    peer = {"key": "ashby", "name": "Ashby", "country": "gb", "population": 50000}
    old = maturity({c: (0.1, 1) for c in COMPONENTS}, 0.1, 1)
    new = maturity({"A": (1.0, 5), "B-strategy": (0.5, 3), "B-service": (0.25, 2), "B-resource": (None, None),
                    "C": (0.8, 4), "D": (0.0, 1)}, 0.6, 1)
    imports.store_assessment(home, peer, date(2025, 1, 31), old, "csv", "test")
    imports.store_assessment(home, peer, date(2026, 1, 31), new, "csv", "test")
    imports.store_assessment(home, {"key": "bury", "name": "Bury"}, date(2026, 3, 1),
                             maturity({c: (0.5, 3) for c in COMPONENTS}, 0.5, 3), "csv", "test")
    record = PeerCity.objects.get(city=home, key="ashby")
    assert (record.country, record.population, record.values.count()) == ("GB", 50000, 0)
    assert PeerAssessment.objects.filter(city=home).count() == 3

    data = assessment_comparison(home)
    assert (data["city_published"], data["peers"]) == (False, 2)
    assert [(m["name"], m["taken_on"], m["score"], m["level"]) for m in data["members"]] == [
        ("Ashby", "2026-01-31", 0.6, 1), ("Bury", "2026-03-01", 0.5, 3)]
    table = {r["component"]: [(c["score"], c["level"], c["level_name"]) for c in r["cells"]] for r in data["rows"]}
    assert list(table) == [*COMPONENTS, "overall"]
    assert table["A"] == [(1.0, 5, "optimised"), (0.5, 3, "managed")]
    assert table["B-resource"] == [(None, None, "not assessed"), (0.5, 3, "managed")]
    assert table["overall"] == [(0.6, 1, "ad hoc"), (0.5, 3, "managed")]

    # importing the same date again replaces that assessment (history keeps the old one)
    imports.store_assessment(home, peer, date(2026, 1, 31), maturity({c: (0.3, 2) for c in COMPONENTS}, 0.3, 2),
                             "csv", "test")
    assert PeerAssessment.objects.get(peer=record, taken_on=date(2026, 1, 31)).level == 2


def test_city_that_publishes_is_the_first_column(home):
    actions.create(AssessmentSettings, city=home, publish=True, thresholds={})
    imports.store_assessment(home, {"key": "bury", "name": "Bury"}, date(2026, 3, 1),
                             maturity({c: (0.5, 3) for c in COMPONENTS}, 0.5, 3), "csv", "test")
    own = assess(home).maturity
    data = assessment_comparison(home)
    assert [m["name"] for m in data["members"]] == ["Home", "Bury"]
    assert data["rows"][0]["cells"][0]["level"] == own.component("A").level
    assert data["rows"][-1]["cells"][0]["level"] == own.level


def test_bad_maturity_names_the_field_and_writes_nothing(home):
    bad = maturity({c: (0.5, 3) for c in COMPONENTS}, 1.5, 7)
    bad["components"][1]["level"] = 0
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.store_assessment(home, {"key": "x", "name": "X"}, date(2026, 1, 1), bad, "csv", "test.json")
    (problem,) = exc.value.problems
    assert problem.startswith("test.json: peer x: ")
    assert "score: score 1.5 is not a number from 0 to 1" in problem
    assert "level 7 is not a whole number from 1 to 5" in problem
    assert "components: entry 2: level 0 is not a whole number from 1 to 5" in problem
    assert not PeerCity.objects.filter(city=home).exists()  # the peer created first was rolled back


def test_api_and_local_imports_match_the_peers_own_assessment(live_server, home):
    from cityline.core.packs import import_pack

    import_pack(PEER_PACK, progress=False, trusted=True)  # Brindlemoor publishes its assessment (assessment.yaml)
    brindlemoor = City.objects.get(key="brindlemoor")
    expected = assess(brindlemoor).maturity.as_dict()

    pa = imports.import_api_assessment(home, live_server.url, "brindlemoor")
    assert (pa.source_kind, pa.source) == ("cityline_api", f"{live_server.url}/api/v1/cities/brindlemoor/assessment")
    assert (pa.peer.name, pa.peer.population, pa.taken_on) == ("Brindlemoor", 164200, date.today())
    assert (pa.score, pa.level) == (expected["score"], expected["level"])
    assert pa.components == [{"component": c["component"], "score": c["score"], "level": c["level"]}
                             for c in expected["components"]]

    other = actions.create(City, key="other", name="Other", country="GB")
    local = imports.import_local_assessment(other, "brindlemoor")
    assert (local.source_kind, local.source) == ("instance", "this instance: brindlemoor")
    assert (local.score, local.level, local.components) == (pa.score, pa.level, pa.components)

    # a city that does not publish its assessment: 404 from the API, refused locally, nothing written
    actions.create(City, key="quiet", name="Quiet", country="GB")
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_api_assessment(home, live_server.url, "quiet")
    assert exc.value.problems == [f"{live_server.url}/api/v1/cities/quiet/assessment: HTTP 404 Not Found: "
                                  "quiet does not publish its assessment"]
    with pytest.raises(imports.BenchmarkImportError) as exc:
        imports.import_local_assessment(home, "quiet")
    assert exc.value.problems == ["this instance: quiet does not publish its assessment"]
    assert not PeerCity.objects.filter(city=home, key="quiet").exists()


def test_cli_import_assessment(home, capsys):
    from cityline.core.packs import import_pack

    import_pack(PEER_PACK, progress=False, trusted=True)
    level = assess(City.objects.get(key="brindlemoor")).maturity.level
    assert cli.main(["benchmark", "import-assessment", "brindlemoor", "--city", "home"]) == 0
    out = capsys.readouterr().out
    assert f"Imported into home: assessment of Brindlemoor on {date.today().isoformat()}, overall level {level}" in out
    assert cli.main(["benchmark", "show", "--city", "home"]) == 0
    assert "ISO 37106 maturity (score / level): Brindlemoor" in capsys.readouterr().out
    assert cli.main(["benchmark", "import-assessment", "nowhere", "--city", "home"]) == 1
    assert "this instance: no other city with key 'nowhere'" in capsys.readouterr().err


def test_demo_compares_kestermouths_maturity_with_brindlemoors(tmp_path, settings, client):
    """`cityline demo` imports Brindlemoor's published assessment for Kestermouth's comparison page."""
    from cityline.core import demo

    settings.DATA_DIR = tmp_path
    from cityline.core.demo_snapshot import import_demo_pack

    kestermouth = import_demo_pack()  # the demo city from the worker's snapshot
    demo.prepare_peer(kestermouth)  # what `cityline demo` adds for the comparison
    demo.prepare_peer(kestermouth)  # idempotent
    (pa,) = PeerAssessment.objects.filter(city=kestermouth)
    assert (pa.peer.key, pa.source_kind, pa.taken_on) == ("brindlemoor", "instance", date.today())
    brindlemoor = assess(City.objects.get(key="brindlemoor")).maturity
    own = assess(kestermouth).maturity
    assert (pa.score, pa.level) == (brindlemoor.score, brindlemoor.level)

    data = client.get("/api/v1/cities/kestermouth/benchmark").json()["assessment"]
    assert (data["city_published"], data["peers"]) == (True, 1)
    assert [m["name"] for m in data["members"]] == ["Kestermouth", "Brindlemoor"]
    expected = [[(own.component(c).level), brindlemoor.component(c).level] for c in COMPONENTS]
    assert [[cell["level"] for cell in r["cells"]] for r in data["rows"][:-1]] == expected
    assert [cell["level"] for cell in data["rows"][-1]["cells"]] == [own.level, brindlemoor.level]
    assert data["rows"][-1]["cells"][1]["score"] == round(brindlemoor.score, 4)

    html = client.get("/kestermouth/benchmark/").content.decode()
    assert "Maturity score and level by component and city" in html
    assert "B service management" in html
    rows = client.get("/kestermouth/benchmark-maturity.csv").content.decode().splitlines()
    assert rows[0] == "component,member,is_city,taken_on,score,level,level_name"
    assert len(rows) == 1 + 7 * 2
    assert rows[-1] == (f"overall,brindlemoor,false,{date.today().isoformat()},{round(brindlemoor.score, 4)},"
                        f"{brindlemoor.level},ad hoc")  # a small assessment: Brindlemoor is at level 1
