"""The demo city's open data catalogue meets issue 4, item 10 (B8, B13).

The catalogue (``cityline/demo/city-pack/opendata.yaml``) and its data files
(``data/``) come from ``scripts/gen_demo_opendata.py``: real open data from the
``vega_datasets`` package and synthetic data for the fictional city. The demo pack is
imported once for the module through the pack importer (which ingests every
``pack_file`` and runs the privacy gate), the facts the tests need are read, and the
import is rolled back.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import transaction

from cityline.core.demo_snapshot import import_demo_pack
from cityline.opendata import services
from cityline.opendata.domain import stars
from cityline.opendata.models import DataAsset, Dataset, Distribution

pytestmark = pytest.mark.django_db

PACK = Path(settings.CITYLINE_DEMO_PACK)
BLOCKED = {"housing-support-applications": "k-anonymity", "street-works-complaints": "personal-data"}
#: Real open data: dataset → (file in vega_datasets/_data, keep rows dated before this, or "" for all).
REAL = {
    "seattle-daily-weather": ("seattle-weather.csv", ""),
    "seattle-hourly-temperatures": ("seattle-temps.csv", "2010/02/01"),
    "san-francisco-hourly-temperatures": ("sf-temps.csv", "2010/02/01"),
    "iowa-electricity-generation": ("iowa-electricity.csv", ""),
    "us-employment-by-sector": ("us-employment.csv", ""),
}


def vega_rows(name: str, before: str) -> list[dict]:
    import vega_datasets

    with open(Path(vega_datasets.__file__).parent / "_data" / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if before:
        first = next(iter(rows[0]))
        date_column = "date" if "date" in rows[0] else first
        rows = [r for r in rows if r[date_column] < before]
    return rows


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Plain facts about the imported demo catalogue (imported once, rolled back afterwards)."""
    with django_db_blocker.unblock(), transaction.atomic():
        city = import_demo_pack()
        datasets = list(Dataset.objects.filter(city=city, source_kpi__isnull=True)
                        .select_related("asset", "publisher", "contact_point")
                        .prefetch_related("distributions__versions", "themes", "kpis", "services"))
        facts = {
            "datasets": {d.key: d for d in datasets},
            "themes": {d.key: sorted(t.key for t in d.themes.all()) for d in datasets},
            "kpis": {d.key: [k.key for k in d.kpis.all()] for d in datasets},
            "services": {d.key: [s.key for s in d.services.all()] for d in datasets},
            "stars": {d.key: stars.rating(d)["stars"] for d in datasets},
            "versions": {(d.key, x.key): [(v.number, v.row_count, v.path) for v in x.versions.all()]
                         for d in datasets for x in d.distributions.all()},
            "reviews": {d.key: [services.latest_review(v).report for v in services.latest_versions(d)]
                        for d in datasets},
            "distributions": list(Distribution.objects.filter(city=city).values(
                "key", "kind", "format", "pack_file", "access_url", "about_url", "column_links")),
            "assets": list(DataAsset.objects.filter(city=city).prefetch_related("standards")),
            "asset_standards": {a.key: [s.key for s in a.standards.all()]
                                for a in DataAsset.objects.filter(city=city)},
        }
        transaction.set_rollback(True)
    return facts


def test_the_demo_has_at_least_thirty_datasets_across_themes_with_owners_and_links(demo):
    datasets = demo["datasets"]
    assert len(datasets) >= 30
    themes = Counter(t for ts in demo["themes"].values() for t in ts)
    assert {"environment", "transport", "mobility", "energy", "housing", "health", "economy", "governance",
            "culture", "safety", "water", "waste", "population", "digital"} <= set(themes)
    assert all(demo["themes"].values()), "every dataset has a theme"
    assert len({d.publisher.key for d in datasets.values()}) >= 8  # organisations of the demo pack publish
    assert sum(bool(k) for k in demo["kpis"].values()) >= 20  # datasets serve the demo's KPIs
    assert sum(bool(s) for s in demo["services"].values()) >= 8  # and its citizen services
    assert sum(d.asset_id is not None for d in datasets.values()) >= 25  # and come from registered assets


def test_the_asset_register_has_every_asset_type_with_owner_domain_and_reuse(demo):
    assets = demo["assets"]
    assert {a.asset_type for a in assets} == {"dataset", "application", "api", "iot_fleet", "platform",
                                              "infrastructure"}
    for a in assets:
        assert a.owner_id and a.domain and a.reuse_policy and a.reuse_potential, a.key
    assert {True, False} == {a.personal_data for a in assets}
    assert sum(bool(s) for s in demo["asset_standards"].values()) >= 15
    assert sum(a.building_block_id is not None for a in assets) >= 15


def test_access_levels_publication_models_and_licences_vary(demo):
    datasets = demo["datasets"].values()
    assert {d.access_level for d in datasets} == {"public", "restricted", "internal"}
    assert {d.publication_model for d in datasets} == {"free", "value_added", "commercial"}
    assert "LicenseRef-proprietary" in {d.licence for d in datasets}
    assert any(not d.published for d in datasets)


