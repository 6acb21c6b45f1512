"""Realisation plans in the city pack, the API and the editor; the escalation endpoint (C3.b, C3.d)."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model

from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.delivery.models import PlanActivity, RealisationPlan
from cityline.delivery.testing import make_delivery_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def made():
    return make_delivery_city()


def test_city_pack_round_trip_with_plans(made, tmp_path):
    city, _n, _r = made
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "delivery.yaml").read_text()
    assert "key: air-plan" in text and "benefit: cleaner-air" in text and "owner: ada-owner" in text
    assert "depends_on: [sensors]" in text and "depends_on: [zones]" in text and "advances: cleaner-air" in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("realisation_plans").created == 2
    assert report.count("realisation_plans.activities").created == 5
    export_pack(city.key, second)
    for name in ("core.yaml", "benefits.yaml", "risks.yaml", "delivery.yaml"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    barriers = PlanActivity.objects.get(city__key=city.key, key="barriers")
    assert [d.key for d in barriers.depends_on.all()] == ["zones"]  # across plans, by key


def test_pack_with_a_dependency_loop_names_file_line_and_field_and_writes_nothing(made, tmp_path):
    city, _n, _r = made
    export_pack(city.key, tmp_path)
    path = tmp_path / "delivery.yaml"
    text = path.read_text()
    # survey (done, first activity of air-plan) now waits for barriers, which waits for zones → sensors → survey
    text = re.sub(r"(- key: survey\n(?:.*\n)*?\s+)status: done", r"\1status: done\n        depends_on: [barriers]",
                  text, count=1)
    assert "depends_on: [barriers]" in text
    path.write_text(text)
    before = (PlanActivity.objects.count(), PlanActivity.depends_on.through.objects.count())
    with pytest.raises(PackError) as err:
        import_pack(tmp_path, progress=False, trusted=True)
    message = str(err.value)
    assert "delivery.yaml:" in message and "depends_on: these dependencies would loop" in message, message
    problem = next(p for p in err.value.problems if "loop" in p.message)
    assert problem.file == "delivery.yaml" and problem.line is not None
    assert "realisation_plans[0].activities" in problem.path and problem.path.endswith("depends_on")
    assert (PlanActivity.objects.count(), PlanActivity.depends_on.through.objects.count()) == before


def test_pack_with_a_plan_for_an_investment_is_refused(made, tmp_path):
    city, _n, _r = made
    export_pack(city.key, tmp_path)
    path = tmp_path / "delivery.yaml"
    path.write_text(path.read_text().replace("benefit: cleaner-air", "benefit: bikes", 1))
    with pytest.raises(PackError) as err:
        import_pack(tmp_path, progress=False, trusted=True)
    assert any(p.file == "delivery.yaml" and p.path.endswith("benefit") and "outcome" in p.message
               for p in err.value.problems), err.value.problems
    assert RealisationPlan.objects.get(key="air-plan").benefit.key == "cleaner-air"


def _basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_api_lists_plans_and_activities_and_writes_through_actions(made, client):
    city, _n, _r = made
    body = client.get(f"/api/v1/cities/{city.key}/plan-activities?status=in_progress").json()
    assert [a["key"] for a in body["results"]] == ["sensors"]
    zones = client.get(f"/api/v1/cities/{city.key}/plan-activities/zones").json()
    assert zones["depends_on"] == ["sensors"] and zones["plan"] == "air-plan" and zones["is_open"] is True
    plan = client.get(f"/api/v1/cities/{city.key}/realisation-plans/air-plan").json()
    assert plan["benefit"] == "cleaner-air" and plan["owner"] == "ada-owner" and plan["review_every_days"] == 90
    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    refused = client.patch(f"/api/v1/cities/{city.key}/plan-activities/survey",
                           data={"depends_on": ["barriers"], "version": 1}, content_type="application/json",
                           **_basic("boss", "pw"))
    assert refused.status_code == 422, refused.content
    assert "depends_on" in refused.json()["errors"]


def test_escalations_endpoint_staff_see_everything_others_published_kpis_only(made, client):
    city, _n, _r = made
    url = f"/api/v1/cities/{city.key}/escalations?on=2026-03-01"
    public = client.get(url).json()
    assert public["published_only"] is True
    assert {e["node"]: e["cause"] for e in public["escalations"]}["quiet-streets"] == "upstream"
    assert all(k["kpi"] != "noise" for e in public["escalations"] for k in e["kpis"])
    get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    staff = client.get(url, **_basic("boss", "pw")).json()
    assert staff["published_only"] is False
    first = staff["escalations"][0]
    assert (first["node"], first["status"], first["kpis"][0]["kpi"]) == ("quiet-streets", "off_track", "noise")
    air = next(e for e in staff["escalations"] if e["node"] == "cleaner-air")
    assert air["owners"] == ["Ada Owner"] and [a["key"] for a in air["actions"]] == ["sensors", "zones"]
    assert air["actions"][0]["overdue"] is True and air["risks"][0]["key"] == "data-sharing"
    assert client.get(f"/api/v1/cities/{city.key}/escalations?on=soon").status_code == 400
    assert client.get("/api/v1/cities/nowhere/escalations").status_code == 404


def test_editor_pages_load_and_download_the_board_pack(made, admin_client):
    city, _n, r = made
    plan = r["air-plan"]
    for url in ("/admin/delivery/realisationplan/", "/admin/delivery/realisationplan/add/",
                f"/admin/delivery/realisationplan/{plan.pk}/change/", "/admin/delivery/planactivity/",
                f"/admin/delivery/planactivity/{r['zones'].pk}/change/", "/admin/delivery/realisationplan/board-pack/",
                "/admin/delivery/realisationplan/engagement/"):
        assert admin_client.get(url).status_code == 200, url
    listing = admin_client.get("/admin/delivery/realisationplan/").content.decode()
    assert "/admin/delivery/realisationplan/board-pack/" in listing and "engagement/" in listing
    change = admin_client.get(f"/admin/delivery/realisationplan/{plan.pk}/change/").content.decode()
    assert 'value="Install air sensors"' in change  # the activities inline
    engagement = admin_client.get("/admin/delivery/realisationplan/engagement/?city=testville&on=2026-03-01")
    page = engagement.content.decode()
    assert "Ada Owner" in page and "Install air sensors" in page and "no e-mail address" in page
    for fmt, start in (("html", b"<!DOCTYPE html>"), ("csv", b"section,outcome"), ("pdf", b"%PDF-")):
        response = admin_client.get(f"/admin/delivery/realisationplan/board-pack/?city=testville&on=2026-03-01"
                                    f"&format={fmt}")
        assert response.status_code == 200 and response.content.startswith(start), fmt
    assert 'filename="board-pack-testville-2026-03-01.pdf"' in response["Content-Disposition"]
    bad = admin_client.get("/admin/delivery/realisationplan/board-pack/?city=testville&on=soon&format=pdf")
    assert bad.status_code == 200 and b"is not a date" in bad.content


def test_board_pack_is_staff_only(made, client):
    response = client.get("/admin/delivery/realisationplan/board-pack/?city=testville&format=csv")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_board_pack_and_engagement_stay_inside_the_editors_cities(made, client):
    """A programme administrator of one city gets neither another city's board pack (unpublished KPIs) nor its
    owners' e-mail addresses, and the city list offers only their cities (C3.d, C3.a)."""
    from cityline.accounts.testing import grant
    from cityline.core.testing import make_city
    from cityline.delivery.boardpack import FORMATS

    city, _n, _r = made
    other = make_city("otherville", "Otherville")
    pat = get_user_model().objects.create_user("pat", password="a-long-enough-password", is_staff=True)
    grant(pat, "programme_admin", city=other)
    client.force_login(pat)
    base = "/admin/delivery/realisationplan/"
    for fmt in FORMATS:
        refused = client.get(f"{base}board-pack/", {"city": city.key, "on": "2026-03-01", "format": fmt})
        assert refused.status_code == 404, fmt
    refused = client.get(f"{base}engagement/", {"city": city.key, "on": "2026-03-01"})
    assert refused.status_code == 404 and b"ada@example.org" not in refused.content
    form = client.get(f"{base}board-pack/").content.decode()
    assert "Otherville" in form and "Testville" not in form
    own = client.get(f"{base}board-pack/", {"city": other.key, "on": "2026-03-01", "format": "csv"})
    assert own.status_code == 200 and own.content.startswith(b"section,outcome")
    # the only city they can see is chosen for them, as for a one-city instance
    page = client.get(f"{base}engagement/").content.decode()
    assert "Otherville on " in page

