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


def test_channel_audit_page_shows_unit_costs_to_four_decimals(client):
    """A connected bin costs a fraction of a penny per report: the page must not show it as 0.00 (B11.a, B11.b.2)."""
    from decimal import Decimal as D

    from cityline.citizen_services import models as m
    from cityline.core import actions

    city, r = make_services_city()
    actions.create(m.ChannelAudit, city=city, service=r["bins"], channel=r["sensor"], year=2025, quarter=1,
                   transactions=1000, total_cost=D("3.40"))
    html = client.get("/testville/channels/").content.decode()
    league = html.split('id="league-caption"')[1].split("</table>")[0]
    sensor_row = next(tr for tr in league.split("<tr>") if ">Sensor<" in tr)
    assert ">0.0034<" in sensor_row and ">3.40<" in sensor_row
    phone_row = next(tr for tr in league.split("<tr>") if ">Phone<" in tr)
    assert ">4.0000<" in phone_row and ">1,600.00<" in phone_row
    costs = html.split('id="cost-caption"')[1].split("</table>")[0]
    bins_row = next(tr for tr in costs.split("<tr>") if ">Bins<" in tr)
    assert ">0.8467<" in bins_row  # (1600 + 90 + 3.40) / 2000 transactions


def test_channel_audit_page_shows_every_view_the_docs_promise(client):
    """docs/services-and-channels.md: the derived views are shown on the public channel audit page, including
    duplicated channel IT and each channel's part of a service's cost (B11.a)."""
    city, r = make_services_city()
    html = client.get("/testville/channels/").content.decode()
    assert 'id="duplicated-it-heading"' in html
    dup = html.split('id="duplicated-it-heading"')[1].split("<h2")[0]
    assert "Bins" in dup and "Avaya" in dup and "Portal" in dup and "Blue Badge" not in dup
    costs = html.split('id="cost-caption"')[1].split("</table>")[0]
    bins_row = next(tr for tr in costs.split("<tr>") if ">Bins<" in tr)
    assert "Phone: 4.0000, 40.00 % of transactions" in bins_row
    assert "Web: 0.1500, 60.00 % of transactions" in bins_row
