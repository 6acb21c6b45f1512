"""What people said stays: a consultation they took part in and a question they answered cannot be deleted, and
an answered question keeps its kind, options and scale, whichever face asks (actions, API, editor, city pack)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
import yaml
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.participation import models as m
from cityline.participation import services
from cityline.participation.results import survey_results
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db
JSON = "application/json"
BASE = "/api/v1/cities/riverford"


@pytest.fixture
def site():
    city, r = make_participation_city()
    r["dee"] = services.join(r["open"], make_person("dee"), display_name="Dee D")
    services.contribute(r["dee"], "A comment that matters.")
    services.answer_survey(r["dee"], {1: "Bike", 3: 4})
    r["padmin"] = make_person("padmin")
    r["padmin"].is_staff = True
    r["padmin"].save()
    grant(r["padmin"], "programme_admin", city=city)
    return r


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _people_left() -> tuple[int, int, int]:
    return m.Participant.objects.count(), m.Contribution.objects.count(), m.SurveyAnswer.objects.count()


# --- deleting --------------------------------------------------------------------------------------------------


def test_actions_refuse_to_delete_a_consultation_or_question_people_contributed_to(site):
    with pytest.raises(ValidationError, match="people took part in it.*Close it instead"):
        actions.delete(site["open"])
    with pytest.raises(ValidationError, match="people answered it"):
        actions.delete(site["questions"][0])
    assert _people_left() == (1, 1, 2)
    # a question nobody answered, and a consultation nobody took part in, may go
    actions.delete(site["questions"][1])
    actions.delete(site["draft"])
    assert not m.Consultation.objects.filter(key="draft-plan").exists()


def test_a_delete_by_query_is_refused_as_well(site):
    with pytest.raises(ValidationError, match="people took part in it"), transaction.atomic():
        m.Consultation.objects.filter(pk=site["open"].pk).delete()
    assert _people_left() == (1, 1, 2)


def test_the_whole_city_still_goes_with_everything(site):
    actions.delete(City.objects.get(key="riverford"))
    assert _people_left() == (0, 0, 0) and not m.Consultation.objects.exists()


def test_the_api_refuses_the_delete_with_the_reason(site):
    admin = _client(site["padmin"])
    consultation = m.Consultation.objects.get(pk=site["open"].pk)
    r = admin.delete(f"{BASE}/consultations/cycle-lanes", HTTP_IF_MATCH=f'"{consultation.version}"')
    assert r.status_code in (409, 422), (r.status_code, r.content)
    assert "Close it instead" in r.content.decode()
    question = site["questions"][0]
    r = admin.delete(f"{BASE}/survey-questions/{question.pk}", HTTP_IF_MATCH=f'"{question.version}"')
    assert r.status_code in (409, 422) and "people answered it" in r.content.decode()
    assert _people_left() == (1, 1, 2)


def test_the_editor_says_at_once_why_it_cannot_delete(site):
    admin = _client(site["padmin"])
    page = admin.get(reverse("admin:participation_consultation_delete", args=[site["open"].pk]))
    assert "Close it instead" in page.content.decode()
    admin.post(reverse("admin:participation_consultation_delete", args=[site["open"].pk]), {"post": "yes"})
    assert _people_left() == (1, 1, 2)


def test_a_pack_reimport_without_the_consultation_or_an_answered_question_is_refused(tmp_path, site):
    city = site["city"]
    export_pack(city, tmp_path)
    f = tmp_path / "participation.yaml"
    data = yaml.safe_load(f.read_text())
    cycle = next(c for c in data["consultations"] if c["key"] == "cycle-lanes")
    cycle["questions"] = [q for q in cycle["questions"] if q["number"] != 1]
    f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with pytest.raises(PackError, match="survey question 1 cannot be deleted"):
        import_pack(tmp_path, progress=False, trusted=True)
    data["consultations"] = [c for c in data["consultations"] if c["key"] != "cycle-lanes"]
    f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    with pytest.raises(PackError, match="consultation cycle-lanes cannot be deleted"):
        import_pack(tmp_path, progress=False, trusted=True)
    assert _people_left() == (1, 1, 2) and m.SurveyQuestion.objects.filter(consultation=site["open"]).count() == 4


# --- changing an answered question -----------------------------------------------------------------------------


@pytest.mark.parametrize("change, field", [
    ({"options": ["Bicycle", "Bus", "Car", "On foot"]}, "options"),  # renamed: the six "Bike" would vanish
    ({"options": ["Bike", "Bus", "Car", "On foot", "Tram"]}, "options"),
    ({"kind": "text", "options": []}, "kind"),
    ({"kind": "multiple"}, "kind"),
])
def test_an_answered_question_keeps_its_kind_and_options(site, change, field):
    question = site["questions"][0]
    with pytest.raises(ValidationError) as refused:
        actions.update(question, **change)
    assert field in refused.value.message_dict
    admin = _client(site["padmin"])
    r = admin.patch(f"{BASE}/survey-questions/{question.pk}", json.dumps({**change, "version": question.version}),
                    content_type=JSON)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    question.refresh_from_db()
    assert question.kind == "single" and question.options == ["Bike", "Bus", "Car", "On foot"]


def test_an_answered_scale_keeps_its_points_but_wording_and_order_may_be_corrected(site):
    scale = site["questions"][2]
    with pytest.raises(ValidationError, match="scale cannot change"):
        actions.update(scale, scale_max=7)
    scale.refresh_from_db()
    actions.update(scale, scale_max_label="Very safe indeed")
    question = site["questions"][0]
    actions.update(question, text="How do you usually get around?", options=["Bus", "Bike", "Car", "On foot"])
    q1 = survey_results(site["open"])["questions"][0]
    assert q1["text"] == "How do you usually get around?" and {o["label"]: o["count"] for o in q1["options"]}[
        "Bike"] is None  # one answer: withheld, but still counted
    assert q1["answered"] == 1
    # a question nobody answered changes freely
    actions.update(site["questions"][1], options=["Quay Road", "High Street"])


def test_the_editor_shows_the_refusal_on_the_question(site):
    from cityline.core.tests.test_editor import form_data

    admin = _client(site["padmin"])
    change = reverse("admin:participation_consultation_change", args=[site["open"].pk])
    data = form_data(admin.get(change))
    first = next(k[: -len("-number")] for k, v in data.items() if k.endswith("-number") and v == "1")
    data[f"{first}-options"] = "Bicycle\nBus\nCar\nOn foot"
    r = admin.post(change, data)
    assert r.status_code == 200 and "options cannot be added, removed or renamed" in r.content.decode()
    assert m.SurveyQuestion.objects.get(pk=site["questions"][0].pk).options[0] == "Bike"
