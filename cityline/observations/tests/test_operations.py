"""The staff operations page (cityline.observations.operations_views) through Django's test client."""

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts.testing import grant
from cityline.observations import alerts, live

from .alert_world import make_alert_city, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings, tmp_path):
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    alerts.reset()
    live.forget()
    yield
    alerts.reset()
    live.forget()


@pytest.fixture
def world():
    city, r = make_alert_city()
    write(city, "air-harbour", [(t, 30) for t in range(0, 70, 10)])  # an open alert from 08:00
    write(city, "air-station", [(0, 40), (10, 10)])
    User = get_user_model()
    r["staff"] = User.objects.create_user("operator", password="x")
    grant(r["staff"], "contributor", organisation=r["council"])
    r["citizen"] = User.objects.create_user("resident", password="x")
    return city, r


def test_staff_see_open_alerts_latest_readings_and_history(client, world):
    city, r = world
    client.force_login(r["staff"])
    response = client.get("/vale/operations/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert html.count("<caption") == 3 and 'aria-live="polite"' in html
    data = response.context["data"]
    (open_alert,) = data["open"]
    assert open_alert["cells"][:3] == ["PM2.5 above 25 for an hour", "PM2.5 at the harbour", "Critical"]
    assert open_alert["cells"][5:] == ["30 µg/m3", "30 µg/m3"]
    readings = {row["id"]: row for row in data["readings"]}
    assert readings["air-harbour"]["value"] == 30.0 and readings["air-harbour"]["time"].startswith("2026-03-02T09:00")
    assert readings["air-station"]["value"] == 10.0
    assert readings["water-level"]["cells"][3] == "no recent reading"
    assert [row["cells"][5] for row in data["recent"]] == ["still open"]
    # the open alerts table comes before the readings; the script and the refresh link are there
    assert html.index("Open alerts") < html.index("Latest readings") < html.index("Recent alerts")
    assert 'src="/static/observations/operations.js"' in html and 'href="/vale/operations/"' in html
    assert "<script>" not in html  # no inline script (CSP)
    # every time on the page is UTC, and says so
    assert html.count("(UTC)</th>") == 6 and " UTC.</span>" in html


def test_a_sensor_silent_for_days_shows_when_it_last_reported(client):
    city, r = make_alert_city()
    write(city, "air-station", [(-5 * 24 * 60, 17)])  # five days before the harbour's readings, then nothing
    write(city, "air-harbour", [(t, 12) for t in range(0, 70, 10)])
    readings = {row["id"]: row for row in live.snapshot(city)["readings"]}
    assert readings["air-station"]["value"] == 17.0 and readings["air-station"]["time"].startswith("2026-02-25T08:00")
    assert readings["air-harbour"]["time"].startswith("2026-03-02T09:00")
    assert readings["water-level"]["cells"][3] == "no recent reading"  # never reported


def test_json_face_follows_new_readings(client, world):
    city, r = world
    client.force_login(r["staff"])
    first = client.get("/vale/operations/live.json").json()
    assert [a["cells"][1] for a in first["open"]] == ["PM2.5 at the harbour"]
    write(city, "air-harbour", [(70, 12)])  # the alert closes
    live.forget()
    data = client.get("/vale/operations/live.json").json()
    assert data["open"] == []
    assert data["recent"][0]["cells"][5].endswith("09:10:00")
    assert {row["id"]: row["value"] for row in data["readings"]}["air-harbour"] == 12.0
    assert data["recent"][0]["announce"].startswith("New alert: PM2.5 above 25 for an hour")


def test_french_page(client, world):
    city, r = world
    client.force_login(r["staff"])
    response = client.get("/fr/vale/operations/")
    assert response.status_code == 200 and 'lang="fr"' in response.content.decode()


def test_anonymous_is_sent_to_sign_in_and_refused_the_json(client, world):
    response = client.get("/vale/operations/")
    assert response.status_code == 302 and "next=%2Fvale%2Foperations%2F" in response["Location"]
    assert client.get("/vale/operations/live.json").status_code == 403


def test_citizen_and_staff_of_another_city_are_refused(client, world):
    city, r = world
    client.force_login(r["citizen"])
    assert client.get("/vale/operations/").status_code == 403
    assert client.get("/vale/operations/live.json").status_code == 403
    other, o = make_alert_city("dale")
    outsider = get_user_model().objects.create_user("outsider", password="x")
    grant(outsider, "contributor", organisation=o["council"])
    client.force_login(outsider)
    assert client.get("/vale/operations/").status_code == 403
    assert client.get("/dale/operations/").status_code == 200


def test_unknown_city_is_404(client, world):
    city, r = world
    client.force_login(r["staff"])
    assert client.get("/nowhere/operations/").status_code == 404
