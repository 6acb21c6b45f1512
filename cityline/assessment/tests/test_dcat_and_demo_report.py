"""The DCAT description of the published assessment (issue 9 item 3; B2.g, B8) and the gap report of
the demo city in HTML and PDF."""

import json
from datetime import date

import pytest

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
    assert doc["dct:license"] == {"@id": "https://spdx.org/licenses/CC-BY-4.0.html"}           # the default
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
    out = tmp_path / "demo.pdf"
    assert cli.main(["assess", "report", "--city", demo_city.key, "--on", "2026-03-01", "--format", "pdf",
                     "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "written to" in capsys.readouterr().out
    out = tmp_path / "demo.html"
    assert cli.main(["assess", "report", "--city", demo_city.key, "--on", "2026-03-01", "--format", "html",
                     "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == html
