"""The open data platform's native query API, bulk download, uploads and take-up (issue 4; B7.d, B8).

Routes under ``/api/v1/cities/{city_key}/`` (wired by :func:`add_routes`, called from
:mod:`cityline.opendata.api`; documented in docs/opendata/query-api.md):

- ``GET datasets/{dataset}/distributions/{distribution}/rows``: filter, search, sort,
  page and select columns of a tabular distribution's version (:func:`.domain.query.search`
  over its Parquet copy); JSON or streamed CSV.
- ``GET|POST sql``: one read-only SQL SELECT over the latest versions of the public tabular
  distributions, each a table named by its distribution key (:func:`.domain.query.sql`),
  with a row and a time limit; JSON or CSV.
- ``GET catalogue/bulk.zip``: every public held distribution's latest file and the
  catalogue's metadata as JSON, in one zip.
- ``POST distributions/{key}/versions`` (staff): upload a new version of a held
  distribution through :func:`.services.upload_version`; a refused file is a 422 problem
  listing its row and column errors.
- ``GET take-up`` (staff): views, downloads and API calls by month (:mod:`.takeup`).

Anonymous callers see public datasets only (``Dataset.public``); staff see all. Every read
of data counts towards the dataset's take-up, without keeping anything about the caller.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema
from ninja.responses import Status
from ninja.files import UploadedFile

from cityline.api.auth import require, viewer, viewer_is_staff, write_auth
from cityline.api.errors import ApiProblem, Problem, problem_response
from cityline.api.generic import ERRORS_READ, ERRORS_WRITE, get_city

from . import choices, services, takeup
from .domain import query as dq
from .domain import tabular
from .models import Dataset, Distribution, DistributionVersion

TAG = "opendata: query API"
TAG_TEXT = ("Query tabular distributions (filters, text search, sort, paging, columns; read-only SQL with row and "
            "time limits) as JSON or CSV, download the whole public catalogue in one zip, upload new versions "
            "(staff) and read the take-up figures (staff). See docs/opendata/query-api.md.")

ROWS_DEFAULT_LIMIT = 100
SQL_DEFAULT_LIMIT = 1000


def sql_row_limit() -> int:
    """The most rows a SQL query may return (``CITYLINE_SQL_MAX_ROWS``, default 10,000)."""
    return int(getattr(settings, "CITYLINE_SQL_MAX_ROWS", 10_000))


def sql_timeout() -> float:
    """Seconds before a SQL query is stopped (``CITYLINE_SQL_TIMEOUT``, default 10)."""
    return float(getattr(settings, "CITYLINE_SQL_TIMEOUT", 10.0))


def bulk_max_bytes() -> int:
    """Most bytes of data files in the bulk zip (``CITYLINE_BULK_MAX_BYTES``, default 1 GiB)."""
    return int(getattr(settings, "CITYLINE_BULK_MAX_BYTES", 1 << 30))


# --- schemas -----------------------------------------------------------------------------------


class FieldOut(Schema):
    id: str
    type: str


class RowsOut(Schema):
    dataset: str
    distribution: str
    version: int
    fields: list[FieldOut]
    records: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    sort: str | None = None
    next: str | None = None
    previous: str | None = None


class SqlIn(Schema):
    q: str
    limit: int = SQL_DEFAULT_LIMIT
    format: Literal["json", "csv"] = "json"


class SqlOut(Schema):
    fields: list[FieldOut]
    records: list[dict[str, Any]]
    truncated: bool
    row_limit: int
    elapsed_ms: float
    tables: list[str]


class VersionOut(Schema):
    dataset: str
    distribution: str
    number: int
    original_name: str
    media_type: str
    byte_size: int
    checksum: str
    row_count: int | None = None
    created_at: str | None = None
    changes: dict[str, Any]
    note: str
    gate: str
    public: bool
    url: str


class TakeUpRow(Schema):
    month: str
    dataset: str
    distribution: str
    kind: str
    count: int


class TakeUpDataset(Schema):
    dataset: str
    view: int
    download: int
    api: int


class TakeUpOut(Schema):
    city: str
    months: list[TakeUpRow]
    datasets: list[TakeUpDataset]
    totals: dict[str, int]


# --- helpers -------------------------------------------------------------------------------------


def visible_datasets(request: HttpRequest, city):
    datasets = Dataset.objects.filter(city=city)
    return datasets if viewer_is_staff(request, city) else datasets.filter(public=True)


def find_version(request: HttpRequest, city, dataset: str, distribution: str, number: int | None):
    ds = visible_datasets(request, city).filter(key=dataset).first()
    if ds is None:
        raise ApiProblem("not-found", f"no dataset {dataset!r} in {city.key}")
    dist = Distribution.objects.filter(dataset=ds, key=distribution).select_related("dataset", "city").first()
    if dist is None:
        raise ApiProblem("not-found", f"no distribution {distribution!r} in dataset {dataset!r}")
    versions = dist.versions.visible(viewer_is_staff(request, city))
    version = versions.filter(number=number).first() if number is not None else versions.order_by("-number").first()
    if version is None:
        raise ApiProblem("not-found", f"distribution {distribution!r} has no version {number}" if number is not None
                         else f"distribution {distribution!r} holds no file yet")
    if not version.parquet_path:
        raise ApiProblem("not-found", f"version {version.number} of {distribution!r} is not tabular: download it")
    return dist, version


FILTER_PARAM = re.compile(r"^filter\[([^\[\]]+)\]$")
ROWS_PARAMS = {"filters", "q", "sort", "fields", "limit", "offset", "version", "format"}


def parse_filters(request: HttpRequest) -> tuple[dict[str, Any], dict[str, str]]:
    """``filters={"col": value | [values]}`` and/or repeated ``filter[col]=value`` → filters, and where each came from."""
    filters: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name in request.GET:
        if name in ROWS_PARAMS:
            continue
        match = FILTER_PARAM.match(name)
        if not match:
            raise ApiProblem("unknown-parameter", f"unknown query parameter {name!r}: use filter[column]=value, "
                             f"filters, q, sort, fields, limit, offset, version, format",
                             errors={name: ["unknown parameter"]})
        values = request.GET.getlist(name)
        filters[match.group(1)] = values if len(values) > 1 else values[0]
        origin[match.group(1)] = name
    raw = request.GET.get("filters")
    if raw:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiProblem("invalid-parameter", f"filters: not valid JSON ({exc.msg})",
                             errors={"filters": ["must be a JSON object of column: value or [values]"]}) from exc
        if not isinstance(data, dict):
            raise ApiProblem("invalid-parameter", "filters: must be a JSON object of column: value or [values]",
                             errors={"filters": ["must be a JSON object"]})
        for column, value in data.items():
            filters[column] = value
            origin[column] = "filters"
    return filters, origin


def query_problem(exc: dq.QueryError, where: dict[str, str] | None = None, default: str = "q") -> HttpResponse:
    """A :class:`QueryError` as a 400 problem naming the parameter (and the column) at fault."""
    where = where or {}
    params = exc.params
    if exc.code == "unknown-field":
        param = where.get(params.get("name"), default)
    elif exc.code == "bad-filter-value":
        param = where.get(params.get("name"), "filters")
    elif exc.code == "bad-sort":
        param = "sort"
    elif exc.code == "bad-limit":
        param = params.get("name", "limit")
    else:
        param = default
    if isinstance(exc, dq.QueryTimeout):
        return problem_response("bad-request", exc.message, errors={param: [exc.message]})
    return problem_response("invalid-parameter", f"{param}: {exc.message}", errors={param: [exc.message]})


def csv_response(fields: list[dict], records: list[dict], filename: str, headers: dict[str, str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(dq.csv_chunks(fields, records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    for name, value in headers.items():
        response[name] = value
    return response


def _page_link(request: HttpRequest, offset: int) -> str:
    params = request.GET.copy()
    params["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def sql_tables(request: HttpRequest, city, query: str) -> dict[str, tuple[DistributionVersion, Path]]:
    """Tables a query may use: the latest tabular version of each visible held distribution, by key.

    Only distributions whose key appears in the query text are opened (a view per file costs a read
    of its footer)."""
    tables: dict[str, tuple[DistributionVersion, Path]] = {}
    staff = viewer_is_staff(request, city)
    dists = (Distribution.objects.filter(dataset__in=visible_datasets(request, city), kind=choices.DistributionKind.FILE)
             .select_related("dataset").order_by("key"))
    for dist in dists:
        if dist.key not in query:
            continue
        version = dist.versions.visible(staff).order_by("-number").first()
        if version is not None and version.parquet_path:
            tables[dist.key] = (version, services.stored_path(version.parquet_path))
    return tables


def run_sql(request: HttpRequest, city_key: str, q: str, limit: int, fmt: str):
    city = get_city(city_key)
    if not (q or "").strip():
        raise ApiProblem("invalid-parameter", "q: write one SELECT statement", errors={"q": ["required"]})
    high = sql_row_limit()
    if not 1 <= limit <= high:
        raise ApiProblem("invalid-parameter", f"limit: must be from 1 to {high}; got {limit}",
                         errors={"limit": [f"from 1 to {high}"]})
    tables = sql_tables(request, city, q)
    try:
        result = dq.sql(q, {name: path for name, (_, path) in tables.items()}, row_limit=limit,
                        timeout_s=sql_timeout())
    except dq.QueryError as exc:
        return query_problem(exc, default="q")
    counted = set()
    for version, _ in tables.values():
        dist = version.distribution
        if dist.key in result.tables and dist.pk not in counted:
            counted.add(dist.pk)
            takeup.record(dist.dataset, takeup.API, distribution=dist)
    if fmt == "csv":
        return csv_response(result.fields, result.records, f"{city.key}-query.csv",
                            {"X-Truncated": "true" if result.truncated else "false"})
    return {**result.as_dict(), "tables": sorted(tables)}


def catalogue_entry(ds: Dataset, latest: dict[int, DistributionVersion], files: dict[int, str],
                    omitted: dict[int, int]) -> dict:
    """One dataset of ``catalogue.json``; ``latest``: the latest version of each held distribution, by its id."""
    dists = []
    for dist in sorted(ds.distributions.all(), key=lambda d: d.key):
        version = latest.get(dist.pk)
        entry = {"key": dist.key, "id": str(dist.uuid) if dist.uuid else None, "title": dist.title,
                 "kind": dist.kind, "format": dist.format, "media_type": dist.media_type,
                 "access_url": dist.access_url or None}
        if version is not None:
            entry["version"] = services.version_summary(version)
            entry["file"] = files.get(version.pk)
            if version.pk in omitted:
                entry["omitted"] = "over the bulk download's size limit: download it on its own"
        dists.append(entry)
    return {
        "key": ds.key, "id": str(ds.uuid) if ds.uuid else None, "title": ds.title, "description": ds.description,
        "keywords": ds.keyword_list, "themes": sorted(theme.key for theme in ds.themes.all()),
        "publisher": ds.publisher.name, "licence": ds.licence, "spatial": ds.spatial,
        "temporal_start": ds.temporal_start.isoformat() if ds.temporal_start else None,
        "temporal_end": ds.temporal_end.isoformat() if ds.temporal_end else None,
        "frequency": ds.frequency, "publication_model": ds.publication_model,
        "issued": ds.issued.isoformat() if ds.issued else None,
        "modified": ds.modified.isoformat() if ds.modified else None,
        "landing_page": ds.landing_page or None, "conforms_to": ds.conforms_to or None,
        "kpis": sorted(kpi.key for kpi in ds.kpis.all()), "distributions": dists,
    }


def build_bulk_zip(city, target) -> dict:
    """Write the city's public catalogue (metadata + latest held files) as a zip into ``target``."""
    limit = bulk_max_bytes()
    used = 0
    datasets = list(Dataset.objects.filter(city=city, public=True).select_related("publisher")
                    .prefetch_related("distributions", "themes", "kpis").order_by("key"))
    latest: dict[int, DistributionVersion] = {}
    files: dict[int, str] = {}
    omitted: dict[int, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for ds in datasets:
            for dist in sorted(ds.distributions.all(), key=lambda d: d.key):
                version = (dist.versions.visible().order_by("-number").first()
                           if dist.kind == choices.DistributionKind.FILE else None)  # (visible() says so too)
                if version is None:
                    continue
                latest[dist.pk] = version
                if used + version.byte_size > limit:
                    omitted[version.pk] = version.byte_size
                    continue
                try:
                    source = services.stored_path(version.path)
                except ValueError:
                    continue
                if not source.is_file():
                    continue
                name = f"data/{ds.key}/{dist.key}-v{version.number}.{version.path.rsplit('.', 1)[-1]}"
                zf.write(source, name)
                files[version.pk] = name
                used += version.byte_size
                takeup.record(ds, takeup.DOWNLOAD, distribution=dist)
        metadata = {
            "city": city.key, "generated_at": timezone.now().isoformat(timespec="seconds"),
            "max_bytes": limit, "datasets": [catalogue_entry(ds, latest, files, omitted) for ds in datasets],
        }
        zf.writestr("catalogue.json", json.dumps(metadata, ensure_ascii=False, indent=1))
    return metadata


def upload_problem(exc: tabular.IngestError) -> HttpResponse:
    message, rows = tabular.localised(exc, gettext)
    errors: dict[str, list[str]] = {"file": [message]}
    for error in rows:
        errors.setdefault(error["column"] or "file", []).append(error["message"])
    more = exc.total_errors - len(exc.errors)
    if more > 0:
        errors["file"].append(f"... and {more} more errors")
    return problem_response("validation", message, errors=errors)


# --- routes --------------------------------------------------------------------------------------


ROWS_HELP = """\
A page of rows of a tabular distribution (the latest version, or `version`), read from its Parquet copy.

* **Filters** (equality; several values mean "any of"): repeat `filter[column]=value`
  (e.g. `?filter[district]=north&filter[district]=south`) or pass `filters` as a JSON object
  (`filters={"district": ["north", "south"], "station": "mill-lane"}`).
* `q`: text searched (case-insensitively, as a substring) in every text column.
* `sort`: `column` or `column desc`, comma-separated. `fields`: columns to return, comma-separated.
* `limit` (0–32,000, default 100) and `offset` page through; `total` counts the matching rows.
* `format=csv` streams the page as CSV (header `X-Total-Count`).

Errors are 400 problems naming the parameter and the column. Anonymous callers see public datasets only.
"""

SQL_HELP = """\
One read-only SQL `SELECT` (DuckDB dialect) over the latest versions of the tabular distributions
you may see (anonymous callers: public datasets). Each distribution is a table named by its key;
quote it: `SELECT district, avg(no2) FROM "air-quality-csv" GROUP BY district`.

At most `limit` rows come back (default 1,000, at most `CITYLINE_SQL_MAX_ROWS`, 10,000 unless
configured; `truncated` says whether there were more) and a query is stopped after
`CITYLINE_SQL_TIMEOUT` seconds (10). File access, `COPY`, `ATTACH`, `PRAGMA`, `SET` and
extensions are refused. `format=csv` returns CSV.
"""


def add_routes(router: Router) -> None:
    @router.get("/cities/{city_key}/datasets/{dataset}/distributions/{distribution}/rows",
                response={200: RowsOut, **ERRORS_READ}, tags=[TAG], operation_id="opendata_rows",
                summary="Query the rows of a tabular distribution", description=ROWS_HELP,
                openapi_extra={"responses": {200: {"description": "OK", "content": {
                    "text/csv": {"schema": {"type": "string"}}}}}})
    def rows(request, city_key: str, dataset: str, distribution: str, filters: str | None = None,
             q: str | None = None, sort: str | None = None, fields: str | None = None,
             limit: int = ROWS_DEFAULT_LIMIT, offset: int = 0, version: int | None = None,
             format: Literal["json", "csv"] = "json"):  # noqa: A002 - the parameter's public name
        city = get_city(city_key)
        parsed, origin = parse_filters(request)
        dist, ver = find_version(request, city, dataset, distribution, version)
        columns = [c.strip() for c in fields.split(",") if c.strip()] if fields else None
        where = {**origin, **{c: "fields" for c in columns or []}}
        for part in (sort or "").split(","):
            name = part.strip().split(" ")[0] if part.strip() else ""
            if name:
                where.setdefault(name, "sort")
        try:
            page = dq.search(services.stored_path(ver.parquet_path), filters=parsed or None, q=q or None,
                             fields=columns, sort=sort or None, limit=limit, offset=offset)
        except dq.QueryError as exc:
            return query_problem(exc, where, default="fields")
        takeup.record(dist.dataset, takeup.API, distribution=dist)
        if format == "csv":
            return csv_response(page.fields, page.records, f"{dataset}-{distribution}-v{ver.number}.csv",
                                {"X-Total-Count": str(page.total)})
        nxt = page.offset + page.limit
        return {**page.as_dict(), "dataset": dataset, "distribution": distribution, "version": ver.number,
                "next": _page_link(request, nxt) if page.limit and nxt < page.total else None,
                "previous": _page_link(request, max(0, page.offset - page.limit)) if page.offset else None}

    @router.get("/cities/{city_key}/sql", response={200: SqlOut, **ERRORS_READ}, tags=[TAG],
                operation_id="opendata_sql", summary="Read-only SQL over the tabular distributions",
                description=SQL_HELP)
    def sql_get(request, city_key: str, q: str, limit: int = SQL_DEFAULT_LIMIT,
                format: Literal["json", "csv"] = "json"):  # noqa: A002
        return run_sql(request, city_key, q, limit, format)

    @router.post("/cities/{city_key}/sql", response={200: SqlOut, **ERRORS_READ, 422: Problem}, tags=[TAG],
                 operation_id="opendata_sql_post", summary="Read-only SQL (query in a JSON body)",
                 description="The same as `GET .../sql`, for queries too long for an address: send "
                             "`{\"q\": \"SELECT ...\", \"limit\": 100, \"format\": \"json\"}`. Signing in "
                             "is optional (staff see every dataset's tables).",
                 # optional authentication ({} = anonymous): a POST that only reads
                 openapi_extra={"security": [{"BasicAuth": []}, {"SessionAuth": []}, {}]})
    def sql_post(request, city_key: str, payload: SqlIn):
        return run_sql(request, city_key, payload.q, payload.limit, payload.format)

    @router.get("/cities/{city_key}/catalogue/bulk.zip", response={404: Problem}, tags=[TAG],
                operation_id="opendata_bulk", summary="The whole public catalogue in one zip",
                description="A zip of `catalogue.json` (every public dataset with its distributions and their "
                            "latest version) and, under `data/<dataset>/`, the latest file of every held "
                            "distribution of a public dataset. Files beyond `CITYLINE_BULK_MAX_BYTES` (1 GiB "
                            "unless configured) are left out and marked `omitted` in `catalogue.json`; download "
                            "them on their own. Built on request: meant for catalogues of up to a few hundred "
                            "megabytes.",
                openapi_extra={"responses": {200: {"description": "The zip file", "content": {
                    "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}})
    def bulk(request, city_key: str):
        city = get_city(city_key)
        handle = tempfile.TemporaryFile(suffix=".zip")
        try:
            build_bulk_zip(city, handle)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        response = FileResponse(handle, as_attachment=True, filename=f"{city.key}-open-data.zip",
                                content_type="application/zip")
        response["Access-Control-Allow-Origin"] = "*"
        return response

    @router.post("/cities/{city_key}/distributions/{key}/versions", response={201: VersionOut, **ERRORS_WRITE},
                 auth=write_auth(Distribution, "change"), tags=[TAG], operation_id="opendata_upload",
                 summary="Upload a new version of a held distribution (staff)",
                 description="A multipart form with `file` (CSV, JSON, GeoJSON or Parquet, as the distribution "
                             "declares; gzip or zip accepted), optional `encoding` (e.g. `latin-1`; guessed "
                             "otherwise) and `note`. The file is validated (Frictionless), converted to Parquet, "
                             "stored as the next version and checked by the privacy gate. A refused file is a "
                             "422 problem whose `errors` name the file and each column with its rows; nothing "
                             "is stored then. A 409 problem: another version was stored while this one was "
                             "checked (nothing stored; upload again).")
    def upload(request, city_key: str, key: str, file: UploadedFile = File(...),  # noqa: B008
               encoding: str | None = Form(None), note: str = Form("")):  # noqa: B008
        city = get_city(city_key)
        require(request, "change", Distribution, city=city)
        dist = Distribution.objects.filter(city=city, key=key).select_related("dataset", "city").first()
        if dist is None:
            raise ApiProblem("not-found", f"no distribution {key!r} in {city.key}")
        user = require(request, "change", dist)  # a steward uploads only their organisation's data
        name = Path(file.name or "upload").name
        with tempfile.TemporaryDirectory(prefix="cityline-upload-") as tmp:
            path = Path(tmp) / name
            with open(path, "wb") as out:
                for chunk in file.chunks():
                    out.write(chunk)
            try:
                version = services.upload_version(dist, path, original_name=name, user=user, note=note or "",
                                                  encoding=encoding or None)
            except tabular.IngestError as exc:
                return upload_problem(exc)
            except services.UploadConflict as exc:
                return problem_response("version-conflict", str(exc), errors={"file": [str(exc)]})
            except ValueError as exc:
                return problem_response("validation", str(exc), errors={"file": [str(exc)]})
        dataset = Dataset.objects.get(pk=dist.dataset_id)
        from .files import file_url

        return Status(201, {**services.version_summary(version), "dataset": dataset.key, "distribution": dist.key,
                     "gate": dataset.gate, "public": dataset.public,
                     "url": request.build_absolute_uri(file_url(dist, version.number))})

    @router.get("/cities/{city_key}/take-up", response={200: TakeUpOut, 401: Problem, 403: Problem, 404: Problem},
                tags=[TAG], operation_id="opendata_take_up",
                summary="Take-up of the open data platform (staff)",
                description="Views, downloads and API calls of every dataset (public or not) by month and "
                            "distribution, with totals per dataset and overall (B7.d, B8). Counters only: no IP "
                            "address or user is kept. The public figures are the open dataset `take-up`.")
    def take_up(request, city_key: str):
        # Like every read, no ``auth=`` on the operation; the viewer (session or Basic) must be staff.
        if viewer(request) is None:
            raise ApiProblem("not-authenticated", "sign in as a staff user: a session or HTTP Basic authentication",
                             headers={"WWW-Authenticate": 'Basic realm="cityline", charset="UTF-8"'})
        city = get_city(city_key)
        if not viewer_is_staff(request, city):
            raise PermissionDenied("only people with a role in the city can read the take-up figures")
        return takeup.summary(city)

