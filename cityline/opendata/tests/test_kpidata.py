"""KPI data as open data (C2.g): published KPIs' measurements become datasets, kept up to date."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from cityline.benefits.models import Kpi, KpiTarget, Measurement
from cityline.core import actions
from cityline.opendata import kpidata, services
from cityline.opendata.models import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    from cityline.opendata.testing import make_catalogue_city

    return make_catalogue_city()


def make_kpi(city, key="recycling-rate", published=True, **extra):
    kpi = actions.create(Kpi, city=city, key=key, title="Household waste recycled", kind="outcome", unit="%",
                         baseline_value=Decimal("30"), baseline_date=date(2024, 1, 1), published=published,
                         frequency="annual", **extra)
    actions.create(KpiTarget, city=city, kpi=kpi, label="2030 target", value=Decimal("60"), date=date(2030, 1, 1))
    for year, value in [(2024, "31.5"), (2025, "35")]:
        actions.create(Measurement, city=city, kpi=kpi, period_end=date(year, 12, 31), value=Decimal(value),
                       source="Waste collection records")
    return kpi


def latest_rows(dataset, fmt):
    dist = dataset.distributions.get(format=fmt)
    text = services.stored_path(dist.latest_version().path).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text))) if fmt == "CSV" else json.loads(text)


def test_a_published_kpi_becomes_an_open_dataset_with_csv_and_json(city):
    kpi = make_kpi(city)
    result = kpidata.sync_kpi(kpi)
    assert result.action == "created" and sorted(result.versions) == ["kpi-recycling-rate-csv",
                                                                      "kpi-recycling-rate-json"]
    ds = Dataset.objects.get(source_kpi=kpi)
    assert ds.key == "kpi-recycling-rate" and ds.title == "Household waste recycled"
    assert ds.licence == "CC-BY-4.0" and ds.published and ds.public and ds.gate == "passed"
    assert ds.publisher.key == "council"  # the city's first public organisation (no benefit owner)
    assert list(ds.kpis.all()) == [kpi] and ds.frequency == "ANNUAL"
    assert sorted(ds.distributions.values_list("generated", flat=True)) == [kpidata.GENERATED_CSV,
                                                                           kpidata.GENERATED_JSON]
    rows = latest_rows(ds, "CSV")
    assert [r["period_end"] for r in rows] == ["2024-12-31", "2025-12-31"]
    assert rows[0]["value"] == "31.5" and rows[0]["unit"] == "%" and rows[0]["source"] == "Waste collection records"
    assert rows[0]["expected"] != ""  # the trajectory's planned value for that date
    data = latest_rows(ds, "JSON")
    assert data[1] == {**data[1], "kpi": "recycling-rate", "value": 35, "quality": "ok"}
    assert ds.distributions.get(format="CSV").latest_version().row_count == 2


def test_sync_is_idempotent_and_versions_only_changed_content(city):
    kpi = make_kpi(city)
    kpidata.sync_kpi(kpi)
    again = kpidata.sync_kpi(kpi)
    assert again.action == "unchanged" and again.versions == []
    ds = Dataset.objects.get(source_kpi=kpi)
    assert [d.versions.count() for d in ds.distributions.order_by("key")] == [1, 1]
    actions.create(Measurement, city=city, kpi=kpi, period_end=date(2026, 12, 31), value=Decimal("38"))
    changed = kpidata.sync_kpi(kpi)
    assert changed.action == "updated" and len(changed.versions) == 2
    csv_dist = ds.distributions.get(format="CSV")
    assert csv_dist.latest_version().number == 2 and csv_dist.latest_version().changes["rows_added"] == 1


def test_kpi_licence_is_used_when_open_and_unknown_licences_fall_back(city):
    kpi = make_kpi(city, licence="CC0-1.0")
    kpidata.sync_kpi(kpi)
    assert Dataset.objects.get(source_kpi=kpi).licence == "CC0-1.0"
    other = make_kpi(city, key="odd-licence", licence="LicenseRef-city")
    kpidata.sync_kpi(other)
    assert Dataset.objects.get(source_kpi=other).licence == "CC-BY-4.0"


def test_unpublished_kpi_gets_no_dataset_and_unpublishing_unpublishes(city):
    hidden = make_kpi(city, key="hidden", published=False)
    assert kpidata.sync_kpi(hidden).action == "unchanged"
    assert not Dataset.objects.filter(source_kpi=hidden).exists()
    kpi = make_kpi(city)
    kpidata.sync_kpi(kpi)
    actions.update(Kpi.objects.get(pk=kpi.pk), published=False)
    assert kpidata.sync_kpi(kpi).action == "unpublished"
    ds = Dataset.objects.get(source_kpi=kpi)
    assert not ds.published and not ds.public


def test_measurement_changes_update_the_dataset_after_commit(city, django_capture_on_commit_callbacks):
    """The record_changed hook (sent on commit) keeps the dataset current (C2.g)."""
    with django_capture_on_commit_callbacks(execute=True):
        kpi = make_kpi(city)
    ds = Dataset.objects.get(source_kpi=kpi)
    assert [r["period_end"] for r in latest_rows(ds, "CSV")] == ["2024-12-31", "2025-12-31"]
    m = Measurement.objects.get(kpi=kpi, period_end=date(2025, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(m, value=Decimal("36.25"))
    assert latest_rows(ds, "CSV")[1]["value"] == "36.25"
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete(Measurement.objects.get(pk=m.pk))
    assert [r["period_end"] for r in latest_rows(ds, "CSV")] == ["2024-12-31"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.update(Kpi.objects.get(pk=kpi.pk), published=False)
    assert not Dataset.objects.get(pk=ds.pk).public


def test_a_key_taken_by_another_dataset_is_reported_not_overwritten(city):
    from cityline.core.models import Organisation

    council = Organisation.objects.get(city=city, key="council")
    actions.create(Dataset, city=city, key="kpi-recycling-rate", title="Hand-made", description="x",
                   publisher=council)
    kpi = make_kpi(city)
    result = kpidata.sync_kpi(kpi)
    assert result.action == "skipped" and "kpi-recycling-rate" in result.problems[0]
    assert Dataset.objects.get(city=city, key="kpi-recycling-rate").title == "Hand-made"


def test_sync_city_covers_every_published_kpi(city):
    make_kpi(city, key="a")
    make_kpi(city, key="b")
    make_kpi(city, key="c", published=False)
    results = {r.kpi: r.action for r in kpidata.sync_city(city)}
    assert results == {"a": "created", "b": "created"}
    assert {r.action for r in kpidata.sync_city(city)} == {"unchanged"}


def test_a_dataset_from_a_city_pack_is_adopted(city):
    """A pack carries the dataset and its distributions but not source_kpi/generated: they are taken over."""
    from cityline.core.models import Organisation
    from cityline.opendata.models import Distribution

    kpi = make_kpi(city)
    council = Organisation.objects.get(city=city, key="council")
    ds = actions.create(Dataset, city=city, key="kpi-recycling-rate", title="Old title", description="From a pack",
                        publisher=council, published=True, m2m={"kpis": [kpi]})
    actions.create(Distribution, city=city, key="kpi-recycling-rate-csv", dataset=ds, title="CSV", format="CSV")
    result = kpidata.sync_kpi(kpi)
    assert result.action == "updated" and len(result.versions) == 2
    ds = Dataset.objects.get(pk=ds.pk)
    assert ds.source_kpi == kpi and ds.title == "Household waste recycled" and ds.distributions.count() == 2
    assert ds.distributions.get(key="kpi-recycling-rate-csv").generated == kpidata.GENERATED_CSV


def test_a_kpi_whose_data_cannot_be_read_is_skipped_by_name_and_the_others_synced(city):
    """One KPI stored around validation (a row from before a check existed) must not stop the city's other
    KPI datasets: it is skipped, named with the field at fault, and keeps what it already published."""
    make_kpi(city, key="a")
    broken = make_kpi(city, key="b")
    make_kpi(city, key="c")
    assert kpidata.sync_kpi(broken).action == "created"
    published = Dataset.objects.get(source_kpi=broken)
    latest = {d.key: d.latest_version().pk for d in published.distributions.all()}
    Kpi.objects.filter(pk=broken.pk).update(direction="sideways")  # written around validation
    actions.create(Measurement, city=city, kpi=broken, period_end=date(2026, 12, 31), value=Decimal("40"))
    results = {r.kpi: r for r in kpidata.sync_city(city)}
    assert (results["a"].action, results["c"].action) == ("created", "created")
    skipped = results["b"]
    assert skipped.action == "skipped" and skipped.dataset == "kpi-b" and skipped.versions == []
    assert len(skipped.problems) == 1 and "direction" in skipped.problems[0]
    # what it published before stays as it was: no version written, the dataset still public
    published.refresh_from_db()
    assert published.public and {d.key: d.latest_version().pk for d in published.distributions.all()} == latest


def test_measurement_rows_report_a_kpi_they_cannot_read(city):
    from cityline.benefits.domain.kpi import KpiDataError

    kpi = make_kpi(city)
    rows, problem = kpidata.measurement_rows(kpi)
    assert len(rows) == 2 and problem is None
    Kpi.objects.filter(pk=kpi.pk).update(direction="sideways")
    rows, problem = kpidata.measurement_rows(Kpi.objects.get(pk=kpi.pk))
    assert rows == [] and isinstance(problem, KpiDataError) and "direction" in str(problem)
