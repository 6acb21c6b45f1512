"""The CKAN Action API v3, read side (issue 4, item 7; B8, B14, C2.g).

Served at ``api/3/action/<action>`` and ``api/action/<action>`` (the address the
``ckanapi`` client uses), under each city (``/<city>/api/3/action/…``) and at the site
root for the default city (:mod:`.sites`), so ``ckanapi.RemoteCKAN`` and CKAN
harvesters take ``https://host/<city>/`` (or ``https://host/``) as a CKAN site and work
unchanged. GET with query parameters and POST with a JSON body (what ``ckanapi``
sends) are both accepted.

Actions: ``status_show``, ``help_show``, ``package_list``, ``package_show``,
``package_search``, ``organization_list``, ``organization_show``, ``group_list``,
``group_show``, ``tag_list``, ``resource_show``, ``datastore_search`` and
``datastore_search_sql``. Write actions (``*_create``, ``*_update``, ``*_patch``,
``*_delete`` …) answer CKAN's "Authorization Error" (403): records are changed through
Cityline's own API and editor, where history and the privacy gate apply.

Envelope and errors follow CKAN (``ckan/views/api.py``): ``{"help": "<site>/api/3/action/
help_show?name=<action>", "success": true, "result": …}``; errors are
``{"help": …, "success": false, "error": {"__type": …, "message": …}}`` with HTTP 404
("Not Found Error"), 409 ("Validation Error" with field messages), 400 ("Search Query
Error", as CKAN answers it), 403 ("Authorization Error": a write action, or wrong credentials,
answered by :func:`credentials_refused`) and 400 ("Bad request - Action name not known: x";
CKAN answers that one with a bare JSON string, we keep the envelope so clients that
check ``success`` still can). Docs: docs/opendata/ckan-api.md.

Only public datasets exist here (``Dataset.public``: published, public access, not
blocked by the privacy gate): anything else is "Not Found", exactly as if it did not
exist. ``include_private`` is ignored.

Speed (``package_search`` under 50 ms at p95 with 10,000 datasets, and the index
rebuilt in well under a second after a change; bench/bench_package_search.py): the
public catalogue of a city is loaded into a :class:`~.domain.search.CatalogueIndex`
from a few ``values_list`` queries over plain columns (no model objects) and kept in
memory. The complete CKAN dictionary of a dataset (resources, extras, Five-Star
rating from :func:`.domain.stars.rate` on plain facts) is built only when a response
needs it, a page at a time, and cached with the index. Every model the answers read
is listed once, in :data:`CATALOGUE_MODELS` (datasets, distributions, versions,
themes, organisations, people and the asset register's entries). Django's signals for
those models (saved, deleted, a dataset's themes changed; and a privacy review, which changes
which versions the public may get, :data:`CATALOGUE_WRITERS`) bump the city's
:class:`~.models.CatalogueStamp` inside the transaction that makes the change, once per city
and transaction (:func:`_stale_at_commit`), and a
request checks that its index is still current with one primary key lookup of that
stamp. The stamp's row lock makes writers take turns, so the stamp changes in the order
of the commits (not in the order rows were inserted, which on PostgreSQL may differ):
a change made by another process (another web worker, the CLI) is seen at the next
request, which rebuilds the index before it answers (an unpublished dataset
disappears at once). In this process, the city's index is also dropped when the
transaction commits.

Take-up (B7.d, B8): each call about one dataset or resource counts one API call of it
(``package_show``; ``resource_show``, ``datastore_search`` and ``datastore_search_sql``
per table, with the resource); searches and lists do not count for any dataset.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Max, Min, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt

from cityline.core.models import City, Organisation, Person

from . import choices, takeup
from .domain import query as dq
from .domain import search as ds
from .domain.vocabularies import licence_uri
from .models import (CatalogueStamp, DataAsset, Dataset, Distribution, DistributionVersion, PrivacyReview, Theme,
                     stable_uuid)
from .sites import resolve_city

#: The CKAN version whose API this mirrors (clients read ``ckan_version`` to pick features).
CKAN_API_VERSION = "2.10.4"
ROWS_MAX = 1000  # CKAN's ckan.search.rows_max default
DATASTORE_ROWS_MAX = dq.MAX_LIMIT  # 32,000, CKAN's ckan.datastore.search.rows_max default
SQL_TIMEOUT_S = 10.0


# ---------------------------------------------------------------------------- errors

class ApiError(Exception):
    status = 400
    type = "Bad Request"

    def __init__(self, message: str = "", fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"__type": self.type}
        if self.message:
            out["message"] = self.message
        out.update(self.fields)
        return out


class NotFound(ApiError):
    status, type = 404, "Not Found Error"


class ValidationFailed(ApiError):
    """CKAN's "Validation Error": ``fields`` maps each bad parameter to its messages."""

    status, type = 409, "Validation Error"

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("", fields)


class SearchQueryFailed(ApiError):
    """CKAN's "Search Query Error": a ``q``, ``fq`` or ``sort`` the index cannot read. CKAN answers it with 400
    (``ckan/views/api.py``), unlike its "Search Error" and "Validation Error" (409)."""

    status, type = 400, "Search Query Error"


class NotAuthorized(ApiError):
    status, type = 403, "Authorization Error"


class TooManyRequests(ApiError):
    """Over a rate limit (answered by :func:`cityline.core.ratelimits.too_many_requests`, with Retry-After)."""

    status, type = 429, "Too Many Requests"


# ---------------------------------------------------------------------------- helpers

def _iso(value: dt.datetime | dt.date | None) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without an offset, with microseconds."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    return value.isoformat()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(data: dict, key: str, default: int, low: int = 0, cap: int | None = None) -> int:
    """An integer parameter: below ``low`` is refused; above ``cap`` is lowered to it, as CKAN's
    ``limit_to_configured_maximum`` does for ``rows`` and ``limit``."""
    raw = data.get(key, default)
    if raw in (None, ""):
        return default
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError
        n = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed({key: ["Invalid integer"]}) from None
    if n < low:
        raise ValidationFailed({key: [f"Must be {low} or more"]})
    return n if cap is None else min(n, cap)


