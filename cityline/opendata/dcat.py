"""DCAT-AP 3 endpoints for harvesters (B8, B14, C2.g), at the addresses ckanext-dcat uses.

- ``catalog.ttl``, ``catalog.jsonld``, ``catalog.rdf``: the catalogue of public datasets,
  100 per page (``?page=N``, a ``hydra:PagedCollection`` as ckanext-dcat writes it);
- ``catalog``: the same by content negotiation (``Accept``: ``text/turtle``,
  ``application/ld+json``, ``application/rdf+xml``; anything else is 406);
- ``dataset/<name>.ttl|.jsonld|.rdf``: one dataset;
- ``dataset/<name>``: the same by content negotiation; ``text/html`` is a 303 redirect to
  the dataset's portal page ``/<city>/data/<name>/``.

Only public datasets (``Dataset.public``) appear; any other name is a 404. URIs always
take the per-city form (``https://host/<city>/dataset/<name>``), whichever mount (city or
site root) the request came through, so a harvester sees the same identifiers from both.
The graphs are built by :mod:`.domain.dcat_graph` from plain records made here; the
mapping is documented in docs/opendata/dcat-ap.md.
"""

from __future__ import annotations

import math

from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .choices import Licence, PublicationModel
from .domain import dcat_graph
from .domain.dcat_graph import FORMATS, PAGE_SIZE
from .domain.stars import rating
from .models import Dataset, Distribution, DistributionVersion
from .sites import resolve_city

CONNEG_TYPES = {mt: ext for ext, (_fmt, mt) in FORMATS.items()}


# ------------------------------------------------------------------------ records

class Addresses:
    """Absolute URLs and URIs of one city's catalogue (always the per-city form)."""

    def __init__(self, request: HttpRequest, city):
        self.request = request
        self.city = city
        self.base = request.build_absolute_uri(f"/{city.key}/")

    def absolute(self, path_: str) -> str:
        return self.request.build_absolute_uri(path_)

    @property
    def catalogue(self) -> str:
        return self.base + "catalog"

    def dataset(self, name: str) -> str:
        return f"{self.base}dataset/{name}"

    def portal_page(self, name: str) -> str:
        return f"{self.base}data/{name}/"

    def organisation(self, key: str) -> str:
        return f"{self.catalogue}#organisation-{key}"

    def file(self, dataset: str, distribution: str, number: int | None = None) -> str:
        kwargs = {"city": self.city.key, "dataset": dataset, "distribution": distribution}
        try:
            if number is None:
                return self.absolute(reverse("opendata:file-latest", kwargs=kwargs))
            return self.absolute(reverse("opendata:file-version", kwargs={**kwargs, "number": number}))
        except NoReverseMatch:  # the documented layout (urls.py), should the files module not be mounted
            return f"{self.base}files/{dataset}/{distribution}/" + (f"v{number}/" if number else "")


def public_datasets(city):
    """Public datasets of a city with everything the graph needs, in three or four queries."""
    return (Dataset.objects.filter(city=city, public=True)
            .select_related("publisher", "contact_point")
            .prefetch_related("themes",
                              Prefetch("distributions", queryset=Distribution.objects.order_by("key").prefetch_related(
                                  Prefetch("versions", queryset=DistributionVersion.objects.visible()
                                           .order_by("number")))))
            .order_by("key"))


def _version_notes(version: DistributionVersion) -> str:
    """What changed, in English (rows added/removed, schema changes) plus the uploader's note."""
    parts = []
    changes = version.changes or {}
    if changes.get("summary"):
        parts.append(str(changes["summary"]))
    elif version.number == 1 and version.row_count is not None:
        parts.append(f"first version: {version.row_count} row(s)")
    if version.note:
        parts.append(version.note)
    return ". ".join(parts)


