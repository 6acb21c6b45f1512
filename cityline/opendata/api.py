"""The open data platform in the native API (B8, B13).

The catalogue as plain collections: the asset register, themes, datasets,
distributions and their versions. Anyone sees public datasets (published, public
access, not blocked by the privacy gate) and what belongs to them; staff see all.
The CKAN-compatible Action API and the DCAT-AP endpoints live elsewhere
(:mod:`cityline.opendata.ckan`, :mod:`cityline.opendata.dcat`).
"""

from cityline.api.generic import Resource

from . import models as m
from . import query_api

B8 = "opendata: B8 open data platform"

TAGS = {
    B8: "The asset register (B13) and the data catalogue (B8): datasets with publisher, licence, coverage, "
        "access level and publication model, tied to assets, KPIs and services; their distributions and "
        "every uploaded version; the privacy gate's reviews (staff only).",
    query_api.TAG: query_api.TAG_TEXT,
}

RESOURCES = [
    Resource(m.DataAsset, "data-assets", B8,
             filters=["asset_type", "owner", "domain", "personal_data", "standards", "building_block"],
             search=["key", "name", "description", "domain"]),
    Resource(m.Theme, "themes", B8, filters=["eu_theme"], search=["key", "title", "description"]),
    Resource(m.Dataset, "datasets", B8,
             filters=["themes", "publisher", "licence", "frequency", "access_level", "publication_model", "asset",
                      "kpis", "services", "published", "gate", "public"],
             search=["key", "title", "description", "keywords"], visible_if="public",
             computed={"five_star": int}, prefetch=["distributions__versions"]),
    Resource(m.Distribution, "distributions", B8, filters=["dataset", "kind", "format"],
             search=["key", "title", "description"], visible_if="dataset__public"),
    Resource(m.DistributionVersion, "distribution-versions", B8, filters=["distribution", "number"],
             visible_if="public", read_only=True),  # written by uploads only; see VersionQuerySet.visible
    Resource(m.PrivacyReview, "privacy-reviews", B8, filters=["dataset", "result"],
             staff_only=True, read_only=True),  # written by the privacy gate and overrides only
]


def add_routes(router) -> None:
    """The query API, SQL, bulk download, uploads and take-up (:mod:`cityline.opendata.query_api`)."""
    query_api.add_routes(router)
