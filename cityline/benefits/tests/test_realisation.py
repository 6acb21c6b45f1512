"""Status and forecast of a stored city's KPIs, and their propagation along the benefit map (C2, C3.d)."""

from datetime import date

import pytest

from cityline.benefits import realisation
from cityline.benefits.testing import make_realisation_city

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 30)


def test_each_kpi_gets_status_and_forecast():
    city, _ = make_realisation_city()
    r = realisation.realisation(city, ON)
    status = {k.key: k.status.status for k in r.kpis}
    assert status == {"lanes-built": "off_track", "cycling-share": "on_track", "no2": "on_track",
                      "noise": "off_track"}
    lanes = r.kpi("lanes-built").forecast
    assert lanes.outcome == "misses" and lanes.target_value == 110
    assert r.counts()["off_track"] == 2 and sum(r.counts().values()) == 4


def test_an_off_track_leading_indicator_puts_the_outcomes_downstream_at_risk_with_the_path():
    city, _ = make_realisation_city()
    nodes = realisation.realisation(city, ON).nodes
    assert nodes["lanes"].status == "off_track" and nodes["lanes"].cause == "own"
    air = nodes["cleaner-air"]
    assert air.own == "on_track" and air.status == "at_risk" and air.cause == "upstream"
    assert air.risk.path == ("lanes", "mobility-data", "more-cycling", "cleaner-air")
    assert nodes["environment"].status == "at_risk"
    # upstream of the cause, and outputs, are not outcomes: nothing propagates to them
    assert nodes["bikes"].status is None and nodes["mobility-data"].status is None


def test_the_public_face_leaves_unpublished_kpis_out():
    city, _ = make_realisation_city()
    staff = realisation.realisation(city, ON)
    public = realisation.realisation(city, ON, published_only=True)
    assert "noise" in [k.key for k in staff.kpis] and "noise" not in [k.key for k in public.kpis]
    assert staff.nodes["quiet-streets"].own == "off_track"
    assert public.nodes["quiet-streets"].own is None and public.nodes["quiet-streets"].status == "at_risk"


def test_escalations_list_off_track_and_at_risk_outcomes_worst_first():
    city, _ = make_realisation_city()
    esc = realisation.realisation(city, ON).escalations()
    assert [(n.key, n.status) for n in esc] == [("quiet-streets", "off_track"), ("cleaner-air", "at_risk"),
                                                  ("more-cycling", "at_risk")]


def test_status_is_replayable_on_a_past_date():
    city, _ = make_realisation_city()
    r = realisation.realisation(city, date(2019, 6, 30))
    assert {k.status.status for k in r.kpis} == {"no_data"}
    assert not r.escalations()


def test_owners_of_a_node_are_its_own_or_those_of_the_end_outcomes_it_feeds():
    city, _ = make_realisation_city()
    owners = realisation.node_owners(city)
    assert [p.name for p in owners["cleaner-air"]] == ["Ada Owner"]
    assert [p.name for p in owners["lanes"]] == ["Ada Owner"]      # feeds cleaner-air (owned) and quiet-streets (not)
    assert owners["quiet-streets"] == [] and owners["environment"] == []


# --- the API (C2.f: unpublished KPIs stay with staff) -------------------------------------------


def test_api_gives_the_map_status_with_paths_to_anyone_without_unpublished_kpis(client):
    make_realisation_city()
    body = client.get("/api/v1/cities/testville/benefit-map/status?on=2026-06-30").json()
    assert body["on"] == "2026-06-30"
    assert [k["kpi"] for k in body["kpis"]] == ["cycling-share", "lanes-built", "no2"]
    nodes = {n["node"]: n for n in body["nodes"]}
    assert nodes["cleaner-air"]["status"] == "at_risk" and nodes["cleaner-air"]["caused_by"] == "lanes"
    assert nodes["cleaner-air"]["path"] == ["lanes", "mobility-data", "more-cycling", "cleaner-air"]
    assert body["counts"]["off_track"] == 1


def test_api_gives_staff_the_unpublished_kpis_too(admin_client):
    make_realisation_city()
    body = admin_client.get("/api/v1/cities/testville/benefit-map/status?on=2026-06-30").json()
    assert "noise" in [k["kpi"] for k in body["kpis"]]
    assert admin_client.get("/api/v1/cities/testville/kpis/noise/status").status_code == 200


def test_api_kpi_status_and_forecast(client):
    make_realisation_city()
    body = client.get("/api/v1/cities/testville/kpis/lanes-built/status?on=2026-06-30").json()
    assert body["status"]["status"] == "off_track" and body["status"]["actual"] == 4
    assert body["forecast"]["outcome"] == "misses" and body["forecast"]["message"].startswith("Projected to miss")
    assert body["forecast"]["method"] == "theil-sen"
    assert client.get("/api/v1/cities/testville/kpis/noise/status").status_code == 404     # unpublished
    assert client.get("/api/v1/cities/testville/kpis/nope/status").status_code == 404
    bad = client.get("/api/v1/cities/testville/kpis/no2/status?on=not-a-date")
    assert bad.status_code == 400 and "on" in bad.json()["errors"]      # names the bad parameter


def test_api_kpi_status_on_the_last_day_the_calendar_holds(client):
    """A value for a period ending in 9999: its next value would be due in year 10000, so none is due."""
    from decimal import Decimal

    from cityline.benefits.models import Kpi, Measurement
    from cityline.core import actions

    city, _ = make_realisation_city()
    actions.create(Measurement, city=city, kpi=Kpi.objects.get(city=city, key="no2"), period_end=date(9999, 6, 30),
                   value=Decimal("20"))
    client.raise_request_exception = False
    response = client.get("/api/v1/cities/testville/kpis/no2/status?on=9999-12-31")
    assert response.status_code == 200
    assert response.json()["status"]["status"] == "on_track" and response.json()["status"]["next_due"] is None
    assert client.get("/api/v1/cities/testville/benefit-map/status?on=9999-12-31").status_code == 200