def distribution_record(dist: Distribution, dataset: Dataset, urls: Addresses) -> dict | None:
    """A distribution as plain data for :func:`.domain.dcat_graph.dataset_graph`; ``None`` when
    there is nothing to get yet (a held file never uploaded)."""
    versions = list(dist.versions.all())
    uri = f"{urls.dataset(dataset.key)}#{dist.key}"
    record = {
        "uri": uri, "identifier": str(dist.uuid) if dist.uuid else dist.key, "title": dist.title,
        "description": dist.description, "format": dist.format, "media_type": dist.media_type,
        "conforms_to": [], "versions": [],
    }
    if dist.kind == "file":
        if not versions:
            return None
        latest = versions[-1]
        record.update(access_url=urls.file(dataset.key, dist.key),
                      download_url=urls.file(dataset.key, dist.key, latest.number),
                      media_type=dist.media_type or latest.media_type, byte_size=latest.byte_size,
                      checksum=latest.checksum, issued=versions[0].created_at, modified=latest.created_at)
        for v in versions:
            url = urls.file(dataset.key, dist.key, v.number)
            record["versions"].append({
                "uri": f"{uri}-v{v.number}", "number": v.number, "title": f"{dist.title} (v{v.number})",
                "access_url": url, "download_url": url, "media_type": dist.media_type or v.media_type,
                "byte_size": v.byte_size, "checksum": v.checksum, "issued": v.created_at, "modified": None,
                "notes": _version_notes(v),
            })
    else:
        if not dist.access_url:
            return None
        record.update(access_url=dist.access_url,
                      download_url=dist.access_url if dist.kind == "remote" else None)
    return record


def dataset_record(dataset: Dataset, urls: Addresses) -> dict:
    """A dataset as plain data for :func:`.domain.dcat_graph.dataset_graph`."""
    person = dataset.contact_point
    if person is not None and person.published_contact:
        contact = {"name": person.name, "email": person.email, "phone": person.phone}
    else:  # no published contact: the publisher is the point of contact (no personal data)
        contact = {"name": dataset.publisher.name, "email": "", "phone": ""}
    model = dataset.publication_model
    dists = [r for d in dataset.distributions.all() if (r := distribution_record(d, dataset, urls))]
    return {
        "uri": urls.dataset(dataset.key), "identifier": str(dataset.uuid) if dataset.uuid else dataset.key,
        "title": dataset.title, "description": dataset.description, "keywords": dataset.keyword_list,
        "themes": sorted({t.eu_theme for t in dataset.themes.all()}),
        "publisher": {"uri": urls.organisation(dataset.publisher.key), "name": dataset.publisher.name,
                      "homepage": dataset.publisher.website},
        "contact": contact, "licence": dataset.licence, "licence_title": str(Licence(dataset.licence).label)
        if dataset.licence in Licence.values else dataset.licence,
        "spatial": dataset.spatial, "temporal_start": dataset.temporal_start, "temporal_end": dataset.temporal_end,
        "frequency": dataset.frequency, "access_level": dataset.access_level,
        "publication_model": {"code": model, "label": str(PublicationModel(model).label),
                              "uri": f"{urls.catalogue}#publication-model-{model}"},
        "issued": dataset.issued, "modified": dataset.modified or dataset.updated_at.date(),
        "landing_page": dataset.landing_page or urls.portal_page(dataset.key),
        "conforms_to": dataset.conforms_to, "distributions": dists,
        "stars": rating(dataset)["stars"], "stars_metric": f"{urls.catalogue}#five-star-rating",
    }


def catalogue_record(city, urls: Addresses, modified=None) -> dict:
    return {
        "uri": urls.catalogue,
        "title": _("%(city)s open data catalogue") % {"city": city.name},
        "description": city.description or _("Open data published by %(city)s.") % {"city": city.name},
        "publisher": {"uri": urls.catalogue + "#publisher", "name": city.name, "homepage": city.website},
        "homepage": urls.base, "modified": modified,
    }


# ------------------------------------------------------------------------ graphs (used by views and bulk exports)

