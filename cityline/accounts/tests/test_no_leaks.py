"""Signed out sees nothing private (B10, B14, B2.g).

A city with unpublished records carrying sentinel strings — an unpublished KPI, a draft dataset, a
restricted (internal) dataset with rows, a person whose contact is not published — is crawled as an
anonymous visitor: every GET operation of the API (lists, details, histories, the city's history,
area views), the CKAN Action API, DCAT in every serialisation, the query API, the bulk zip (unzipped),
the file addresses of the restricted dataset and every public portal page. No sentinel may appear
anywhere, and the hidden records answer 404 (not 403: their existence is not revealed). A signed-in
citizen without a role sees exactly the same.

Participation (issue 8): a city whose consultations have participants with sentinel user names,
e-mail addresses and account ids (a verified-anonymous one with a sentinel display name stored,
offline responses entered by a sentinel staff member, a report, a hidden contribution, a
published response, a draft consultation and a draft response) and whose participation open
datasets are published is crawled the same way, plus every consultation page and ``results.json``
in every language and the open data files (read from storage and through their addresses). None
of the identifiers may appear, no JSON field may carry an account id, and the draft consultation
answers 404. A signed-in participant sees nobody else's identity either.
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


def scan(where: str, content: bytes, found: list[str], sentinels: dict | None = None) -> None:
    """Record each sentinel (a string, found case-insensitively, or a compiled pattern) found in ``content``."""
    text = content.decode("utf-8", errors="replace")
    for name, sentinel in (SENTINELS if sentinels is None else sentinels).items():
        if isinstance(sentinel, re.Pattern):
            match = sentinel.search(text)
            if match:
                found.append(f"{where}: the {name} sentinel ({match.group(0)!r})")
        elif sentinel.lower() in text.lower():
            found.append(f"{where}: the {name} sentinel")


def get(client, url, found, *, hidden: bool = False, sentinels: dict[str, str] | None = None):
    r = client.get(url)
    body = b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content
    scan(url, body, found, sentinels)
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


def crawl_city(client, city, hidden, found, *, sentinels=None) -> dict[str, int]:
    """The city's open face: every API GET operation and history, the bulk zip, the CKAN lists, DCAT, every page."""
    from cityline.portal.publish import collect_paths

    statuses: dict[str, int] = {}
    for url, is_hidden in api_urls(city, hidden):
        r, _ = get(client, url, found, hidden=is_hidden, sentinels=sentinels)
        statuses[url] = r.status_code
    for collection in sorted({r.collection for r in REGISTRY.values() if r.scoped}):
        get(client, f"/api/v1/cities/{city.key}/history?collection={collection}&_limit=200", found,
            sentinels=sentinels)
    base = f"/api/v1/cities/{city.key}"
    r, body = get(client, f"{base}/catalogue/bulk.zip", found, sentinels=sentinels)
    if r.status_code == 200:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                scan(f"bulk.zip:{name}", archive.read(name), found, sentinels)
    ckan = f"/{city.key}/api/3/action"
    for action in ("package_list", "package_search?rows=1000", "current_package_list_with_resources",
                   "organization_list?all_fields=true", "group_list?all_fields=true", "tag_list"):
        get(client, f"{ckan}/{action}", found, sentinels=sentinels)
    for ext in ("ttl", "jsonld", "rdf"):
        get(client, f"/{city.key}/catalog.{ext}", found, sentinels=sentinels)
    for _lang, path in collect_paths([city]):
        get(client, path, found, sentinels=sentinels)
    return statuses


