"""Public pages of the open data platform: the catalogue and one page per dataset (B8, B13, B14, C2.g).

Registered in the portal registry (``cityline.portal.registry``), so they join the city
navigation, the static export (``cityline publish``) and the accessibility audit:

- ``/<city>/data/`` — catalogue search: free text over title, description, keywords and
  publisher; facets (publisher, theme, licence, format, Five-Star rating) with counts,
  links that remove an active filter, sorting and paging; a plain GET form, no JavaScript.
  ``data.json`` and ``data.csv`` (+ ``data-distributions.csv``) are the bulk download of the
  whole catalogue's metadata (issue 4, item 6).
- ``/<city>/data/<dataset>/`` — one dataset: metadata, Five-Star rating with the reason for
  each star and what earns the next (:mod:`.domain.stars`), the asset (B13), KPIs and services
  it serves, distributions with every version, a preview table, a quick chart of a chosen
  column (``?chart=<column>``, server-drawn SVG with a data table), the Table Schema, API
  examples and the DCAT links. ``<dataset>.json`` and ``<dataset>.csv`` (versions) /
  ``<dataset>.schema.csv`` are its downloads.

Only datasets with ``public=True`` (published, public access, not blocked by the privacy
gate) appear anywhere here; any other key answers 404.

The data functions take only the city (and key), as the registry wants; the search
parameters and the chart column come from the request in the two HTML views, which also
count a page view (:func:`.takeup.record`) unless the request comes from the static export.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy.public import iso, provenance, public_person

from . import choices, takeup
from .domain import query as dq
from .domain import stars as _stars
from .domain.search import tokens
from .models import Dataset, Distribution, DistributionVersion

#: Request header the static export sends (``cityline.portal.publish``): no take-up is counted then.
EXPORT_HEADER = "HTTP_X_CITYLINE_EXPORT"
PAGE_SIZE = 20
PREVIEW_ROWS = 20
FACETS = [  # (GET parameter, label)
    ("publisher", _("Publisher")),
    ("theme", _("Theme")),
    ("licence", _("Licence")),
    ("format", _("Format")),
    ("stars", _("Five-Star rating")),
]
SORTS = [
    ("relevance", _("Relevance")),
    ("title", _("Title (A to Z)")),
    ("modified", _("Recently updated")),
    ("stars", _("Most stars")),
]
LICENCE_NAMES = dict(choices.Licence.choices)
NUMERIC = ("integer", "number")
TIME_TYPES = ("date", "datetime", "year", "yearmonth")


def licence_info(spdx: str) -> dict[str, Any]:
    """A licence as the pages show it: SPDX id, name, link to its text, whether it is open."""
    return {"id": spdx, "name": str(LICENCE_NAMES.get(spdx, spdx)),
            "url": None if not spdx or spdx.startswith("LicenseRef-") else f"https://spdx.org/licenses/{spdx}.html",
            "open": spdx in choices.OPEN_LICENCES}


def rating_of(dataset: Dataset) -> dict[str, Any]:
    """The Five-Star rating (issue 4, item 3), reasons in the active language."""
    return _stars.rating(dataset, gettext)


def _queryset(city: City):
    versions = DistributionVersion.objects.visible().order_by("-number")
    return (Dataset.objects.filter(city=city, public=True)
            .select_related("publisher", "contact_point__organisation", "asset__owner")
            .prefetch_related("themes", "kpis", "services",
                              Prefetch("distributions", queryset=Distribution.objects.order_by("key")
                                       .prefetch_related(Prefetch("versions", queryset=versions)))))


def has_catalogue(city: City) -> bool:
    return Dataset.objects.filter(city=city, public=True).exists()


def _dcat_links(city: City, key: str | None = None) -> list[dict[str, str]]:
    out = []
    for ext, label in (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML")):
        if key is None:
            url = reverse(f"opendata:dcat-catalog-{ext}", kwargs={"city": city.key})
        else:
            url = reverse(f"opendata:dcat-dataset-{ext}", kwargs={"city": city.key, "name": key})
        out.append({"format": label, "url": url})
    return out


def _summary(city: City, ds: Dataset, rating: dict[str, Any] | None = None) -> dict[str, Any]:
    rating = rating or rating_of(ds)
    dists = list(ds.distributions.all())
    return {
        "key": ds.key, "id": str(ds.uuid) if ds.uuid else None, "title": ds.title, "description": ds.description,
        "url": reverse("portal:dataset", kwargs={"city": city.key, "key": ds.key}),
        "keywords": ds.keyword_list,
        "themes": [{"key": t.key, "title": t.title, "eu_theme": t.eu_theme}
                   for t in sorted(ds.themes.all(), key=lambda t: t.title)],
        "publisher": {"key": ds.publisher.key, "name": ds.publisher.name},
        "licence": licence_info(ds.licence),
        "formats": sorted({d.format for d in dists}),
        "distributions": len(dists),
        "stars": rating["stars"],
        "frequency": ds.frequency or None,
        "frequency_label": str(ds.get_frequency_display()) if ds.frequency else None,
        "access_level": ds.access_level, "publication_model": ds.publication_model,
        "issued": iso(ds.issued), "modified": iso(ds.modified),
        "metadata_modified": ds.updated_at.isoformat() if ds.updated_at else None,
        "spatial": ds.spatial or None,
        "temporal_start": iso(ds.temporal_start), "temporal_end": iso(ds.temporal_end),
        "dcat": _dcat_links(city, ds.key),
    }


# --- the catalogue ---------------------------------------------------------------------------


def catalogue(city: City) -> dict[str, Any]:
    """Every public dataset's metadata (the bulk catalogue download) and the machine addresses."""
    datasets = list(_queryset(city).order_by("title", "key"))
    items = [_summary(city, ds) for ds in datasets]
    return {
        "datasets": items,
        "count": len(items),
        "links": {
            "dcat": _dcat_links(city),
            "ckan": reverse("opendata:ckan-action", kwargs={"city": city.key, "action": "package_search"}),
        },
        "provenance": provenance(city, datasets),
    }