def test_the_privacy_gate_blocks_the_planted_datasets_for_the_right_reason(demo):
    for key, code in BLOCKED.items():
        dataset = demo["datasets"][key]
        assert dataset.published and dataset.access_level == "public"  # released, yet not public:
        assert dataset.gate == "blocked" and not dataset.public
        (report,) = demo["reviews"][key]
        assert code in {r["code"] for r in report["reasons"]}, report["reasons"]
    housing = demo["reviews"]["housing-support-applications"][0]["k_anonymity"]
    assert housing["k"] < 5 and housing["offending_total"] > 0
    assert housing["quasi_identifiers"] == ["ward", "age_band", "household_type", "household_size"]
    complaints = demo["reviews"]["street-works-complaints"][0]
    flagged = {f["column"]: set(f["categories"]) for f in complaints["findings"] if f["flagged"]}
    assert set(flagged) == {"details"} and {"email", "phone"} <= flagged["details"]


def test_every_other_held_dataset_passes_the_gate_and_public_ones_are_public(demo):
    for key, dataset in demo["datasets"].items():
        if key in BLOCKED:
            continue
        assert dataset.gate in ("passed", ""), (key, [r["reasons"] for r in demo["reviews"][key]])
        assert dataset.public == (dataset.published and dataset.access_level == "public"), key


def test_real_open_data_is_imported_with_the_source_row_counts(demo):
    for key, (name, before) in REAL.items():
        dataset = demo["datasets"][key]
        assert "vega_datasets" in dataset.description and name in dataset.description
        assert dataset.licence == "CC0-1.0" and dataset.public
        ((number, rows, _),) = demo["versions"][(key, f"{key}-csv")]
        assert number == 1 and rows == len(vega_rows(name, before)) > 40, key
    # values are the package's, only the date written in ISO 8601
    with open(PACK / "data" / "seattle-weather.csv", encoding="utf-8", newline="") as fh:
        ours = list(csv.DictReader(fh))
    source = vega_rows("seattle-weather.csv", "")
    assert [r["temp_max"] for r in ours] == [r["temp_max"] for r in source]
    assert [r["date"] for r in ours][:2] == ["2012-01-01", "2012-01-02"]


def test_every_pack_file_exists_is_small_and_was_ingested(demo):
    held = [d for d in demo["distributions"] if d["pack_file"]]
    assert len(held) >= 25
    assert {d["format"] for d in held} == {"CSV", "JSON", "GeoJSON", "Parquet"}
    for d in held:
        path = PACK / d["pack_file"]
        assert path.is_file() and path.stat().st_size < 1_000_000, d["pack_file"]
        assert d["kind"] == "file"
    versions = {dist: v for (_, dist), v in demo["versions"].items()}
    assert all(versions[d["key"]] for d in held), [d["key"] for d in held if not versions[d["key"]]]
    files = {p.name for p in (PACK / "data").iterdir()} - {"SOURCES.md"}
    assert files == {Path(d["pack_file"]).name for d in held}  # no stray file in the pack
    kinds = Counter(d["kind"] for d in demo["distributions"])
    assert kinds["remote"] >= 4 and kinds["api"] >= 6


def test_stars_are_spread_from_none_to_five(demo):
    spread = Counter(demo["stars"].values())
    assert set(spread) == {0, 1, 2, 3, 4, 5}, spread
    assert demo["stars"]["statement-of-accounts"] == 1  # a PDF
    assert demo["stars"]["renewable-generation"] == 2  # Excel
    assert demo["stars"]["water-meter-readings"] == 0  # proprietary licence
    assert demo["stars"]["air-quality-daily"] == 5  # CSVW row URIs and links to other data
    assert demo["stars"]["service-requests"] == 4  # row URIs only


def test_sources_note_names_every_real_file_and_its_licence():
    text = (PACK / "data" / "SOURCES.md").read_text(encoding="utf-8")
    assert "vega_datasets" in text and "0.9.0" in text and "MIT" in text and "public domain" in text
    for name, _ in REAL.values():
        assert f"`{name}`" in text
    assert "la-riots" not in text


def test_the_catalogue_uses_fictional_contacts_only():
    """The blocked complaints file carries e-mail addresses: example.org only, phones in the drama range."""
    import re

    text = (PACK / "data" / "street-works-complaints.csv").read_text(encoding="utf-8")
    domains = set(re.findall(r"@([\w.-]+)", text))
    assert domains == {"example.org"}
    phones = re.findall(r"\b0\d{4} \d{6}\b", text)
    assert phones and all(p.startswith("01632 960") for p in phones)
    catalogue = yaml.safe_load((PACK / "opendata.yaml").read_text(encoding="utf-8"))
    urls = [d.get("access_url", "") for d in catalogue["distributions"]]
    hosts = {re.sub(r"^https://([^/]+)/.*$", r"\1", u) for u in urls if u}
    assert all(h.endswith("example.org") for h in hosts), hosts
