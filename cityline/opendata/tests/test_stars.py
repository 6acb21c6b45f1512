"""Five-Star open data rating (B8): each level, the reasons and the advice for the next star."""

from __future__ import annotations

import json

import pytest

from cityline.core import actions
from cityline.opendata.domain.stars import ADVICE, DistributionFacts, Facts, rate, rating
from cityline.opendata.models import Dataset, Distribution
from cityline.opendata.testing import make_catalogue_city, sample_files


def facts(*dists: DistributionFacts, licence: str = "CC-BY-4.0", open_: bool = True) -> Facts:
    return Facts(licence=licence, licence_open=open_, distributions=dists)


PDF = DistributionFacts("Report", "PDF", kind="remote")
XLSX = DistributionFacts("Workbook", "XLSX")
CSV = DistributionFacts("Table", "CSV")
CSV_URIS = DistributionFacts("Table", "CSV", about_url="https://data.example.org/stop/{stop_id}")
CSV_LINKED = DistributionFacts("Table", "CSV", about_url="https://data.example.org/stop/{stop_id}",
                               column_links={"district": "https://www.wikidata.org/wiki/{district_qid}"})
TURTLE = DistributionFacts("Graph", "Turtle", kind="remote")


@pytest.mark.parametrize("given, stars, next_star", [
    (facts(PDF, open_=False, licence="LicenseRef-proprietary"), 0, "licence"),
    (facts(), 0, "online"),
    (facts(DistributionFacts("Table", "CSV", online=False)), 0, "online"),
    (facts(PDF), 1, 2),
    (facts(DistributionFacts("Page", "HTML", kind="remote"), PDF), 1, 2),
    (facts(XLSX), 2, 3),
    (facts(DistributionFacts("Shapes", "SHP")), 2, 3),
    (facts(CSV), 3, 4),
    (facts(XLSX, CSV), 3, 4),
    (facts(DistributionFacts("Stops", "GeoJSON", kind="remote")), 3, 4),
    (facts(CSV_URIS), 4, 5),
    (facts(CSV_LINKED), 5, None),
    (facts(TURTLE), 5, None),
    (facts(PDF, TURTLE), 5, None),
])
def test_each_level_and_the_advice_for_the_next(given, stars, next_star):
    result = rate(given)
    assert result["stars"] == stars
    assert [level["earned"] for level in result["levels"]] == [n <= stars for n in range(1, 6)]
    assert result["next"] == (None if next_star is None else ADVICE[next_star])
    json.dumps(result)  # plain data for pages, the CKAN API and DCAT


def test_reasons_name_what_earned_or_missed_each_star():
    levels = rate(facts(CSV_URIS))["levels"]
    assert levels[0]["reason"] == "Published under an open licence (CC-BY-4.0) and available at Table."
    assert "(CSV)" in levels[2]["reason"]
    assert "https://data.example.org/stop/{stop_id}" in levels[3]["reason"]
    assert levels[4]["reason"] == "No distribution links to other data."
    assert "proprietary" in rate(facts(XLSX))["levels"][2]["reason"]


def test_a_star_needs_every_star_below_it():
    # RDF under a closed licence: the RDF criteria hold, but no star without the first.
    result = rate(facts(TURTLE, open_=False, licence="CC-BY-NC-4.0"))
    assert result["stars"] == 0
    assert not result["levels"][3]["earned"]
    assert result["levels"][3]["reason"].endswith("Needs the previous star first.")
    assert "CC-BY-NC-4.0 is not an open licence" in result["levels"][0]["reason"]


def test_row_uris_need_a_csv_the_platform_holds():
    # A linked CSV elsewhere has no CSVW metadata from us: no fourth star.
    remote = DistributionFacts("Table", "CSV", kind="remote", about_url="https://x.example/{id}")
    assert rate(facts(remote))["stars"] == 3


def test_an_api_counts_by_its_media_type():
    assert rate(facts(DistributionFacts("API", "API", kind="api")))["stars"] == 2
    assert rate(facts(DistributionFacts("API", "API", kind="api", media_type="application/json")))["stars"] == 3
    assert rate(facts(DistributionFacts("API", "API", kind="api", media_type="application/ld+json")))["stars"] == 5


def test_translate_renders_every_message():
    result = rate(facts(CSV), translate=lambda s: "«" + s + "»")
    assert result["levels"][0]["title"] == "«On the web under an open licence»"
    assert result["levels"][0]["reason"].startswith("«Published under an open licence (CC-BY-4.0)")
    assert result["next"] == "«" + ADVICE[4] + "»"


@pytest.mark.django_db
def test_rating_reads_a_dataset_and_its_distributions(tmp_path):
    from cityline.opendata import services

    city = make_catalogue_city()
    stops = Dataset.objects.prefetch_related("distributions__versions").get(city=city, key="bus-stops")
    assert rating(stops)["stars"] == 3  # ODbL, GeoJSON elsewhere
    air = Dataset.objects.get(city=city, key="air-quality")
    assert rating(air)["stars"] == 0  # its CSV is not uploaded yet
    assert rating(air)["next"] == ADVICE["online"]
    dist = Distribution.objects.get(city=city, key="air-quality-csv")
    services.upload_version(dist, sample_files(tmp_path)["air-quality-csv"])
    assert rating(air)["stars"] == 3
    dist = Distribution.objects.get(pk=dist.pk)
    actions.update(dist, about_url="https://data.example.org/station/{station}")
    assert rating(Dataset.objects.get(pk=air.pk))["stars"] == 4
    actions.update(Distribution.objects.get(pk=dist.pk), column_links={"district": "https://www.wikidata.org/wiki/{district}"})
    assert rating(Dataset.objects.get(pk=air.pk))["stars"] == 5
    actions.update(Dataset.objects.get(pk=air.pk), licence="CC-BY-NC-4.0")
    assert rating(Dataset.objects.get(pk=air.pk))["stars"] == 0
