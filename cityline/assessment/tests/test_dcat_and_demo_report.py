"""The DCAT description of the published assessment (issue 9 item 3; B2.g, B8) and the gap report of
the demo city in HTML and PDF."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cityline import cli
from cityline.assessment import report, services
from cityline.assessment.models import AssessmentSettings, Snapshot
from cityline.core import actions
from cityline.delivery.tests.test_board_pack import pdf_text

pytestmark = pytest.mark.django_db


def test_dcat_dataset_describes_the_published_assessment_and_its_downloads(demo_city, client):
    url = f"/{demo_city.key}/assessment.dcat.jsonld"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    doc = json.loads(response.content)
    assert doc["@context"] == {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                               "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"}
    assert (doc["@type"], doc["@id"]) == ("dcat:Dataset", f"http://testserver{url}")
    assert doc["dct:title"] == {"@value": "ISO 37106 self-assessment of Kestermouth", "@language": "en"}
    assert doc["dct:description"]["@value"].startswith("How far Kestermouth meets each ISO 37106 recommendation")
    assert doc["dct:publisher"] == {"@id": demo_city.website, "@type": "foaf:Agent", "foaf:name": "Kestermouth"}
    assert doc["dct:modified"] == {"@value": date.today().isoformat(), "@type": "xsd:date"}  # no snapshot yet
    assert doc["dct:license"] == {"@id": EU_LICENCE + "CC_BY_4_0"}           # the default, from the EU table
    assert doc["dcat:landingPage"] == {"@id": f"http://testserver/{demo_city.key}/assessment/"}
    dists = {d["dct:title"]["@value"]: d for d in doc["dcat:distribution"]}
    assert sorted(dists) == ["assessment-matrix.csv", "assessment.csv", "assessment.json"]
    csv = dists["assessment.csv"]
    assert csv["@type"] == "dcat:Distribution" and csv["dct:format"] == "CSV"
    assert csv["dcat:mediaType"] == {"@id": "https://www.iana.org/assignments/media-types/text/csv"}
    assert csv["dcat:accessURL"] == {"@id": f"http://testserver/{demo_city.key}/assessment.csv"}
    assert dists["assessment.json"]["dcat:mediaType"]["@id"].endswith("/application/json")
    for d in doc["dcat:distribution"]:  # every distribution answers
        assert client.get(d["dcat:accessURL"]["@id"].removeprefix("http://testserver")).status_code == 200

    # the latest snapshot dates it; the city's own licence is named
    services.take_snapshot(demo_city, date(2026, 3, 1))
    s = AssessmentSettings.objects.get(city=demo_city)
    actions.update(s, version=s.version, licence="https://data.kestermouth.example.org/licence")
    doc = client.get(url).json()
    assert doc["dct:modified"]["@value"] == "2026-03-01"
    assert doc["dct:license"] == {"@id": "https://data.kestermouth.example.org/licence"}
    assert dists["assessment.csv"]["dct:license"] != doc["dct:license"]  # (the earlier document)
    assert {d["dct:license"]["@id"] for d in doc["dcat:distribution"]} == {"https://data.kestermouth.example.org/licence"}
    assert Snapshot.objects.filter(city=demo_city).count() == 1


def test_dcat_is_404_when_the_city_does_not_publish(demo_city, client):
    s = AssessmentSettings.objects.get(city=demo_city)
    actions.update(s, version=s.version, publish=False)
    assert client.get(f"/{demo_city.key}/assessment.dcat.jsonld").status_code == 404
    assert client.get("/nowhere/assessment.dcat.jsonld").status_code == 404


def test_gap_report_of_the_demo_city_in_html_and_pdf(demo_city, tmp_path, capsys):
    on = date(2026, 3, 1)
    data = report.gap_report(demo_city, on)
    expected = services.assess(demo_city, on)
    html = report.render_html(data)
    assert "<title>ISO 37106 gap report: Kestermouth on 2026-03-01" in html
    first = data["top_gaps"][0]
    assert first["id"] == expected.gaps[0].id and f"{first['id']} {first['title']}" in html
    assert "B strategy management" in html
    text = pdf_text(report.render_pdf(data, compress=False))
    assert "ISO 37106 gap report: Kestermouth on 2026-03-01" in text
    assert f"{first['id']} — {' '.join(first['title'].split()[:4])}" in text  # the title wraps in the PDF
    out = tmp_path / "demo.pdf"     # the command assesses today's records only (a past --on is refused)
    assert cli.main(["assess", "report", "--city", demo_city.key, "--format", "pdf", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "written to" in capsys.readouterr().out
    out = tmp_path / "demo.html"
    assert cli.main(["assess", "report", "--city", demo_city.key, "--format", "html", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == report.render_html(report.gap_report(demo_city))


EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"


@pytest.mark.parametrize("written, stored, iri", [
    ("CC BY 4.0", "CC-BY-4.0", EU_LICENCE + "CC_BY_4_0"),          # a name as people write it
    ("cc0-1.0", "CC0-1.0", EU_LICENCE + "CC0"),
    ("OGL-UK-3.0", "OGL-UK-3.0", EU_LICENCE + "OGL_3_0"),
    (" odbl 1.0 ", "ODbL-1.0", EU_LICENCE + "ODC_BL"),
    ("etalab-2.0", "etalab-2.0", "https://spdx.org/licenses/etalab-2.0"),   # not in the EU table: SPDX
    ("https://data.kestermouth.example.org/licence", "https://data.kestermouth.example.org/licence",
     "https://data.kestermouth.example.org/licence"),
])
def test_a_known_licence_is_an_iri_in_the_dcat_description(demo_city, client, written, stored, iri):
    """"CC BY 4.0" used to land in dct:license as https://spdx.org/licenses/CC BY 4.0.html, not an IRI."""
    s = AssessmentSettings.objects.get(city=demo_city)
    actions.update(s, version=s.version, licence=written)
    assert AssessmentSettings.objects.get(city=demo_city).licence == stored
    doc = client.get(f"/{demo_city.key}/assessment.dcat.jsonld").json()
    assert doc["dct:license"] == {"@id": iri}
    assert {d["dct:license"]["@id"] for d in doc["dcat:distribution"]} == {iri}


