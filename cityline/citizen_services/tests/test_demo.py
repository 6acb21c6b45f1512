"""The demo city Kestermouth carries citizen services and a three-year channel audit (issue 5, item 6)."""

import pytest

from cityline.citizen_services import models as m
from cityline.citizen_services import services as views

pytestmark = pytest.mark.django_db


def test_demo_city_has_services_segments_channels_and_three_years_of_audit(demo_city):
    city = demo_city
    assert m.Service.objects.filter(city=city).count() >= 25
    segments = m.CustomerSegment.objects.filter(city=city)
    assert segments.count() >= 6 and all(s.franchise_teams.exists() for s in segments)
    audited = {}
    for channel, year, quarter in m.ChannelAudit.objects.filter(city=city).values_list("channel__key", "year",
                                                                                      "quarter"):
        audited.setdefault(channel, set()).add((year, quarter))
    assert sum(len(q) >= 12 for q in audited.values()) >= 7
    summary = views.audit_summary(city)
    assert summary["period"] == "2025-Q4 to 2026-Q3"
    assert [b["channel"] for b in summary["below_standard"]] == ["contact-centre", "post"]
    assert [s["service"] for s in summary["services_without_digital"]] == [
        "berth-booking", "burial-cremation", "register-birth", "register-death"]
    assert {d["service"] for d in summary["device_candidates"]} == {
        "housing-repairs", "missed-bin", "parking-payment", "street-light-fault"}
    view = views.segment_view(city, segments.get(key="older-people"))
    assert "get-about" in [g["need"] for g in view["silo_gaps"]]
    assert m.ChannelShiftScenario.objects.filter(city=city, total_net_saving__gt=0).count() >= 3
