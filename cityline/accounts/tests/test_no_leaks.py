"""Signed out sees nothing private (B10, B14, B2.g).

A city with unpublished records carrying sentinel strings — an unpublished KPI, a draft dataset, a
restricted (internal) dataset with rows, a person whose contact is not published — is crawled as an
anonymous visitor: every GET operation of the API (lists, details, histories, the city's history,
area views), the CKAN Action API, DCAT in every serialisation, the query API, the bulk zip (unzipped),
the file addresses of the restricted dataset and every public portal page. No sentinel may appear
anywhere, and the hidden records answer 404 (not 403: their existence is not revealed). A signed-in
citizen without a role sees exactly the same.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.api.generic import REGISTRY
from cityline.api.router import api

pytestmark = pytest.mark.django_db

SENTINELS = {
    "kpi": "Zqxkpisentinel",
    "draft": "Zqxdraftsentinel",
    "restricted": "Zqxrestrictedsentinel",
    "row": "Zqxrowsentinel",
    "email": "zqxmailsentinel@hidden.example",
    "phone": "+99 7766 554433",
    "document": "Zqxdocumentsentinel",
}
#: Addresses about the signed-in person themselves (their own account), not the city's data.
OWN_ACCOUNT = {"/api/v1/me"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@pytest.fixture(autouse=True)
def opendata_dir(settings, tmp_path):
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"


@pytest.fixture
def leaky(db, tmp_path):
    """The catalogue city plus hidden records, each changed once so that their history has diffs."""
    from cityline.benefits import testing as bt
    from cityline.core import actions
    from cityline.core.models import Person
    from cityline.core.testing import make_person
    from cityline.opendata import services
    from cityline.opendata.models import Dataset, Distribution
    from cityline.opendata.testing import make_catalogue_city

    city = make_catalogue_city("leakville")
    from cityline.core.models import Organisation

    council = Organisation.objects.get(city=city, key="council")
    person = make_person(city, "hidden-person", name="Hidden Person", organisation=council,
                         email="first@hidden.example", phone="0")
    actions.update(Person.objects.get(pk=person.pk), user=None, email=SENTINELS["email"], phone=SENTINELS["phone"])
    outcome = bt.node(city, "cleaner-air", "end_outcome", title="Cleaner air")
    bt.kpi(city, "hidden-kpi", outcome, "outcome", baseline=(10, date(2024, 1, 1)), target=(5, date(2030, 1, 1)),
           values={2024: 9}, published=False, title=f"{SENTINELS['kpi']} share")
    draft = Dataset.objects.get(city=city, key="noise-draft")
    actions.update(draft, user=None, title=f"Noise {SENTINELS['draft']}", description=SENTINELS["draft"])
    internal = Dataset.objects.get(city=city, key="internal-budget")
    actions.update(internal, user=None, title=f"Budget {SENTINELS['restricted']}")
    dist = actions.create(Distribution, city=city, key="budget-csv", dataset=Dataset.objects.get(pk=internal.pk),
                          title=f"Lines {SENTINELS['restricted']}", format="CSV", media_type="text/csv")
    source = tmp_path / "budget.csv"
    source.write_text("line,amount\n" + "".join(f"{SENTINELS['row']} {i},{i}00\n" for i in range(6)))
    services.upload_version(dist, source, original_name="budget.csv")
    # A draft policy product is listed with its title, type and status (B5 transparency), but its
    # summary and link stay inside the programme until it is published.
    from cityline.core.models import Document

    doc = actions.create(Document, city=city, key="draft-policy", title="Data sharing policy", doc_type="policy",
                         owner=council, summary="first", url="https://example.org/first")
    actions.update(Document.objects.get(pk=doc.pk), user=None, summary=SENTINELS["document"],
                   url=f"https://example.org/{SENTINELS['document']}")
    hidden = {
        "kpis": ["hidden-kpi"], "datasets": ["noise-draft", "internal-budget"], "distributions": ["budget-csv"],
    }
    return city, hidden, Distribution.objects.get(pk=dist.pk)


def scan(where: str, content: bytes, found: list[str]) -> None:
    text = content.decode("utf-8", errors="replace")
    for name, sentinel in SENTINELS.items():
        if sentinel.lower() in text.lower():
            found.append(f"{where}: the {name} sentinel")


def get(client, url, found, *, hidden: bool = False):
    r = client.get(url)
    body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
    scan(url, body, found)
    if hidden and r.status_code != 404:
        found.append(f"{url}: {r.status_code}, expected 404 (a hidden record must look absent)")
    return r, body


def api_urls(city, hidden):
    """Every GET operation of the API, with the key of every record of the city (the hidden ones included)."""
    schema = api.get_openapi_schema()
    by_collection = {r.collection: r for r in REGISTRY.values() if r.scoped}
    urls: list[tuple[str, bool]] = []
    for path, item in schema["paths"].items():
        if "get" not in item:
            continue
        names = PARAM.findall(path)
        if not names or names == ["city_key"]:
            url = path.replace("{city_key}", city.key)
            urls.append((url + ("?_limit=500" if item["get"]["operationId"].endswith("_list") else ""), False))
            continue
        found = re.match(r"^/api/v1/cities/\{city_key\}/([\w-]+)/\{(key|id)\}", path)
        if found and found[1] in by_collection:
            res = by_collection[found[1]]
            for obj in res.model._default_manager.filter(city=city):
                ref = obj.key if res.keyed else obj.pk
                is_hidden = res.keyed and obj.key in hidden.get(res.collection, [])
                urls.append((re.sub(r"\{(key|id)\}", str(ref), path.replace("{city_key}", city.key), count=1),
                             is_hidden))
    return urls


def crawl(client, city, hidden, dist) -> tuple[list[str], dict[str, int]]:
    from cityline.opendata.models import Dataset
    from cityline.portal.publish import collect_paths

    found: list[str] = []
    statuses: dict[str, int] = {}
    for url, is_hidden in api_urls(city, hidden):
        r, _ = get(client, url, found, hidden=is_hidden)
        statuses[url] = r.status_code
    for collection in sorted({r.collection for r in REGISTRY.values() if r.scoped}):
        get(client, f"/api/v1/cities/{city.key}/history?collection={collection}&_limit=200", found)
    # the hidden records of models that are not keyed: their kpi's measurements, targets, trajectory
    from cityline.benefits.models import Kpi, KpiTarget, Measurement

    kpi = Kpi.objects.get(city=city, key="hidden-kpi")
    for model, collection in ((Measurement, "measurements"), (KpiTarget, "kpi-targets")):
        for obj in model._default_manager.filter(kpi=kpi):
            get(client, f"/api/v1/cities/{city.key}/{collection}/{obj.pk}", found, hidden=True)
            get(client, f"/api/v1/cities/{city.key}/{collection}/{obj.pk}/history", found, hidden=True)
    base = f"/api/v1/cities/{city.key}"
    internal = Dataset.objects.get(city=city, key="internal-budget")
    get(client, f"{base}/kpis/hidden-kpi/status", found, hidden=True)
    get(client, f"{base}/datasets/internal-budget/distributions/budget-csv/rows", found, hidden=True)
    get(client, f"{base}/sql?q=" + quote("SELECT * FROM budget_csv"), found)
    get(client, f"{base}/sql?q=" + quote("SELECT 1"), found)
    r, body = get(client, f"{base}/catalogue/bulk.zip", found)
    if r.status_code == 200:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                scan(f"bulk.zip:{name}", archive.read(name), found)
    # CKAN Action API
    ckan = f"/{city.key}/api/3/action"
    for action in ("package_list", "package_search?rows=1000", "current_package_list_with_resources",
                   "organization_list?all_fields=true", "group_list?all_fields=true", "tag_list",
                   "organization_show?id=council&include_datasets=true"):
        get(client, f"{ckan}/{action}", found)
    for key in ("internal-budget", "noise-draft", str(internal.uuid)):
        r, _ = get(client, f"{ckan}/package_show?id={key}", found)
        if r.status_code != 404:
            found.append(f"CKAN package_show {key}: {r.status_code}, expected 404")
    rid = str(dist.uuid) if getattr(dist, "uuid", None) else str(dist.pk)
    get(client, f"{ckan}/datastore_search?resource_id={rid}", found)
    get(client, f"{ckan}/resource_show?id={rid}", found)
    get(client, f"{ckan}/datastore_search_sql?sql=" + quote(f'SELECT * FROM "{rid}"'), found)
    # DCAT
    for ext in ("ttl", "jsonld", "rdf"):
        get(client, f"/{city.key}/catalog.{ext}", found)
        for key in ("internal-budget", "noise-draft"):
            get(client, f"/{city.key}/dataset/{key}.{ext}", found, hidden=True)
    # files of the restricted dataset
    for suffix in ("", "v1/", "v1/data.parquet", "v1/datapackage.json", "v1/csv-metadata.json"):
        get(client, f"/{city.key}/files/internal-budget/budget-csv/{suffix}", found, hidden=True)
    # every public page of the city, and the hidden records' own pages
    for _lang, path in collect_paths([city]):
        get(client, path, found)
    for url in (f"/{city.key}/data/internal-budget/", f"/{city.key}/data/noise-draft/",
                f"/{city.key}/kpis/hidden-kpi/", f"/{city.key}/kpis/hidden-kpi.json"):
        get(client, url, found, hidden=True)
    return found, statuses


def test_signed_out_sees_nothing_private(leaky):
    city, hidden, dist = leaky
    found, statuses = crawl(Client(), city, hidden, dist)
    assert not found, "private data reachable signed out:\n" + "\n".join(found)
    assert len(statuses) > 100, "the crawl reached too few API addresses"


def test_a_citizen_without_a_role_sees_what_anonymous_sees(leaky):
    city, hidden, dist = leaky
    citizen = get_user_model().objects.create_user("plain-citizen", "citizen@leakville.example", "pw-citizen-1")
    client = Client()
    client.force_login(citizen)
    found, statuses = crawl(client, city, hidden, dist)
    assert not found, "private data reachable by a citizen without a role:\n" + "\n".join(found)
    _, anonymous = crawl(Client(), city, hidden, dist)
    # the same answers, except that a signed-in caller is refused with 403 where anonymous gets 401, and the
    # person's own account (/me) is theirs
    same = {401: 403}
    differ = {u: (s, anonymous.get(u)) for u, s in statuses.items()
              if u not in OWN_ACCOUNT and same.get(anonymous.get(u), anonymous.get(u)) != s}
    assert not differ, differ
