"""Participation in the API: CRUD by the organiser's staff, drafts hidden from everyone else, and the public
read of contributions that shows display names and nothing else about a person (B1.b, B2.g, B3)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import Organisation
from cityline.participation import models as m
from cityline.participation import services
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def world():
    city, r = make_participation_city()
    r["base"] = f"/api/v1/cities/{city.key}"
    return r


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _staff(role="programme_admin", **scope):
    user = get_user_model().objects.create_user(f"staff-{role}-{len(scope)}-{get_user_model().objects.count()}",
                                                password="x")
    grant(user, role, **scope)
    return user


def _keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row.get("key") or str(row.get("id")) for row in response.json()["results"])


def test_drafts_are_hidden_from_anonymous_readers_and_residents(world):
    base = world["base"]
    admin = _client(_staff(city=world["city"]))
    for reader in (_client(), _client(make_person("resident"))):
        assert _keys(reader.get(f"{base}/consultations")) == ["cycle-lanes", "library-hours"]
        assert reader.get(f"{base}/consultations/draft-plan").status_code == 404
        assert reader.get(f"{base}/consultations/draft-plan/contributions").status_code == 404
        assert reader.get(f"{base}/consultations/draft-plan/history").status_code == 404
    assert _keys(admin.get(f"{base}/consultations")) == ["cycle-lanes", "draft-plan", "library-hours"]
    assert admin.get(f"{base}/consultations/draft-plan").status_code == 200

    # a draft consultation's survey and a draft response stay with staff too
    q = actions.create(m.SurveyQuestion, city=world["city"], consultation=world["draft"], number=1,
                       text="Secret question?", kind="text")
    response = actions.create(m.ConsultationResponse, city=world["city"], consultation=world["closed"],
                              summary="Draft summary, not yet agreed")
    item = actions.save(m.ResponseItem(city=world["city"], response=response, number=1, you_said="Later hours",
                                       we_did="Not yet", outcome="not_changed", reason="Under review"))
    anonymous = _client()
    assert anonymous.get(f"{base}/survey-questions/{q.pk}").status_code == 404
    assert len(anonymous.get(f"{base}/survey-questions").json()["results"]) == 4  # the open consultation's
    assert anonymous.get(f"{base}/consultation-responses").json()["results"] == []
    assert anonymous.get(f"{base}/response-items/{item.pk}").status_code == 404
    body = anonymous.get(f"{base}/history").content.decode()
    assert "Secret question" not in body and "Draft summary" not in body and "draft-plan" not in body
    assert admin.get(f"{base}/response-items/{item.pk}").status_code == 200

    services.publish_response(world["closed"], on=date(2026, 11, 20), notify=False)
    assert len(anonymous.get(f"{base}/consultation-responses").json()["results"]) == 1
    got = anonymous.get(f"{base}/response-items/{item.pk}")
    assert got.status_code == 200 and got.json()["outcome"] == "not_changed"


def test_the_organisers_staff_write_consultations_others_may_not(world):
    base, city = world["base"], world["city"]
    other = actions.create(Organisation, city=city, key="library-trust", name="Library Trust", sector="public")
    organiser_staff = _client(_staff("contributor", organisation=world["council"]))
    outsider = _client(_staff("contributor", organisation=other))
    payload = {"key": "bus-routes", "title": "New bus routes", "question": "Which routes should change?",
               "organiser": "council", "opens_on": "2026-12-01", "closes_on": "2027-02-28",
               "channels": ["online", "in_person"], "audiences": ["beneficiary"], "initiatives": ["sensor-pilot"]}
    assert _client(make_person("resident")).post(f"{base}/consultations", json.dumps(payload),
                                                 content_type=JSON).status_code in (401, 403)
    assert outsider.post(f"{base}/consultations", json.dumps(payload), content_type=JSON).status_code == 403
    created = organiser_staff.post(f"{base}/consultations", json.dumps(payload), content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["initiatives"] == ["sensor-pilot"]
    assert _client().get(f"{base}/consultations/bus-routes").status_code == 404

    # a rule of the lifecycle is a 422 naming the field
    jump = organiser_staff.patch(f"{base}/consultations/bus-routes", json.dumps({"status": "responded", "version": 1}),
                                 content_type=JSON)
    assert jump.status_code == 422 and "status" in jump.json()["errors"]
    opened = organiser_staff.patch(f"{base}/consultations/bus-routes", json.dumps({"status": "open", "version": 1}),
                                   content_type=JSON)
    assert opened.status_code == 200, opened.content
    assert _client().get(f"{base}/consultations/bus-routes").status_code == 200

    question = organiser_staff.post(f"{base}/survey-questions", json.dumps(
        {"consultation": "bus-routes", "number": 1, "text": "How often do you take the bus?", "kind": "single",
         "options": ["Daily", "Weekly", "Rarely"], "required": True}), content_type=JSON)
    assert question.status_code == 201, question.content
    bad = organiser_staff.post(f"{base}/survey-questions", json.dumps(
        {"consultation": "bus-routes", "number": 2, "text": "Pick one", "kind": "single", "options": ["Only"]}),
        content_type=JSON)
    assert bad.status_code == 422 and "options" in bad.json()["errors"]
    assert outsider.delete(f"{base}/survey-questions/{question.json()['id']}").status_code == 403
    # settings and KPI feeds are the programme administrators'
    assert organiser_staff.patch(f"{base}/participation-settings", json.dumps({"small_count_threshold": 3,
                                                                               "version": 1}),
                                 content_type=JSON).status_code == 403


def test_contributions_show_display_names_and_nothing_else_about_people(world):
    base, open_c = world["base"], world["open"]
    alice = make_person("alice.smith", email="alice.smith@mail.example.org")
    bob = make_person("bob-jones")
    pa = services.join(open_c, alice, display_name="Green Wheels", district="North", party_category="beneficiary",
                       segment=world["segment"])
    pb = services.join(open_c, bob, anonymous=True)
    proposal = services.contribute(pa, "Protect the lanes on Quay Road with kerbs.", kind="proposal",
                                   title="Kerbs on Quay Road")
    reply = services.contribute(pb, "Yes, and light them at night.", parent=proposal)
    services.support(pb, proposal)
    rude = services.contribute(pb, "Something rude about a named neighbour.")
    moderator = _staff(city=world["city"])
    services.hide(rude, moderator, "Personal attack on a named person")

    got = _client().get(f"{base}/consultations/cycle-lanes/contributions")
    assert got.status_code == 200, got.content
    body = got.json()
    assert (body["count"], body["visible"], body["hidden"]) == (3, 2, 1)
    rows = {row["id"]: row for row in body["results"]}
    assert rows[proposal.pk]["display_name"] == "Green Wheels" and rows[proposal.pk]["supports"] == 1
    assert rows[proposal.pk]["title"] == "Kerbs on Quay Road" and rows[proposal.pk]["kind"] == "proposal"
    assert rows[reply.pk]["parent"] == proposal.pk and rows[reply.pk]["display_name"] == "Verified participant"
    assert rows[rude.pk]["hidden"] is True and rows[rude.pk]["hidden_reason"] == "Personal attack on a named person"
    assert "text" not in rows[rude.pk] or rows[rude.pk]["text"] is None
    text = got.content.decode()
    for secret in ("rude about", "alice", "bob-jones", "mail.example.org", "North", "beneficiary",
                   "older-residents", '"user'):
        assert secret not in text, secret
    assert _client().get(f"{base}/consultations/nope/contributions").status_code == 404


def test_closing_and_reopening_through_the_api_keep_closed_on_as_the_services_do(world):
    from django.utils import timezone

    base = world["base"]
    admin = _client(_staff(city=world["city"]))
    consultation = world["open"]
    early = admin.patch(f"{base}/consultations/cycle-lanes",
                        json.dumps({"closed_on": "2001-01-01", "version": consultation.version}), content_type=JSON)
    assert early.status_code == 422 and "closed_on" in early.json()["errors"]
    closed = admin.patch(f"{base}/consultations/cycle-lanes",
                         json.dumps({"status": "closed", "version": consultation.version}), content_type=JSON)
    assert closed.status_code == 200, closed.content
    assert closed.json()["closed_on"] == timezone.localdate().isoformat()
    assert _client().get(f"{base}/consultations/cycle-lanes/metrics").status_code == 200