def catalogue_rows(data: dict[str, Any]):
    header = ["key", "id", "title", "description", "publisher", "themes", "keywords", "licence", "formats",
              "distributions", "stars", "frequency", "access_level", "publication_model", "issued", "modified",
              "spatial", "temporal_start", "temporal_end", "url"]
    rows = [[d["key"], d["id"], d["title"], d["description"], d["publisher"]["key"],
             "; ".join(t["key"] for t in d["themes"]), "; ".join(d["keywords"]), d["licence"]["id"],
             "; ".join(d["formats"]), d["distributions"], d["stars"], d["frequency"], d["access_level"],
             d["publication_model"], d["issued"], d["modified"], d["spatial"], d["temporal_start"],
             d["temporal_end"], d["url"]] for d in data["datasets"]]
    return header, rows


def _facet_values(d: dict[str, Any], facet: str) -> list[str]:
    if facet == "publisher":
        return [d["publisher"]["key"]]
    if facet == "theme":
        return [t["key"] for t in d["themes"]]
    if facet == "licence":
        return [d["licence"]["id"]]
    if facet == "format":
        return d["formats"]
    if facet == "stars":
        return [str(d["stars"])]
    raise KeyError(facet)


def _facet_label(datasets: list[dict[str, Any]], facet: str, value: str) -> str:
    if facet == "stars":
        return gettext("%(n)s of 5 stars") % {"n": value}
    for d in datasets:
        if facet == "publisher" and d["publisher"]["key"] == value:
            return d["publisher"]["name"]
        if facet == "theme":
            for t in d["themes"]:
                if t["key"] == value:
                    return t["title"]
        if facet == "licence" and d["licence"]["id"] == value:
            return d["licence"]["name"]
    return value


def _text_score(d: dict[str, Any], words: list[str]) -> float:
    """Every word must match a word of the title, keywords, description or publisher (a prefix, from
    three letters, as the CKAN search does: :mod:`.domain.search`); title matches weigh most."""
    fields = [(4.0, d["title"]), (3.0, " ".join(d["keywords"])), (1.5, d["publisher"]["name"]),
              (1.0, d["description"])]
    toks = [(w, set(tokens(text))) for w, text in fields]
    score = 0.0
    for word in words:
        best = 0.0
        for weight, found in toks:
            if word in found or (len(word) >= 3 and any(t.startswith(word) for t in found)):
                best = max(best, weight)
        if not best:
            return 0.0
        score += best
    return score


