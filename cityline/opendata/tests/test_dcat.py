"""DCAT-AP 3 endpoints (B8, B14, C2.g): SHACL validation, serialisations, content negotiation,
visibility, paging and versions expressed in DCAT (issue 4 items 5 and 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, SH, XSD

from cityline.core import actions
from cityline.opendata import dcat
from cityline.opendata.domain import dcat_graph
from cityline.opendata.models import Dataset, Distribution, DistributionVersion
from cityline.opendata.testing import make_catalogue_city, sample_files

pytestmark = pytest.mark.django_db

SHAPES_DIR = Path(dcat.__file__).resolve().parent / "reference" / "dcat-ap"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
BASE = "http://testserver/testville/"
AIR = URIRef(BASE + "dataset/air-quality")


MDR = Namespace("http://data.europa.eu/r5r#")


def _shapes() -> Graph:
    g = Graph()
    for name in ("dcat-ap-SHACL.ttl", "mdr-vocabularies.shape.ttl"):
        g.parse(SHAPES_DIR / name, format="turtle")
    # One upstream shape is left out: it wants checksum algorithm IRIs to start with
    # "https://spdx.org/rdf/terms", while the SPDX vocabulary (and DCAT-AP 3's own range,
    # spdx:ChecksumAlgorithm, which dcat-ap-SHACL.ttl checks) is http://spdx.org/rdf/terms#.
    # See docs/opendata/dcat-ap.md.
    g.remove((MDR.Checksum_ShapeCV, SH.targetClass, None))
    return g


SHAPES = None


def violations(data: Graph) -> list[str]:
    """Messages of every sh:Violation (warnings and infos are allowed)."""
    global SHAPES
    SHAPES = SHAPES or _shapes()
    _conforms, report, _text = validate(data, shacl_graph=SHAPES, inference="none", allow_warnings=True)
    out = []
    for result in report.objects(None, SH.result):  # top-level results (nested details carry their own)
        if report.value(result, SH.resultSeverity) == SH.Violation:
            out.append(f"{report.value(result, SH.focusNode)} {report.value(result, SH.resultPath)}: "
                       f"{report.value(result, SH.resultMessage)}")
    return out


def upload_versions(city, tmp_path):
    """Two versions of the air-quality CSV (the second adds a row) and one of the permits CSV
    (which the privacy gate blocks), through the services layer."""
    from cityline.opendata import services

    files = sample_files(tmp_path / "upload")
    air = Distribution.objects.get(city=city, key="air-quality-csv")
    services.upload_version(air, files["air-quality-csv"])
    more = tmp_path / "more.csv"
    more.write_text(files["air-quality-csv"].read_text() + "harbour,2026-01-11T08:00:00,port,30,12\n")
    services.upload_version(air, more, note="A fourth station at the harbour.")
    services.upload_version(Distribution.objects.get(city=city, key="parking-permits-csv"),
                            files["parking-permits-csv"])


@pytest.fixture
def city(tmp_path):
    city = make_catalogue_city()
    upload_versions(city, tmp_path)
    return city


def get_graph(client, url: str, fmt: str = "turtle", **headers) -> Graph:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    return Graph().parse(data=response.content.decode(), format=fmt)


def test_catalogue_and_dataset_conform_to_the_dcat_ap_3_shapes(client, city):
    catalogue = get_graph(client, "/testville/catalog.ttl")
    found = violations(catalogue)
    assert found == [], "\n".join(found)
    dataset = get_graph(client, "/testville/dataset/air-quality.ttl")
    assert violations(dataset) == []
    assert (AIR, RDF.type, DCAT.Dataset) in dataset


def test_the_shapes_do_catch_a_broken_catalogue(client, city):
    """The validation above can fail: without title and publisher, the shapes report violations."""
    catalogue = get_graph(client, "/testville/catalog.ttl")
    catalogue.remove((AIR, DCTERMS.title, None))
    catalogue.remove((URIRef(BASE + "catalog"), DCTERMS.publisher, None))
    found = violations(catalogue)
    assert any("title" in v for v in found) and any("publisher" in v for v in found)


def test_the_three_serialisations_are_the_same_graph(client, city):
    # A dataset by extension.
    url = "/testville/dataset/air-quality"
    turtle = get_graph(client, url + ".ttl", "turtle")
    assert len(turtle) > 50
    assert isomorphic(turtle, get_graph(client, url + ".jsonld", "json-ld"))
    assert isomorphic(turtle, get_graph(client, url + ".rdf", "xml"))
    # The catalogue by content negotiation (by extension, its page URIs name the extension).
    turtle = get_graph(client, "/testville/catalog", "turtle", HTTP_ACCEPT="text/turtle")
    assert len(turtle) > 100
    assert isomorphic(turtle, get_graph(client, "/testville/catalog", "json-ld", HTTP_ACCEPT="application/ld+json"))
    assert isomorphic(turtle, get_graph(client, "/testville/catalog", "xml", HTTP_ACCEPT="application/rdf+xml"))


def test_jsonld_carries_its_context_inline(client, city):
    response = client.get("/testville/dataset/air-quality.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert body["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"  # inline, nothing to fetch
    assert dcat_graph.jsonld_context()["dct"] == "http://purl.org/dc/terms/"


def test_dataset_metadata_maps_the_catalogue_fields(client, city):
    g = get_graph(client, "/testville/dataset/air-quality.ttl")
    assert g.value(AIR, DCTERMS.title) == Literal("Air quality readings")
    assert {str(k) for k in g.objects(AIR, DCAT.keyword)} == {"air", "no2", "pm10"}
    assert URIRef(EU + "data-theme/ENVI") in set(g.objects(AIR, DCAT.theme))
    assert g.value(AIR, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/DAILY")
    assert g.value(AIR, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert g.value(AIR, DCAT.landingPage) == URIRef(BASE + "data/air-quality/")
    publisher = g.value(AIR, DCTERMS.publisher)
    assert str(g.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Testville Council"
    contact = g.value(AIR, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.fn)) == "Dana Steward"
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:data@example.org")  # a published contact
    period = g.value(AIR, DCTERMS.temporal)
    assert g.value(period, DCAT.startDate) == Literal("2026-01-01", datatype=XSD.date)
    assert g.value(AIR, DCTERMS.issued) == Literal("2026-01-15", datatype=XSD.date)
    stars = g.value(g.value(AIR, DQV.hasQualityMeasurement), DQV.value)
    assert stars.toPython() == 3  # open licence, CSV: three stars


def test_contact_without_published_details_shows_the_publisher_only(client, city):
    dana = city_person(city)
    actions.update(dana, published_contact=False)
    g = get_graph(client, "/testville/dataset/air-quality.ttl")
    contact = g.value(AIR, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.fn)) == "Testville Council"
    assert g.value(contact, VCARD.hasEmail) is None
    assert "data@example.org" not in client.get("/testville/dataset/air-quality.ttl").content.decode()


def city_person(city):
    from cityline.core.models import Person

    return Person.objects.get(city=city, key="dana")


def test_distribution_has_licence_format_size_checksum_and_its_versions(client, city):
    g = get_graph(client, "/testville/dataset/air-quality.ttl")
    dist = URIRef(str(AIR) + "#air-quality-csv")
    assert (AIR, DCAT.distribution, dist) in g
    assert g.value(dist, DCTERMS.license) == URIRef(EU + "licence/CC_BY_4_0")
    assert g.value(dist, DCTERMS["format"]) == URIRef(EU + "file-type/CSV")
    assert g.value(dist, DCAT.mediaType) == URIRef("https://www.iana.org/assignments/media-types/text/csv")
    assert g.value(dist, DCAT.accessURL) == URIRef(BASE + "files/air-quality/air-quality-csv/")
    assert g.value(dist, DCAT.downloadURL) == URIRef(BASE + "files/air-quality/air-quality-csv/v2/")
    v2 = DistributionVersion.objects.get(distribution__key="air-quality-csv", number=2)
    assert g.value(dist, DCAT.byteSize).toPython() == v2.byte_size
    checksum = g.value(dist, SPDX.checksum)
    assert g.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert str(g.value(checksum, SPDX.checksumValue)) == v2.checksum
    assert str(g.value(dist, DCAT.version)) == "2"
    # Every version is a distribution of its own, citable at its own address (item 5).
    versions = set(g.objects(dist, DCAT.hasVersion))
    assert versions == {URIRef(f"{dist}-v1"), URIRef(f"{dist}-v2")}
    second = URIRef(f"{dist}-v2")
    assert g.value(dist, DCAT.hasCurrentVersion) == second
    assert g.value(second, DCAT.previousVersion) == URIRef(f"{dist}-v1")
    assert g.value(second, DCAT.downloadURL) == URIRef(BASE + "files/air-quality/air-quality-csv/v2/")
    notes = str(g.value(second, ADMS.versionNotes))
    assert "1 row(s) added" in notes and "0 removed" in notes and "harbour" in notes
    assert str(g.value(URIRef(f"{dist}-v1"), ADMS.versionNotes)) == "first version: 30 row(s)"
    # Publication model (B8) as a rights statement on every distribution.
    rights = g.value(dist, DCTERMS.rights)
    assert g.value(rights, DCTERMS.type) == URIRef(BASE + "catalog#publication-model-free")


def test_remote_and_api_distributions_and_odbl_licence(client, city):
    g = get_graph(client, "/testville/dataset/bus-stops.ttl")
    stops = URIRef(BASE + "dataset/bus-stops")
    remote = URIRef(f"{stops}#bus-stops-geojson")
    api = URIRef(f"{stops}#bus-stops-api")
    assert g.value(remote, DCAT.downloadURL) == URIRef("https://transport.example.org/stops.geojson")
    assert g.value(remote, DCTERMS["format"]) == URIRef(EU + "file-type/GEOJSON")
    assert g.value(remote, DCTERMS.license) == URIRef(EU + "licence/ODC_BL")
    assert g.value(api, DCAT.accessURL) == URIRef("https://transport.example.org/api/stops")
    assert g.value(api, DCAT.downloadURL) is None
    assert violations(g) == []


def test_catalogue_lists_public_datasets_only(client, city):
    g = get_graph(client, "/testville/catalog.ttl")
    listed = {str(d) for d in g.objects(URIRef(BASE + "catalog"), DCAT.dataset)}
    # parking-permits is blocked by the privacy gate; noise-draft unpublished; internal-budget internal.
    assert listed == {BASE + "dataset/air-quality", BASE + "dataset/bus-stops"}
    assert not Dataset.objects.get(city=city, key="parking-permits").public
    assert "Parking permits" not in client.get("/testville/catalog.ttl").content.decode()


@pytest.mark.parametrize("name", ["parking-permits", "noise-draft", "internal-budget", "no-such-thing"])
def test_non_public_datasets_are_not_found(client, city, name):
    assert client.get(f"/testville/dataset/{name}.ttl").status_code == 404
    assert client.get(f"/testville/dataset/{name}", HTTP_ACCEPT="text/turtle").status_code == 404
    assert client.get(f"/testville/dataset/{name}", HTTP_ACCEPT="text/html").status_code == 404


@pytest.mark.parametrize("accept, content_type, fmt", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/html;q=0.5, application/rdf+xml", "application/rdf+xml", "xml"),
])
def test_content_negotiation(client, city, accept, content_type, fmt):
    for url in ("/testville/catalog", "/testville/dataset/air-quality"):
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] == content_type
        assert "Accept" in response["Vary"]
        assert len(Graph().parse(data=response.content.decode(), format=fmt)) > 20


def test_html_goes_to_the_portal_page_and_unknown_types_are_406(client, city):
    response = client.get("/testville/dataset/air-quality", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 303
    assert response["Location"] == "/testville/data/air-quality/"
    assert client.get("/testville/catalog", HTTP_ACCEPT="text/html").status_code == 406
    assert client.get("/testville/dataset/air-quality", HTTP_ACCEPT="application/pdf").status_code == 406
    # No Accept header (curl, harvesters): Turtle.
    assert client.get("/testville/catalog")["Content-Type"].startswith("text/turtle")


def test_the_site_root_serves_the_default_city_with_the_same_uris(client, city):
    at_root = get_graph(client, "/catalog.ttl")
    at_city = get_graph(client, "/testville/catalog.ttl")
    assert set(at_root.subjects(RDF.type, DCAT.Dataset)) == set(at_city.subjects(RDF.type, DCAT.Dataset))
    assert (AIR, RDF.type, DCAT.Dataset) in get_graph(client, "/dataset/air-quality.ttl")


def test_catalogue_pages(client, city, monkeypatch):
    monkeypatch.setattr(dcat, "PAGE_SIZE", 1)
    first = get_graph(client, "/testville/catalog.ttl")
    page1 = URIRef(BASE + "catalog.ttl?page=1")
    assert (page1, RDF.type, HYDRA.PagedCollection) in first
    assert first.value(page1, HYDRA.totalItems).toPython() == 2
    assert first.value(page1, HYDRA.itemsPerPage).toPython() == 1
    assert str(first.value(page1, HYDRA.nextPage)) == BASE + "catalog.ttl?page=2"
    assert str(first.value(page1, HYDRA.lastPage)) == BASE + "catalog.ttl?page=2"
    assert len(set(first.objects(URIRef(BASE + "catalog"), DCAT.dataset))) == 1
    second = get_graph(client, "/testville/catalog.ttl?page=2")
    page2 = URIRef(BASE + "catalog.ttl?page=2")
    assert second.value(page2, HYDRA.nextPage) is None
    assert str(second.value(page2, HYDRA.previousPage)) == BASE + "catalog.ttl?page=1"
    assert set(first.objects(None, DCAT.dataset)).isdisjoint(second.objects(None, DCAT.dataset))
    assert client.get("/testville/catalog.ttl?page=3").status_code == 404
    assert client.get("/testville/catalog.ttl?page=abc").status_code == 400
    assert client.get("/testville/catalog.ttl?page=0").status_code == 400


def test_empty_catalogue_is_still_a_valid_catalogue(client, db):
    from cityline.core.testing import make_city, make_organisation

    city = make_city("emptyville", "Emptyville")
    make_organisation(city, "council", name="Emptyville Council")
    g = get_graph(client, "/emptyville/catalog.ttl")
    assert (URIRef("http://testserver/emptyville/catalog"), RDF.type, DCAT.Catalog) in g
    assert violations(g) == []


def test_catalogue_queries_do_not_grow_with_the_datasets(client, city, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert client.get("/testville/catalog.ttl").status_code == 200
    council = Dataset.objects.get(city=city, key="air-quality").publisher
    for n in range(5):
        ds = actions.create(Dataset, city=city, key=f"extra-{n}", title=f"Extra {n}", description="More data.",
                            publisher=council, published=True)
        actions.create(Distribution, city=city, key=f"extra-{n}-link", dataset=ds, title="Link", kind="remote",
                       format="CSV", access_url=f"https://elsewhere.example.org/{n}.csv")
    with django_assert_max_num_queries(12):
        response = client.get("/testville/catalog.ttl")
    assert response.content.decode().count("dcat:Dataset") >= 7


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5"])
def test_a_bad_page_number_is_a_400_naming_the_parameter(client, city, page):
    response = client.get(f"/testville/catalog.ttl?page={page}")
    assert response.status_code == 400
    assert "'page'" in response.content.decode() and repr(page) in response.content.decode()

