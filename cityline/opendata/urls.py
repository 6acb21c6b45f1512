"""Addresses of the open data platform that are not translated portal pages.

Each group is mounted twice: under ``/<city>/`` and at the site root for the default
city (:mod:`.sites`). Harvesters and CKAN clients take either as the site's base URL.

- files: ``files/<dataset>/<distribution>/`` (latest version), ``…/v<n>/`` (one version),
  ``…/v<n>/data.parquet``, ``…/v<n>/datapackage.json``, ``…/v<n>/csv-metadata.json``
  (:mod:`.files`);
- the CKAN Action API: ``api/3/action/<action>`` (:mod:`.ckan`);
- DCAT-AP: ``catalog.ttl|jsonld|rdf``, ``dataset/<name>.ttl|jsonld|rdf`` and ``dataset/<name>``
  by content negotiation (:mod:`.dcat`).
"""

from django.urls import include, path

from . import ckan, dcat, files

app_name = "opendata"

#: Routes relative to a site base; every view takes ``city`` (``None`` at the root).
site_patterns = [*files.urlpatterns, *ckan.urlpatterns, *dcat.urlpatterns]

urlpatterns = [
    path("<slug:city>/", include(site_patterns)),
    path("", include(site_patterns), {"city": None}),
]