def build_catalogue_graph(request: HttpRequest, city, page: int = 1, page_url=None):
    """The catalogue graph of one page; raises ``Http404`` past the last page."""
    urls = Addresses(request, city)
    qs = public_datasets(city)
    summary = Dataset.objects.filter(city=city, public=True).aggregate(total=Count("pk"), modified=Max("updated_at"))
    total, modified = summary["total"], summary["modified"]
    last = max(1, math.ceil(total / PAGE_SIZE))
    if page > last:
        raise Http404(f"page {page} is past the last page ({last})")
    datasets = list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    page_url = page_url or (lambda n: f"{urls.catalogue}?page={n}")
    paging = {"uri": page_url(page), "first": page_url(1), "last": page_url(last),
              "next": page_url(page + 1) if page < last else None,
              "previous": page_url(page - 1) if page > 1 else None, "total": total, "per_page": PAGE_SIZE}
    return dcat_graph.catalogue_graph(catalogue_record(city, urls, modified.date() if modified else None),
                                      [dataset_record(d, urls) for d in datasets], paging)


def build_dataset_graph(request: HttpRequest, city, name: str):
    dataset = public_datasets(city).filter(key=name).first()
    if dataset is None:
        raise Http404(f"no public dataset {name!r}")
    return dcat_graph.dataset_graph(dataset_record(dataset, Addresses(request, city)))


# ------------------------------------------------------------------------ views

def _rdf_response(graph, ext: str) -> HttpResponse:
    _fmt, media_type = FORMATS[ext]
    response = HttpResponse(dcat_graph.serialise(graph, ext), content_type=f"{media_type}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _negotiate(request: HttpRequest, offered: list[str]) -> str | None:
    return request.get_preferred_type(offered)


def _not_acceptable(offered: list[str]) -> HttpResponse:
    return HttpResponse("Not acceptable: ask for one of " + ", ".join(offered) + "\n", status=406,
                        content_type="text/plain; charset=utf-8")


def _page(request: HttpRequest) -> int | HttpResponse:
    raw = request.GET.get("page", "1")
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1:
        return HttpResponseBadRequest(f"'page' must be a whole number from 1, not {raw!r}\n",
                                      content_type="text/plain; charset=utf-8")
    return page


def _catalogue(request: HttpRequest, city, ext: str) -> HttpResponse:
    page = _page(request)
    if isinstance(page, HttpResponse):
        return page
    here = request.build_absolute_uri(request.path)
    graph = build_catalogue_graph(request, resolve_city(city), page, lambda n: f"{here}?page={n}")
    return _rdf_response(graph, ext)


@require_safe
def catalogue_by_extension(request: HttpRequest, city, ext: str) -> HttpResponse:
    return _catalogue(request, city, ext)


@require_safe
def catalogue_negotiated(request: HttpRequest, city) -> HttpResponse:
    offered = list(CONNEG_TYPES)
    chosen = _negotiate(request, offered)
    response = _not_acceptable(offered) if chosen is None else _catalogue(request, city, CONNEG_TYPES[chosen])
    response["Vary"] = "Accept"
    return response


@require_safe
def dataset_by_extension(request: HttpRequest, city, name: str, ext: str) -> HttpResponse:
    return _rdf_response(build_dataset_graph(request, resolve_city(city), name), ext)


@require_safe
def dataset_negotiated(request: HttpRequest, city, name: str) -> HttpResponse:
    the_city = resolve_city(city)
    offered = [*CONNEG_TYPES, "text/html"]
    chosen = _negotiate(request, offered)
    if chosen is None:
        response = _not_acceptable(offered)
    elif chosen == "text/html":
        if not Dataset.objects.filter(city=the_city, key=name, public=True).exists():
            raise Http404(f"no public dataset {name!r}")
        response = HttpResponseRedirect(f"/{the_city.key}/data/{name}/")
        response.status_code = 303
    else:
        response = _rdf_response(build_dataset_graph(request, the_city, name), CONNEG_TYPES[chosen])
    response["Vary"] = "Accept"
    return response


def _ext_views(prefix: str, view, name: str):
    return [path(f"{prefix}.{ext}", view, {"ext": ext}, name=f"{name}-{ext}") for ext in FORMATS]


urlpatterns = [
    *_ext_views("catalog", catalogue_by_extension, "dcat-catalog"),
    path("catalog", catalogue_negotiated, name="dcat-catalog"),
    *_ext_views("dataset/<slug:name>", dataset_by_extension, "dcat-dataset"),
    path("dataset/<slug:name>", dataset_negotiated, name="dcat-dataset"),
]
