"""The catalogue records (B8, B13): stable identifiers, visibility and record rules."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cityline.core import actions
from cityline.opendata.models import Dataset, Distribution, PrivacyReview, stable_uuid
from cityline.opendata.testing import make_catalogue_city

pytestmark = pytest.mark.django_db


def test_public_means_published_public_access_and_not_blocked():
    city = make_catalogue_city()
    public = set(Dataset.objects.filter(city=city, public=True).values_list("key", flat=True))
    assert public == {"air-quality", "bus-stops", "parking-permits"}
    permits = Dataset.objects.get(city=city, key="parking-permits")
    permits.gate = "blocked"
    permits.save()
    assert not Dataset.objects.get(pk=permits.pk).public


def test_identifiers_are_stable_across_imports_of_the_same_city():
    city = make_catalogue_city()
    air = Dataset.objects.get(city=city, key="air-quality")
    assert air.uuid == stable_uuid("testville", "dataset", "air-quality")
    dist = Distribution.objects.get(city=city, key="air-quality-csv")
    assert dist.uuid == stable_uuid("testville", "distribution", "air-quality-csv")
    assert dist.uuid != air.uuid


def test_coverage_cannot_end_before_it_starts():
    city = make_catalogue_city()
    air = Dataset.objects.get(city=city, key="air-quality")
    with pytest.raises(ValidationError) as exc:
        actions.update(air, temporal_end=date(2025, 1, 1))
    assert "temporal_end" in exc.value.message_dict


def test_remote_distribution_needs_its_url():
    city = make_catalogue_city()
    stops = Dataset.objects.get(city=city, key="bus-stops")
    with pytest.raises(ValidationError) as exc:
        actions.create(Distribution, city=city, key="stops-elsewhere", dataset=stops, title="x", kind="remote",
                       format="CSV")
    assert "access_url" in exc.value.message_dict


def test_quasi_identifiers_only_for_microdata():
    city = make_catalogue_city()
    air = Dataset.objects.get(city=city, key="air-quality")
    with pytest.raises(ValidationError) as exc:
        actions.update(air, quasi_identifiers="district")
    assert "quasi_identifiers" in exc.value.message_dict


def test_override_needs_steward_and_justification():
    review = PrivacyReview(result="overridden", justification="short")
    with pytest.raises(ValidationError) as exc:
        review.clean()
    assert "steward" in exc.value.message_dict


def test_versions_and_reviews_are_read_only_in_the_generic_api(client):
    """Versions are written by the upload path and reviews by the gate: the generic collections only read."""
    from django.contrib.auth.models import User

    make_catalogue_city()
    client.force_login(User.objects.create_user("staff", is_staff=True, is_superuser=True))
    for collection in ("distribution-versions", "privacy-reviews"):
        url = f"/api/v1/cities/testville/{collection}"
        assert client.get(url).status_code == 200
        refused = client.post(url, {"number": 1}, content_type="application/json")
        assert refused.status_code in (404, 405), (collection, refused.status_code)
