"""The real ``ckanapi`` client against a live Cityline (issue 4, item 7, "Done when"; B8, B14).

``ckanapi.RemoteCKAN`` talks HTTP to pytest-django's live server, POSTing JSON to
``<site>/api/action/<name>`` (and GETting with ``get_only=True``), and turns CKAN error
envelopes back into its exceptions — so this checks the wire format as CKAN clients
and harvesters read it, at a city's base URL and at the site root.
"""

from __future__ import annotations

import ckanapi
import pytest

from cityline.opendata.models import Distribution
from cityline.opendata.testing import make_catalogue_city, sample_files

from .test_ckan import upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def city(settings, tmp_path):
    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    upload(Distribution.objects.get(key="air-quality-csv"), sample_files(tmp_path / "samples")["air-quality-csv"])
    return city


@pytest.mark.parametrize("base, get_only", [("/testville/", False), ("/", False), ("/testville/", True)])
def test_every_action_through_ckanapi(live_server, city, base, get_only):
    site = live_server.url + base
    with ckanapi.RemoteCKAN(site, user_agent="cityline-tests", get_only=get_only) as remote:
        act = remote.action
        status = act.status_show()
        assert status["site_url"] == site.rstrip("/") and "datastore" in status["extensions"]

        assert act.package_list() == ["air-quality", "bus-stops", "parking-permits"]
        pkg = act.package_show(id="air-quality")
        assert pkg["organization"]["name"] == "council"
        [res] = pkg["resources"]
        assert res["url"] == f"{site}files/air-quality/air-quality-csv/" and res["datastore_active"] is True
        assert act.package_show(id=pkg["id"])["name"] == "air-quality"

        found = act.package_search(q="air", fq="organization:council", rows=20,
                                   **{"facet.field": '["tags", "res_format"]' if get_only else ["tags", "res_format"]})
        assert found["count"] == 1 and found["results"][0]["name"] == "air-quality"
        assert found["facets"]["res_format"] == {"CSV": 1}
        assert found["search_facets"]["tags"]["items"][0]["count"] == 1
        assert [p["name"] for p in act.package_search(sort="name desc", rows=2, start=1)["results"]] == [
            "bus-stops", "air-quality"]

        assert act.organization_list() == ["buses", "council"]
        assert {o["name"]: o["package_count"] for o in act.organization_list(all_fields=True)} == {
            "buses": 1, "council": 2}
        assert len(act.organization_show(id="council", include_datasets=True)["packages"]) == 2
        assert {g["name"]: g["package_count"] for g in act.group_list(all_fields=True)} == {
            "environment": 1, "transport": 2}
        assert act.tag_list(query="bus") == ["bus"]
        assert act.resource_show(id=res["id"])["package_id"] == pkg["id"]

        rows = act.datastore_search(resource_id=res["id"], limit=2, filters='{"district": "north"}' if get_only
                                    else {"district": "north"}, sort="no2 desc")
        assert rows["total"] == 10 and [r["no2"] for r in rows["records"]] == [30, 29]
        assert {f["id"] for f in rows["fields"]} == {"station", "time", "district", "no2", "pm10"}
        sql = act.datastore_search_sql(sql=f'SELECT count(*) AS n FROM "{res["id"]}" WHERE pm10 > 16')
        assert sql["records"] == [{"n": 15}]

        # errors come back as ckanapi's own exceptions
        with pytest.raises(ckanapi.NotFound):
            act.package_show(id="noise-draft")  # not published
        with pytest.raises(ckanapi.NotFound):
            act.package_show(id="internal-budget")  # internal access level
        with pytest.raises(ckanapi.ValidationError) as invalid:
            act.package_show()
        assert invalid.value.error_dict["id"] == ["Missing value"]
        with pytest.raises(ckanapi.SearchQueryError):
            act.package_search(fq="colour:blue")
        with pytest.raises(ckanapi.ValidationError):
            act.datastore_search_sql(sql=f'DROP TABLE "{res["id"]}"')
        with pytest.raises(ckanapi.NotAuthorized):
            act.package_create(name="new-data", title="Not through this API")
        with pytest.raises(ckanapi.CKANAPIError):
            act.no_such_action()


def test_harvester_style_paging_through_the_whole_catalogue(live_server, city):
    """What ckanext-harvest's CKAN harvester does: page package_search by modification date."""
    remote = ckanapi.RemoteCKAN(live_server.url + "/testville/")
    seen, start = [], 0
    while True:
        page = remote.action.package_search(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]",
                                            sort="metadata_modified desc", rows=2, start=start)
        seen += [p["name"] for p in page["results"]]
        start += 2
        if start >= page["count"]:
            break
    assert sorted(seen) == ["air-quality", "bus-stops", "parking-permits"]


