"""Public sensor pages and computed KPIs (issue 6): live readings, no-JS content, non-public series hidden, export."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from cityline.benefits.models import Kpi
from cityline.core import actions
from cityline.core.models import City
from cityline.observations import ingest
from cityline.observations import models as m

pytestmark = pytest.mark.django_db

END = datetime(2026, 3, 10, tzinfo=timezone.utc)


@pytest.fixture
def city():
    city = actions.create(City, key="lumen", name="Lumen", country="GB")
    common = dict(city=city, group="air", entity_type="AirQualityObserved", attribute="pm25", unit="µg/m³",
                  interval_seconds=3600)
    public = actions.create(m.Series, key="pm25-harbour", name="PM2.5 at the harbour", district="Harbour",
                            public=True, description="Synthetic test readings.", **common)
    actions.create(m.Series, key="pm25-secret", name="PM2.5 at the secret depot", district="Depot", **common)
    kpi = actions.create(Kpi, city=city, key="pm25", title="PM2.5 mean", kind="outcome", unit="µg/m³",
                         frequency="monthly", direction="lower_is_better", published=True)
    computation = actions.create(m.KpiComputation, city=city, kpi=kpi, spec={
        "version": 1, "value": {"series": {"attribute": "pm25"}, "function": "mean", "where": {"hours": [7, 19]}},
        "group_by": "district", "combine": "max"})
    rows = []
    for h in range(24 * 40):
        t = END - timedelta(hours=h + 1)
        rows.append({"series": "pm25-harbour", "time": t, "value": 10.0 + ((h + 1) % 24) / 4})
        rows.append({"series": "pm25-secret", "time": t, "value": 777.0})
    ingest.write_observations(city, rows, react=False)
    rule = actions.create(m.AlertRule, city=city, key="high", name="PM2.5 above 25", threshold=Decimal("25"),
                          m2m={"series": [public]})
    m.Alert.objects.create(city=city, rule=rule, series=public, started_at=END - timedelta(hours=3),
                           raised_at=END, trigger_value=26.0, peak_value=31.5, message="PM2.5 above 25")
    m.ComputationRun.objects.create(city=city, computation=computation, period_start=date(2026, 2, 1),
                                    period_end=date(2026, 2, 28), spec_version=1, engine="duckdb",
                                    value=Decimal("12.25"), row_count=672, status="written",
                                    data_from=datetime(2026, 2, 1, tzinfo=timezone.utc),
                                    data_to=datetime(2026, 2, 28, 23, tzinfo=timezone.utc))
    return city


def test_sensors_page_lists_public_series_with_latest_reading_and_open_alert(client, city):
    html = client.get("/lumen/sensors/").content.decode()
    assert "PM2.5 at the harbour" in html and "/lumen/sensors/pm25-harbour/" in html
    assert "10.25" in html  # the reading of 2026-03-09 23:00 (h = 0), shown without JavaScript
    assert "2026-03-09 23:00" in html
    assert "PM2.5 above 25" in html and "31.5" in html
    alert = html[html.index("PM2.5 above 25"):]
    assert alert[:alert.index("</li>")].count(" UTC</time>") == 1  # the alert's time says its zone
    assert 'data-readings-url="/lumen/sensors.json"' in html and "live-readings.js" in html
    assert "<caption" in html and 'scope="col"' in html


def test_json_endpoint_gives_the_latest_values_for_polling(client, city):
    data = json.loads(client.get("/lumen/sensors.json").content)
    assert data["latest"] == {"pm25-harbour": {"value": 10.25, "time": "2026-03-09T23:00:00+00:00"}}


def test_non_public_series_never_appear(client, city):
    for url in ("/lumen/sensors/", "/lumen/sensors.json", "/lumen/sensors.csv", "/lumen/sensors/pm25-harbour/",
                "/lumen/sensors/pm25-harbour.csv", "/lumen/sensors/pm25-harbour.daily.csv", "/fr/lumen/sensors/"):
        body = client.get(url).content.decode()
        assert "secret" not in body and "777" not in body, url
    for url in ("/lumen/sensors/pm25-secret/", "/lumen/sensors/pm25-secret.json", "/lumen/sensors/pm25-secret.csv"):
        assert client.get(url).status_code == 404, url


def test_series_page_has_accessible_tables_chart_and_downloads(client, city):
    html = client.get("/lumen/sensors/pm25-harbour/").content.decode()
    assert "Hourly means of the last 48 hours" in html and "Daily means of the last 30 days" in html
    assert html.count('<th scope="row">') == 48 + 30
    assert "<svg" in html and "<polyline" in html
    assert "pm25-harbour.csv" in html and "pm25-harbour.daily.csv" in html
    data = json.loads(client.get("/lumen/sensors/pm25-harbour.json").content)
    assert len(data["hourly"]) == 48 and len(data["daily"]) == 30
    day = data["daily"][-1]
    assert day["day"] == "2026-03-09" and day["readings"] == 24 and day["min"] == 10.0 and day["max"] == 15.75
    csv_text = client.get("/lumen/sensors/pm25-harbour.daily.csv").content.decode()
    assert csv_text.splitlines()[0] == "day,mean,min,max,readings" and len(csv_text.splitlines()) == 31


def test_a_series_silent_for_days_shows_its_last_readings_and_means(client, city):
    """Another public series of the group goes on reporting for a week; the harbour's page still has its means."""
    later = actions.create(m.Series, city=city, key="pm25-quay", name="PM2.5 on the quay", group="air",
                           entity_type="AirQualityObserved", attribute="pm25", public=True, interval_seconds=3600)
    ingest.write_observations(city, [{"series": later.key, "time": END + timedelta(hours=h), "value": 9.0}
                                     for h in range(24 * 7)], react=False)
    data = json.loads(client.get("/lumen/sensors/pm25-harbour.json").content)
    assert data["latest"]["time"] == (END - timedelta(hours=1)).isoformat()
    assert len(data["hourly"]) == 48 and len(data["daily"]) == 30 and data["daily"][-1]["day"] == "2026-03-09"
    listed = {row["key"]: row for g in json.loads(client.get("/lumen/sensors.json").content)["groups"]
              for row in g["series"]}
    assert listed["pm25-harbour"]["value"] is not None and listed["pm25-quay"]["value"] == 9.0


