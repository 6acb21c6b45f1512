"""The real NGSI-LD client against a live Cityline: ngsildclient 0.5.2 (Orange's sync Client) creates an
entity, batch-upserts, reads, queries by type and q, and retrieves the temporal evolution.

ngsildclient pins httpx<0.24 and networkx<3, which clash with Cityline's pins, so it runs in its own
virtual environment, ``.venv-ngsild`` (made by ``scripts/ensure-test-tools.sh``, pinned by
``tests/ngsild-constraints.txt``), as a script (``ngsildclient_script.py``) against the live server.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts import tokens
from cityline.accounts.roles import Role
from cityline.accounts.testing import grant
from cityline.core.models import City
from cityline.observations.models import NgsiEntity, Series
from cityline.observations.registry import store_for

ROOT = Path(__file__).resolve().parents[3]
PYTHON = ROOT / ".venv-ngsild" / "bin" / "python"
SCRIPT = Path(__file__).with_name("ngsildclient_script.py")
QUAY = "urn:ngsi-ld:AirQualityObserved:quay"


@pytest.mark.django_db(transaction=True)
def test_ngsildclient_creates_upserts_reads_queries_and_retrieves_history(live_server, settings, tmp_path):
    if not PYTHON.exists():
        pytest.fail("ngsildclient's virtual environment is missing: run scripts/ensure-test-tools.sh (make test-tools)")
    settings.CITYLINE_OBSERVATIONS_DIR = tmp_path / "observations"
    city = City.objects.create(key="portbury", name="Portbury")
    City.objects.create(key="eastwick", name="Eastwick")  # two cities: the client's tenant header picks ours
    user = get_user_model().objects.create_user("sensors", password="a long enough password")
    grant(user, Role.PROGRAMME_ADMIN, city=city)
    _, raw = tokens.issue(user, name="ngsildclient", scopes=["read", "write"], trust_level=3)

    port = urlsplit(live_server.url).port
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTHON"))}, "CITYLINE_TOKEN": raw}
    done = subprocess.run([str(PYTHON), str(SCRIPT), str(port), "portbury"], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["created"] is True
    assert seen["upsert"] == {"ok": True, "success": ["urn:ngsi-ld:AirQualityObserved:dock",
                                                      "urn:ngsi-ld:AirQualityObserved:mill-lane"], "errors": []}
    assert seen["upsert_again"] == {"ok": True, "success": [QUAY]}
    assert seen["get"] == {"id": QUAY, "type": "AirQualityObserved", "pm25": 28.0,
                           "observedAt": "2026-03-01T09:00:00Z", "district": "harbour"}
    assert seen["query"] == ["urn:ngsi-ld:AirQualityObserved:dock", "urn:ngsi-ld:AirQualityObserved:mill-lane", QUAY]
    assert seen["query_q"] == ["urn:ngsi-ld:AirQualityObserved:dock", QUAY]
    assert seen["count"] == 3
    temporal = seen["temporal"]
    assert temporal["id"] == QUAY and temporal["type"] == "AirQualityObserved"
    assert temporal["pm25"]["values"] == [[31.5, "2026-03-01T08:00:00Z"], [28.0, "2026-03-01T09:00:00Z"]]
    assert seen["exists_missing"] is False

    # What the client saw is what the store holds: the twice-sent reading once, in the tenant's city.
    assert set(NgsiEntity.objects.filter(city=city).values_list("entity_id", flat=True)) == {
        QUAY, "urn:ngsi-ld:AirQualityObserved:dock", "urn:ngsi-ld:AirQualityObserved:mill-lane"}
    quay = Series.objects.get(city=city, entity_id=QUAY, attribute="pm25")
    rows = store_for(city).query("SELECT value FROM observations WHERE series = ? ORDER BY time", [quay.key])
    assert rows == [(31.5,), (28.0,)]
    assert store_for(city).query("SELECT count(*) FROM observations")[0][0] == 4
    assert not NgsiEntity.objects.exclude(city=city).exists()
