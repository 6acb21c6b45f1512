"""The benefit map as records (C1): model rules, editor, API and city pack."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cityline.benefits.models import BenefitLink, BenefitNode
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import export_pack, import_pack
from cityline.core.testing import make_city, make_person

pytestmark = pytest.mark.django_db


def node(city, key, kind, **fields):
    return actions.create(BenefitNode, city=city, key=key, kind=kind, title=fields.pop("title", key), **fields)


@pytest.fixture
def small_map():
    city = make_city()
    owner = make_person(city, "owner", name="Olu Owner")
    nodes = {
        "sensors": node(city, "sensors", "investment", cost=Decimal("500000")),
        "platform": node(city, "platform", "output", output_type="enabler"),
        "realtime": node(city, "realtime", "output", output_type="governance_change",
                         governance_change="real_time_management"),
        "fewer-floods": node(city, "fewer-floods", "end_outcome", benefit_owner=owner),
        "resilience": node(city, "resilience", "purpose", purpose="resilience"),
    }
    chain = ["sensors", "platform", "realtime", "fewer-floods", "resilience"]
    for a, b in zip(chain, chain[1:]):
        actions.create(BenefitLink, city=city, source=nodes[a], target=nodes[b], evidence="evaluated",
                       rationale=f"{a} makes {b} possible")
    return city, nodes


@pytest.mark.parametrize("kind,fields,field", [
    ("output", {}, "output_type"),                                     # an output says what kind it is
    ("investment", {"output_type": "enabler"}, "output_type"),         # only outputs have a type
    ("output", {"output_type": "enabler", "governance_change": "citizen_engagement"}, "governance_change"),
    ("purpose", {}, "purpose"),                                        # a purpose names its ISO 37101 purpose
    ("end_outcome", {"purpose": "resilience"}, "purpose"),
    ("output", {"output_type": "enabler", "cost": Decimal("1")}, "cost"),  # only investments carry a cost
])
def test_node_rules(kind, fields, field):
    city = make_city()
    with pytest.raises(ValidationError) as err:
        node(city, "n", kind, **fields)
    assert field in err.value.message_dict
    assert not BenefitNode.objects.exists()


def test_benefit_owner_owns_outcomes_only():
    city = make_city()
    with pytest.raises(ValidationError) as err:
        node(city, "n", "investment", benefit_owner=make_person(city))
    assert "benefit_owner" in err.value.message_dict


def test_a_link_cannot_loop_on_itself_or_repeat(small_map):
    city, nodes = small_map
    with pytest.raises(ValidationError):
        actions.create(BenefitLink, city=city, source=nodes["platform"], target=nodes["platform"])
    with pytest.raises(ValidationError):
        actions.create(BenefitLink, city=city, source=nodes["sensors"], target=nodes["platform"])
    assert BenefitLink.objects.count() == 4


def test_editor_lists_and_edits_the_map(admin_client, small_map):
    city, nodes = small_map
    for url in ("/admin/benefits/benefitnode/", "/admin/benefits/benefitlink/", "/admin/benefits/benefitnode/add/",
                f"/admin/benefits/benefitnode/{nodes['platform'].pk}/change/"):
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get(f"/admin/benefits/benefitnode/{nodes['platform'].pk}/change/").content.decode()
    assert "realtime" in page  # its outgoing link is shown inline


def test_api_lists_nodes_and_links_by_key(client, small_map):
    city, _nodes = small_map
    body = client.get(f"/api/v1/cities/{city.key}/benefit-nodes?kind=output&_sort=key").json()
    assert [n["key"] for n in body["results"]] == ["platform", "realtime"]
    links = client.get(f"/api/v1/cities/{city.key}/benefit-links?source=sensors").json()["results"]
    assert [(lk["source"], lk["target"], lk["evidence"]) for lk in links] == [("sensors", "platform", "evaluated")]
    owner = client.get(f"/api/v1/cities/{city.key}/benefit-nodes/fewer-floods").json()["benefit_owner"]
    assert owner == "owner"


def test_city_pack_round_trip_with_a_benefit_map(small_map, tmp_path):
    city, _nodes = small_map
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "benefits.yaml").read_text()
    assert "governance_change: real_time_management" in text and "benefit_owner: owner" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("benefit_nodes").created == 5 and report.count("benefit_links").created == 4
    export_pack(city.key, second)
    for name in ("pack.yaml", "core.yaml", "strategy.yaml", "benefits.yaml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_bad_benefit_map_in_a_pack_names_file_line_and_field(small_map, tmp_path):
    from cityline.core.packs import PackError

    city, _nodes = small_map
    export_pack(city.key, tmp_path)
    path = tmp_path / "benefits.yaml"
    path.write_text(path.read_text().replace("evidence: evaluated", "evidence: rumoured", 1))
    before = BenefitLink.objects.count()
    with pytest.raises(PackError) as err:
        import_pack(tmp_path, progress=False, trusted=True)
    message = str(err.value)
    assert "benefits.yaml:" in message and "benefit_links[0].evidence: unknown value 'rumoured'" in message
    assert BenefitLink.objects.count() == before


def test_check_of_a_stored_map_finds_missing_kpis_and_follows_the_money(small_map, client, capsys):
    from cityline import cli

    city, nodes = small_map
    body = client.get(f"/api/v1/cities/{city.key}/benefit-map/check").json()
    by_check = {}
    for f in body["findings"]:
        by_check.setdefault(f["check"], set()).update(f["nodes"])
    assert by_check.pop("end_outcome_without_kpi") == {"fewer-floods"}
    assert by_check.pop("missing_leading_indicator") == {"sensors", "platform", "realtime"}
    assert by_check == {}, by_check  # line of sight is complete: nothing else to report
    assert body["rollup"]["purposes"] == {"resilience": 500000.0}
    # a leading KPI on the enabler removes its finding
    from cityline.benefits.models import Kpi

    actions.create(Kpi, city=city, key="sensors-live", title="Sensors live", node=nodes["platform"], kind="leading",
                   unit="%", direction="higher_is_better", frequency="monthly", published=True)
    again = client.get(f"/api/v1/cities/{city.key}/benefit-map/check").json()
    leading = [f for f in again["findings"] if f["check"] == "missing_leading_indicator"]
    assert {n for f in leading for n in f["nodes"]} == {"sensors", "realtime"}

    # an unpublished KPI counts for staff only: for anyone else the enabler has no leading indicator again
    actions.update(Kpi.objects.get(city=city, key="sensors-live"), published=False)
    anonymous = client.get(f"/api/v1/cities/{city.key}/benefit-map/check").json()
    assert {n for f in anonymous["findings"] if f["check"] == "missing_leading_indicator" for n in f["nodes"]} == {
        "sensors", "platform", "realtime"}
    assert cli.main(["benefits", "check", "--city", city.key]) == 0
    out = capsys.readouterr().out
    assert "[C2.c] end_outcome_without_kpi" in out and "reaches purpose resilience: 500,000.00" in out
    assert cli.main(["benefits", "check", "--city", city.key, "--strict"]) == 1
    assert cli.main(["benefits", "check", "--city", "atlantis"]) == 2


def test_line_of_sight_of_one_node(small_map, client):
    city, _nodes = small_map
    body = client.get(f"/api/v1/cities/{city.key}/benefit-nodes/realtime/line-of-sight").json()
    assert body == {"node": "realtime", "upstream": ["platform", "sensors"],
                    "downstream": ["fewer-floods", "resilience"]}
    assert client.get(f"/api/v1/cities/{city.key}/benefit-nodes/nowhere/line-of-sight").status_code == 404


def test_unpublished_kpis_and_their_data_stay_with_staff(small_map, client, admin_client):
    """C2.f: a KPI reaches the public once published; until then its values are staff-only."""
    import datetime

    from cityline.benefits.models import Kpi, Measurement

    city, nodes = small_map
    kpi = actions.create(Kpi, city=city, key="flood-days", title="Days of flooding", node=nodes["fewer-floods"],
                         kind="outcome", unit="days", direction="lower_is_better", frequency="annual")
    actions.create(Measurement, city=city, kpi=kpi, period_end=datetime.date(2025, 12, 31), value=Decimal("12"))
    base = f"/api/v1/cities/{city.key}"
    assert client.get(f"{base}/kpis").json()["count"] == 0
    assert client.get(f"{base}/kpis/flood-days").status_code == 404
    assert client.get(f"{base}/measurements").json()["count"] == 0
    assert client.get(f"{base}/kpis/flood-days/history").status_code == 404
    assert admin_client.get(f"{base}/kpis/flood-days").status_code == 200
    assert admin_client.get(f"{base}/measurements").json()["count"] == 1
    actions.update(kpi, published=True)
    assert client.get(f"{base}/kpis/flood-days").json()["published"] is True
    assert [Decimal(m["value"]) for m in client.get(f"{base}/measurements").json()["results"]] == [Decimal("12")]