def search(data: dict[str, Any], params, path: str = "") -> dict[str, Any]:
    """Filter, facet, sort and page the catalogue for the search page.

    ``params`` is a ``QueryDict`` (or a dict of lists): ``q``; ``publisher``, ``theme``,
    ``licence``, ``format``, ``stars`` (repeatable: any of the values, and all facets);
    ``sort`` (``relevance``, ``title``, ``modified``, ``stars``); ``page`` (from 1).
    Facet counts are disjunctive: each facet counts over the datasets matching the text
    and every *other* facet, so choosing one value still shows the alternatives.
    """
    def getlist(name: str) -> list[str]:
        if hasattr(params, "getlist"):
            return [v for v in params.getlist(name) if v]
        value = params.get(name, [])
        return [v for v in ([value] if isinstance(value, str) else value) if v]

    datasets = data["datasets"]
    q = (getlist("q") or [""])[0].strip()
    words = list(dict.fromkeys(tokens(q)))
    chosen = {facet: getlist(facet) for facet, _label in FACETS}

    scored = []
    for d in datasets:
        score = _text_score(d, words) if words else 0.0
        if words and not score:
            continue
        scored.append((d, score))

    def matches(d: dict[str, Any], skip: str | None = None) -> bool:
        for facet, values in chosen.items():
            if facet != skip and values and not set(values) & set(_facet_values(d, facet)):
                return False
        return True

    results = [(d, s) for d, s in scored if matches(d)]
    sort = (getlist("sort") or [""])[0]
    if sort not in dict(SORTS):
        sort = "relevance" if words else "title"
    if sort == "relevance":
        results.sort(key=lambda x: (-x[1], x[0]["title"].casefold()))
    elif sort == "modified":
        results.sort(key=lambda x: (x[0]["modified"] or x[0]["issued"] or "", x[0]["title"].casefold()), reverse=True)
    elif sort == "stars":
        results.sort(key=lambda x: (-(x[0]["stars"] or 0), x[0]["title"].casefold()))
    else:
        results.sort(key=lambda x: x[0]["title"].casefold())
    total = len(results)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    try:
        page = min(max(1, int((getlist("page") or ["1"])[0])), pages)
    except ValueError:
        page = 1

    base = {"q": [q] if q else [], **{f: list(v) for f, v in chosen.items()},
            "sort": [sort] if getlist("sort") else []}

    def url(**changes: list[str]) -> str:
        merged = {**base, **changes}
        pairs = [(k, v) for k, values in merged.items() for v in values]
        return f"{path}?{urlencode(pairs)}" if pairs else path or "?"

    facets = []
    for facet, label in FACETS:
        counts: dict[str, int] = {}
        for d, _s in scored:
            if matches(d, skip=facet):
                for v in set(_facet_values(d, facet)):
                    counts[v] = counts.get(v, 0) + 1
        for v in chosen[facet]:
            counts.setdefault(v, 0)
        items = []
        for value, count in counts.items():
            selected = value in chosen[facet]
            values = [v for v in chosen[facet] if v != value] if selected else [*chosen[facet], value]
            items.append({"value": value, "label": _facet_label(datasets, facet, value), "count": count,
                          "selected": selected, "url": url(**{facet: values, "page": []})})
        if facet == "stars":
            items.sort(key=lambda i: -int(i["value"]) if i["value"].isdigit() else 0)
        else:
            items.sort(key=lambda i: (-i["count"], str(i["label"]).casefold()))
        if items:
            facets.append({"name": facet, "label": label, "items": items})

    active = []
    if q:
        active.append({"label": _("Search"), "value": q, "remove_url": url(q=[], page=[])})
    for facet, label in FACETS:
        for value in chosen[facet]:
            active.append({"label": label, "value": _facet_label(datasets, facet, value),
                           "remove_url": url(**{facet: [v for v in chosen[facet] if v != value], "page": []})})
    start = (page - 1) * PAGE_SIZE
    return {
        "q": q, "sort": sort, "sorts": [{"value": v, "label": lab, "selected": v == sort} for v, lab in SORTS],
        "total": total, "results": [d for d, _s in results[start:start + PAGE_SIZE]],
        "first": start + 1 if total else 0, "last": min(start + PAGE_SIZE, total),
        "page": page, "pages": pages,
        "previous_url": url(page=[str(page - 1)]) if page > 1 else None,
        "next_url": url(page=[str(page + 1)]) if page < pages else None,
        "facets": facets, "active": active, "clear_url": path or "?",
        "hidden": [(f, v) for f, values in chosen.items() for v in values],
    }