def crawl(client, city, hidden, dist) -> tuple[list[str], dict[str, int]]:
    from cityline.opendata.models import Dataset

    found: list[str] = []
    statuses = crawl_city(client, city, hidden, found)
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
    # CKAN Action API (the lists are in crawl_city)
    ckan = f"/{city.key}/api/3/action"
    get(client, f"{ckan}/organization_show?id=council&include_datasets=true", found)
    for key in ("internal-budget", "noise-draft", str(internal.uuid)):
        r, _ = get(client, f"{ckan}/package_show?id={key}", found)
        if r.status_code != 404:
            found.append(f"CKAN package_show {key}: {r.status_code}, expected 404")
    rid = str(dist.uuid) if getattr(dist, "uuid", None) else str(dist.pk)
    get(client, f"{ckan}/datastore_search?resource_id={rid}", found)
    get(client, f"{ckan}/resource_show?id={rid}", found)
    get(client, f"{ckan}/datastore_search_sql?sql=" + quote(f'SELECT * FROM "{rid}"'), found)
    # DCAT (the catalogues are in crawl_city)
    for ext in ("ttl", "jsonld", "rdf"):
        for key in ("internal-budget", "noise-draft"):
            get(client, f"/{city.key}/dataset/{key}.{ext}", found, hidden=True)
    # files of the restricted dataset
    for suffix in ("", "v1/", "v1/data.parquet", "v1/datapackage.json", "v1/csv-metadata.json"):
        get(client, f"/{city.key}/files/internal-budget/budget-csv/{suffix}", found, hidden=True)
    # the hidden records' own pages (every public page is in crawl_city)
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


# --- participation (issue 8): no contributor's e-mail or account identifier is public ------------------------

#: Account ids far above anything else in the test database, so that the number itself is a sentinel.
USER_ID_BASE = 987_650_000
PEOPLE = {  # role: (username, e-mail)
    "ann": ("zqxuserann", "zqxlocalann@zqxmailhost.example"),
    "bob": ("zqxuserbob", "zqxlocalbob@zqxmailhost.example"),
    "carol": ("zqxusercarol", "zqxlocalcarol@zqxmailhost.example"),  # verified-anonymous
    "staff": ("zqxuserstaff", "zqxlocalstaff@zqxmailhost.example"),  # enters letters, moderates, responds
    "reporter": ("zqxuserreporter", "zqxlocalreporter@zqxmailhost.example"),
}
ANONYMOUS_NAME = "Zqxanonname"
#: JSON fields that would carry an account id (any value but null is a leak).
ACCOUNT_FIELD = re.compile(
    r"""["'](user|user_id|userid|account|account_id|entered_by|entered_by_id|reporter|reporter_id|moderator|"""
    r"""moderator_id|history_user|history_user_id)["']\s*:\s*(?!null\b|None\b|"")[\w"]""", re.I)


def participation_sentinels(*, except_for: str | None = None) -> dict[str, str]:
    out = {}
    for n, (role, (username, email)) in enumerate(PEOPLE.items(), start=1):
        if role == except_for:
            continue
        out |= {f"{role}'s user name": username, f"{role}'s e-mail": email,
                f"{role}'s e-mail local part": email.split("@")[0], f"{role}'s account id": str(USER_ID_BASE + n)}
    out |= {"e-mail domain": "zqxmailhost", "anonymous participant's display name": ANONYMOUS_NAME,
            "draft consultation": "Zqxdraftconsultation", "draft response": "Zqxdraftresponse",
            "hidden contribution's text": "Zqxhiddenbody", "account id field": ACCOUNT_FIELD}
    return out


