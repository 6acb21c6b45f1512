"""The public record of decisions and KPI changes (B2.g): published only, nothing personal, each sealed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from cityline.benefits.models import Kpi, Measurement
from cityline.benefits.testing import make_realisation_city
from cityline.core import actions, transparency
from cityline.core.models import AuditEntry, Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    city, _nodes = make_realisation_city("testville")
    editor = get_user_model().objects.create_user("councillor-jane", first_name="Jane", last_name="Roe")
    shown = Measurement.objects.get(kpi__key="cycling-share", period_end=date(2021, 12, 31))
    actions.update(shown, value=Decimal("6.4"), user=editor, reason="Jane Roe corrected the survey figure")
    hidden = Measurement.objects.get(kpi__key="noise", period_end=date(2021, 12, 31))
    actions.update(hidden, value=Decimal("77.7"), user=editor)
    actions.create(Document, city=city, key="draft-plan", title="Secret draft plan", doc_type="strategy")
    actions.create(Document, city=city, key="mobility-plan", title="Mobility plan", doc_type="strategy",
                   status="adopted", adopted_on=date(2024, 5, 1))
    return city


def test_the_page_shows_published_kpi_changes_with_their_audit_hash(client, city):
    response = client.get(f"/{city.key}/transparency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Record of decisions and KPI changes" in html
    m = Measurement.objects.get(kpi__key="cycling-share", period_end=date(2021, 12, 31))
    row = m.history.filter(history_type="~").get()
    entry = AuditEntry.objects.get(model="benefits.measurement", history_id=row.history_id)
    assert entry.hash[:12] in html
    data = client.get(f"/{city.key}/transparency.json").json()
    [change] = [c for c in data["changes"] if c["hash"] == entry.hash]
    assert change["kind"] == "changed" and change["seq"] == entry.seq
    assert change["fields"] == [{"field": "value", "label": "value", "before": "6", "after": "6.4"}]
    assert data["chain"]["verified"] is True and data["chain"]["head_seq"] == AuditEntry.objects.count()
    assert "Mobility plan" in html


def test_the_page_hides_unpublished_records_and_people(client, city):
    html = client.get(f"/{city.key}/transparency/").content.decode()
    json_text = client.get(f"/{city.key}/transparency.json").content.decode()
    csv_text = client.get(f"/{city.key}/transparency.csv").content.decode()
    noise = Kpi.objects.get(key="noise")
    for text in (html, json_text, csv_text):
        assert "77.7" not in text and noise.title not in text  # the unpublished KPI's changes
        assert "Secret draft plan" not in text
        assert "councillor-jane" not in text and "Jane" not in text and "Roe" not in text
    actor = AuditEntry.objects.exclude(actor="").values_list("actor", flat=True).first()
    assert actor and actor not in html and actor not in json_text


def test_the_page_reports_a_broken_chain(client, city):
    m = Measurement.objects.get(kpi__key="cycling-share", period_end=date(2021, 12, 31))
    row = m.history.filter(history_type="~").get()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Measurement.history.model._meta.db_table} SET value = 1 WHERE history_id = %s",
                    [row.history_id])
    from django.core.cache import cache

    cache.clear()
    data = transparency.transparency(city)
    assert data["chain"]["verified"] is False and data["chain"]["problems"] == 1
    assert "not verified: 1 problem found" in client.get(f"/{city.key}/transparency/").content.decode()