def exporting(request: HttpRequest) -> bool:
    return request.META.get(EXPORT_HEADER) == "1"


def catalogue_view(request: HttpRequest, city: str) -> HttpResponse:
    city_obj, data = CATALOGUE._load(city)
    found = search(data, request.GET, request.path)
    context = {"city": city_obj, "data": data, "found": found, "page": CATALOGUE,
               "downloads": CATALOGUE.downloads(city_obj), "provenance": data["provenance"],
               "site": site_base(request)}
    return render(request, CATALOGUE.template, context)


def site_base(request: HttpRequest) -> str:
    """The site address for the API examples; a placeholder in the static export."""
    if exporting(request):
        return "https://cityline.example"
    return request.build_absolute_uri("/").rstrip("/")


# --- one dataset -----------------------------------------------------------------------------


def _kpi_links(city: City, ds: Dataset) -> list[dict[str, Any]]:
    out = []
    for k in sorted(ds.kpis.all(), key=lambda k: k.title):
        if not getattr(k, "published", False):
            continue
        try:
            url = reverse("portal:kpi", kwargs={"city": city.key, "key": k.key})
        except NoReverseMatch:
            url = None
        out.append({"key": k.key, "title": k.title, "url": url})
    return out


def _services_url(city: City) -> str | None:
    try:
        page = registry.get("services")
    except KeyError:
        return None
    return page.nav_url(city) if page.shown_for(city) else None


def _version(city: City, dist: Distribution, v: DistributionVersion) -> dict[str, Any]:
    from .files import file_url

    changes = v.changes or {}
    fmt = v.path.rsplit(".", 1)[-1].lower()
    return {
        "number": v.number, "url": file_url(dist, v.number), "original_name": v.original_name,
        "media_type": v.media_type, "byte_size": v.byte_size, "row_count": v.row_count, "checksum": v.checksum,
        "created_at": v.created_at.isoformat() if v.created_at else None, "note": v.note or None,
        "changes": changes.get("summary") or None,
        "datapackage": file_url(dist, v.number, name="datapackage"),
        "csvw": file_url(dist, v.number, name="csvw") if fmt == "csv" and v.table_schema else None,
        "parquet": file_url(dist, v.number, name="parquet") if v.parquet_path else None,
    }


def _fields(schema: dict | None) -> list[dict[str, Any]]:
    out = []
    for f in (schema or {}).get("fields", []):
        constraints = f.get("constraints") or {}
        out.append({"name": f.get("name"), "type": f.get("type", "any"), "format": f.get("format") or None,
                    "title": f.get("title") or None, "description": f.get("description") or None,
                    "constraints": "; ".join(f"{k}: {v}" for k, v in constraints.items()) or None})
    return out


def _preview(version: DistributionVersion | None) -> dict[str, Any] | None:
    if version is None or not version.parquet_path:
        return None
    from .services import stored_path

    try:
        page = dq.search(stored_path(version.parquet_path), limit=PREVIEW_ROWS)
    except (dq.QueryError, OSError, ValueError):
        return None
    names = [f["id"] for f in page.fields]
    return {"fields": page.fields, "rows": [[r.get(n) for n in names] for r in page.records],
            "total": page.total, "shown": len(page.records)}


