"""Citizen services through the API and the editor: collections, derived views, segment view, calculator (B9, B11)."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User

from cityline.benefits.models import BenefitNode, Kpi
from cityline.citizen_services import models as m
from cityline.citizen_services.testing import make_services_city
from cityline.core import actions

pytestmark = pytest.mark.django_db


def test_collections_read_and_write_by_key(client):
    city, r = make_services_city()
    body = client.get("/api/v1/cities/testville/services/bins").json()
    assert body["providers"] == ["council"] and body["device_candidate"] is True
    chans = {c["key"]: c["digital"] for c in client.get("/api/v1/cities/testville/channels").json()["results"]}
    assert chans == {"counter": False, "phone": False, "sensor": True, "web": True}
    rows = client.get("/api/v1/cities/testville/channel-audit?service=bins&channel=phone").json()["results"]
    assert [(x["year"], x["quarter"], x["total_cost"], x["cost_per_transaction"]) for x in rows] == [
        (2025, 1, "1600.00", "4.0000")]
    staff = User.objects.create_user("ed", password="pw", is_staff=True, is_superuser=True)
    client.force_login(staff)
    created = client.post("/api/v1/cities/testville/channel-shift-scenarios", {
        "key": "bins-web", "name": "Bins online", "service": "bins", "from_channel": "phone", "to_channel": "web",
        "share_moved": "50", "years": 2, "baseline_year": 2025, "set_aside": "20"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["annual_saving"] == "770.00" and created.json()["total_net_saving"] == "924.00"


def test_audit_summary_endpoint(client):
    """B11.a, B11.b.2: the derived views over the latest four quarters, with the city's threshold."""
    city, r = make_services_city()
    body = client.get("/api/v1/cities/testville/channel-audit-summary").json()
    assert body["period"] == "2025-Q1" and body["service_level_threshold"] == "90.00"
    assert [(x["channel"], x["rank"], x["unit_cost"]) for x in body["league_table"]] == [
        ("web", 1, "0.1500"), ("phone", 2, "4.0000"), ("counter", 3, "8.5100")]
    assert [x["service"] for x in body["services_without_digital"]] == ["blue-badge"]
    assert [(x["channel"], x["service_level_met"]) for x in body["below_standard"]] == [("phone", "80.00")]
    assert body["duplicated_it"] == [{"service": "bins", "name": "Bins", "systems": [
        {"system": "Avaya", "channels": ["phone"]}, {"system": "Portal", "channels": ["web"]}]}]
    assert body["device_candidates"] == [{"service": "bins", "name": "Bins", "transactions": 1000,
                                          "total_cost": "1690.00", "channels": ["phone", "web"]}]
    actions.create(m.ServiceSettings, city=city, service_level_threshold=D("75"))
    body = client.get("/api/v1/cities/testville/channel-audit-summary?year=2024").json()
    assert body["below_standard"] == [] and body["cost_per_service"] == [] and body["years"] == [2025]


def test_segment_view_lists_services_providers_kpis_and_silo_gaps(client):
    """B9: older people need to get about; blue badge (council) and bus pass (nhs) meet it: a silo gap."""
    city, r = make_services_city()
    node = actions.create(BenefitNode, city=city, key="mobility", kind="intermediate_outcome", title="Mobility")
    actions.update(r["bus-pass"], m2m={"benefit_nodes": [node], "providers": [r["nhs"]], "needs": [r["get-about"]]})
    actions.create(Kpi, city=city, key="trips", title="Trips by older people", node=node, kind="outcome",
                   unit="trips", direction="higher_is_better", published=True)
    body = client.get("/api/v1/cities/testville/customer-segments/older-people/view").json()
    assert [s["service"] for s in body["services"]] == ["blue-badge", "bus-pass"]
    assert [p["organisation"] for p in body["providers"]] == ["council", "nhs"]
    assert [c["channel"] for c in body["channels"]] == ["counter", "web"]
    assert body["kpis"] == [{"kpi": "trips", "title": "Trips by older people"}]
    assert body["silo_gaps"] == [{"need": "get-about", "name": "Get About", "organisations": ["council", "nhs"],
                                  "services": ["blue-badge", "bus-pass"]}]
    assert client.get("/api/v1/cities/testville/customer-segments/nobody/view").status_code == 404


def test_calculator_endpoint_saves_nothing_and_names_bad_inputs(client):
    city, r = make_services_city()
    url = "/api/v1/cities/testville/channel-shift/calculate"
    body = client.get(url, {"service": "bins", "from_channel": "phone", "to_channel": "web", "share_moved": "50",
                            "years": 2, "baseline_year": 2025, "set_aside": "20"}).json()
    assert body["annual_saving"] == "770.00" and body["yearly"][0]["net_saving"] == "308.00"
    assert not m.ChannelShiftScenario.objects.exists()
    bad = client.get(url, {"service": "bins", "from_channel": "counter", "to_channel": "web", "share_moved": "50",
                           "baseline_year": 2025})
    assert bad.status_code in (400, 422) and "baseline_year" in bad.json()["errors"]


def test_editor_pages_open(client):
    city, r = make_services_city()
    staff = User.objects.create_user("ed", password="pw", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for model in ("service", "channel", "channelaudit", "customersegment", "franchiseteam", "channelshiftscenario",
                  "digitalinclusionaction", "userneed", "servicechannel", "servicesettings"):
        assert client.get(f"/admin/citizen_services/{model}/").status_code == 200, model
    assert client.get(f"/admin/citizen_services/service/{r['bins'].pk}/change/").status_code == 200
