"""Steward pages: upload a new version and the privacy gate with overrides (B8, B10; issue 4 item 10)."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityline.core.models import Person
from cityline.opendata import services
from cityline.opendata.models import Dataset, Distribution, DistributionVersion, PrivacyReview
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


def ds(city, key):
    return Dataset.objects.get(city=city, key=key)


def upload_url(dataset):
    return reverse("admin:opendata_dataset_upload", args=[dataset.pk])


def gate_url(dataset):
    return reverse("admin:opendata_dataset_gate", args=[dataset.pk])


def post_file(client, dataset, dist_key, name, content, **extra):
    return client.post(upload_url(dataset), {"distribution": dist_key, "file": SimpleUploadedFile(name, content),
                                             "note": extra.get("note", ""), "encoding": extra.get("encoding", "")})


def test_steward_pages_refuse_anonymous_and_non_staff_users(city, client):
    air = ds(city, "air-quality")
    for url in (upload_url(air), gate_url(air)):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    User.objects.create_user("visitor", password="pw")
    client.login(username="visitor", password="pw")
    assert "/admin/login/" in client.get(upload_url(air))["Location"]
    response = client.post(upload_url(air), {"distribution": "air-quality-csv",
                                             "file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n")})
    assert response.status_code == 302 and not DistributionVersion.objects.exists()


def test_only_the_publishers_data_steward_may_upload(city, client):
    from cityline.accounts.testing import grant
    from cityline.core.models import Organisation

    air = ds(city, "air-quality")
    clerk = User.objects.create_user("clerk", password="pw")
    other = Organisation.objects.filter(city=city).exclude(pk=air.publisher_id).first()
    grant(clerk, "contributor", organisation=air.publisher)  # a contributor is not a steward
    grant(clerk, "data_steward", organisation=other)  # a steward of another organisation
    client.login(username="clerk", password="pw")
    assert client.get(upload_url(air)).status_code == 403
    grant(clerk, "data_steward", organisation=air.publisher)
    assert client.get(upload_url(air)).status_code == 200


def test_change_form_links_the_steward_pages(city, admin_client):
    air = ds(city, "air-quality")
    page = admin_client.get(reverse("admin:opendata_dataset_change", args=[air.pk])).content.decode()
    assert f'href="{upload_url(air)}"' in page and f'href="{gate_url(air)}"' in page


def test_upload_success_shows_version_schema_and_verdict(city, files, admin_client):
    air = ds(city, "air-quality")
    page = admin_client.get(upload_url(air)).content.decode()
    assert "Readings (CSV)" in page and "Stops (GeoJSON)" not in page  # only held distributions
    response = post_file(admin_client, air, "air-quality-csv", "air.csv", files["air-quality-csv"].read_bytes(),
                         note="first load")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Version 1 of Readings (CSV) stored" in page and "30 rows" in page
    assert '<th scope="row">no2</th><td>integer</td>' in page
    assert "Passed" in page
    version = DistributionVersion.objects.get(distribution__key="air-quality-csv")
    assert version.note == "first load" and version.original_name == "air.csv"
    assert ds(city, "air-quality").public


def test_bad_file_shows_error_rows_and_changes_nothing(city, files, admin_client):
    air = ds(city, "air-quality")
    services.upload_version(Distribution.objects.get(key="air-quality-csv"), files["air-quality-csv"])
    before = ds(city, "air-quality").version
    bad = b"station,time,district,no2,pm10\nnorth-gate,2026-01-01T08:00:00,north,20,15\nriver,notatime,centre,x\n"
    response = post_file(admin_client, air, "air-quality-csv", "bad.csv", bad)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The file was refused: nothing changed" in page
    assert "<caption>" in page and "<td>3</td>" in page  # the error table names the spreadsheet row
    assert DistributionVersion.objects.filter(distribution__key="air-quality-csv").count() == 1
    assert ds(city, "air-quality").version == before


def test_html_file_is_refused_with_a_message(city, admin_client):
    air = ds(city, "air-quality")
    response = post_file(admin_client, air, "air-quality-csv", "page.csv", b"<!DOCTYPE html><html><body>x</body></html>")
    page = response.content.decode()
    assert "The file was refused" in page and "HTML" in page
    assert not DistributionVersion.objects.exists()


def test_upload_form_validation_errors(city, admin_client):
    air = ds(city, "air-quality")
    response = admin_client.post(upload_url(air), {"distribution": "air-quality-csv"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = admin_client.post(upload_url(air), {"distribution": "bus-stops-api",
                                                   "file": SimpleUploadedFile("a.csv", b"a\n1\n")})
    assert "Select a valid choice" in response.content.decode()
    assert not DistributionVersion.objects.exists()


def test_blocked_upload_shows_the_gate_verdict(city, files, admin_client):
    permits = ds(city, "parking-permits")
    page = post_file(admin_client, permits, "parking-permits-csv", "permits.csv",
                     files["parking-permits-csv"].read_bytes()).content.decode()
    assert "Version 1 of Permits (CSV) stored" in page and "Blocked" in page
    assert "harbour" in page  # the offending combination
    assert not ds(city, "parking-permits").public


@pytest.fixture
def blocked(city, files):
    services.upload_version(Distribution.objects.get(key="parking-permits-csv"), files["parking-permits-csv"])
    permits = ds(city, "parking-permits")
    assert permits.gate == "blocked"
    return permits


def test_gate_page_shows_findings_k_anonymity_and_reasons(blocked, admin_client):
    page = admin_client.get(gate_url(blocked)).content.decode()
    assert "Permits (CSV), version 1" in page and "Blocked" in page
    assert "k-anonymity on age_band, district: k = 1 (required: 5)" in page
    assert "Offending combinations of quasi-identifiers" in page
    assert "<td>18-34</td><td>harbour</td><td>1</td>" in page
    assert "k-anonymity on age_band, district is 1, below the required 5" in page  # the reason
    assert "Override the gate" in page


def test_gate_page_lists_flagged_columns_with_masked_examples(city, admin_client, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("id,email\n" + "".join(f"{i},person{i}@example.org\n" for i in range(10)))
    air = ds(city, "air-quality")
    services.upload_version(Distribution.objects.get(key="air-quality-csv"), contacts)
    page = admin_client.get(gate_url(air)).content.decode()
    assert "Columns that look like personal data" in page and '<th scope="row">email</th>' in page
    assert "e-mail address" in page and "100.0 %" in page
    assert "person0@example.org" not in page  # examples are masked


def test_override_needs_a_justification_and_records_it(blocked, admin_client):
    dana = Person.objects.get(key="dana")
    response = admin_client.post(gate_url(blocked), {"steward": dana.pk, "justification": "ok"})
    page = response.content.decode()
    assert "Write at least 20 characters" in page
    assert ds(blocked.city, "parking-permits").gate == "blocked"
    response = admin_client.post(gate_url(blocked), {"justification": "Aggregated enough for our purposes here."})
    assert "This field is required" in response.content.decode()
    justification = "The harbour row is a company van, not a resident: no person can be identified."
    page = admin_client.post(gate_url(blocked), {"steward": dana.pk, "justification": justification}).content.decode()
    assert "Override recorded for 1 version." in page
    permits = ds(blocked.city, "parking-permits")
    assert permits.gate == "overridden" and permits.public
    review = PrivacyReview.objects.get(dataset=permits, result="overridden")
    assert review.steward == dana and review.justification == justification
    assert f"Overridden by Dana Steward: {justification}" in page


def test_override_when_nothing_is_blocked_is_an_error_on_the_form(city, files, admin_client):
    services.upload_version(Distribution.objects.get(key="air-quality-csv"), files["air-quality-csv"])
    air = ds(city, "air-quality")
    dana = Person.objects.get(key="dana")
    page = admin_client.post(gate_url(air), {"steward": dana.pk,
                                             "justification": "Nothing to override but trying anyway."}
                             ).content.decode()
    assert "blocked nothing to override" in page
    assert not PrivacyReview.objects.filter(result="overridden").exists()


def test_refused_upload_messages_are_translated(tmp_path):
    """Upload errors (file and row level) come out in the active language, the expected type too."""
    from django.utils import translation
    from django.utils.translation import gettext

    from cityline.opendata.domain import tabular

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"station,time,district,no2,pm10\nnorth-gate,2026-01-01T08:00:00,north,abc,15\n")
    declared = {"fields": [{"name": "station", "type": "string"}, {"name": "time", "type": "datetime"},
                           {"name": "district", "type": "string"}, {"name": "no2", "type": "integer"},
                           {"name": "pm10", "type": "integer"}]}
    with pytest.raises(tabular.IngestError) as exc:
        tabular.ingest(bad, target_dir=tmp_path / "out", name="v1", format="csv", declared_schema=declared)
    with translation.override("fr"):
        message, errors = tabular.localised(exc.value, gettext)
    assert message.startswith("Le fichier « bad.csv »")
    assert errors[0]["message"] == "ligne 2, colonne « no2 » : « abc » n’est pas un nombre entier"
    english, _ = tabular.localised(exc.value, lambda s: s)
    assert english == exc.value.message
