"""Engagement metrics from real records, and the KPI feed writing benefit-map measurements (B3, C2.c)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cityline.benefits.models import Kpi, Measurement
from cityline.core import actions
from cityline.participation import kpis, metrics
from cityline.participation.models import EngagementKpiFeed, Participant

from .metrics_world import add_people, make_metrics_world

pytestmark = pytest.mark.django_db

TODAY = date(2025, 9, 1)


@pytest.fixture
def world():
    return make_metrics_world()


def test_consultation_metrics_from_records(world):
    city, r = world
    f = metrics.consultation_metrics(r["q1"], today=TODAY)
    assert f["participants"] == 14 and f["supports"] == 5 and f["survey_responses"] == 14
    assert f["contributions"] == {"comments": 1, "replies": 1, "proposals": 1, "hidden": 1, "total": 3}
    assert (f["closed_on"], f["response_published_on"], f["days_to_respond"]) == (
        date(2025, 2, 10), date(2025, 3, 1), 19)
    assert f["responded_in_target"] is True and f["response_target_days"] == 60
    district = {c["group"]: c["participants"] for c in f["breakdowns"]["district"]}
    assert district == {"North": 7, "South": None, "not_given": None}  # 3 small, 4 (2 + 2 by post) secondary
    category = {c["group"]: (c["label"], c["participants"]) for c in f["breakdowns"]["party_category"]}
    # 2 by post gave no category: suppressed, and the consumers (5) with them
    assert category["beneficiary"] == ("Beneficiary", 7) and category["consumer"][1] is None
    assert category["not_given"] == ("Not given", None)
    channel = {c["group"]: c["participants"] for c in f["breakdowns"]["channel"]}
    assert channel == {"online": None, "post": None} and f["offline_share"] is None
    [survey] = f["survey"]
    assert {o["option"]: o["count"] for o in survey["options"]} == {"Bike": 8, "Bus": None, "Car": None}
    with pytest.raises(ValueError):
        metrics.consultation_metrics(r["draft"])


def test_small_consultation_lists_no_group(world):
    city, r = world
    f = metrics.consultation_metrics(r["q2"], today=TODAY)
    assert f["participants"] == 6 and f["breakdowns"]["district"] == [{
        "group": "Centre", "label": "Centre", "participants": 6, "suppressed": False}]
    for p in Participant.objects.filter(consultation=r["q2"]).order_by("pk")[:3]:
        p.delete()
    f = metrics.consultation_metrics(r["q2"], today=TODAY)
    assert f["participants"] == 3
    assert all(f["breakdowns"][d] == [] for d in f["breakdowns"])


def test_period_metrics_count_only_public_consultations(world):
    city, r = world
    add_people(r["draft"], 9, district="North")  # a draft never counts
    quarters = metrics.period_metrics(city, "quarter", today=TODAY)
    by = {q["period"]: q for q in quarters}
    assert by["2025-Q1"]["participants"] == 14 and by["2025-Q2"]["participants"] == 6
    assert by["2025-Q1"]["responded_in_target_share"] == 100.0
    assert by["2025-Q2"]["responded_in_target_share"] == 0.0  # 20 May + 60 days passed without a response
    assert by["2025-Q2"]["median_days_to_respond"] is None
    years = metrics.period_metrics(city, "year", today=TODAY)
    assert years[0]["period"] == "2025" and years[0]["participants"] == 20


def _feed(city, key, metric, period="quarter", unit="%"):
    kpi = actions.create(Kpi, city=city, key=key, title=key.replace("-", " "), kind="leading", unit=unit,
                         frequency="quarterly" if period == "quarter" else "annual")
    return actions.create(EngagementKpiFeed, city=city, kpi=kpi, metric=metric, period=period)


def test_kpi_feed_writes_one_measurement_per_closed_period_and_only_changes(world):
    city, r = world
    in_target = _feed(city, "responded-in-target", "responded_in_target")
    people = _feed(city, "participants", "participants", period="year", unit="people")
    other = actions.create(Kpi, city=city, key="cycling-share", title="Cycling share", kind="outcome", unit="%")
    actions.create(Measurement, city=city, kpi=other, period_end=date(2025, 3, 31), value=Decimal("12"),
                   source="survey")
    results = {res.kpi: res for res in kpis.sync_engagement_kpis(city, today=TODAY)}
    assert results["responded-in-target"].created == ["2025-Q1", "2025-Q2"]
    assert not results["participants"].created  # 2025 has not ended on 1 September
    values = dict(Measurement.objects.filter(kpi=in_target.kpi).values_list("period_end", "value"))
    assert values == {date(2025, 3, 31): Decimal("100"), date(2025, 6, 30): Decimal("0")}
    assert set(Measurement.objects.filter(kpi=in_target.kpi).values_list("source", flat=True)) == {kpis.SOURCE}

    # again: nothing changes
    results = {res.kpi: res for res in kpis.sync_engagement_kpis(city, today=TODAY)}
    assert results["responded-in-target"].unchanged == 2 and not results["responded-in-target"].updated

    # the late response to park-plan comes in (and the year has ended): Q2 stays 0 % (late), the year is measured
    from .metrics_world import respond

    respond(r["q2"], date(2025, 9, 15))
    results = {res.kpi: res for res in kpis.sync_engagement_kpis(city, today=date(2026, 1, 5))}
    assert results["participants"].created == ["2025"]
    assert Measurement.objects.get(kpi=people.kpi).value == Decimal("20")
    median = _feed(city, "median-days", "median_days_to_respond", unit="days")
    kpis.sync_feed(median, today=date(2026, 1, 5))
    assert dict(Measurement.objects.filter(kpi=median.kpi).values_list("period_end", "value")) == {
        date(2025, 3, 31): Decimal("19"), date(2025, 6, 30): Decimal("118")}
    # more people in bus-routes: the year's value is updated, not duplicated
    add_people(r["q1"], 5, start=40, district="North")
    results = {res.kpi: res for res in kpis.sync_engagement_kpis(city, today=date(2026, 1, 5))}
    assert results["participants"].updated == ["2025"]
    assert Measurement.objects.get(kpi=people.kpi).value == Decimal("25")
    # the other KPI is untouched
    assert list(Measurement.objects.filter(kpi=other).values_list("value", "source")) == [(Decimal("12"), "survey")]


def test_kpi_feed_leaves_a_hand_entered_value_alone(world):
    city, r = world
    feed = _feed(city, "closed", "consultations_closed", unit="consultations")
    actions.create(Measurement, city=city, kpi=feed.kpi, period_end=date(2025, 3, 31), value=Decimal("7"),
                   source="manual count")
    [result] = kpis.sync_engagement_kpis(city, today=TODAY)
    assert result.created == ["2025-Q2"] and "manual count" in result.problems[0]
    assert Measurement.objects.get(kpi=feed.kpi, period_end=date(2025, 3, 31)).value == Decimal("7")