def test_wrong_credentials_raise_ckanapis_not_authorized(live_server, city):
    """A revoked or unknown token (here sent as a bearer token by the client's session): ckanapi reads CKAN's
    "Authorization Error" and raises NotAuthorized naming the cause, not an unrecognised CKANAPIError."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = "Bearer cl_not-a-token"
    with ckanapi.RemoteCKAN(live_server.url + "/testville/", session=session) as remote:
        with pytest.raises(ckanapi.NotAuthorized) as refused:
            remote.action.package_list()
    assert "bearer token is unknown, expired or revoked" in str(refused.value)


# ------------------------------------------------------------------ a Cityline API token given to ckanapi as its apikey

@pytest.fixture
def token(city):
    """A Cityline API token of a staff user: what a city's script gives ckanapi as ``apikey``."""
    from django.contrib.auth import get_user_model

    from cityline.accounts import tokens
    from cityline.accounts.testing import grant

    user = get_user_model().objects.create_user("steward", "steward@example.org", "pw-123456")
    grant(user, "platform_admin")
    _, raw = tokens.issue(user, name="harvest script", scopes=["read"], trust_level=3)
    return raw


@pytest.fixture
def limits():
    """Rate limits on (the test run switches them off): 2 anonymous calls an hour per address, 4 per token."""
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True, CITYLINE_RATE_LIMITS={"api_anonymous": "2/h", "api_user": "4/h"}):
        yield
    cache.clear()


def test_ckanapis_apikey_is_read_as_the_bearer_token_it_is(live_server, city, token, limits):
    """ckanapi sends ``apikey`` as ``Authorization: <token>`` (no scheme) and ``X-CKAN-API-Key``: on the CKAN
    API that is the caller's token, held to the token's own limit (not the anonymous one of the address)."""
    site = live_server.url + "/testville/"
    with ckanapi.RemoteCKAN(site, apikey=token) as remote:
        for _ in range(4):  # twice the anonymous limit: these calls are the token's
            assert remote.action.package_list() == ["air-quality", "bus-stops", "parking-permits"]
        with pytest.raises(ckanapi.CKANAPIError) as over:  # the token's own limit, as for a bearer token
            remote.action.package_list()
    assert "Too Many Requests" in str(over.value)
    with ckanapi.RemoteCKAN(site) as anonymous:  # the address's anonymous calls were not spent by the token
        for _ in range(2):
            assert anonymous.action.package_list()
        with pytest.raises(ckanapi.CKANAPIError):
            anonymous.action.package_list()


def test_a_wrong_apikey_is_ckans_authorization_error(live_server, city):
    with ckanapi.RemoteCKAN(live_server.url + "/testville/", apikey="cl_not-a-token") as remote:
        with pytest.raises(ckanapi.NotAuthorized) as refused:
            remote.action.package_list()
    assert "bearer token is unknown, expired or revoked" in str(refused.value)


@pytest.mark.parametrize("headers", [
    {"HTTP_AUTHORIZATION": "{token}"},  # CKAN's Authorization header: the bare token
    {"HTTP_X_CKAN_API_KEY": "{token}"},  # CKAN's own header
    {"HTTP_AUTHORIZATION": "{token}", "HTTP_X_CKAN_API_KEY": "{token}"},  # what ckanapi sends
    {"HTTP_AUTHORIZATION": "Bearer {token}", "HTTP_X_CKAN_API_KEY": "cl_other"},  # a scheme: as it is
])
def test_the_ckan_api_authenticates_a_ckan_clients_token(rf, city, token, headers):
    from cityline.accounts import principals
    from cityline.api.credentials import CkanApiKeyMiddleware, CredentialsMiddleware

    seen = []
    chain = CkanApiKeyMiddleware(CredentialsMiddleware(lambda request: seen.append(principals.principal_for(request))))
    for path in ("/testville/api/3/action/package_list", "/api/action/package_list"):
        chain(rf.get(path, **{k: v.replace("{token}", token) for k, v in headers.items()}))
    assert [p.user.username for p in seen] == ["steward", "steward"]


def test_a_bare_token_is_no_credential_outside_the_ckan_api(rf, city, token):
    from cityline.accounts import principals
    from cityline.api.credentials import CkanApiKeyMiddleware, CredentialsMiddleware

    seen = []
    chain = CkanApiKeyMiddleware(CredentialsMiddleware(lambda request: seen.append(principals.principal_for(request))))
    chain(rf.get("/api/v1/cities/testville/", HTTP_AUTHORIZATION=token, HTTP_X_CKAN_API_KEY=token))
    assert not seen[0].authenticated
