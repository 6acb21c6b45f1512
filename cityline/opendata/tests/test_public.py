"""Public catalogue and dataset pages (issue 4 item 10; B8, B13, B14, C2.g).

Only public datasets appear; facets count; the preview, chart, schema, downloads and
API examples come from the uploaded file; a page view is counted (not in the export).
"""

import csv
import io
import json

import pytest
from django.test import Client

from cityline.core import actions
from cityline.opendata import services
from cityline.opendata.models import Dataset, Distribution, TakeUpCount
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(tmp_path):
    city = make_catalogue_city()
    files = sample_files(tmp_path / "upload")
    air = Distribution.objects.get(city=city, key="air-quality-csv")
    services.upload_version(air, files["air-quality-csv"])
    more = tmp_path / "more.csv"
    more.write_text(files["air-quality-csv"].read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    services.upload_version(air, more, note="one more station")
    services.upload_version(Distribution.objects.get(city=city, key="parking-permits-csv"),
                            files["parking-permits-csv"])  # blocked by the privacy gate: not public
    return city


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def text(response):
    return response.content.decode()


def test_catalogue_lists_only_public_datasets(city, client):
    page = text(get(client, "/testville/data/"))
    assert "Air quality readings" in page and "Bus stops" in page
    for hidden in ("Noise map", "IT budget", "Parking permits issued"):  # draft, internal, blocked by the gate
        assert hidden not in page
    assert "2 datasets found" in page
    assert 'href="/testville/catalog.ttl"' in page and "/testville/api/3/action/package_search" in page


def test_catalogue_facets_count_and_filter(city, client):
    page = text(get(client, "/testville/data/"))
    assert "Testville Council (1)" in page and "Testville Buses (1)" in page
    assert "Environment (1)" in page and "Transport (1)" in page
    assert "CSV (1)" in page and "GeoJSON (1)" in page
    assert "3 of 5 stars (2)" in page  # the Five-Star facet
    filtered = text(get(client, "/testville/data/?theme=transport"))
    assert "1 dataset found" in filtered and "Bus stops" in filtered
    assert '<a href="/testville/data/?' in filtered
    assert "Remove filter Theme: Transport" in filtered
    # disjunctive facet: the other theme is still offered with its count
    assert "Environment (1)" in filtered
    # the publisher facet counts within the chosen theme
    assert "Testville Council" not in filtered.split('id="od-facets-h"')[1].split("</nav>")[0]


def test_catalogue_text_search_sort_and_paging(city, client):
    page = text(get(client, "/testville/data/?q=readings"))
    assert "1 dataset found" in page and "Air quality readings" in page
    assert "Bus stops" not in page.split('id="od-results-h"')[1]
    assert "Remove filter Search: readings" in page
    assert "0 datasets found" in text(get(client, "/testville/data/?q=zeppelin"))
    by_title = text(get(client, "/testville/data/?sort=title"))
    assert by_title.index("Air quality readings") < by_title.index("Bus stops")
    stars = text(get(client, "/testville/data/?sort=stars"))
    assert stars.index("Air quality readings") < stars.index("Bus stops")  # both 3 stars: title breaks the tie
    assert "1 of 1" not in text(get(client, "/testville/data/?page=99"))  # out of range → last page, no error


def test_catalogue_paging(city, client):
    from cityline.core.models import Organisation

    council = Organisation.objects.get(city=city, key="council")
    for i in range(25):
        actions.create(Dataset, city=city, key=f"extra-{i:02d}", title=f"Extra {i:02d}", description="More.",
                       publisher=council, published=True)
    page = text(get(client, "/testville/data/?sort=title"))
    assert "Page 1 of 2" in page and "Showing 1 to 20 of 27." in page
    second = text(get(client, "/testville/data/?sort=title&page=2"))
    assert "Showing 21 to 27 of 27." in second and 'rel="prev"' in second


def test_catalogue_downloads_are_the_bulk_metadata(city, client):
    data = json.loads(get(client, "/testville/data.json").content)
    assert [d["key"] for d in data["datasets"]] == ["air-quality", "bus-stops"]
    air = data["datasets"][0]
    assert air["licence"]["id"] == "CC-BY-4.0" and air["publisher"]["key"] == "council"
    assert air["stars"] == 3
    rows = list(csv.reader(io.StringIO(get(client, "/testville/data.csv").content.decode())))
    assert rows[0][:3] == ["key", "id", "title"] and len(rows) == 3


def test_dataset_page_shows_metadata_stars_versions_and_links(city, client):
    page = text(get(client, "/testville/data/air-quality/"))
    assert "<h1" in page and "Air quality readings" in page
    assert "Testville Council" in page and "data@example.org" in page  # published contact
    assert 'href="https://spdx.org/licenses/CC-BY-4.0.html"' in page
    assert "Environment" in page and "Air quality sensors" in page  # theme, asset (B13)
    assert "3 of 5 stars" in page and "Next star:" in page and "Earned:" in page and "Not earned:" in page
    assert 'href="/testville/files/air-quality/air-quality-csv/"' in page
    assert 'href="/testville/files/air-quality/air-quality-csv/v1/"' in page
    assert 'href="/testville/files/air-quality/air-quality-csv/v2/"' in page
    assert "/v2/datapackage.json" in page and "/v2/csv-metadata.json" in page
    assert "1 row(s) added" in page and "one more station" in page
    assert "/testville/dataset/air-quality.ttl" in page
    assert "datastore_search?resource_id=" in page and "curl 'http://testserver/testville/api/3/action/" in page


def test_dataset_contact_hidden_without_published_contact(city, client):
    from cityline.core.models import Person

    dana = Person.objects.get(city=city, key="dana")
    actions.update(dana, published_contact=False)
    page = text(get(client, "/testville/data/air-quality/"))
    assert "data@example.org" not in page and "Dana Steward" in page


def test_dataset_preview_table_and_schema(city, client):
    page = text(get(client, "/testville/data/air-quality/"))
    preview = page.split('id="preview"')[1].split("</section>")[0]
    assert "<caption" in preview and "The first 20 of 31 rows" in preview
    assert '<th scope="col">station</th>' in preview and preview.count("<tr>") == 21
    schema = page.split('id="schema"')[1].split("</section>")[0]
    assert '<th scope="row">no2</th><td>integer</td>' in schema


def test_dataset_chart_of_a_chosen_column(city, client):
    page = text(get(client, "/testville/data/air-quality/"))
    chart = page.split('id="chart"')[1].split("</section>")[0]
    assert 'role="img"' in chart and "Average of “no2” by “time”" in chart  # default: first number, over time
    assert '<th scope="row">2026-01-01' in chart
    hist = text(get(client, "/testville/data/air-quality/?chart=pm10"))
    assert "Average of “pm10”" in hist  # still over time
    values = text(get(client, "/testville/data/air-quality/?chart=district"))
    section = values.split('id="chart"')[1].split("</section>")[0]
    assert "Most frequent values of “district”" in section
    assert '<th scope="row">north</th><td class="num">10</td>' in section
    bogus = text(get(client, "/testville/data/air-quality/?chart=nope"))
    assert "Average of “no2”" in bogus  # unknown column: the default


def test_histogram_without_a_time_column(city, client, tmp_path):
    from cityline.opendata import public
    from cityline.opendata.models import DistributionVersion

    version = DistributionVersion.objects.get(distribution__key="air-quality-csv", number=2)
    version.table_schema = {"fields": [f for f in version.table_schema["fields"] if f["name"] != "time"]}
    chart = public.chart_data(version, "no2")
    assert chart["kind"] == "histogram" and sum(c for _l, c in chart["bars"]) == 31
    svg = public.chart_svg(chart, title="T", desc="D")
    assert svg.count("<rect") == len(chart["bars"]) and "<title" in svg


def test_dataset_downloads(city, client):
    data = json.loads(get(client, "/testville/data/air-quality.json").content)
    assert data["key"] == "air-quality" and data["rating"]["stars"] == 3
    assert [v["number"] for v in data["distribution_list"][0]["versions"]] == [2, 1]
    rows = list(csv.reader(io.StringIO(get(client, "/testville/data/air-quality.csv").content.decode())))
    assert rows[0][0] == "distribution" and [r[4] for r in rows[1:]] == ["2", "1"]
    schema = list(csv.reader(io.StringIO(get(client, "/testville/data/air-quality.schema.csv").content.decode())))
    assert [r[2] for r in schema[1:]] == ["station", "time", "district", "no2", "pm10"]


def test_non_public_datasets_answer_404(city, client):
    for key in ("noise-draft", "internal-budget", "parking-permits", "nope"):
        get(client, f"/testville/data/{key}/", 404)
        get(client, f"/testville/data/{key}.json", 404)


def test_remote_and_api_distributions_link_out(city, client):
    page = text(get(client, "/testville/data/bus-stops/"))
    assert 'href="https://transport.example.org/stops.geojson"' in page
    assert 'href="https://transport.example.org/api/stops"' in page
    assert 'id="preview"' not in page  # nothing held: no preview, no chart


def test_page_view_is_counted_but_not_in_the_export(city, client):
    get(client, "/testville/data/air-quality/")
    get(client, "/fr/testville/data/air-quality/")
    views = TakeUpCount.objects.filter(dataset__key="air-quality", kind="view")
    assert sum(v.count for v in views) == 2
    Client(HTTP_X_CITYLINE_EXPORT="1").get("/testville/data/air-quality/")
    assert sum(v.count for v in views.all()) == 2
    page = text(Client(HTTP_X_CITYLINE_EXPORT="1").get("/testville/data/air-quality/"))
    assert "http://testserver" not in page


def test_french_pages(city, client):
    page = text(get(client, "/fr/testville/data/"))
    assert 'lang="fr"' in page
    text(get(client, "/fr/testville/data/air-quality/"))


def test_pages_join_the_registry_navigation_and_export(city):
    from cityline.portal import registry

    from django.utils import translation

    with translation.override("en"):
        assert any(item["name"] == "data" for item in registry.nav(city))
        paths = registry.get("dataset").paths(city)
    assert "/testville/data/air-quality/" in paths and "/testville/data/parking-permits/" not in paths
    assert "/testville/data/air-quality.schema.csv" in paths


def test_city_without_public_datasets_has_no_catalogue_page(client):
    from cityline.core.testing import make_city
    from cityline.portal import registry

    other = make_city("emptyville", "Emptyville")
    assert all(item["name"] != "data" for item in registry.nav(other))
    get(client, "/emptyville/data/", 404)


def test_static_export_writes_the_pages_and_counts_no_view(city, tmp_path):
    from cityline.portal.publish import publish

    publish(tmp_path / "site", city_key="testville", progress=False)
    site = tmp_path / "site"
    assert (site / "testville/data/index.html").exists() and (site / "testville/data.json").exists()
    page = (site / "testville/data/air-quality/index.html").read_text()
    assert "Air quality readings" in page and "https://cityline.example" in page
    assert (site / "fr/testville/data/air-quality/index.html").exists()
    assert not (site / "testville/data/parking-permits/index.html").exists()
    assert not TakeUpCount.objects.filter(kind="view").exists()
