"""Every collection of the demo city reads back through the API (real content, all models)."""

from __future__ import annotations

import pytest

from cityline.api.generic import REGISTRY
from cityline.api.router import api  # noqa: F401  (builds the collections into REGISTRY)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(request):
    try:
        return request.getfixturevalue("demo_city")
    except pytest.FixtureLookupError:
        pytest.skip("no demo_city fixture")


def test_every_collection_lists_and_shows_its_records(admin_client, demo):
    """Staff see every record (unpublished KPIs and their data included, C2.f)."""
    client = admin_client
    base = f"/api/v1/cities/{demo.key}"
    seen = 0
    for model, resource in REGISTRY.items():
        if not resource.scoped:
            continue
        expected = model._default_manager.filter(city=demo).count()
        if resource.single:
            r = client.get(f"{base}/{resource.collection}")
            assert r.status_code == (200 if expected else 404), resource.collection
            continue
        body = client.get(f"{base}/{resource.collection}?_limit=500").json()
        assert body["count"] == expected, resource.collection
        assert len(body["results"]) == min(expected, 500)
        if body["results"]:
            first = body["results"][0]
            ref = first["key"] if resource.keyed else first["id"]
            detail = client.get(f"{base}/{resource.collection}/{ref}")
            assert detail.status_code == 200, resource.collection
            assert detail.json() == first
            seen += 1
    assert seen >= 20  # the demo fills nearly every collection
    assert client.get(f"{base}/history?_limit=5").json()["count"] > 100


def test_anonymous_readers_do_not_see_the_demos_unpublished_kpis(client, demo):  # C2.f
    from cityline.benefits.models import Kpi

    body = client.get(f"/api/v1/cities/{demo.key}/kpis?_limit=500").json()
    published = Kpi.objects.filter(city=demo, published=True).count()
    assert body["count"] == published < Kpi.objects.filter(city=demo).count()