def test_computations_page_describes_the_spec_and_the_runs_provenance(client, city):
    html = client.get("/lumen/kpi-computations/").content.decode()
    assert "between 7:00 and 19:00 UTC" in html and "per district, then the max of those" in html
    assert "12.25" in html and "672" in html and "DuckDB" in html and "/lumen/kpis/pm25/" in html
    french = client.get("/fr/lumen/kpi-computations/").content.decode()
    assert 'lang="fr"' in french


def test_pages_join_the_navigation_and_the_static_export(client, city, tmp_path):
    from cityline.portal.publish import publish

    html = client.get("/lumen/").content.decode()
    assert "/lumen/sensors/" in html and "/lumen/kpi-computations/" in html
    report = publish(tmp_path, "lumen", progress=False)
    for rel in ("lumen/sensors/index.html", "lumen/sensors.json", "lumen/sensors/pm25-harbour/index.html",
                "lumen/sensors/pm25-harbour.daily.csv", "fr/lumen/kpi-computations/index.html"):
        assert rel in report.files, rel
    exported = (tmp_path / "lumen/sensors/index.html").read_text()
    assert "live-readings.js" not in exported and "10.25" in exported
    assert not any("secret" in f for f in report.files)


def test_pages_weigh_under_150_kb(client, city):
    for url in ("/lumen/sensors/", "/lumen/sensors/pm25-harbour/", "/lumen/kpi-computations/"):
        assert len(client.get(url).content) < 150 * 1024, url


def test_a_series_without_readings_yet_has_its_pages_dated_by_its_last_change(client, city):
    """A newly registered sensor (no reading stored yet) answers with empty tables, not an error."""
    fresh = actions.create(m.Series, city=city, key="pm25-new", name="PM2.5 at the new school", group="schools",
                           entity_type="AirQualityObserved", attribute="pm25", unit="µg/m³", public=True)
    data = json.loads(client.get("/lumen/sensors/pm25-new.json").content)
    assert data["latest"] is None and data["hourly"] == [] and data["daily"] == []
    assert data["provenance"]["last_updated"] == fresh.updated_at.isoformat()
    assert client.get("/lumen/sensors/pm25-new/").status_code == 200
    assert client.get("/fr/lumen/sensors/pm25-new/").status_code == 200


def test_computed_kpis_show_the_latest_run_of_each_of_the_latest_periods(client, city):
    """The scheduler computes a period again while it is within grace: each period shows once, its last run."""
    computation = m.KpiComputation.objects.get(city=city, kpi__key="pm25")

    def run(end: date, value: str, detail: str = ""):
        m.ComputationRun.objects.create(city=city, computation=computation, period_start=end.replace(day=1),
                                        period_end=end, spec_version=1, engine="duckdb", value=Decimal(value),
                                        row_count=10, status="written", detail=detail)

    for month in range(8, 13):
        run(date(2025, month, 28), "1")
    for value in ("20.5", "21.5", "22.5"):  # recomputed while within grace: the last one counts
        run(date(2026, 3, 31), value, detail='[{"group": "Depot", "value": 777.0, "readings": 3}]')
    data = json.loads(client.get("/lumen/kpi-computations.json").content)
    runs = data["computations"][0]["runs"]
    assert [r["period_end"] for r in runs] == ["2026-03-31", "2026-02-28", "2025-12-28", "2025-11-28", "2025-10-28",
                                               "2025-09-28"]
    assert [r["value"] for r in runs[:2]] == [22.5, 12.25]
    table = client.get("/lumen/kpi-computations.csv").content.decode()
    assert table.count("2026-03-31") == 1 and "22.5" in table and "20.5" not in table
    html = client.get("/lumen/kpi-computations/").content.decode()
    assert html.count('datetime="2026-03-31"') == 1 and 'datetime="2025-08-28"' not in html
    for body in (json.dumps(data), table, html):  # a run's values per group never: a group may be a hidden series
        assert "777" not in body and "Depot" not in body
