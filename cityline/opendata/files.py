"""Downloads of held files: every version citable at its own address (B8), with its Parquet copy,
its Frictionless data package and its CSV on the Web metadata.

- ``files/<dataset>/<distribution>/``: the latest version (what CKAN's resource ``url`` points to);
- ``files/<dataset>/<distribution>/v<n>/``: version *n*, for ever;
- ``…/v<n>/data.parquet``, ``…/v<n>/datapackage.json``, ``…/v<n>/csv-metadata.json``.

Only versions anyone may get (``DistributionVersion.public``: a public dataset, a held file, not
blocked by the privacy gate) are served, except to staff. Each
download counts towards the dataset's take-up (:mod:`.takeup`); no personal data is kept.
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.urls import path, reverse

from cityline.api.auth import viewer_is_staff

from . import takeup
from .domain import tabular
from .models import Dataset, Distribution, DistributionVersion
from .services import stored_path
from .sites import resolve_city

EXTENSIONS = {"csv": "csv", "json": "json", "geojson": "geojson", "parquet": "parquet"}


def find_distribution(request: HttpRequest, city: str | None, dataset: str, distribution: str) -> Distribution:
    """The distribution named in the URL, if its dataset is visible to this viewer; else 404."""
    city_obj = resolve_city(city)
    datasets = Dataset.objects.filter(city=city_obj, key=dataset)
    if not viewer_is_staff(request, city_obj):
        datasets = datasets.filter(public=True)
    ds = datasets.first()
    if ds is None:
        raise Http404(f"no dataset {dataset!r}")
    dist = Distribution.objects.filter(dataset=ds, key=distribution).select_related("dataset", "city").first()
    if dist is None:
        raise Http404(f"no distribution {distribution!r} in dataset {dataset!r}")
    return dist


def find_version(request: HttpRequest, dist: Distribution, number: int | None) -> DistributionVersion:
    """Version ``number`` (the latest when None) if this viewer may get it (``VersionQuerySet.visible``); else 404."""
    versions = dist.versions.visible(viewer_is_staff(request, dist.city))
    version = versions.filter(number=number).first() if number is not None else versions.order_by("-number").first()
    if version is None:
        raise Http404(f"distribution {dist.key!r} has no version {number}" if number else
                      f"distribution {dist.key!r} holds no file yet")
    return version


def file_url(dist: Distribution, number: int | None = None, *, name: str = "") -> str:
    """The path of a version's file (latest when ``number`` is None); ``name``: parquet, datapackage, csvw."""
    kwargs = {"city": dist.city.key, "dataset": dist.dataset.key, "distribution": dist.key}
    if number is None and not name:
        return reverse("opendata:file-latest", kwargs=kwargs)
    kwargs["number"] = number
    return reverse({"": "opendata:file-version", "parquet": "opendata:file-parquet",
                    "datapackage": "opendata:datapackage", "csvw": "opendata:csvw"}[name], kwargs=kwargs)


def _download_name(version: DistributionVersion, extension: str) -> str:
    dist = version.distribution
    return f"{dist.dataset.key}-{dist.key}-v{version.number}.{extension}"


