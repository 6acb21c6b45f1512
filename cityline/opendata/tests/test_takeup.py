"""Take-up (B7.d, B8): counts by month, shown to stewards, published as an open dataset; no personal data."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from cityline.opendata import services, takeup
from cityline.opendata.models import Dataset, Distribution, TakeUpCount
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(tmp_path):
    city = make_catalogue_city()
    files = sample_files(tmp_path / "upload")
    services.upload_version(Distribution.objects.get(city=city, key="air-quality-csv"), files["air-quality-csv"])
    return city


def add(city, key, kind, day, count, dist=None):
    ds = Dataset.objects.get(city=city, key=key)
    d = Distribution.objects.get(city=city, key=dist) if dist else None
    TakeUpCount.objects.create(city=city, dataset=ds, distribution=d, kind=kind, day=day, count=count)


def test_take_up_model_keeps_no_personal_data():
    names = {f.name for f in TakeUpCount._meta.get_fields()}
    assert names == {"id", "city", "dataset", "distribution", "kind", "day", "count"}
    for word in ("ip", "address", "user", "agent", "session", "referer", "person", "email"):
        assert not any(word in n for n in names - {"distribution"}), word


def test_requests_store_counts_only(client, city):
    client.get("/testville/files/air-quality/air-quality-csv/", REMOTE_ADDR="198.51.100.7",
               HTTP_USER_AGENT="curious-agent", HTTP_REFERER="https://referrer.example/")
    (row,) = TakeUpCount.objects.values()
    assert row["kind"] == "download" and row["count"] == 1
    assert not {"198.51.100.7", "curious-agent", "https://referrer.example/"} & {str(v) for v in row.values()}


def test_record_adds_to_the_days_row(city):
    air = Dataset.objects.get(city=city, key="air-quality")
    for _ in range(3):
        takeup.record(air, takeup.VIEW)
    assert TakeUpCount.objects.get(dataset=air, kind="view").count == 3


def test_monthly_sums_days_and_totals(city):
    add(city, "air-quality", "download", date(2026, 1, 3), 2, "air-quality-csv")
    add(city, "air-quality", "download", date(2026, 1, 20), 5, "air-quality-csv")
    add(city, "air-quality", "view", date(2026, 2, 1), 4)
    add(city, "noise-draft", "view", date(2026, 2, 1), 9)  # not public
    rows = takeup.monthly(city)
    assert {"month": "2026-01", "dataset": "air-quality", "distribution": "air-quality-csv", "kind": "download",
            "count": 7} in rows
    assert {"month": "2026-02", "dataset": "air-quality", "distribution": "", "kind": "view", "count": 4} in rows
    assert [r["dataset"] for r in takeup.monthly(city, public_only=True)] == ["air-quality", "air-quality"]
    assert takeup.totals(Dataset.objects.get(city=city, key="air-quality")) == {"view": 4, "download": 7, "api": 0}
    summary = takeup.summary(city)
    assert summary["totals"] == {"view": 13, "download": 7, "api": 0}


def test_take_up_is_published_as_an_open_dataset_of_public_datasets_only(city):
    add(city, "air-quality", "download", date(2026, 1, 3), 2, "air-quality-csv")
    add(city, "noise-draft", "view", date(2026, 1, 3), 9)
    result = takeup.publish(city)
    assert result["action"] == "created" and result["version"] == 1
    ds = Dataset.objects.get(city=city, key="take-up")
    assert ds.public and ds.licence == "CC-BY-4.0"
    dist = ds.distributions.get()
    assert dist.generated == takeup.GENERATED
    rows = list(csv.DictReader(io.StringIO(services.stored_path(dist.latest_version().path).read_text())))
    assert rows == [{"month": "2026-01", "dataset": "air-quality", "distribution": "air-quality-csv",
                     "kind": "download", "count": "2"}]
    assert takeup.publish(city) == {"dataset": "take-up", "action": "unchanged", "version": None}
    add(city, "air-quality", "view", date(2026, 2, 1), 1)
    assert takeup.publish(city)["version"] == 2


def test_dataset_editor_page_shows_take_up_totals(admin_client, city):
    add(city, "air-quality", "download", date(2026, 1, 3), 6, "air-quality-csv")
    air = Dataset.objects.get(city=city, key="air-quality")
    page = admin_client.get(reverse("admin:opendata_dataset_change", args=[air.pk])).content.decode()
    assert "0 views, 6 downloads, 0 API calls" in page
