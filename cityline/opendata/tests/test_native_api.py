"""The catalogue's native API collections (B8): lists stay a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityline.core import actions
from cityline.opendata.models import Dataset, Distribution
from cityline.opendata.testing import make_catalogue_city

pytestmark = pytest.mark.django_db

URL = "/api/v1/cities/testville/datasets"


def _queries(client) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200, response.content
    return len(ctx), response.json()["results"]


def test_dataset_list_rates_every_row_without_a_query_per_row(client):
    """``five_star`` reads distributions and versions: prefetched once for the page (Resource.prefetch)."""
    city = make_catalogue_city()
    before, items = _queries(client)
    assert all(isinstance(row["five_star"], int) for row in items)
    council = Dataset.objects.get(city=city, key="air-quality").publisher
    for n in range(5):
        ds = actions.create(Dataset, city=city, key=f"extra-{n}", title=f"Extra {n}", description="More data.",
                            publisher=council, published=True)
        actions.create(Distribution, city=city, key=f"extra-{n}-link", dataset=ds, title="Link", kind="remote",
                       format="CSV", access_url=f"https://elsewhere.example.org/{n}.csv")
    after, items = _queries(client)
    assert len(items) >= 5 + 3
    assert {row["five_star"] for row in items if row["key"].startswith("extra-")} == {3}
    assert after == before