def _serve(request, version: DistributionVersion, relative: str, extension: str, media_type: str) -> FileResponse:
    try:
        handle = open(stored_path(relative), "rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("the stored file is missing") from exc
    takeup.record(version.distribution.dataset, takeup.DOWNLOAD, distribution=version.distribution)
    response = FileResponse(handle, as_attachment=True, filename=_download_name(version, extension),
                            content_type=media_type)
    if relative == version.path:
        response["ETag"] = f'"{version.checksum}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def file_latest(request, city, dataset, distribution):
    version = find_version(request, find_distribution(request, city, dataset, distribution), None)
    return _serve(request, version, version.path, _extension(version), version.media_type)


def file_version(request, city, dataset, distribution, number):
    version = find_version(request, find_distribution(request, city, dataset, distribution), number)
    return _serve(request, version, version.path, _extension(version), version.media_type)


def file_parquet(request, city, dataset, distribution, number):
    version = find_version(request, find_distribution(request, city, dataset, distribution), number)
    if not version.parquet_path:
        raise Http404("this version has no Parquet copy")
    return _serve(request, version, version.parquet_path, "parquet", tabular.FORMATS["parquet"][1])


def _extension(version: DistributionVersion) -> str:
    suffix = version.path.rsplit(".", 1)[-1].lower()
    return EXTENSIONS.get(suffix, suffix)


def datapackage_for(request: HttpRequest | None, version: DistributionVersion) -> dict:
    """The Frictionless data package of one version: its file and its Parquet copy, by absolute URL."""
    dist = version.distribution
    ds = dist.dataset

    def absolute(url: str) -> str:
        return request.build_absolute_uri(url) if request is not None else url

    fmt = _extension(version)
    main = {"name": tabular._slug(f"{dist.key}-v{version.number}"), "path": absolute(file_url(dist, version.number)),
            "format": fmt, "mediatype": version.media_type}
    if fmt == "parquet":
        # Frictionless reads Parquet through a library, not as bytes, so it cannot check bytes and hash
        # there (it reports them as wrong); they stay in DCAT and in the ETag of the download.
        main.update({"profile": "tabular-data-resource",
                     "schema": tabular._parquet_schema(version.table_schema or {"fields": []})})
    else:
        main.update({"bytes": version.byte_size, "hash": f"sha256:{version.checksum}"})
        main.update({"profile": "tabular-data-resource", "schema": version.table_schema, "encoding": "utf-8"}
                    if fmt == "csv" and version.table_schema else {"profile": "data-resource"})
    resources = [main]
    if version.parquet_path and fmt != "parquet":
        resources.append({
            "name": tabular._slug(f"{dist.key}-v{version.number}-parquet"),
            "path": absolute(file_url(dist, version.number, name="parquet")), "format": "parquet",
            "mediatype": tabular.FORMATS["parquet"][1], "profile": "tabular-data-resource",
            "schema": tabular._parquet_schema(version.table_schema or {"fields": []}),
        })
    return tabular.datapackage(
        name=f"{ds.key}-{dist.key}", title=f"{ds.title}: {dist.title}", description=ds.description,
        licenses=[ds.licence], resources=resources, version=str(version.number),
    )


def csvw_for(request: HttpRequest | None, version: DistributionVersion) -> dict:
    """CSV on the Web metadata of one CSV version, with the distribution's row and link URI templates."""
    dist = version.distribution
    url = file_url(dist, version.number)
    if request is not None:
        url = request.build_absolute_uri(url)
    identifier = {}
    names = {f["name"] for f in (version.table_schema or {}).get("fields", [])}
    if dist.about_url:
        placeholder = re.search(r"\{([^{}]+)\}", dist.about_url)
        if placeholder and placeholder.group(1) in names:
            identifier = {placeholder.group(1): dist.about_url}
    links = {column: template for column, template in (dist.column_links or {}).items() if column in names}
    return tabular.csvw_metadata(url=url, schema=version.table_schema or {"fields": []},
                                 title=f"{dist.dataset.title}: {dist.title}", description=dist.dataset.description,
                                 license=dist.dataset.licence, identifier=identifier, links=links)


def datapackage_view(request, city, dataset, distribution, number):
    version = find_version(request, find_distribution(request, city, dataset, distribution), number)
    response = JsonResponse(datapackage_for(request, version), json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def csvw_view(request, city, dataset, distribution, number):
    version = find_version(request, find_distribution(request, city, dataset, distribution), number)
    if _extension(version) != "csv":
        raise Http404("CSV on the Web metadata describes CSV files only")
    response = JsonResponse(csvw_for(request, version), json_dumps_params={"indent": 2},
                            content_type="application/csvm+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


_BASE = "files/<slug:dataset>/<slug:distribution>/"
urlpatterns = [
    path(_BASE, file_latest, name="file-latest"),
    path(_BASE + "v<int:number>/", file_version, name="file-version"),
    path(_BASE + "v<int:number>/data.parquet", file_parquet, name="file-parquet"),
    path(_BASE + "v<int:number>/datapackage.json", datapackage_view, name="datapackage"),
    path(_BASE + "v<int:number>/csv-metadata.json", csvw_view, name="csvw"),
]