# --- a KPI whose stored data the rules cannot read ------------------------------------------------


def store_a_lone_on_track_tolerance(city, key="no2"):
    """A row as a database may hold it from before validation compared a lone tolerance with the default:
    on track within 20 %, at-risk tolerance blank (its default, 15 %, is smaller)."""
    from decimal import Decimal

    from cityline.benefits.models import Kpi

    Kpi.objects.filter(city=city, key=key).update(tolerance_on_track=Decimal("0.2"), tolerance_at_risk=None)


def test_a_kpi_whose_data_cannot_be_read_says_why_and_the_others_are_still_computed():
    city, _ = make_realisation_city()
    store_a_lone_on_track_tolerance(city)
    r = realisation.realisation(city, ON)
    no2 = r.kpi("no2")
    assert no2.status.status == "no_target" and no2.problem.field == "tolerance.at_risk"
    assert no2.status.reason.startswith("No target: the KPI's data cannot be used (tolerance.at_risk: ")
    assert no2.status.reason.endswith("so its status cannot be computed.")
    assert no2.forecast.outcome == "no_target" and "tolerance.at_risk" in no2.forecast.message
    assert [(f.code, f.field) for f in no2.smart_findings()] == [("unreadable_data", "tolerance.at_risk")]
    assert r.kpi("lanes-built").status.status == "off_track" and r.kpi("cycling-share").status.status == "on_track"
    assert r.nodes["cleaner-air"].own == "no_target" and r.nodes["cleaner-air"].status == "at_risk"


def test_a_kpi_whose_data_cannot_be_read_takes_no_page_or_endpoint_down(client, admin_client):
    from cityline.benefits.models import Kpi

    city, _ = make_realisation_city()
    store_a_lone_on_track_tolerance(city)
    client.raise_request_exception = admin_client.raise_request_exception = False
    for path in ["/testville/kpis/", "/testville/kpis/no2/", "/testville/kpis/no2.json", "/testville/kpis.csv",
                 "/testville/benefit-map/", "/testville/outcomes/cleaner-air/", "/testville/purposes/environment/",
                 "/api/v1/cities/testville/benefit-map/status?on=2026-06-30",
                 "/api/v1/cities/testville/escalations?on=2026-06-30"]:
        assert client.get(path).status_code == 200, path
    body = client.get("/api/v1/cities/testville/kpis/no2/status?on=2026-06-30").json()
    assert body["status"]["status"] == "no_target" and "tolerance.at_risk" in body["status"]["reason"]
    assert "unreadable_data" in client.get("/testville/kpis/no2.json").content.decode()    # its SMART finding
    page = admin_client.get(f"/admin/benefits/kpi/{Kpi.objects.get(key='no2').pk}/change/")
    assert page.status_code == 200 and "cannot be computed" in page.content.decode()
    assert admin_client.get("/admin/benefits/kpi/").status_code == 200


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_status_lists_kpis_worst_first_and_the_outcomes_to_escalate(capsys):
    from cityline import cli

    make_realisation_city()
    assert cli.main(["benefits", "status", "--city", "testville", "--on", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert out.index("[Off track] lanes-built") < out.index("[On track] no2")
    assert "Projected to miss the target of 110 km" in out
    assert "[at risk] cleaner-air: upstream: lanes -> mobility-data -> more-cycling -> cleaner-air" in out
    assert cli.main(["benefits", "status", "--city", "testville", "--on", "2026-06-30", "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out)["counts"]["off_track"] == 2
    assert cli.main(["benefits", "status", "--city", "atlantis"]) == 2


# --- the editor -------------------------------------------------------------------------------


def test_editor_shows_kpi_status_and_forecast_and_the_node_path(admin_client):
    from cityline.benefits.models import BenefitNode, Kpi

    make_realisation_city()
    listing = admin_client.get("/admin/benefits/kpi/").content.decode()
    assert listing.count("Off track") == 2         # lanes-built and the unpublished noise KPI
    lanes = Kpi.objects.get(key="lanes-built")
    page = admin_client.get(f"/admin/benefits/kpi/{lanes.pk}/change/").content.decode()
    assert "Off track" in page and "Projected to miss the target of 110 km" in page
    air = BenefitNode.objects.get(key="cleaner-air")
    page = admin_client.get(f"/admin/benefits/benefitnode/{air.pk}/change/").content.decode()
    assert "At risk" in page and "lanes → mobility-data → more-cycling → cleaner-air" in page
    assert admin_client.get("/admin/benefits/kpi/add/").status_code == 200
    assert admin_client.get("/admin/benefits/benefitnode/add/").status_code == 200


def test_api_lists_the_indicator_catalogue_with_filters_and_search(client):
    from cityline.benefits import catalogue

    catalogue.load_catalogue()
    body = client.get("/api/v1/indicators?source=u4ssc&_limit=5").json()
    assert body["count"] == 91 and len(body["results"]) == 5 and body["next"]
    assert {r["source"] for r in body["results"]} == {"u4ssc"}
    hits = client.get("/api/v1/indicators?source=iso37120_2014&_q=PM2.5").json()["results"]
    assert [r["code"] for r in hits] == ["8.1"]
    bad = client.get("/api/v1/indicators?source=nope")
    assert bad.status_code == 400 and "source" in bad.json()["errors"]
    assert client.get("/api/v1/indicators?colour=red").status_code == 400