def _bool(data: dict, key: str, default: bool) -> bool:
    raw = data.get(key, default)
    if isinstance(raw, bool):
        return raw
    if raw in (None, ""):
        return default
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValidationFailed({key: ["Must be true or false"]})


def _list(data: dict, key: str) -> list[str]:
    """A list parameter: a JSON list, a JSON list in a string (GET), or comma-separated text."""
    raw = data.get(key)
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError:
                raise ValidationFailed({key: ["Not a JSON list"]}) from None
        else:
            return [p.strip() for p in text.split(",") if p.strip()]
    if not isinstance(raw, list) or not all(isinstance(x, (str, int, float)) for x in raw):
        raise ValidationFailed({key: ["Must be a list of strings"]})
    return [str(x) for x in raw]


def _object(data: dict, key: str) -> dict | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationFailed({key: ["Not a JSON object"]}) from None
    if not isinstance(raw, dict):
        raise ValidationFailed({key: ["Must be a JSON object"]})
    return raw


def _required(data: dict, key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        raise ValidationFailed({key: ["Missing value"]})
    return str(value)


# ---------------------------------------------------------------------------- the city's catalogue

@dataclass
class Catalogue:
    """A city's public catalogue as CKAN sees it, built by :func:`load_catalogue`.

    The index holds what search, filters, facets and sorting read. The complete CKAN
    dictionary of a dataset (resources, extras, Five-Star rating …) is built on demand
    by :meth:`packages`, a few at a time, and kept in a small cache that lives as long as
    this catalogue (a catalogue change builds a new one).
    """

    city: City
    index: ds.CatalogueIndex
    organisations: dict[str, dict]  # key → CKAN organisation dict (publishers of public datasets)
    org_ids: dict[str, str]  # uuid → key
    groups: dict[str, dict]  # theme key → CKAN group dict
    group_ids: dict[str, str]
    people: dict[int, dict] = field(default_factory=dict)  # contact points of public datasets
    org_by_pk: dict[int, dict] = field(default_factory=dict)  # publisher pk → CKAN organisation dict
    _packages: OrderedDict = field(default_factory=OrderedDict, repr=False)  # dataset pk → package dict
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def packages(self, entries: list[ds.Entry]) -> list[dict]:
        """The CKAN dictionaries of ``entries`` (cached; the missing ones in one batch of queries)."""
        with self._lock:
            found = {e.pk: self._packages.get(e.pk) for e in entries}
            for pk, pkg in found.items():
                if pkg is not None:
                    self._packages.move_to_end(pk)
        missing = [e for e in entries if found[e.pk] is None]
        if missing:
            with translation.override(settings.LANGUAGE_CODE):
                built = _build_packages(self, missing)
            with self._lock:
                for pk, pkg in built.items():
                    self._packages[pk] = found[pk] = pkg
                while len(self._packages) > PACKAGE_CACHE_SIZE:
                    self._packages.popitem(last=False)
        return [found[e.pk] for e in entries]

    def package(self, entry: ds.Entry) -> dict:
        return self.packages([entry])[0]

    def resource(self, resource_id: str) -> tuple[ds.Entry, dict] | None:
        """The public dataset and CKAN resource dict of a resource id (a distribution's uuid)."""
        try:
            rid = uuid.UUID(str(resource_id))
        except ValueError:
            return None
        row = (Distribution.objects.filter(city=self.city, uuid=rid, dataset__public=True)
               .values_list("dataset__uuid", flat=True).first())
        entry = self.index.get(str(row)) if row is not None else None
        if entry is None:
            return None
        for res in self.package(entry)["resources"]:
            if res["id"] == str(rid):
                return entry, res
        return None  # pragma: no cover - the index and the database agree (checked per request)


#: Package dictionaries kept per city: a search page needs 20, a harvester walks them all.
PACKAGE_CACHE_SIZE = 2000


def _stars_extra(dists: list[dict], versions: dict[int, list[dict]], licence: str, memo: dict) -> int | None:
    """The dataset's Five-Star count (:func:`.domain.stars.rate` on plain facts), memoised on what it reads."""
    from .domain import stars

    facts = tuple(stars.distribution_facts(
        title=d["title"], format=d["format"], kind=d["kind"], media_type=d["media_type"], access_url=d["access_url"],
        about_url=d["about_url"], column_links=d["column_links"], has_version=bool(versions.get(d["id"])))
        for d in dists)
    # The count reads neither titles nor the templates' text: datasets alike in the rest share it.
    key = (licence, tuple((f.format, f.kind, f.media_type, f.online, bool(f.about_url.strip()), bool(f.column_links))
                          for f in facts))
    if key not in memo:
        memo[key] = stars.rate(stars.Facts(licence=licence, licence_open=licence in choices.OPEN_LICENCES,
                                           distributions=facts))["stars"]
    return memo[key]


def load_catalogue(city: City) -> Catalogue:
    """Read the city's public catalogue (a fixed number of queries) and index it.

    The cyclic garbage collector is paused meanwhile: the build allocates a few hundred
    thousand small objects, none of them cyclic garbage, and collections triggered by
    that alone took about 40 % of the build time (bench/bench_package_search.py).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return _load(city)
    finally:
        if paused:
            gc.enable()


def _load(city: City) -> Catalogue:
    """Build the index from a few ``values_list`` queries over plain columns (no model objects:
    10,000 datasets index in a fraction of a second; bench/bench_package_search.py)."""
    ck = city.key
    datasets = list(Dataset.objects.filter(city=city, public=True).values_list(
        "id", "uuid", "key", "title", "description", "keywords", "publisher_id", "licence", "updated_at",
        "contact_point_id"))
    created = dict(Dataset.history.model.objects.filter(city_id=city.pk).values("id")
                   .annotate(first=Min("history_date")).values_list("id", "first"))
    themes = list(Theme.objects.filter(city=city).values("id", "key", "title", "description"))
    theme_by_id = {t["id"]: t for t in themes}
    themes_of: dict[int, list[int]] = {}
    for ds_id, th_id in Dataset.themes.through.objects.filter(
            dataset__city=city, dataset__public=True).values_list("dataset_id", "theme_id"):
        themes_of.setdefault(ds_id, []).append(th_id)
    formats_of: dict[int, list[str]] = {}
    modified_of: dict[int, Any] = {}
    for ds_id, fmt, updated in Distribution.objects.filter(city=city, dataset__public=True).values_list(
            "dataset_id", "format", "updated_at").order_by("dataset_id", "key"):
        formats_of.setdefault(ds_id, []).append(fmt)
        if updated > modified_of.get(ds_id, updated):
            modified_of[ds_id] = updated
        else:
            modified_of.setdefault(ds_id, updated)
    # Versions are numbered in the order they are stored, so a dataset's newest version time is
    # the newest "last_modified" of its resources (of the versions the public may get).
    for ds_id, newest in (DistributionVersion.objects.visible().filter(city=city, distribution__dataset__public=True)
                          .values("distribution__dataset_id").annotate(newest=Max("created_at"))
                          .values_list("distribution__dataset_id", "newest")):
        if newest is not None and newest > modified_of.get(ds_id, newest):
            modified_of[ds_id] = newest
        else:
            modified_of.setdefault(ds_id, newest)
    orgs = {o["id"]: o for o in Organisation.objects.filter(city=city).values(
        "id", "key", "name", "description", "website", "updated_at")}
    org_created = {}
    if orgs:
        org_created = dict(Organisation.history.model.objects.filter(city_id=city.pk).values("id")
                           .annotate(first=Min("history_date")).values_list("id", "first"))

    def org_dict(o: dict) -> dict:
        return {"id": str(stable_uuid(ck, "organisation", o["key"])), "name": o["key"], "title": o["name"],
                "display_name": o["name"], "description": o["description"], "type": "organization",
                "is_organization": True, "state": "active", "approval_status": "approved", "image_url": "",
                "image_display_url": "", "created": _iso(org_created.get(o["id"]) or o["updated_at"])}

    def group_dict(t: dict) -> dict:
        return {"id": str(stable_uuid(ck, "theme", t["key"])), "name": t["key"], "title": t["title"],
                "display_name": t["title"], "description": t["description"], "image_display_url": ""}

    org_dicts = {o["id"]: org_dict(o) for o in orgs.values()}
    group_dicts = {t["id"]: group_dict(t) for t in themes}
    contact_ids = {d[9] for d in datasets if d[9]}
    people = {p["id"]: p for p in Person.objects.filter(pk__in=contact_ids).values(
        "id", "name", "email", "published_contact")}

    entries: list[ds.Entry] = []
    iso = _iso
    for pk, uid, key, title, description, keywords, publisher_id, licence, updated, _contact in datasets:
        org = orgs.get(publisher_id)
        org_d = org_dicts.get(publisher_id)
        newest = modified_of.get(pk)
        th = themes_of.get(pk)
        groups = [group_dicts[t]["name"] for t in sorted(th, key=lambda t: theme_by_id[t]["title"])] if th else []
        fmts = formats_of.get(pk, [])
        entries.append(ds.Entry(
            id=str(uid), name=key, title=title, notes=description,
            tags=[t for t in dict.fromkeys(x.strip() for x in (keywords or "").split(",")) if t],
            organization=org["key"] if org else "", organization_title=org["name"] if org else "",
            owner_org=org_d["id"] if org_d else "", groups=groups, res_format=fmts, license_id=licence,
            metadata_modified=iso(updated if newest is None or updated >= newest else newest),
            metadata_created=iso(created.get(pk) or updated), num_resources=len(fmts), pk=pk))

    publishing = {d[6] for d in datasets}
    organisations = {orgs[i]["key"]: org_dicts[i] for i in publishing if i in orgs}
    groups = {t["key"]: group_dicts[t["id"]] for t in themes}
    titles = {"organization": {k: o["title"] for k, o in organisations.items()},
              "groups": {k: g["title"] for k, g in groups.items()}}
    return Catalogue(city=city, index=ds.CatalogueIndex(entries, titles), organisations=organisations,
                     org_ids={o["id"]: k for k, o in organisations.items()}, groups=groups,
                     group_ids={g["id"]: k for k, g in groups.items()}, people=people, org_by_pk=org_dicts)


def _build_packages(cat: Catalogue, entries: list[ds.Entry]) -> dict[int, dict]:
    """The complete CKAN dictionaries of some datasets of the index (four queries).

    A resource describes (size, hash, dates, rows, version, DataStore table) the latest version anyone may get
    (:meth:`~.models.VersionQuerySet.visible`, the predicate of the downloads, pages and DCAT): never one the
    privacy gate has not released, nor any of a distribution that is no longer a held file."""
    pks = [e.pk for e in entries]
    rows = {d["id"]: d for d in Dataset.objects.filter(pk__in=pks, public=True).values(
        "id", "uuid", "key", "title", "description", "publisher_id", "contact_point_id", "licence",
        "spatial", "temporal_start", "temporal_end", "frequency", "access_level", "publication_model", "issued",
        "modified", "landing_page", "conforms_to", "asset__key")}
    dists_of: dict[int, list[dict]] = {}
    for r in Distribution.objects.filter(dataset_id__in=pks).values(
            "id", "uuid", "key", "dataset_id", "title", "description", "kind", "format", "media_type", "access_url",
            "about_url", "column_links", "updated_at").order_by("dataset_id", "key"):
        dists_of.setdefault(r["dataset_id"], []).append(r)
    versions: dict[int, list[dict]] = {}  # the versions the public may get, oldest first
    for v in DistributionVersion.objects.visible().filter(distribution__dataset_id__in=pks).values(
            "distribution_id", "number", "parquet_path", "media_type", "byte_size", "checksum", "created_at",
            "row_count").order_by("distribution_id", "number"):
        versions.setdefault(v["distribution_id"], []).append(v)
    people = cat.people
    new_contacts = {d["contact_point_id"] for d in rows.values() if d["contact_point_id"]} - set(people)
    if new_contacts:  # pragma: no cover - a contact change rebuilds the catalogue first
        people = {**people, **{p["id"]: p for p in Person.objects.filter(pk__in=new_contacts).values(
            "id", "name", "email", "published_contact")}}
    licence_titles = {k: str(v) for k, v in choices.Licence.choices}
    frequency_titles = {k: str(v) for k, v in choices.Frequency.choices}
    data_dir = Path(settings.CITYLINE_OPENDATA_DIR)
    stars_memo: dict = {}
    out: dict[int, dict] = {}
    for entry in entries:
        d = rows.get(entry.pk)
        if d is None:  # unpublished since the index was read: the next request rebuilds it
            raise NotFound(f"Dataset not found: {entry.name}")
        res_list = []
        for position, r in enumerate(dists_of.get(d["id"], [])):
            vs = versions.get(r["id"], [])
            latest = vs[-1] if vs else None
            active = bool(r["kind"] == "file" and latest and latest["parquet_path"])
            res = {
                "id": str(r["uuid"]), "package_id": str(d["uuid"]), "name": r["title"],
                "description": r["description"], "format": r["format"],
                "mimetype": (latest["media_type"] if latest else "") or r["media_type"] or None,
                "url": r["access_url"] if r["kind"] != "file" else "",
                "url_type": "upload" if r["kind"] == "file" else None,
                "resource_type": "api" if r["kind"] == "api" else None,
                "size": latest["byte_size"] if latest else None,
                "hash": f"sha256:{latest['checksum']}" if latest and latest["checksum"] else "",
                "position": position, "datastore_active": active, "state": "active",
                "created": _iso(vs[0]["created_at"] if vs else r["updated_at"]),
                "last_modified": _iso(latest["created_at"]) if latest else None,
                "metadata_modified": _iso(max([r["updated_at"], *(v["created_at"] for v in vs[-1:])])),
                "version": latest["number"] if latest else None,
                "rows": latest["row_count"] if latest else None,
                "_pk": r["id"],  # keys starting with "_" stay inside (see _out_resource)
            }
            if r["kind"] == "file" and latest:
                res["_rel"] = f"files/{d['key']}/{r['key']}/"  # made absolute per request (host and base)
            if active:
                res["_parquet"] = data_dir / latest["parquet_path"]
            res_list.append(res)
        contact = people.get(d["contact_point_id"])
        extras = [
            ("access_level", d["access_level"]), ("publication_model", d["publication_model"]),
            ("frequency", d["frequency"]), ("frequency_label", _text(frequency_titles.get(d["frequency"], ""))),
            ("spatial", d["spatial"]), ("temporal_start", _iso(d["temporal_start"])),
            ("temporal_end", _iso(d["temporal_end"])), ("issued", _iso(d["issued"])),
            ("modified", _iso(d["modified"])), ("conforms_to", d["conforms_to"]), ("asset", d["asset__key"]),
        ]
        stars = _stars_extra(dists_of.get(d["id"], []), versions, d["licence"], stars_memo)
        if stars is not None:
            extras.append(("stars", str(stars)))
        org = cat.org_by_pk.get(d["publisher_id"])
        out[entry.pk] = {
            "id": str(d["uuid"]), "name": d["key"], "title": d["title"], "notes": d["description"],
            "url": d["landing_page"], "type": "dataset", "state": "active", "private": False,
            "license_id": d["licence"], "license_title": _text(licence_titles.get(d["licence"], d["licence"])),
            "license_url": licence_uri(d["licence"]) or "", "isopen": d["licence"] in choices.OPEN_LICENCES,
            "author": org["title"] if org else "", "author_email": None,
            "maintainer": contact["name"] if contact else None,
            "maintainer_email": contact["email"] if contact and contact["published_contact"] and contact["email"]
            else None,
            "organization": org, "owner_org": org["id"] if org else None,
            "groups": [cat.groups[g] for g in entry.groups],
            "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in entry.tags],
            "num_tags": len(entry.tags), "num_resources": len(res_list), "resources": res_list,
            "metadata_created": entry.metadata_created, "metadata_modified": entry.metadata_modified,
            "extras": [{"key": k, "value": str(v)} for k, v in extras if v not in (None, "")],
            "relationships_as_object": [], "relationships_as_subject": [],
        }
    return out


_CACHE: dict[int, tuple[tuple, Catalogue]] = {}
_LOCK = threading.Lock()
#: Every model whose records the CKAN answers show (the index, the package dictionaries, the
#: organisations and groups): a change to any of them makes its city's catalogue stale. This one list
#: drives both ways a catalogue is found stale (the city's :class:`~.models.CatalogueStamp`, bumped by
#: :func:`_stale_at_commit`, for every process; the in-process drop at commit, for this one).
CATALOGUE_MODELS = (Dataset, Distribution, DistributionVersion, Theme, Organisation, Person, DataAsset)
#: Models whose save changes catalogue records with ``QuerySet.update`` (no signal of theirs): a privacy
#: review stores its verdict on the version and whether the public may get it (``PrivacyReview.save``).
#: Their own signals stand in for those writes. (``Dataset.save`` and ``Distribution.save`` refresh their
#: versions the same way, and their own signals cover it.)
CATALOGUE_WRITERS = (PrivacyReview,)


def _stamp(city: City) -> tuple:
    """What the city's cached catalogue is keyed on: its stamp (one primary key lookup)."""
    return city.pk, city.key, CatalogueStamp.objects.current(city.pk)


def catalogue(city: City) -> Catalogue:
    """The city's :class:`Catalogue`, from the cache while no catalogue record changed.

    The stamp is read before the records: a catalogue never holds less than its stamp says, so a
    change that commits after the stamp was read is seen at the next request (a new stamp)."""
    _read_in_transaction(city.pk)
    stamp = _stamp(city)
    hit = _CACHE.get(city.pk)
    if hit and hit[0] == stamp:
        return hit[1]
    with _LOCK:
        hit = _CACHE.get(city.pk)
        if hit and hit[0] == stamp:
            return hit[1]
        cat = load_catalogue(city)
        _CACHE[city.pk] = (stamp, cat)
        return cat


def clear_cache(**_: Any) -> None:
    _CACHE.clear()


def _whole_city_deleted(origin: Any) -> bool:
    return isinstance(origin, City) or (isinstance(origin, QuerySet) and origin.model is City)


class _ChangedInTransaction:
    """The on-commit callback of a city whose catalogue the transaction under way changed: it drops the
    city's catalogue in this process once the transaction commits, and its presence among the connection's
    on-commit callbacks says that the city's stamp was bumped in this transaction and the bump stands.

    Django forgets the callbacks registered inside a savepoint when it rolls back to that savepoint (along with
    the bump made inside it), and all of them when the transaction rolls back or commits: the next write then
    bumps again. ``read``: a catalogue of the city was read in this transaction after the bump (and cached
    under the stamp it saw), so the next write must bump again."""

    def __init__(self, city_id: int):
        self.city_id = city_id
        self.read = False

    def __call__(self) -> None:
        _CACHE.pop(self.city_id, None)


def _changes_in_transaction(using: str = DEFAULT_DB_ALIAS) -> list[_ChangedInTransaction]:
    """The cities whose stamp the transaction under way on ``using`` has bumped (none outside a transaction)."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return []
    return [func for _sids, func, _robust in getattr(connection, "run_on_commit", ())
            if isinstance(func, _ChangedInTransaction)]


def _read_in_transaction(city_id: int) -> None:
    """The city's catalogue is about to be read (and cached under the stamp it sees) in the transaction under
    way: a later write of the transaction bumps the stamp again."""
    for change in _changes_in_transaction():
        if change.city_id == city_id:
            change.read = True


def _stale_at_commit(sender, instance=None, action: str | None = None, using: str = DEFAULT_DB_ALIAS,
                     origin: Any = None, **_: Any) -> None:
    """A catalogue record was saved, deleted or linked to other records (a dataset's themes), whatever
    path made the change (the actions layer, a cascade, a plain ``save()``), as Django's own signals
    see every one of them.

    The city's stamp is bumped in the transaction that wrote the record (right after it, outside any
    transaction), which every process reads at its next request; once per city and transaction (a pack
    import of a thousand records bumps it once), at the first record the transaction writes, so the bump
    stays inside the transaction and its row lock is taken no later than before. A second record of the
    same city in the same transaction bumps again only when the first bump was rolled back with its
    savepoint, or when a catalogue of the city was read in the transaction meanwhile (see
    :class:`_ChangedInTransaction`). Once the transaction commits, this process also drops the city's
    catalogue at once. A rollback undoes the bump and drops nothing.

    The bump comes after the record's history row, whose audit entry already holds the audit chain's
    lock (:mod:`cityline.core.audit`) until the commit: a write through the actions layer takes the
    stamp's lock only while it holds that one, so the stamp adds no wait and no deadlock of its own.
    A whole city being deleted takes its stamp with it: nothing to bump."""
    if action is not None and not action.startswith("post_"):  # m2m_changed: once the links are stored
        return
    city_id = instance.pk if isinstance(instance, City) else getattr(instance, "city_id", None)
    if city_id is None:
        transaction.on_commit(_CACHE.clear, using=using)
        return
    if _whole_city_deleted(origin):
        transaction.on_commit(lambda: _CACHE.pop(city_id, None), using=using)
        return
    if any(c.city_id == city_id and not c.read for c in _changes_in_transaction(using)):
        return  # bumped already in this transaction, and nothing read since
    CatalogueStamp.objects.using(using).bump(city_id)
    transaction.on_commit(_ChangedInTransaction(city_id), using=using)


for _model in (*CATALOGUE_MODELS, *CATALOGUE_WRITERS, City):
    post_save.connect(_stale_at_commit, sender=_model, dispatch_uid=f"opendata-ckan-saved-{_model._meta.label}")
    post_delete.connect(_stale_at_commit, sender=_model, dispatch_uid=f"opendata-ckan-deleted-{_model._meta.label}")
m2m_changed.connect(_stale_at_commit, sender=Dataset.themes.through, dispatch_uid="opendata-ckan-themes")


# ---------------------------------------------------------------------------- request context and output

@dataclass
class Ctx:
    request: HttpRequest
    city: City
    site: str  # absolute base URL of the CKAN site, ending in "/"
    site_path: str  # its path
    _cat: Catalogue | None = None

    @property
    def cat(self) -> Catalogue:
        if self._cat is None:
            self._cat = catalogue(self.city)
        return self._cat


def _out_resource(res: dict, ctx: Ctx) -> dict:
    out = {k: v for k, v in res.items() if k[0] != "_"}
    if "_rel" in res:
        out["url"] = ctx.site + res["_rel"]
    return out


def _out_package(pkg: dict, ctx: Ctx) -> dict:
    out = dict(pkg)
    out["resources"] = [_out_resource(r, ctx) for r in pkg["resources"]]
    return out


def _entry(ctx: Ctx, id_or_name: str) -> ds.Entry:
    entry = ctx.cat.index.get(id_or_name)
    if entry is None:
        raise NotFound(f"Dataset not found: {id_or_name}")
    return entry


def _count_call(ctx: Ctx, dataset_pk: int, distribution_pk: int | None = None) -> None:
    """Count one API call of a dataset (and resource) in take-up (B7.d, B8).

    Calls about one dataset or resource count (package_show, resource_show,
    datastore_search, and datastore_search_sql once per table); searches and lists do
    not, as they are not the use of any one dataset. The records are referred to by
    primary key (the catalogue already checked they are public), which spares loading
    them: ``takeup.record`` only stores their keys.
    """
    dataset = Dataset(pk=dataset_pk, city_id=ctx.city.pk)
    dataset._state.adding = False
    distribution = None
    if distribution_pk is not None:
        distribution = Distribution(pk=distribution_pk, city_id=ctx.city.pk, dataset_id=dataset_pk)
        distribution._state.adding = False
    takeup.record(dataset, takeup.API, distribution=distribution)


# ---------------------------------------------------------------------------- actions

ACTIONS: dict[str, Callable[[Ctx, dict], Any]] = {}


def action(fn: Callable[[Ctx, dict], Any]) -> Callable[[Ctx, dict], Any]:
    ACTIONS[fn.__name__] = fn
    return fn


@action
def status_show(ctx: Ctx, data: dict) -> dict:
    """Return the site's name, address, CKAN API version and extensions."""
    from cityline import __version__ as cityline_version

    return {"site_title": f"{ctx.city.name} open data", "site_url": ctx.site.rstrip("/"),
            "site_description": f"The open data catalogue of {ctx.city.name}, served by Cityline.",
            "ckan_version": CKAN_API_VERSION, "cityline_version": cityline_version,
            "error_emails_to": None, "locale_default": settings.LANGUAGE_CODE.split("-")[0],
            "extensions": ["datastore", "dcat"]}


@action
def help_show(ctx: Ctx, data: dict) -> str:
    """Return the help text of the action named in ``name``."""
    name = _required(data, "name")
    fn = ACTIONS.get(name)
    if fn is None:
        raise NotFound(f"Action function not found: {name}")
    return (fn.__doc__ or "").strip()


@action
def package_list(ctx: Ctx, data: dict) -> list[str]:
    """Return the names of the public datasets, sorted; ``limit`` and ``offset`` page the list."""
    names = sorted(ctx.cat.index.by_name)
    offset = _int(data, "offset", 0)
    limit = _int(data, "limit", len(names), 0)
    return names[offset:offset + limit]


@action
def package_show(ctx: Ctx, data: dict) -> dict:
    """Return a dataset by ``id`` (its uuid) or name."""
    entry = _entry(ctx, _required(data, "id"))
    out = _out_package(ctx.cat.package(entry), ctx)
    _count_call(ctx, entry.pk)
    return out


@action
def package_search(ctx: Ctx, data: dict) -> dict:
    """Search datasets: ``q``, ``fq``, ``rows`` (more than 1000 reads as 1000), ``start``, ``sort``,
    ``facet.field`` (JSON list), ``facet.limit`` (−1 for all), ``facet.mincount``; returns ``count``,
    ``results``, ``facets``, ``search_facets`` and ``sort``. See docs/opendata/ckan-api.md for the query syntax."""
    rows = _int(data, "rows", 10, 0, ROWS_MAX)
    start = _int(data, "start", 0)
    facet_on = _bool(data, "facet", True)
    fields = _list(data, "facet.field") if facet_on else []
    limit = _int(data, "facet.limit", 50, -1)
    mincount = _int(data, "facet.mincount", 1, 0)
    q = data.get("q") or ""
    fq = data.get("fq") or ""
    fq_list = data.get("fq_list")
    if fq_list:
        fq = " ".join([fq, *(_list(data, "fq_list"))])
    if not isinstance(q, str) or not isinstance(fq, str):
        raise ValidationFailed({"q" if not isinstance(q, str) else "fq": ["Must be a string"]})
    try:
        found = ctx.cat.index.search(q, fq, rows=rows, start=start, sort=data.get("sort") or None,
                                     facet_fields=fields, facet_limit=limit, facet_mincount=mincount)
    except ds.SearchQueryError as exc:
        raise SearchQueryFailed(f"Search Query is invalid: {exc}") from exc
    return {"count": found.count, "sort": found.sort,
            "results": [_out_package(p, ctx) for p in ctx.cat.packages(found.entries)],
            "facets": found.facets, "search_facets": found.search_facets}


def _group_list(ctx: Ctx, data: dict, items: dict[str, dict], counts: dict[str, int], key: str) -> list:
    wanted = set(_list(data, key))
    rows = [dict(g, package_count=counts.get(name, 0)) for name, g in items.items() if not wanted or name in wanted]
    sort = (data.get("sort") or data.get("order_by") or "title asc").strip().split()
    fieldname = {"packages": "package_count"}.get(sort[0], sort[0]) if sort else "title"
    if fieldname not in ("name", "title", "package_count"):
        raise ValidationFailed({"sort": [f"Cannot sort by {fieldname}: use name, title or package_count"]})
    desc = len(sort) > 1 and sort[1].lower() == "desc"
    rows.sort(key=lambda g: (g[fieldname], g["name"]) if fieldname != "title" else (g["title"].lower(), g["name"]),
              reverse=desc)
    offset = _int(data, "offset", 0)
    limit = _int(data, "limit", len(rows), 0)
    rows = rows[offset:offset + limit]
    if _bool(data, "all_fields", False):
        return rows
    return [g["name"] for g in rows]


@action
def organization_list(ctx: Ctx, data: dict) -> list:
    """Return the organisations publishing public datasets (names, or dictionaries with ``all_fields``)."""
    return _group_list(ctx, data, ctx.cat.organisations, ctx.cat.index.facet_counts("organization"),
                       "organizations")


@action
def group_list(ctx: Ctx, data: dict) -> list:
    """Return the catalogue's themes as CKAN groups (names, or dictionaries with ``all_fields``)."""
    return _group_list(ctx, data, ctx.cat.groups, ctx.cat.index.facet_counts("groups"), "groups")


def _show_group(ctx: Ctx, data: dict, items: dict[str, dict], ids: dict[str, str], facet: str, what: str) -> dict:
    ident = _required(data, "id")
    name = ident if ident in items else ids.get(ident)
    if name is None:
        raise NotFound(f"{what} not found: {ident}")
    counts = ctx.cat.index.facet_counts(facet)
    out = dict(items[name], package_count=counts.get(name, 0))
    if _bool(data, "include_datasets", False):
        found = ctx.cat.index.search(fq=f'{facet}:"{name}"', rows=ROWS_MAX, sort="name asc")
        out["packages"] = [_out_package(p, ctx) for p in ctx.cat.packages(found.entries)]
    return out


@action
def organization_show(ctx: Ctx, data: dict) -> dict:
    """Return an organisation by ``id`` or name; ``include_datasets`` adds its public datasets."""
    return _show_group(ctx, data, ctx.cat.organisations, ctx.cat.org_ids, "organization", "Organization")


@action
def group_show(ctx: Ctx, data: dict) -> dict:
    """Return a theme (CKAN group) by ``id`` or name; ``include_datasets`` adds its public datasets."""
    return _show_group(ctx, data, ctx.cat.groups, ctx.cat.group_ids, "groups", "Group")


@action
def tag_list(ctx: Ctx, data: dict) -> list:
    """Return the tags of public datasets; ``query`` keeps those containing the text; ``all_fields`` for dicts."""
    tags = sorted(ctx.cat.index.facet_counts("tags"))
    text = ds._fold(str(data.get("query") or data.get("q") or ""))
    if text:
        tags = [t for t in tags if text in ds._fold(t)]
    if _bool(data, "all_fields", False):
        ck = ctx.city.key
        return [{"id": str(stable_uuid(ck, "tag", t)), "name": t, "display_name": t, "vocabulary_id": None}
                for t in tags]
    return tags


@action
def resource_show(ctx: Ctx, data: dict) -> dict:
    """Return a resource (a distribution) by ``id``."""
    ident = _required(data, "id")
    found = ctx.cat.resource(ident)
    if found is None:
        raise NotFound(f"Resource was not found: {ident}")
    entry, res = found
    out = _out_resource(res, ctx)
    _count_call(ctx, entry.pk, res["_pk"])
    return out


def _tabular(ctx: Ctx, rid: str) -> tuple[ds.Entry, dict]:
    """The dataset and resource of a DataStore table (a held file's latest version with a Parquet copy)."""
    found = ctx.cat.resource(rid)
    if found is None or "_parquet" not in found[1]:
        raise NotFound(f'Resource "{rid}" was not found.')
    return found


#: Table Schema types → the PostgreSQL type names CKAN's DataStore reports.
CKAN_TYPES = {"string": "text", "integer": "int", "number": "numeric", "boolean": "bool", "date": "date",
              "datetime": "timestamp", "time": "time", "object": "json", "array": "_text"}


def _ckan_fields(fields: list[dict]) -> list[dict]:
    return [{"id": f["id"], "type": CKAN_TYPES.get(f["type"], "text")} for f in fields]


def _query_error(exc: dq.QueryError, data: dict, default: str) -> ValidationFailed:
    key = default
    if exc.code == "unknown-field":
        name = exc.params.get("name")
        for candidate in ("filters", "fields", "sort", "q"):
            value = data.get(candidate)
            if value and name in str(value):
                key = candidate
                break
    elif exc.code == "bad-sort":
        key = "sort"
    elif exc.code == "q-not-text":
        key = "q"
    elif exc.code == "bad-filter-value":
        key = "filters"
    elif exc.code == "bad-limit":
        key = exc.params.get("name", default)
    return ValidationFailed({key: [exc.message]})


@action
def datastore_search(ctx: Ctx, data: dict) -> dict:
    """Search the rows of a tabular resource's latest version: ``resource_id``, ``q`` (text or
    {column: text} over text columns), ``filters`` (JSON object), ``fields``, ``sort`` (``"col desc nulls last,
    col2"``), ``limit`` (default 100; more than 32,000 reads as 32,000), ``offset``, ``include_total``,
    ``records_format`` (objects or lists)."""
    rid = _required(data, "resource_id")
    entry, res = _tabular(ctx, rid)
    path_ = res["_parquet"]
    limit = _int(data, "limit", 100, 0, DATASTORE_ROWS_MAX)
    offset = _int(data, "offset", 0)
    filters = _object(data, "filters")
    q = data.get("q")
    if isinstance(q, str) and q.strip().startswith("{"):
        q = _object(data, "q")
    fields = _list(data, "fields") or None
    sort = data.get("sort") or None
    if isinstance(sort, list):
        sort = ", ".join(str(s) for s in sort)
    include_total = _bool(data, "include_total", True)
    records_format = data.get("records_format") or "objects"
    if records_format not in ("objects", "lists"):
        raise ValidationFailed({"records_format": ["Use objects or lists"]})
    try:
        page = dq.search(path_, filters=filters, q=q or None, fields=fields, sort=sort, limit=limit, offset=offset,
                         include_total=include_total)
    except dq.QueryError as exc:
        raise _query_error(exc, data, "q") from exc
    records = page.records
    if records_format == "lists":
        records = [[r.get(f["id"]) for f in page.fields] for r in records]
    action_path = f"{ctx.site_path}api/3/action/datastore_search"

    def link(off: int) -> str:
        params = {"resource_id": rid, **({"offset": off} if off else {}), **({"limit": limit} if limit != 100 else {})}
        from urllib.parse import urlencode

        return f"{action_path}?{urlencode(params)}"

    out = {"resource_id": rid, "fields": _ckan_fields(page.fields), "records": records, "limit": limit,
           "offset": offset, "include_total": include_total, "records_format": records_format,
           "_links": {"start": link(0), "next": link(offset + limit)}}
    if include_total and page.total >= 0:
        out["total"] = page.total
        out["total_was_estimated"] = False
    if filters:
        out["filters"] = filters
    if q:
        out["q"] = q
    if page.sort:
        out["sort"] = page.sort
    _count_call(ctx, entry.pk, res["_pk"])
    return out


_TABLE_REF = re.compile(r'"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"')


@action
def datastore_search_sql(ctx: Ctx, data: dict) -> dict:
    """Run one read-only SELECT in ``sql``; tables are resource ids in double quotes, e.g.
    ``SELECT * FROM "<resource id>" LIMIT 5``. At most 32,000 rows and 10 seconds."""
    sql = _required(data, "sql")
    tables, used = {}, []
    for rid in dict.fromkeys(_TABLE_REF.findall(sql)):
        entry, res = _tabular(ctx, rid)
        tables[rid] = res["_parquet"]
        used.append((entry.pk, res["_pk"]))
    try:
        result = dq.sql(sql, tables, row_limit=DATASTORE_ROWS_MAX, timeout_s=SQL_TIMEOUT_S)
    except dq.QueryError as exc:
        raise ValidationFailed({"query": [exc.message]}) from exc
    out = {"sql": sql, "fields": _ckan_fields(result.fields), "records": result.records}
    if result.truncated:
        out["records_truncated"] = True
    for dataset_pk, dist_pk in used:  # one API call per table the query read
        _count_call(ctx, dataset_pk, dist_pk)
    return out


_WRITE = re.compile(r"_(create|update|patch|delete|purge|upsert|revise|reorder|insert|run|invite|follow|"
                    r"unfollow)$|^(bulk_|member_|user_|api_token_|task_status_|term_translation_)")


# ---------------------------------------------------------------------------- the view

def _site_of(request: HttpRequest) -> str:
    """The CKAN site's path: everything before ``api/`` (``/`` at the root, ``/<city>/`` per city)."""
    p = request.path
    m = re.search(r"api/(?:3/)?action/[^/]*/?$", p)
    return p[:m.start()] if m else "/"


def _params(request: HttpRequest) -> dict:
    if request.method == "POST":
        body = request.body
        ctype = request.content_type or ""
        if body and (ctype == "application/json" or body.lstrip()[:1] == b"{"):
            try:
                data = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(f"Bad request - JSON Error: {exc}") from exc
            if not isinstance(data, dict):
                raise ApiError("Bad request - JSON Error: the body must be a JSON object")
            return {**{k: request.GET[k] for k in request.GET}, **data}
        return {**{k: request.GET[k] for k in request.GET}, **{k: request.POST[k] for k in request.POST}}
    return {k: request.GET[k] for k in request.GET}


def _respond(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/json;charset=utf-8"
    response["Access-Control-Allow-Origin"] = "*"  # public, read-only data without credentials
    return response


@csrf_exempt
def action_view(request: HttpRequest, action: str, city: str | None = None) -> JsonResponse:
    site_path = _site_of(request)
    site = request.build_absolute_uri(site_path)
    help_url = f"{site}api/3/action/help_show?name={action}"
    try:
        if request.method not in ("GET", "POST"):
            raise ApiError(f"Bad request - Method not allowed: {request.method}")
        fn = ACTIONS.get(action)
        if fn is None:
            if _WRITE.search(action):
                raise NotAuthorized("Access denied: this CKAN API is read-only; Cityline's records change "
                                    "through its own API and editor")
            raise ApiError(f"Bad request - Action name not known: {action}")
        try:
            city_obj = resolve_city(city)
        except Http404 as exc:
            raise NotFound(str(exc)) from exc
        data = _params(request)
        result = fn(Ctx(request, city_obj, site, site_path), data)
    except ApiError as exc:
        return error_response(request, exc, action)
    return _respond({"help": help_url, "success": True, "result": result})


def error_response(request: HttpRequest, error: ApiError, action: str | None = None) -> JsonResponse:
    """CKAN's error object for ``error``; also answered outside the action view (the rate limit's 429)."""
    if action is None:
        found = re.search(r"api/(?:3/)?action/([^/]*)/?$", request.path)
        action = found.group(1) if found else ""
    help_url = f"{request.build_absolute_uri(_site_of(request))}api/3/action/help_show?name={action}"
    return _respond({"help": help_url, "success": False, "error": error.as_dict()}, error.status)


def credentials_refused(request: HttpRequest, detail: str, challenge: str) -> JsonResponse:
    """Wrong credentials (an unknown, expired or revoked token, a wrong password), answered before any action
    runs (:mod:`cityline.api.credentials`): CKAN's "Authorization Error" (403, "Access denied: <why>"), the error
    object CKAN clients read (``ckanapi`` raises ``NotAuthorized``), not the REST API's 401 problem document.
    CKAN itself answers every refusal so; the ``WWW-Authenticate`` challenge still tells a refused credential
    from a refused action (B10)."""
    response = error_response(request, NotAuthorized(f"Access denied: {detail}"))
    response["WWW-Authenticate"] = challenge
    return response


urlpatterns = [
    path("api/3/action/<str:action>", action_view, name="ckan-action"),
    path("api/action/<str:action>", action_view, name="ckan-action-unversioned"),
]