def dataset_data(city: City, key: str) -> dict[str, Any]:
    """One public dataset in full (raises ``KeyError`` for any key that is not public)."""
    ds = _queryset(city).filter(key=key).first()
    if ds is None:
        raise KeyError(key)
    from .files import file_url

    rating = rating_of(ds)
    summary = _summary(city, ds, rating)
    distributions = []
    tabular_version = None
    tabular_dist = None
    schemas = []
    for dist in ds.distributions.all():
        versions = list(dist.versions.all())  # newest first (prefetch order)
        held = dist.kind == choices.DistributionKind.FILE
        item = {
            "key": dist.key, "id": str(dist.uuid) if dist.uuid else None, "title": dist.title,
            "description": dist.description or None, "kind": dist.kind, "kind_label": str(dist.get_kind_display()),
            "format": dist.format, "media_type": dist.media_type or None,
            "access_url": dist.access_url or None, "held": held,
            "latest_url": file_url(dist) if held and versions else None,
            "versions": [_version(city, dist, v) for v in versions],
        }
        distributions.append(item)
        if versions and versions[0].parquet_path:
            schemas.append({"distribution": dist.title, "key": dist.key, "version": versions[0].number,
                            "fields": _fields(versions[0].table_schema)})
            if tabular_version is None:
                tabular_version, tabular_dist = versions[0], dist
    preview = _preview(tabular_version)
    if preview is not None:
        preview["distribution"] = tabular_dist.title
        preview["version"] = tabular_version.number
    asset = ds.asset
    ckan = reverse("opendata:ckan-action", kwargs={"city": city.key, "action": "package_show"})
    api = [{"label": _("Dataset metadata, CKAN API"), "path": f"{ckan}?id={ds.key}"},
           {"label": _("Dataset metadata, DCAT-AP (Turtle)"), "path": _dcat_links(city, ds.key)[0]["url"]}]
    if tabular_dist is not None and tabular_dist.uuid:
        store = reverse("opendata:ckan-action", kwargs={"city": city.key, "action": "datastore_search"})
        api.append({"label": _("First 5 rows, CKAN DataStore API"),
                    "path": f"{store}?resource_id={tabular_dist.uuid}&limit=5"})
        sql = reverse("opendata:ckan-action", kwargs={"city": city.key, "action": "datastore_search_sql"})
        api.append({"label": _("Count the rows with SQL, CKAN DataStore API"),
                    "path": f"{sql}?" + urlencode({"sql": f'SELECT COUNT(*) FROM "{tabular_dist.uuid}"'})})
        rows = f"/api/v1/cities/{city.key}/datasets/{ds.key}/distributions/{tabular_dist.key}/rows"
        api.append({"label": _("First 5 rows as CSV, Cityline query API"), "path": f"{rows}?limit=5&format=csv"})
    summary.update({
        "publisher": {"key": ds.publisher.key, "name": ds.publisher.name},
        "contact_point": public_person(ds.contact_point),
        "access_level_label": str(ds.get_access_level_display()),
        "publication_model_label": str(ds.get_publication_model_display()),
        "landing_page": ds.landing_page or None, "conforms_to": ds.conforms_to or None,
        "rating": rating,
        "asset": {"key": asset.key, "name": asset.name, "type": asset.asset_type,
                  "type_label": str(asset.get_asset_type_display()),
                  "owner": asset.owner.name if asset.owner_id else None, "domain": asset.domain or None,
                  "reuse_policy": asset.reuse_policy or None, "reuse_potential": asset.reuse_potential,
                  "personal_data": asset.personal_data} if asset else None,
        "kpis": _kpi_links(city, ds),
        "services": [{"key": s.key, "name": s.name} for s in sorted(ds.services.all(), key=lambda s: s.name)],
        "services_url": _services_url(city),
        "distribution_list": distributions,
        "preview": preview,
        "schemas": schemas,
        "chart_source": {"distribution": tabular_dist.key, "version": tabular_version.number,
                         "fields": [{"name": f["name"], "type": f["type"]} for f in schemas[0]["fields"]]}
        if tabular_version is not None else None,
        "api": api,
        "catalogue_url": reverse("portal:data", kwargs={"city": city.key}),
    })
    summary["provenance"] = provenance(city, [ds, *ds.distributions.all()])
    return summary


def version_rows(data: dict[str, Any]):
    header = ["distribution", "title", "kind", "format", "version", "url", "byte_size", "row_count", "sha256",
              "created_at", "changes"]
    rows = []
    for d in data["distribution_list"]:
        if not d["versions"]:
            rows.append([d["key"], d["title"], d["kind"], d["format"], None, d["access_url"], None, None, None,
                         None, None])
        for v in d["versions"]:
            rows.append([d["key"], d["title"], d["kind"], d["format"], v["number"], v["url"], v["byte_size"],
                         v["row_count"], v["checksum"], v["created_at"], v["changes"]])
    return header, rows


def schema_rows(data: dict[str, Any]):
    header = ["distribution", "version", "field", "type", "format", "constraints", "description"]
    rows = [[s["key"], s["version"], f["name"], f["type"], f["format"], f["constraints"], f["description"]]
            for s in data["schemas"] for f in s["fields"]]
    return header, rows


