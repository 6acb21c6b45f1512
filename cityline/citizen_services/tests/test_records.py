"""Stored services, channels, audit rows and scenarios: validation, derived values, saved results (B9, B11)."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from cityline.citizen_services import models as m
from cityline.citizen_services.testing import make_services_city
from cityline.core import actions

pytestmark = pytest.mark.django_db


def test_life_events_must_be_known_and_listed_once():
    city, r = make_services_city()
    with pytest.raises(ValidationError) as exc:
        actions.update(r["bins"], life_events=["moving_home", "winning_the_lottery"])
    assert "life_events" in exc.value.message_dict
    with pytest.raises(ValidationError):
        actions.update(r["bins"], life_events=["moving_home", "moving_home"])
    actions.update(r["bins"], life_events=["moving_home"])
    assert r["bins"].life_event_labels() == ["Moving home"]


def test_channel_is_digital_by_kind_and_offering_falls_back_to_the_channel_system():
    city, r = make_services_city()
    assert r["web"].digital and r["sensor"].digital and not r["phone"].digital and not r["counter"].digital
    offering = m.ServiceChannel.objects.get(service=r["bins"], channel=r["phone"])
    assert offering.system == "Avaya"
    actions.update(offering, it_system="Salesforce")
    assert offering.system == "Salesforce"


def test_audit_row_unique_per_service_channel_quarter_and_rates_are_percentages():
    """B11.a: one row per service, channel and quarter; cost per transaction derived in Decimal."""
    city, r = make_services_city()
    row = m.ChannelAudit.objects.get(service=r["bins"], channel=r["phone"])
    assert row.cost_per_transaction == D("4.0000")
    assert row.period == "2025-Q1"
    with pytest.raises(ValidationError):
        actions.create(m.ChannelAudit, city=city, service=r["bins"], channel=r["phone"], year=2025, quarter=1,
                       transactions=1, total_cost=D("1"))
    with pytest.raises(ValidationError) as exc:
        actions.create(m.ChannelAudit, city=city, service=r["bins"], channel=r["phone"], year=2025, quarter=5,
                       transactions=1, total_cost=D("1"), satisfaction=D("101"))
    assert set(exc.value.message_dict) == {"quarter", "satisfaction"}


def test_scenario_results_are_computed_from_the_audit_and_saved():
    """B11.b, B11.b.3.i: 50 % of bins' phone transactions (400 in 2025) to web, over 2 years, 20 % set aside."""
    city, r = make_services_city()
    s = actions.create(m.ChannelShiftScenario, city=city, key="bins-web", name="Bins online", service=r["bins"],
                       from_channel=r["phone"], to_channel=r["web"], share_moved=D("50"), years=2,
                       baseline_year=2025, set_aside=D("20"))
    s.refresh_from_db()
    # phone 1600/400 = 4.0000, web 90/600 = 0.1500, saving 3.85 per transaction; 200 moved at full shift
    assert (s.baseline_transactions, s.used_from_unit_cost, s.used_to_unit_cost) == (400, D("4.0000"), D("0.1500"))
    assert (s.moved_transactions, s.annual_saving) == (200, D("770.00"))
    assert s.yearly == [
        {"year": 2026, "moved": 100, "gross_saving": "385.00", "set_aside": "77.00", "net_saving": "308.00"},
        {"year": 2027, "moved": 200, "gross_saving": "770.00", "set_aside": "154.00", "net_saving": "616.00"},
    ]
    assert (s.total_saving, s.total_set_aside, s.total_net_saving) == (D("1155.00"), D("231.00"), D("924.00"))
    # inputs change, results follow
    actions.update(s, to_unit_cost=D("1.0000"))
    s.refresh_from_db()
    assert s.annual_saving == D("600.00")


def test_scenario_refuses_missing_baseline_and_same_channel():
    city, r = make_services_city()
    base = dict(city=city, name="x", service=r["bins"], share_moved=D("10"), baseline_year=2025)
    with pytest.raises(ValidationError) as exc:
        actions.create(m.ChannelShiftScenario, key="a", from_channel=r["phone"], to_channel=r["phone"], **base)
    assert "to_channel" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.create(m.ChannelShiftScenario, key="b", from_channel=r["counter"], to_channel=r["web"], **base)
    assert "baseline_year" in exc.value.message_dict
    # no audit on the to channel in 2025 for anyone: a unit cost must be given
    with pytest.raises(ValidationError) as exc:
        actions.create(m.ChannelShiftScenario, key="c", from_channel=r["phone"], to_channel=r["sensor"], **base)
    assert "to_unit_cost" in exc.value.message_dict
    s = actions.create(m.ChannelShiftScenario, key="d", from_channel=r["phone"], to_channel=r["sensor"],
                       to_unit_cost=D("0.01"), **base)
    assert s.moved_transactions == 40 and s.annual_saving == D("159.60")
    assert not m.ChannelShiftScenario.objects.filter(key__in=["a", "b", "c"]).exists()


def test_scenario_uses_the_channel_across_services_when_the_service_has_no_audit_there():
    city, r = make_services_city()
    # blue badge has no web audit: the web channel's unit cost across services (bins: 0.15) is used
    s = actions.create(m.ChannelShiftScenario, city=city, key="bb", name="Blue badge online",
                       service=r["blue-badge"], from_channel=r["counter"], to_channel=r["web"],
                       share_moved=D("100"), baseline_year=2025)
    assert (s.used_from_unit_cost, s.used_to_unit_cost, s.moved_transactions, s.annual_saving) == (
        D("8.5100"), D("0.1500"), 50, D("418.00"))
