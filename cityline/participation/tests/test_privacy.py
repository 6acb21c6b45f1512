"""Participation as personal data (B14, B10): in the person's download, on their account page, and erasure."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.testing import grant
from cityline.participation import personal, services
from cityline.participation.models import (
    Contribution,
    ContributionReport,
    ModerationEvent,
    Participant,
    Support,
    SurveyAnswer,
)
from cityline.participation.testing import make_participation_city, make_person
from cityline.privacy import subject
from cityline.privacy.models import ErasureRecord

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_TRUST_KEY] = 1
    session.save()
    return client


@pytest.fixture
def world():
    """Ann takes part in cycle-lanes (comment, proposal, support, survey) and library-hours; Bob replies to her."""
    city, r = make_participation_city()
    ann, bob = make_person("ann"), make_person("bob")
    r["ann"] = services.join(r["open"], ann, display_name="Cycling Ann", party_category="beneficiary",
                             segment=r["segment"], district="North", notify=True, language="fr")
    r["bob"] = services.join(r["open"], bob, display_name="Bob from Quay Road")
    r["ann_comment"] = services.contribute(r["ann"], "Quay Road first, please: children cycle there to school.")
    r["ann_proposal"] = services.contribute(r["ann"], "Close Station Avenue to cars on Sundays to test it.",
                                            kind="proposal", title="Car-free Sundays")
    r["bob_proposal"] = services.contribute(r["bob"], "Paint the lanes green so drivers see them.",
                                            kind="proposal", title="Green lanes")
    r["bob_reply"] = services.contribute(r["bob"], "Agreed, the school run on Quay Road is frightening.",
                                         parent=r["ann_comment"])
    services.support(r["ann"], r["bob_proposal"])
    services.support(r["bob"], r["ann_proposal"])
    services.answer_survey(r["ann"], {1: "Bike", 2: ["Quay Road"], 3: 2, 4: "I live at 12 Quay Road, call me."})
    services.answer_survey(r["bob"], {1: "Bus", 4: "Bob's own words"})
    services.report(r["bob_proposal"], ann, "This repeats an older proposal.")
    services.report(r["ann_comment"], bob, "Bob reports Ann.")
    return city, r, ann, bob


def test_my_data_holds_the_persons_participation_and_nothing_of_anyone_else(client, world):
    city, r, ann, bob = world
    data = signed_in(client, ann).get("/account/my-data.json").json()["participation"]
    [entry] = data["consultations"]
    assert entry["consultation"] == "cycle-lanes" and entry["city"] == city.key
    assert entry["participant"] == {
        "display_name": "Cycling Ann", "anonymous": False, "party_category": "beneficiary",
        "segment": "older-residents", "district": "North", "channel": "online", "notify": True, "language": "fr",
        "joined_at": r["ann"].joined_at.isoformat()}
    assert [(c["kind"], c["title"], c["text"]) for c in entry["contributions"]] == [
        ("comment", "", r["ann_comment"].body), ("proposal", "Car-free Sundays", r["ann_proposal"].body)]
    assert all(c["hidden"] is False and c["erased"] is False and c["created"] for c in entry["contributions"])
    assert [(s["proposal"], s["proposal_title"]) for s in entry["supports"]] == [(r["bob_proposal"].pk, "Green lanes")]
    assert [(a["question"], a["answer"]) for a in entry["survey_answers"]] == [
        (1, "Bike"), (2, ["Quay Road"]), (3, 2), (4, "I live at 12 Quay Road, call me.")]
    assert [(x["contribution"], x["reason"]) for x in data["reports_filed"]] == [
        (r["bob_proposal"].pk, "This repeats an older proposal.")]
    text = client.get("/account/my-data.json").content.decode()
    for other in ("Bob from Quay Road", "Paint the lanes", "frightening", "Bob's own words", "Bob reports Ann",
                  "bob@mail.example.org"):
        assert other not in text


def test_a_hidden_contribution_is_in_the_download_with_the_reason(client, world):
    city, r, ann, bob = world
    moderator = make_person("moderator")
    grant(moderator, "contributor", organisation=r["council"])
    services.hide(r["ann_comment"], moderator, "Names a private person")
    entry = subject.export(ann)["participation"]["consultations"][0]
    assert (entry["contributions"][0]["hidden"], entry["contributions"][0]["hidden_reason"]) == (
        True, "Names a private person")


def test_the_account_page_lists_the_consultations_taken_part_in(client, world):
    city, r, ann, bob = world
    page = signed_in(client, ann).get("/account/").content.decode()
    assert f'href="/{city.key}/consultations/cycle-lanes/"' in page and "Safer cycle lanes" in page
    assert "Cycling Ann" in page and "Library opening hours" not in page
    assert "You have not taken part in a consultation." in signed_in(client, make_person("carol")).get(
        "/account/").content.decode()


def test_erasure_unlinks_and_neutralises_participation_and_keeps_counts(client, world):
    city, r, ann, bob = world
    moderator = make_person("moderator")
    grant(moderator, "contributor", organisation=r["council"])
    offline = services.enter_offline_response(r["open"], staff=moderator, channel="post",
                                              display_name="Letter writer", body="Please light the lanes.")
    services.hide(r["bob_reply"], moderator, "Off topic")
    client = signed_in(client, ann)
    page = client.get("/account/erase/").content.decode()
    assert "Former participant" in page and "2 contributions" in page
    assert client.post("/account/erase/", {"confirm": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(username="ann").exists()

    participant = Participant.objects.get(pk=r["ann"].pk)
    assert participant.user is None and participant.display_name == personal.ERASED_NAME
    assert (participant.anonymous, participant.notify, participant.language) == (False, False, "")
    assert participant.public_name == "Former participant"
    # the self-declared profile stays for aggregated figures only (documented choice)
    assert (participant.party_category, participant.district) == ("beneficiary", "North")
    comment, proposal = (Contribution.objects.get(pk=r[k].pk) for k in ("ann_comment", "ann_proposal"))
    assert comment.erased and comment.body == personal.ERASED_TEXT and comment.title == ""
    assert proposal.erased and proposal.title == personal.ERASED_TITLE and proposal.body == personal.ERASED_TEXT
    assert (proposal.public_title, comment.public_body) == ("Erased proposal", personal.ERASED_TEXT)
    # threads and counts stay: Bob's reply, the supports, the choice answers
    assert Contribution.objects.get(pk=r["bob_reply"].pk).parent_id == comment.pk
    assert Contribution.objects.filter(consultation=r["open"]).count() == 5
    assert Support.objects.filter(contribution=proposal).count() == 1
    assert Support.objects.filter(participant=participant).count() == 1
    assert sorted(a.question.number for a in SurveyAnswer.objects.filter(participant=participant)) == [1, 2, 3]
    assert not SurveyAnswer.objects.filter(value="I live at 12 Quay Road, call me.").exists()
    assert SurveyAnswer.objects.filter(participant=r["bob"], question__number=4).get().value == "Bob's own words"
    # her report stays for the moderators, without her; Bob's report of her comment is untouched
    mine = ContributionReport.objects.get(reason="This repeats an older proposal.")
    assert mine.reporter is None
    assert ContributionReport.objects.get(reason="Bob reports Ann.").reporter == bob
    # Bob and the offline letter are not touched
    assert Participant.objects.get(pk=r["bob"].pk).display_name == "Bob from Quay Road"
    assert Participant.objects.get(pk=offline.pk).display_name == "Letter writer"
    assert not Contribution.objects.filter(participant=r["bob"], erased=True).exists()
    record = ErasureRecord.objects.latest("at")
    assert {k: v for k, v in record.erased.items() if k.startswith("participation_")} == {
        "participation_participants_unlinked": 1, "participation_contributions_erased": 2,
        "participation_survey_text_answers_deleted": 1, "participation_survey_answers_kept_anonymous": 3,
        "participation_supports_kept_anonymous": 1, "participation_reports_unlinked": 1,
        "participation_offline_entries_unlinked": 0, "participation_moderation_unlinked": 0}


def test_erasing_a_staff_member_unlinks_their_offline_entries_and_moderation(world):
    city, r, ann, bob = world
    staff = make_person("staff")
    grant(staff, "contributor", organisation=r["council"])
    offline = services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Letter writer",
                                              body="Please light the lanes.")
    services.hide(r["bob_reply"], staff, "Off topic")
    record = subject.erase(staff)
    assert Participant.objects.get(pk=offline.pk).entered_by is None
    assert ModerationEvent.objects.get(contribution=r["bob_reply"]).moderator is None
    assert Contribution.objects.get(pk=r["bob_reply"].pk).hidden  # the decision stays
    assert (record.erased["participation_offline_entries_unlinked"],
            record.erased["participation_moderation_unlinked"]) == (1, 1)
    assert Participant.objects.get(pk=offline.pk).display_name == "Letter writer"


def test_an_erased_verified_anonymous_participant_becomes_a_former_participant(world):
    city, r, ann, bob = world
    carol = make_person("carol")
    anonymous = services.join(r["open"], carol, anonymous=True)
    services.contribute(anonymous, "Speed limits matter more than paint on the road.")
    subject.erase(carol)
    anonymous.refresh_from_db()
    assert anonymous.user is None and not anonymous.anonymous and anonymous.public_name == "Former participant"



def test_public_pages_show_the_placeholder_and_the_marker_after_erasure(client, world):
    city, r, ann, bob = world
    url = f"/{city.key}/consultations/cycle-lanes/"
    before = client.get(url).content.decode()
    assert "Cycling Ann" in before and "children cycle there to school" in before and "Car-free Sundays" in before
    subject.erase(ann)
    page = client.get(url).content.decode()
    assert page.count("Former participant") >= 2  # her comment and her proposal
    assert "Cycling Ann" not in page and "children cycle there to school" not in page
    assert "Car-free Sundays" not in page and "Close Station Avenue" not in page
    assert "erased at its author" in page and "Erased proposal" in page
    # the reply to her comment and the other proposal stay, as does the proposal's support count
    assert "the school run on Quay Road is frightening" in page and "Green lanes" in page
    data = client.get(f"/{city.key}/consultations/cycle-lanes/results.json").json()
    assert "12 Quay Road" not in str(data)