@pytest.mark.parametrize("written", ["free for all", "CC BY", "LicenseRef-proprietary", "ftp://example.org/terms",
                                     "https://exa mple.org/terms"])
def test_a_licence_that_is_not_an_iri_is_refused_where_it_is_entered(demo_city, written):
    s = AssessmentSettings.objects.get(city=demo_city)
    before = s.licence
    with pytest.raises(ValidationError) as err:
        actions.update(s, version=s.version, licence=written)
    [message] = err.value.message_dict["licence"]
    assert repr(written.strip()) in message and "CC-BY-4.0" in message and "URL" in message
    assert AssessmentSettings.objects.get(city=demo_city).licence == before == "CC-BY-4.0"     # nothing stored


def test_the_editor_refuses_an_unknown_licence_naming_the_field(demo_city, admin_client):
    s = AssessmentSettings.objects.get(city=demo_city)
    url = f"/admin/assessment/assessmentsettings/{s.pk}/change/"
    response = admin_client.post(url, {"thresholds": json.dumps(s.thresholds), "publish": "on",
                                       "licence": "free for all", "opened_version": s.version})
    assert response.status_code == 200
    assert "is not a licence identifier: give an SPDX identifier" in response.content.decode()
    assert AssessmentSettings.objects.get(pk=s.pk).licence == s.licence


def test_a_free_text_licence_stored_before_is_never_written_as_an_iri(demo_city, client):
    """A value stored before the check (bypassing it here) is described as a licence document by its title."""
    AssessmentSettings.objects.filter(city=demo_city).update(licence="free for all")
    doc = client.get(f"/{demo_city.key}/assessment.dcat.jsonld").json()
    assert doc["dct:license"] == {"@type": "dct:LicenseDocument", "dct:title": "free for all"}
