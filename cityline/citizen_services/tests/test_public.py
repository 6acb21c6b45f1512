"""Public pages: the service directory by segment and life event with channels (B9), the channel audit (B11)."""

import pytest

from cityline.citizen_services.testing import make_services_city

pytestmark = pytest.mark.django_db


def test_directory_groups_services_by_segment_and_life_event_with_channels(client):
    city, r = make_services_city()
    data = client.get("/testville/services.json").json()
    seg = {s["key"]: [x["key"] for x in s["services"]] for s in data["segments"]}
    # older people need get-about (blue badge, bus pass) and their team's scope is the blue badge
    assert seg == {"older-people": ["blue-badge", "bus-pass"]}
    events = {e["key"]: [x["key"] for x in e["services"]] for e in data["life_events"]}
    assert events == {"living_with_a_disability": ["blue-badge", "bus-pass"], "getting_older": ["bus-pass"]}
    rows = {s["key"]: [(c["key"], c["digital"]) for c in s["channels"]] for s in data["services"]}
    assert rows["bins"] == [("phone", False), ("web", True)] and rows["blue-badge"] == [("counter", False)]
    assert data["summary"]["without_digital"] == 1
    html = client.get("/testville/services/").content.decode()
    assert 'href="#service-bus-pass"' in html and "Getting older" in html
    csv = client.get("/testville/services.csv").content.decode()
    assert "bins,Bins,Council,phone; web,true,false,,\r\n" in csv.replace('"', "")


def test_channel_audit_page(client):
    city, r = make_services_city()
    data = client.get("/testville/channels.json").json()
    assert [x["channel"] for x in data["league_table"]] == ["web", "phone", "counter"]
    html = client.get("/testville/channels/").content.decode()
    assert "Blue Badge" in html.split("Services without a digital channel")[1].split("</ul>")[0]
    assert "Phone: 80.00 % of transactions met the standard, 10.00 points short" in html
    assert client.get("/fr/testville/channels/").status_code == 200
    assert client.get("/nowhere/channels/").status_code == 404
