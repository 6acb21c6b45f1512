"""Reading: lists with pagination, filters, search and sorting; details by key; 404s; privacy."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from cityline.core import actions
from cityline.core.testing import make_city, make_organisation
from cityline.strategy import models as sm

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"


def test_cities_list_and_detail(client, city):
    make_city("otherton", "Otherton")
    body = client.get("/api/v1/cities").json()
    assert body["count"] == 2
    assert [c["key"] for c in body["results"]] == ["otherton", "testville"]  # ordered by name
    detail = client.get(f"{BASE}").json()
    assert detail["name"] == "Testville"
    assert detail["version"] == 1 and "updated_at" in detail


def test_list_is_scoped_to_the_city(client, city):
    other = make_city("otherton", "Otherton")
    make_organisation(other, "council")
    keys = [o["key"] for o in client.get(f"{BASE}/organisations").json()["results"]]
    assert sorted(keys) == ["council", "telco", "uni"]
    assert client.get("/api/v1/cities/otherton/organisations").json()["count"] == 1


def test_pagination_with_count_and_links(client, city):
    first = client.get(f"{BASE}/projects?_limit=2").json()
    assert first["count"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [p["key"] for p in first["results"]] == ["p1", "p2"]
    assert first["previous"] is None
    nxt = urlparse(first["next"])
    assert nxt.path == f"{BASE}/projects" and parse_qs(nxt.query) == {"_limit": ["2"], "_offset": ["2"]}
    second = client.get(first["next"]).json()
    assert [p["key"] for p in second["results"]] == ["p3", "p4"]
    assert parse_qs(urlparse(second["previous"]).query)["_offset"] == ["0"]
    last = client.get(second["next"]).json()
    assert [p["key"] for p in last["results"]] == ["p5"] and last["next"] is None


def test_links_keep_the_filters(client, city):
    body = client.get(f"{BASE}/projects?status=in_progress&_limit=1").json()
    assert body["count"] == 2
    assert parse_qs(urlparse(body["next"]).query)["status"] == ["in_progress"]


@pytest.mark.parametrize("query, detail", [
    ("_limit=0", "_limit"), ("_limit=501", "_limit"), ("_limit=ten", "_limit"), ("_offset=-1", "_offset"),
])
def test_bad_page_parameters_are_400_problems(client, city, query, detail):
    r = client.get(f"{BASE}/projects?{query}")
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert detail in r.json()["errors"]


def test_filters_by_choice_and_by_referenced_key(client, city):
    r = client.get(f"{BASE}/procurement-pipeline?status=planned&buyer=council").json()
    assert [e["key"] for e in r["results"]] == ["buy-1"]
    r = client.get(f"{BASE}/procurement-pipeline?status=planned&status=tender_open").json()
    assert sorted(e["key"] for e in r["results"]) == ["buy-1", "buy-2", "buy-3"]


def test_range_filters_on_dates_and_numbers(client, city):
    r = client.get(f"{BASE}/procurement-pipeline?expected_tender_date__gte=2026-02-01"
                   "&expected_tender_date__lt=2026-04-01").json()
    assert [e["key"] for e in r["results"]] == ["buy-2", "buy-3"]
    r = client.get(f"{BASE}/procurement-pipeline?estimated_value__gt=250000").json()
    assert [e["key"] for e in r["results"]] == ["buy-3", "buy-4"]


def test_boolean_and_json_list_filters(client, city):
    council = city_org(city, "council")
    actions.create(sm.InterestedParty, city=city, key="residents", name="Residents' forum", sector="voluntary",
                   categories=["beneficiary", "consumer"], influence="medium", interest="high")
    actions.create(sm.InterestedParty, city=city, key="opponents", name="Stop the sensors", sector="voluntary",
                   categories=["negative_promoter"], influence="low", interest="high")
    actions.create(sm.InterestedParty, city=city, key="council", name="Council", sector="public",
                   organisation=council, categories=["promoter", "investor"], influence="high", interest="high")
    r = client.get(f"{BASE}/interested-parties?categories=promoter").json()
    assert [p["key"] for p in r["results"]] == ["council"]  # not "negative_promoter"
    r = client.get(f"{BASE}/interested-parties?categories=consumer&categories=investor").json()
    assert sorted(p["key"] for p in r["results"]) == ["council", "residents"]
    assert client.get(f"{BASE}/people?published_contact=true").json()["count"] == 1
    assert client.get(f"{BASE}/people?published_contact=maybe").status_code == 400


def test_many_to_many_filter_and_output_as_keys(client, city):
    a = actions.create(sm.GlossaryTerm, city=city, key="kpi", term="KPI", definition="Key performance indicator")
    actions.create(sm.GlossaryTerm, city=city, key="target", term="Target", definition="A value to reach",
                   m2m={"related": [a]})
    actions.create(sm.GlossaryTerm, city=city, key="asset", term="Asset", definition="Something of value")
    r = client.get(f"{BASE}/glossary?related=kpi").json()
    assert [t["key"] for t in r["results"]] == ["target"]
    kpi = client.get(f"{BASE}/glossary/kpi").json()
    assert kpi["related"] == ["target"]  # symmetrical


def test_text_search_matches_every_word(client, city):
    r = client.get(f"{BASE}/organisations?_q=testville").json()
    assert sorted(o["key"] for o in r["results"]) == ["council", "uni"]
    r = client.get(f"{BASE}/organisations?_q=testville+university").json()
    assert [o["key"] for o in r["results"]] == ["uni"]


def test_sorting(client, city):
    r = client.get(f"{BASE}/procurement-pipeline?_sort=-estimated_value").json()
    assert [e["key"] for e in r["results"]] == ["buy-4", "buy-3", "buy-2", "buy-1"]
    r = client.get(f"{BASE}/procurement-pipeline?_sort=buyer,-key").json()
    assert [e["key"] for e in r["results"]] == ["buy-4", "buy-3", "buy-1", "buy-2"]
    r = client.get(f"{BASE}/procurement-pipeline?_sort=colour")
    assert r.status_code == 400 and "colour" in r.json()["detail"]


@pytest.mark.parametrize("query, name", [
    ("colour=red", "colour"), ("_size=5", "_size"), ("status__startswith=p", "status__startswith"),
    ("title=Sensors", "title"),
])
def test_unknown_filter_is_400_naming_the_parameter(client, city, query, name):
    r = client.get(f"{BASE}/procurement-pipeline?{query}")
    assert r.status_code == 400
    body = r.json()
    assert r["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:cityline:problem:unknown-parameter" and body["status"] == 400
    assert repr(name) in body["detail"] and "buyer" in body["detail"]  # names it and lists the filters
    assert body["errors"] == {name: ["unknown query parameter"]}


@pytest.mark.parametrize("query", ["status=open", "expected_tender_date__gte=next-week", "estimated_value=lots"])
def test_invalid_filter_value_is_400(client, city, query):
    r = client.get(f"{BASE}/procurement-pipeline?{query}")
    assert r.status_code == 400
    assert query.split("=")[0] in r.json()["errors"]


def test_detail_by_key_with_references_as_keys_and_etag(client, city):
    r = client.get(f"{BASE}/procurement-pipeline/buy-2")
    assert r.status_code == 200
    body = r.json()
    assert body["buyer"] == "uni" and body["project"] is None
    assert body["estimated_value"] == "200000.00"
    assert body["total_cost_of_ownership"] == "1350.00"  # 1000 + 3 × 100 + 50
    assert body["version"] == 1
    assert r["ETag"] == '"1"'
    project = client.get(f"{BASE}/projects/p2").json()
    assert project["programme"] == "smart" and project["owner"] == "ada" and project["start_date"] == "2025-02-01"


def test_keyless_records_are_addressed_by_id_and_single_vision_by_collection(client, city):
    vision = client.get(f"{BASE}/vision").json()
    assert vision["horizon_year"] == 2035 and vision["document"] == "strategy"
    purpose = actions.create(sm.VisionPurpose, city=city, vision=sm.Vision.objects.get(city=city),
                             purpose="well_being", weight="0.500")
    r = client.get(f"{BASE}/vision-purposes/{purpose.pk}").json()
    assert r["purpose"] == "well_being" and r["weight"] == "0.500" and "vision" not in r


def test_404s_are_problems(client, city):
    for url, words in [
        ("/api/v1/cities/atlantis", "atlantis"),
        ("/api/v1/cities/atlantis/projects", "atlantis"),
        (f"{BASE}/projects/nope", "nope"),
        (f"{BASE}/vision-purposes/999999", "999999"),
        (f"{BASE}/vision-purposes/abc", ""),
        (f"{BASE}/unicorns", "unicorns"),
    ]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert r["Content-Type"] == "application/problem+json", url
        assert words in r.json()["detail"], url


def test_missing_vision_is_404(client, city):
    other = make_city("otherton", "Otherton")
    r = client.get(f"/api/v1/cities/{other.key}/vision")
    assert r.status_code == 404 and "no vision" in r.json()["detail"]


def test_contact_details_only_public_when_published(client, staff_client, city):
    people = {p["key"]: p for p in client.get(f"{BASE}/people").json()["results"]}
    assert people["ada"]["email"] == "ada@testville.example"  # published contact (B2.g)
    assert people["bob"]["email"] is None and people["bob"]["phone"] is None
    assert people["bob"]["name"] == "Bob Private"
    assert client.get(f"{BASE}/people/bob").json()["email"] is None
    assert staff_client.get(f"{BASE}/people/bob").json()["email"] == "bob@uni.example"


def test_a_draft_document_is_listed_but_its_summary_and_link_are_not_public(client, staff_client, city):
    from cityline.core.models import Document

    actions.update(Document.objects.get(city=city, key="data-policy"), summary="Keeps raw sensor feeds closed",
                   url="https://intranet.example/data-policy")
    draft = client.get(f"{BASE}/documents/data-policy").json()
    assert draft["title"] == "Open data policy" and draft["status"] == "draft"  # B5: it exists, how far it is
    assert draft["summary"] is None and draft["url"] is None
    assert client.get(f"{BASE}/documents?_q=sensor").json()["count"] == 0  # a search must not reveal it either
    assert staff_client.get(f"{BASE}/documents?_q=sensor").json()["count"] == 1
    assert staff_client.get(f"{BASE}/documents/data-policy").json()["summary"] == "Keeps raw sensor feeds closed"
    published = client.get(f"{BASE}/documents/strategy").json()
    assert published["status"] == "published" and published["summary"] is not None


def test_list_query_count_does_not_grow_with_rows(client, city, django_assert_max_num_queries):
    """N+1 guard: city + count + rows + one query per many-to-many field, whatever the page size."""
    ws = actions.create(sm.Workstream, city=city, key="ws", name="Sensors", kind="procurement")
    projects = list(sm.Project.objects.filter(city=city))
    for i in range(30):
        actions.create(sm.Initiative, city=city, key=f"i{i}", title=f"Initiative {i}", phase="deliver",
                       workstream=ws, cost="1000", risk="low", months_to_deliver=3, m2m={"projects": projects[:2]})
    with django_assert_max_num_queries(4):
        body = client.get(f"{BASE}/initiatives?_limit=100").json()
    assert body["count"] == 30 and body["results"][0]["projects"] == ["p1", "p2"]
    with django_assert_max_num_queries(3):
        assert client.get(f"{BASE}/projects?_limit=100").json()["count"] == 5


def city_org(city, key):
    from cityline.core.models import Organisation

    return Organisation.objects.get(city=city, key=key)


def test_private_fields_cannot_be_used_to_sort(client, db):
    """Sorting people by e-mail would reveal the order of unpublished addresses (B2.g)."""
    from cityline.core.testing import make_city

    city = make_city("sortville", "Sortville")
    response = client.get(f"/api/v1/cities/{city.key}/people?_sort=email")
    assert response.status_code == 400
    assert "cannot sort by 'email'" in response.json()["detail"]
    assert client.get(f"/api/v1/cities/{city.key}/people?_sort=name").status_code == 200


def test_a_date_time_filter_with_a_far_offset_is_read_in_utc(client, city):
    """Found by Schemathesis on PostgreSQL, which refuses offsets beyond about ±16 h that Python accepts."""
    from urllib.parse import quote

    r = client.get(f"{BASE}/organisations?updated_at__lte={quote('1279-12-24T18:43:45-19:15')}")
    assert r.status_code == 200 and r.json()["count"] == 0
    r = client.get(f"{BASE}/organisations?updated_at__gte={quote('2001-01-01T00:00:00+20:49')}")
    assert r.status_code == 200 and r.json()["count"] > 0
    r = client.get(f"{BASE}/organisations?updated_at__gte={quote('0001-01-01T01:00:00+20:00')}")
    assert r.status_code == 400 and "updated_at__gte" in r.json()["detail"]