def dataset_keys(city: City) -> list[str]:
    return list(Dataset.objects.filter(city=city, public=True).order_by("key").values_list("key", flat=True))


# --- the quick chart -------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def chart_data(version: DistributionVersion, column: str) -> dict[str, Any] | None:
    """What the quick chart of ``column`` draws, computed by DuckDB over the version's Parquet copy.

    - a number with a date/time column in the table: the mean per time value, as a line;
    - any other number: a histogram (ten equal bins);
    - anything else: the ten most frequent values, as bars.
    """
    from .services import stored_path

    fields = {f["name"]: f.get("type", "any") for f in (version.table_schema or {}).get("fields", [])}
    if column not in fields or not version.parquet_path:
        return None
    path = stored_path(version.parquet_path)
    kind = fields[column]
    time_col = next((n for n, t in fields.items() if t in TIME_TYPES and n != column), None)
    try:
        if kind in NUMERIC and time_col:
            res = dq.sql(f"SELECT CAST({_q(time_col)} AS VARCHAR) AS x, AVG({_q(column)}) AS y FROM t "
                         f"WHERE {_q(column)} IS NOT NULL AND {_q(time_col)} IS NOT NULL GROUP BY 1 ORDER BY 1",
                         tables={"t": path}, row_limit=400)
            points = [(r["x"], float(r["y"])) for r in res.records]
            return {"kind": "line", "column": column, "x": time_col, "points": points} if points else None
        if kind in NUMERIC:
            res = dq.sql(f"SELECT MIN({_q(column)}) AS lo, MAX({_q(column)}) AS hi, COUNT({_q(column)}) AS n "
                         "FROM t", tables={"t": path}, row_limit=1)
            lo, hi, n = res.records[0]["lo"], res.records[0]["hi"], res.records[0]["n"]
            if not n:
                return None
            lo, hi = float(lo), float(hi)
            bins = 10 if hi > lo else 1
            width = (hi - lo) / bins if hi > lo else 1.0
            res = dq.sql(f"SELECT LEAST(CAST(FLOOR(({_q(column)} - {lo!r}) / {width!r}) AS INTEGER), {bins - 1}) "
                         f"AS b, COUNT(*) AS c FROM t WHERE {_q(column)} IS NOT NULL GROUP BY 1 ORDER BY 1",
                         tables={"t": path}, row_limit=bins + 1)
            counts = {int(r["b"]): int(r["c"]) for r in res.records}
            bars = [(f"{_fmt(lo + i * width)}–{_fmt(lo + (i + 1) * width)}", counts.get(i, 0)) for i in range(bins)]
            return {"kind": "histogram", "column": column, "bars": bars}
        res = dq.sql(f"SELECT CAST({_q(column)} AS VARCHAR) AS v, COUNT(*) AS c FROM t GROUP BY 1 "
                     "ORDER BY 2 DESC, 1 LIMIT 10", tables={"t": path}, row_limit=10)
        bars = [(r["v"] if r["v"] is not None else "—", int(r["c"])) for r in res.records]
        return {"kind": "values", "column": column, "bars": bars} if bars else None
    except (dq.QueryError, OSError, ValueError):
        return None


def _fmt(value: float) -> str:
    from cityline.benefits.charts import fmt

    return fmt(round(value, 6))


