"""The open data section of city packs (``opendata.yaml``): the asset register (B13) and the catalogue (B8).

Data files are not inlined: a distribution names its file by path inside the pack
(``pack_file``), and the import ingests it as a new version when its content changed
(see :mod:`cityline.opendata.services`). The export writes the latest version of each
such file back at its ``pack_file`` path, so an exported pack imports again.
"""

import logging

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

log = logging.getLogger(__name__)

SECTION = register(
    Section(
        file="opendata.yaml",
        title="open data platform (B8, B13): the asset register and the data catalogue",
        order=80,
        collections=[
            Collection(
                "data_assets", models.DataAsset, key=True,
                fields=["name", "asset_type", "description", "owner", "domain", "reuse_policy", "reuse_potential",
                        "personal_data", "standards", "building_block"],
                description="The register of IT and data assets managed as city-wide resources (B13).",
            ),
            Collection(
                "themes", models.Theme, key=True, fields=["title", "description", "eu_theme"],
                description="Themes of the catalogue (CKAN groups), each mapped to an EU data theme.",
            ),
            Collection(
                "datasets", models.Dataset, key=True,
                fields=["title", "description", "keywords", "themes", "publisher", "contact_point", "licence",
                        "spatial", "temporal_start", "temporal_end", "frequency", "access_level",
                        "publication_model", "issued", "modified", "landing_page", "conforms_to", "asset", "kpis",
                        "services", "microdata", "quasi_identifiers", "k_threshold", "published"],
                description="Datasets of the catalogue (B8); the key is the dataset's name in the CKAN API.",
                exclude={"source_kpi__isnull": False},  # KPI measurement datasets: Cityline writes them (C2.g)
            ),
            Collection(
                "distributions", models.Distribution, key=True,
                fields=["dataset", "title", "description", "kind", "format", "media_type", "access_url",
                        "key_columns", "about_url", Field("column_links", kind="mapping"), "pack_file"],
                description="Distributions of each dataset: a file held by the platform (pack_file: its path "
                            "inside the pack), a file elsewhere or an API.",
                exclude={"dataset__source_kpi__isnull": False},
            ),
        ],
        after_import=lambda city, directory, **kw: _ingest_files(city, directory, **kw),
        after_commit=lambda city_key: _sync_kpis(city_key),
        after_export=lambda city, directory: _export_files(city, directory),
    )
)


def _ingest_files(city, directory, *, user=None, dry_run=False, rights=None):
    """Store the data files the pack replaces; with ``rights`` (an import by a user), each one needs the right
    to change its distribution, as an upload through the API or ``cityline opendata upload`` does."""
    from .services import ingest_pack_files

    def refusal(distribution):
        return rights.refusal("change", distribution,
                              note=f" of dataset {distribution.dataset.key!r} (a new version of its data file)")

    return [("opendata.yaml", f"distributions.{p.distribution}.pack_file", f"{p.pack_file}: {p.message}")
            for p in ingest_pack_files(city, directory, user=user, dry_run=dry_run,
                                       refusal=refusal if rights is not None else None)]


def _export_files(city, directory):
    """Write the latest stored version of every distribution that has a ``pack_file`` at that path."""
    import shutil
    from pathlib import Path

    from .services import stored_path

    directory = Path(directory).resolve()
    written = []
    held = models.Distribution.objects.filter(city=city).exclude(pack_file="").order_by("key")
    for distribution in held:
        version = distribution.latest_version()
        target = (directory / distribution.pack_file).resolve()
        if version is None or directory not in target.parents:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stored_path(version.path), target)
        written.append(target)
    return written


def _sync_kpis(city_key):
    """Once an import is committed: publish the published KPIs' measurements as open data (C2.g)."""
    from cityline.core.models import City

    from .kpidata import sync_city

    city = City.objects.filter(key=city_key).first()
    if city is not None:
        for result in sync_city(city):  # one KPI that cannot be synced leaves the others synced
            for problem in result.problems:
                log.warning("open data of KPI %s (%s): %s", result.kpi, city_key, problem)
