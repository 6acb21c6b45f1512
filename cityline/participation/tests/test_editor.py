"""The staff side of participation in the editor (B1.b, B2.g, B3, B11): who sees and runs what, moderation
with a public reason, offline responses, the "you said, we did" change chooser, the lifecycle actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import Organisation
from cityline.core.tests.test_editor import form_data
from cityline.participation import services
from cityline.participation.models import (
    Consultation,
    ConsultationResponse,
    Contribution,
    ModerationEvent,
    Participant,
    ResponseItem,
    SurveyAnswer,
)
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city, r = make_participation_city()
    r["uni"] = Organisation.objects.get(city=city, key="uni")
    r["padmin"] = make_person("padmin")
    grant(r["padmin"], "programme_admin", city=city)
    r["organiser"] = make_person("council-staff")
    grant(r["organiser"], "contributor", organisation=r["council"])
    r["other"] = make_person("uni-staff")
    grant(r["other"], "contributor", organisation=r["uni"])
    r["ann"] = make_person("ann")
    r["ann_p"] = services.join(r["open"], r["ann"], display_name="Ann R.")
    r["comment"] = services.contribute(r["ann_p"], "Quay Road is dangerous at night, please start there.")
    return city, r


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name: str, *args) -> str:
    return reverse(f"admin:participation_{name}", args=args)


# --- who sees what --------------------------------------------------------------------------------


def test_consultation_pages_per_role(world):
    city, r = world
    consultation = r["open"]
    for who in ("padmin", "organiser"):
        c = client(r[who])
        assert c.get(url("consultation_changelist")).status_code == 200
        page = c.get(url("consultation_change", consultation.pk))
        assert page.status_code == 200
        assert "Save" in page.content.decode() and "Enter an offline response" in page.content.decode()
        assert c.get(url("consultation_add") + f"?city={city.pk}").status_code == 200
    other = client(r["other"])
    # a colleague of another organisation reads the consultation (the programme is shared) but cannot change it
    page = other.get(url("consultation_change", consultation.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    data = form_data(client(r["organiser"]).get(url("consultation_change", consultation.pk)))
    data["title"] = "Taken over"
    assert other.post(url("consultation_change", consultation.pk), data).status_code == 403
    assert other.get(url("consultation_offline", consultation.pk)).status_code == 403
    # ... and sees neither who took part nor what they wrote
    for page in ("participant_changelist", "contribution_changelist"):
        listed = other.get(url(page))
        assert listed.status_code == 200 and list(listed.context["cl"].result_list) == []
    assert other.get(url("participant_change", r["ann_p"].pk)).status_code != 200
    assert other.get(url("contribution_change", r["comment"].pk)).status_code != 200
    # a resident with no role does not open the editor at all
    assert client(r["ann"]).get(url("consultation_changelist")).status_code == 302


def test_the_organiser_edits_the_consultation_and_its_survey_through_the_actions_layer(world):
    city, r = world
    c = client(r["organiser"])
    page = c.get(url("consultation_change", r["draft"].pk))
    data = form_data(page)
    data["title"] = "Next plan: what should it say?"
    data["audiences"] = ["beneficiary", "investor"]
    data["channels"] = ["online", "phone"]
    prefix = "questions"
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-number": "1", f"{prefix}-0-text": "Which theme first?",
                 f"{prefix}-0-kind": "single", f"{prefix}-0-options": "Transport\nHousing\r\nEnergy"})
    response = c.post(url("consultation_change", r["draft"].pk), data)
    assert response.status_code == 302, response.context and [str(e) for e in response.context["errors"]]
    draft = Consultation.objects.get(pk=r["draft"].pk)
    assert (draft.title, draft.audiences, draft.channels) == ("Next plan: what should it say?",
                                                             ["beneficiary", "investor"], ["online", "phone"])
    assert draft.questions.get().options == ["Transport", "Housing", "Energy"]
    last = draft.history.order_by("-history_date").first()
    assert last.history_user == r["organiser"]
    # the lifecycle is not a form field: the status stays as it was
    assert draft.status == "draft"


def test_a_contributor_cannot_hand_a_consultation_to_another_organisation(world):
    city, r = world
    c = client(r["organiser"])
    data = form_data(c.get(url("consultation_change", r["draft"].pk)))
    data["organiser"] = str(r["uni"].pk)
    response = c.post(url("consultation_change", r["draft"].pk), data)
    assert response.status_code == 200
    assert "no role of yours covers it" in " ".join(str(e) for e in response.context["errors"])
    assert Consultation.objects.get(pk=r["draft"].pk).organiser == r["council"]


# --- lifecycle actions -----------------------------------------------------------------------------


def _action(c, name, objs, **extra):
    return c.post(url("consultation_changelist"), {"action": name, ACTION_CHECKBOX_NAME: [o.pk for o in objs],
                                                   **extra}, follow=True)


def test_open_close_and_publish_actions_call_the_services_and_explain_refusals(world, django_capture_on_commit_callbacks):
    city, r = world
    c = client(r["organiser"])
    page = _action(c, "open_selected", [r["draft"]])
    assert "Opened: Draft plan (not public)." in page.content.decode()
    assert Consultation.objects.get(pk=r["draft"].pk).status == "open"
    # publishing before a response exists is refused with the reason, naming the consultation
    page = _action(c, "publish_response_selected", [r["closed"]])
    text = page.content.decode()
    assert "Library opening hours was not changed" in text and "write the response first" in text
    page = _action(c, "close_selected", [r["open"]])
    assert "Closed: Safer cycle lanes." in page.content.decode()
    opened = Consultation.objects.get(pk=r["open"].pk)
    assert (opened.status, opened.closed_on) == ("closed", timezone.localdate())
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"], summary="Thank you.")
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="Open later",
                   we_did="Open until 8 pm", outcome="changed")
    with django_capture_on_commit_callbacks(execute=True):
        page = _action(c, "publish_response_selected", [r["closed"]])
    assert "Response published" in page.content.decode()
    assert Consultation.objects.get(pk=r["closed"].pk).status == "responded"
    assert ConsultationResponse.objects.get(pk=response.pk).status == "published"


def test_a_contributor_of_another_organisation_cannot_run_the_lifecycle(world):
    city, r = world
    uni_consultation = actions.create(
        Consultation, city=city, key="campus", title="Campus paths", organiser=r["uni"], question="Where?",
        opens_on=timezone.localdate(), closes_on=timezone.localdate() + timedelta(days=9), channels=["online"])
    page = _action(client(r["other"]), "close_selected", [r["open"], uni_consultation])
    text = page.content.decode()
    assert "Safer cycle lanes: you may not close this consultation" in text
    assert Consultation.objects.get(pk=r["open"].pk).status == "open"
    assert "Campus paths was not changed" in text  # theirs, but a draft cannot be closed


# --- moderation ------------------------------------------------------------------------------------


def test_the_organiser_lists_contributions_with_their_reports_and_filters_them(world):
    city, r = world
    services.report(r["comment"], make_person("bob"), "Names a neighbour")
    services.report(r["comment"], make_person("cat"), "Rude")
    ben_p = services.join(r["open"], make_person("ben"), display_name="Ben S.")
    services.contribute(ben_p, "More bike parking at the station, please.")
    c = client(r["organiser"])
    page = c.get(url("contribution_changelist"))
    text = page.content.decode()
    assert page.status_code == 200 and "Ann R." in text and "2 (2)" in text
    assert "ann@mail.example.org" not in text
    reported = c.get(url("contribution_changelist") + "?reported=yes")
    assert list(reported.context["cl"].result_list) == [r["comment"]]
    page = c.get(url("contribution_change", r["comment"].pk))
    text = page.content.decode()
    assert "Names a neighbour" in text and "Record the moderation" in text
    # the text is read-only: there is no input for it and no save button
    assert 'name="body"' not in text and 'name="_save"' not in text


def test_hiding_needs_a_public_reason_and_is_logged(world):
    city, r = world
    services.report(r["comment"], make_person("bob"), "Names a neighbour")
    c = client(r["organiser"])
    moderate = url("contribution_moderate", r["comment"].pk)
    page = c.post(moderate, {"action": "hide", "reason": ""}, follow=True)
    assert "Nothing was done" in page.content.decode()
    assert not Contribution.objects.get(pk=r["comment"].pk).hidden
    page = c.post(moderate, {"action": "hide", "reason": "Names a private person"}, follow=True)
    assert "1 contribution hidden." in page.content.decode()
    hidden = Contribution.objects.get(pk=r["comment"].pk)
    assert (hidden.hidden, hidden.hidden_reason) == (True, "Names a private person")
    assert hidden.body.startswith("Quay Road")  # the words are kept, not edited
    event = ModerationEvent.objects.get(contribution=hidden)
    assert (event.action, event.reason, event.moderator) == ("hide", "Names a private person", r["organiser"])
    assert not hidden.reports.filter(resolved=False).exists()
    # the public reads the reason in place of the text
    public = Client().get(f"/api/v1/cities/{city.key}/consultations/cycle-lanes/contributions").json()
    entry = next(e for e in public["results"] if e["id"] == hidden.pk)
    assert (entry["hidden"], entry["hidden_reason"]) == (True, "Names a private person")
    assert "Quay Road is dangerous" not in str(public)
    # hiding twice is refused with the reason
    page = c.post(moderate, {"action": "hide", "reason": "Again"}, follow=True)
    assert "already hidden" in page.content.decode()
    page = c.post(moderate, {"action": "restore", "reason": "The neighbour agreed"}, follow=True)
    assert "1 contribution restored." in page.content.decode()
    assert [e.action for e in ModerationEvent.objects.filter(contribution=hidden).order_by("at", "id")] == [
        "hide", "restore"]
    log = c.get(url("moderationevent_changelist"))
    assert log.status_code == 200 and "The neighbour agreed" in log.content.decode()
    assert c.get(url("moderationevent_add")).status_code == 403


def test_bulk_moderation_asks_for_the_reason_first(world):
    city, r = world
    c = client(r["organiser"])
    ask = c.post(url("contribution_changelist"), {"action": "dismiss_selected",
                                                  ACTION_CHECKBOX_NAME: [r["comment"].pk]})
    assert ask.status_code == 200 and "Dismiss reports" in ask.content.decode()
    assert not ModerationEvent.objects.exists()
    done = c.post(url("contribution_changelist"), {"action": "dismiss_selected", "confirm": "yes",
                                                   "reason": "Fair criticism, not abuse",
                                                   ACTION_CHECKBOX_NAME: [r["comment"].pk]}, follow=True)
    assert "Reports dismissed on 1 contribution." in done.content.decode()
    assert ModerationEvent.objects.get().reason == "Fair criticism, not abuse"


def test_only_the_organisers_staff_moderate(world):
    city, r = world
    other = client(r["other"])
    response = other.post(url("contribution_moderate", r["comment"].pk), {"action": "hide", "reason": "Spam spam"})
    assert response.status_code in (403, 404)
    assert not Contribution.objects.get(pk=r["comment"].pk).hidden and not ModerationEvent.objects.exists()


# --- participants and offline responses --------------------------------------------------------------


def test_participants_list_shows_no_account_to_programme_staff(world):
    city, r = world
    page = client(r["padmin"]).get(url("participant_changelist"))
    text = page.content.decode()
    assert page.status_code == 200 and "Ann R." in text
    assert "ann@mail.example.org" not in text
    detail = client(r["padmin"]).get(url("participant_change", r["ann_p"].pk)).content.decode()
    assert "took part online with a Cityline account" in detail and "ann@mail" not in detail and ">ann<" not in detail
    root = get_user_model_superuser()
    detail = client(root).get(url("participant_change", r["ann_p"].pk)).content.decode()
    assert "ann" in detail  # platform administrators see the account (for erasure requests)


def get_user_model_superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-checked")


def test_staff_enter_a_response_received_by_post(world):
    city, r = world
    c = client(r["organiser"])
    page = c.get(url("consultation_offline", r["open"].pk))
    text = page.content.decode()
    assert page.status_code == 200
    assert "How do you usually travel?" in text and "By post" in text and "In person" not in text
    bad = c.post(url("consultation_offline", r["open"].pk), {"channel": "post", "display_name": "Letter 12",
                                                             "body": "", "q3": "4"})
    assert bad.status_code == 200 and "question 1 needs an answer" in bad.content.decode()
    assert not Participant.objects.filter(display_name="Letter 12").exists()
    done = c.post(url("consultation_offline", r["open"].pk), {
        "channel": "post", "display_name": "Letter 12", "body": "Please light the towpath before painting lanes.",
        "q1": "On foot", "q2": ["Quay Road", "High Street"], "q3": "2", "district": "South"}, follow=True)
    assert "The response of Letter 12 (By post) was entered." in done.content.decode()
    p = Participant.objects.get(display_name="Letter 12")
    assert (p.channel, p.entered_by, p.user, p.district) == ("post", r["organiser"], None, "South")
    assert p.contributions.get().body == "Please light the towpath before painting lanes."
    answers = {a.question.number: a.value for a in SurveyAnswer.objects.filter(participant=p)}
    assert answers == {1: "On foot", 2: ["High Street", "Quay Road"], 3: 2}


def test_an_offline_channel_the_consultation_does_not_take_is_refused(world):
    city, r = world
    response = client(r["padmin"]).post(url("consultation_offline", r["open"].pk), {
        "channel": "phone", "display_name": "Caller 3", "q1": "Bus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # only post is offered
    assert not Participant.objects.filter(display_name="Caller 3").exists()


# --- the response and its change chooser -----------------------------------------------------------


def test_the_response_item_chooser_lists_the_records_changes_since_opening(world):
    city, r = world
    from cityline.strategy.models import Initiative

    pilot = Initiative.objects.get(city=city, key="sensor-pilot")
    pilot = actions.update(pilot, description="Quay Road first.", reason="You said, we did")
    change = pilot.history.order_by("-history_date", "-history_id").first()
    response = actions.create(ConsultationResponse, city=city, consultation=r["open"], summary="Thanks.")
    c = client(r["organiser"])
    page = c.get(url("consultationresponse_change", response.pk))
    assert page.status_code == 200
    text = page.content.decode()
    today = timezone.localdate().isoformat()
    assert f"{today} - description - You said, we did" in text
    assert f'value="{change.history_id}"' in text
    # creation of the pilot happened before the consultation opened? It was created today too: only changes
    # from the opening day on are offered, and the record's heading names it
    assert "sensor-pilot" in text
    data = form_data(page)
    data.update({"items-TOTAL_FORMS": "1", "items-0-number": "1", "items-0-you_said": "Quay Road first",
                 "items-0-we_did": "The pilot starts on Quay Road", "items-0-outcome": "changed",
                 "items-0-record_type": "strategy.Initiative", "items-0-record_key": "library-wifi",
                 "items-0-change_id": str(change.history_id)})
    refused = c.post(url("consultationresponse_change", response.pk), data)
    assert refused.status_code == 200
    assert "is not in the history of strategy.Initiative library-wifi" in " ".join(
        str(e) for e in refused.context["errors"])
    data["items-0-record_key"] = "sensor-pilot"
    ok = c.post(url("consultationresponse_change", response.pk), data)
    assert ok.status_code == 302
    item = ResponseItem.objects.get(response=response)
    assert (item.record_key, item.change_id) == ("sensor-pilot", change.history_id)


def test_the_response_status_is_set_by_publishing_not_by_the_form(world):
    city, r = world
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"], summary="Thanks.")
    c = client(r["padmin"])
    data = form_data(c.get(url("consultationresponse_change", response.pk)))
    data["status"] = "published"
    assert c.post(url("consultationresponse_change", response.pk), data).status_code == 302
    assert ConsultationResponse.objects.get(pk=response.pk).status == "draft"