@pytest.fixture
def participation(db, tmp_path):
    """A city whose consultations have every kind of participant, contribution, answer and response."""
    from datetime import timedelta

    from django.utils import timezone

    from cityline.accounts.testing import grant
    from cityline.core import actions
    from cityline.participation import services
    from cityline.participation.models import (
        Consultation,
        ConsultationResponse,
        Participant,
        ResponseItem,
    )
    from cityline.participation.testing import make_participation_city

    city, r = make_participation_city("partville")
    User = get_user_model()
    u = {role: User.objects.create_user(username, email=email, password="not-used-pw-1", id=USER_ID_BASE + n,
                                        first_name=f"Zqxfirst{role}")
         for n, (role, (username, email)) in enumerate(PEOPLE.items(), start=1)}
    grant(u["staff"], "contributor", organisation=r["council"])
    cycle, library = r["open"], r["closed"]
    ann = services.join(cycle, u["ann"], display_name="Ann on two wheels", party_category="beneficiary",
                        segment=r["segment"], district="North")
    bob = services.join(cycle, u["bob"], display_name="Quay Road resident", district="South")
    carol = services.join(cycle, u["carol"], anonymous=True)
    # the display name of a verified-anonymous participant is never shown, even if one is stored
    Participant.objects.filter(pk=carol.pk).update(display_name=ANONYMOUS_NAME)
    carol.refresh_from_db()
    comment = services.contribute(ann, "Quay Road first: children cycle there to school every morning.")
    proposal = services.contribute(ann, "Close Station Avenue to cars on Sunday mornings for a trial summer.",
                                   kind="proposal", title="Car-free Sunday mornings")
    reply = services.contribute(bob, "Agreed, and the junction with Mill Lane needs a crossing too.", parent=comment)
    services.contribute(carol, "Speed limits matter more than paint on the road surface.")
    services.support(bob, proposal)
    services.support(carol, proposal)
    services.answer_survey(ann, {1: "Bike", 2: ["Quay Road"], 3: 2, 4: "More lanes near schools."})
    services.answer_survey(bob, {1: "Bus", 3: 3})
    services.answer_survey(carol, {1: "On foot"})
    hidden = services.contribute(bob, "Zqxhiddenbody: my neighbour at number 12 parks on the lane.")
    services.hide(hidden, u["staff"], "Names a private person")
    services.report(reply, u["reporter"], "Off topic for this consultation.")
    services.enter_offline_response(cycle, staff=u["staff"], channel="post", display_name="Letter from Mill Lane",
                                    body="Please light the cycle lanes in winter.", answers={1: "Car"})
    services.enter_offline_response(library, staff=u["staff"], channel="in_person", display_name="Library visitor",
                                    body="Open on Sunday afternoons, please.")
    response = actions.create(ConsultationResponse, user=u["staff"], city=city, consultation=library,
                              summary="People asked for Sunday opening.")
    actions.create(ResponseItem, user=u["staff"], city=city, response=response, number=1,
                   you_said="Open on Sundays", we_did="We open on Sunday afternoons from May.", outcome="changed")
    services.publish_response(library, user=u["staff"], notify=False)
    # a draft consultation, and a closed one whose response is still a draft
    actions.update(Consultation.objects.get(pk=r["draft"].pk), user=u["staff"],
                   title="Zqxdraftconsultation plan", question="Zqxdraftconsultation: what should it say?")
    today = timezone.localdate()
    buses = actions.create(Consultation, user=u["staff"], city=city, key="bus-routes", title="Bus routes",
                           organiser=r["council"], question="Which routes should run at night?",
                           opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=2),
                           channels=["online"])
    actions.update(buses, user=u["staff"], status="open")
    buses = actions.update(Consultation.objects.get(pk=buses.pk), user=u["staff"], status="closed",
                           closed_on=today - timedelta(days=2))
    draft_response = actions.create(ConsultationResponse, user=u["staff"], city=city, consultation=buses,
                                    summary="Zqxdraftresponse: night buses on three routes.")
    actions.create(ResponseItem, user=u["staff"], city=city, response=draft_response, number=1,
                   you_said="Zqxdraftresponse said", we_did="Zqxdraftresponse did", outcome="changed")
    published = publish_participation_open_data(city)
    return city, r, u, published


def publish_participation_open_data(city) -> list[str]:
    """Publish the participation open datasets (helper module ``cityline.participation.opendata``)."""
    from cityline.participation import opendata

    return [result["dataset"] for result in opendata.publish(city)]


