"""Alert history as open data (cityline.observations.alertdata): public series only, formula-safe cells."""

import csv
import io

import pytest

from cityline.core import actions
from cityline.observations import alertdata, alerts
from cityline.opendata import generated
from cityline.opendata.models import Dataset

from .alert_world import at, make_alert_city, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    alerts.reset()
    yield
    alerts.reset()


def published_rows(city) -> list[dict]:
    from cityline.opendata.services import stored_path

    dist = Dataset.objects.get(city=city, key="alert-history").distributions.get()
    version = dist.latest_version()
    return list(csv.DictReader(io.StringIO(stored_path(version.path).read_text(encoding="utf-8"))))


def test_alert_history_of_public_series_only():
    city, r = make_alert_city()
    actions.update(r["harbour"], name="=HYPERLINK(\"http://evil\")")  # a name a spreadsheet would run
    alerts.reset()
    write(city, "air-harbour", [(t, 30) for t in range(0, 70, 10)] + [(70, 20)])
    write(city, "air-station", [(t, 40) for t in range(0, 70, 10)])  # not public: never published
    assert {a.series.key for a in r["rule"].alerts.all()} == {"air-harbour", "air-station"}
    result = alertdata.publish(city)
    assert result["action"] == "created" and result["version"] == 1
    rows = published_rows(city)
    assert [(x["rule"], x["series"]) for x in rows] == [("pm25-high", "air-harbour")]
    row = rows[0]
    assert row["series_name"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["started_at"], row["ended_at"], row["peak_value"], row["threshold"]) == (
        at(0).isoformat(), at(70).isoformat(), "30.0", "25")
    assert row["entity_id"] == "urn:ngsi-ld:AirQualityObserved:harbour" and row["severity"] == "critical"
    assert row["end_note"] == ""  # ended because the condition stopped holding
    assert "webhook_status" not in row
    dataset = Dataset.objects.get(city=city, key="alert-history")
    assert dataset.published and dataset.publisher == r["council"]
    # unchanged alerts: no new version; a new alert: a new version
    assert alertdata.publish(city)["version"] is None
    write(city, "air-harbour", [(t, 50) for t in range(80, 150, 10)])  # an hour above, after a jump of 30
    assert alertdata.publish(city)["version"] == 2
    assert [x["rule"] for x in published_rows(city)] == ["pm25-high", "pm25-high", "pm25-jump"]


def test_an_alert_closed_by_deactivating_its_rule_says_so_in_the_history():
    city, r = make_alert_city()
    write(city, "air-harbour", [(t, 30) for t in range(0, 70, 10)])  # open
    actions.update(r["rule"], active=False)
    alertdata.publish(city)
    (row,) = published_rows(city)
    assert row["ended_at"] and row["end_note"] == "closed because the rule was deactivated"


def test_no_dataset_while_no_public_series_has_an_alert():
    city, r = make_alert_city()
    write(city, "air-station", [(t, 40) for t in range(0, 70, 10)])
    assert alertdata.publish(city) == {"dataset": None, "action": "unchanged", "version": None}
    assert not Dataset.objects.filter(city=city, key="alert-history").exists()


def test_cells_are_guarded_against_formulas_but_numbers_are_not():
    assert [generated.cell(v) for v in ("=1+2", "+33", "-x", "@SUM(A1)", "plain", -3, -2.5, None, True)] == [
        "'=1+2", "'+33", "'-x", "'@SUM(A1)", "plain", "-3", "-2.5", "", "true"]
    assert generated.build_csv(["a", "b"], [{"a": "=cmd", "b": 1}]) == b"a,b\n'=cmd,1\n"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_as_deployed")  # the publishing thread writes: a database that waits (conftest.py)
def test_ingest_publishes_in_the_background():
    from cityline.observations import webhook

    city, r = make_alert_city()
    write(city, "air-harbour", [(t, 30) for t in range(0, 70, 10)])
    alertdata.drain()
    webhook.drain(timeout=30)
    assert [x["series"] for x in published_rows(city)] == ["air-harbour"]