def chart_svg(chart: dict[str, Any], *, title: str, desc: str) -> str:
    """The chart as inline SVG (``role="img"``, labelled by its title and description).

    Drawn by hand like the KPI charts (``cityline.benefits.charts``: same axes and tick
    rules, no JavaScript library); the page prints the same numbers in a table beside it.
    """
    from html import escape

    from cityline.benefits.charts import fmt, nice_ticks

    w, h = 640, 300
    left, right, top, bottom = 56, 16, 14, 60
    values = [y for _x, y in chart["points"]] if chart["kind"] == "line" else [c for _l, c in chart["bars"]]
    lo = min(0.0, min(values)) if chart["kind"] != "line" else min(values)
    hi = max(values)
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    span = (hi - lo) or 1.0

    def y(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - lo) / span)

    parts = [f'<svg class="od-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title chart-desc" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>']
    for t in ticks:
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{escape(fmt(t))}</text>')
    plot_w = w - left - right
    if chart["kind"] == "line":
        pts = chart["points"]
        n = len(pts)
        xs = [left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y(v):.1f}" for i, (x, (_l, v)) in enumerate(zip(xs, pts)))
        parts.append(f'<path d="{path}" class="line"/>')
        for x, (_l, v) in zip(xs, pts):
            parts.append(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" class="dot"/>')
        for i in sorted({0, n // 2, n - 1}):
            anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
            parts.append(f'<text x="{xs[i]:.1f}" y="{h - bottom + 18}" text-anchor="{anchor}">'
                         f'{escape(str(pts[i][0])[:16])}</text>')
    else:
        bars = chart["bars"]
        n = len(bars)
        slot = plot_w / n
        for i, (label, count) in enumerate(bars):
            x = left + i * slot + slot * 0.1
            parts.append(f'<rect x="{x:.1f}" y="{y(count):.1f}" width="{slot * 0.8:.1f}" '
                         f'height="{max(0.0, y(lo) - y(count)):.1f}" class="bar"/>')
            if n <= 10:
                parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{h - bottom + 16}" text-anchor="middle" '
                             f'class="small">{escape(str(label)[:10])}</text>')
    parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(lo):.1f}" y2="{y(lo):.1f}" class="axis"/></svg>')
    return "".join(parts)


def chart_context(data: dict[str, Any], city: City, column: str | None) -> dict[str, Any] | None:
    """The chart form's choices and the chart of the chosen column (default: the first number)."""
    source = data.get("chart_source")
    if not source:
        return None
    names = [f["name"] for f in source["fields"]]
    if column not in names:
        column = next((f["name"] for f in source["fields"] if f["type"] in NUMERIC), names[0] if names else None)
    version = (DistributionVersion.objects.visible().filter(city=city, distribution__dataset__key=data["key"],
                                                  distribution__key=source["distribution"],
                                                  number=source["version"]).first())
    chart = chart_data(version, column) if version and column else None
    out = {"columns": source["fields"], "column": column, "chart": chart, "svg": None}
    if chart:
        if chart["kind"] == "line":
            title = gettext("Average of “%(column)s” by “%(x)s”") % {"column": column, "x": chart["x"]}
            desc = gettext("A line through %(n)s points, from %(first)s to %(last)s.") % {
                "n": len(chart["points"]), "first": chart["points"][0][0], "last": chart["points"][-1][0]}
        elif chart["kind"] == "histogram":
            title = gettext("How the values of “%(column)s” are spread") % {"column": column}
            desc = gettext("A histogram of %(n)s ranges; the table below gives the counts.") % {
                "n": len(chart["bars"])}
        else:
            title = gettext("Most frequent values of “%(column)s”") % {"column": column}
            desc = gettext("A bar chart of the %(n)s most frequent values; the table below gives the counts.") % {
                "n": len(chart["bars"])}
        out.update(title=title, desc=desc, svg=chart_svg(chart, title=title, desc=desc))
    return out


def dataset_view(request: HttpRequest, city: str, key: str = "") -> HttpResponse:
    city_obj, data = DATASET._load(city, key)
    if not exporting(request):
        ds = Dataset.objects.filter(city=city_obj, key=key, public=True).first()
        if ds is None:  # pragma: no cover - _load already answered 404
            raise Http404
        takeup.record(ds, takeup.VIEW)
    context = {"city": city_obj, "data": data, "page": DATASET, "key": key,
               "downloads": DATASET.downloads(city_obj, key), "provenance": data["provenance"],
               "chart": chart_context(data, city_obj, request.GET.get("chart")), "site": site_base(request)}
    return render(request, DATASET.template, context)


CATALOGUE = registry.register(registry.DataPage(
    name="data", title=_("Open data"), order=120, data=catalogue, view=catalogue_view,
    template="portal/opendata/catalogue.html", shown=has_catalogue,
    description=_("The city's open data catalogue: search the datasets, download them, reuse them."),
    tables={"": catalogue_rows},
))
DATASET = registry.register(registry.DetailPage(
    name="dataset", title=_("Dataset"), segment="data", keys=dataset_keys, data=dataset_data,
    view=dataset_view, template="portal/opendata/dataset.html",
    tables={"": version_rows, "schema": schema_rows},
))