def participation_urls(city) -> tuple[list[str], list[str]]:
    """(public addresses, addresses that must answer 404) of the consultations, in every language."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from cityline.participation.models import Consultation

    public, absent = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            public.append(reverse("participation:consultations", kwargs={"city": city.key}))
            for c in Consultation.objects.filter(city=city).order_by("key"):
                urls = [reverse("participation:consultation", kwargs={"city": city.key, "key": c.key}),
                        reverse("participation:results-json", kwargs={"city": city.key, "key": c.key})]
                (absent if c.status == "draft" else public).extend(urls)
    return public, absent


def crawl_participation(client, city, *, sentinels) -> tuple[list[str], int]:
    """Everything public about the city plus the consultation pages and the participation open data files."""
    from cityline.opendata.models import Dataset
    from cityline.opendata.services import stored_path

    from cityline.participation.models import Consultation

    found: list[str] = []
    drafts = list(Consultation.objects.filter(city=city, status="draft").values_list("key", flat=True))
    statuses = crawl_city(client, city, {"consultations": drafts}, found, sentinels=sentinels)
    reached = [u for u, status in statuses.items() if "/consultations/" in u and status == 200]
    if not any(u.endswith("/contributions") or "/contributions?" in u for u in reached):
        found.append("the crawl reached no consultation's contributions in the API")
    public, absent = participation_urls(city)
    for url in public:
        r, body = get(client, url, found, sentinels=sentinels)
        if r.status_code != 200:
            found.append(f"{url}: {r.status_code}, expected a public page")
    for url in absent:
        get(client, url, found, hidden=True, sentinels=sentinels)
    files = 0
    for dataset in Dataset.objects.filter(city=city, key__startswith="participation-"):
        ckan = f"/{city.key}/api/3/action"
        get(client, f"{ckan}/package_show?id={dataset.key}", found, sentinels=sentinels)
        for ext in ("ttl", "jsonld", "rdf"):
            get(client, f"/{city.key}/dataset/{dataset.key}.{ext}", found, sentinels=sentinels)
        for dist in dataset.distributions.all():
            version = dist.latest_version()
            if version is None:
                continue
            files += 1
            scan(f"file {version.path}", stored_path(version.path).read_bytes(), found, sentinels)
            for suffix in ("", f"v{version.number}/", f"v{version.number}/datapackage.json",
                           f"v{version.number}/csv-metadata.json", f"v{version.number}/data.parquet"):
                get(client, f"/{city.key}/files/{dataset.key}/{dist.key}/{suffix}", found, sentinels=sentinels)
            rid = str(dist.uuid) if getattr(dist, "uuid", None) else str(dist.pk)
            get(client, f"{ckan}/datastore_search?resource_id={rid}", found, sentinels=sentinels)
    return found, files


def test_no_contributor_identity_is_public_signed_out(participation):
    city, r, u, published = participation
    sentinels = participation_sentinels()
    found, files = crawl_participation(Client(), city, sentinels=sentinels)
    assert not found, "contributor identity or drafts reachable signed out:\n" + "\n".join(found)
    # the test sees what it claims to: the open data were written, the pages show the contributions
    assert files >= 3, published
    page = Client().get(f"/{city.key}/consultations/cycle-lanes/").content.decode()
    assert "Ann on two wheels" in page and "Car-free Sunday mornings" in page and "Letter from Mill Lane" in page
    assert "Verified participant" in page and "Names a private person" in page
    assert "Sunday afternoons from May" in Client().get(f"/{city.key}/consultations/library-hours/").content.decode()


def test_a_participant_signed_in_sees_no_one_elses_identity(participation):
    city, r, u, published = participation
    client = Client()
    client.force_login(u["bob"])
    found: list[str] = []
    sentinels = participation_sentinels(except_for="bob")
    public, absent = participation_urls(city)
    for url in public:
        get(client, url, found, sentinels=sentinels)
    for url in absent:
        get(client, url, found, hidden=True, sentinels=sentinels)
    assert not found, "another person's identity reachable by a participant:\n" + "\n".join(found)
    # the sentinels do catch a leak: bob's own account page names him
    own: list[str] = []
    get(client, "/account/", own, sentinels=participation_sentinels())
    assert any("bob's user name" in x for x in own), own


def test_the_account_field_pattern_finds_account_ids_and_ignores_empty_ones():
    leaks = ['{"user_id": 123}', "{'user': 5}", '{"entered_by": "zqx"}', '{"Moderator_id" : 7}']
    fine = ['{"user_id": null}', "{'user': None}", '{"users": 3}', '{"display_name": "user: 3"}', '{"reporter": ""}']
    assert all(ACCOUNT_FIELD.search(x) for x in leaks)
    assert not any(ACCOUNT_FIELD.search(x) for x in fine)
