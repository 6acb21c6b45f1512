"""The public consultation pages (issue 8; B1.b, B2.g, B3, B11) through Django's test client."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from cityline.core import actions
from cityline.participation import services
from cityline.participation.models import (
    ConsultationResponse,
    Contribution,
    ContributionReport,
    Participant,
    ResponseItem,
    Support,
    SurveyAnswer,
)
from cityline.participation.results import survey_results
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db

URL = "/riverford/consultations/cycle-lanes/"


@pytest.fixture
def site():
    city, r = make_participation_city()
    return r


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def joined(r, name="ann", display="Ann from the Quay"):
    user = make_person(name)
    participant = services.join(r["open"], user, display_name=display)
    return user, participant, signed_in(user)


def respond(r):
    """Publish a response to the closed consultation, with an item pointing at a real change."""
    from cityline.strategy.models import Initiative

    initiative = Initiative.objects.get(city=r["city"], key="library-wifi")
    actions.update(initiative, reason="After the consultation", title="Library wifi and Sunday opening")
    change = initiative.history.filter(id=initiative.pk).order_by("-history_date").first()
    response = actions.create(ConsultationResponse, city=r["city"], consultation=r["closed"],
                              summary="Most people asked for Sunday opening.")
    actions.create(ResponseItem, city=r["city"], response=response, number=1, you_said="Open on Sundays.",
                   we_did="We open on Sundays from March.", outcome="changed", record_type="strategy.Initiative",
                   record_key="library-wifi", change_id=change.history_id)
    # ``reason`` is also actions.create's change reason: save the item itself
    actions.save(ResponseItem(city=r["city"], response=response, number=2, you_said="Open at 6 am.",
                              we_did="We keep 9 am.", outcome="not_changed",
                              reason="Nobody came before 9 in the trial."))
    services.publish_response(r["closed"], notify=False)
    return response


# --- pages ---------------------------------------------------------------------------------------------


def test_the_list_shows_open_consultations_first_then_closed_and_responded_but_never_drafts(site):
    _user, _p, _c = joined(site)
    page = html(Client().get("/riverford/consultations/"))
    assert page.index("Safer cycle lanes") < page.index("Library opening hours")
    assert "Draft plan" not in page
    assert "1 participant" in page
    assert "Halve transport emissions" in page  # what it is about
    assert "The city is preparing its response" in page
    respond(site)
    page = html(Client().get("/riverford/consultations/"))
    assert "Response published on" in page and "1 changed, 0 partly changed, 1 not changed" in page
    assert "Most people asked for Sunday opening." in page


def test_the_city_navigation_links_the_consultations(site):
    page = html(Client().get("/riverford/"))
    assert 'href="/riverford/consultations/"' in page


def test_a_draft_consultation_is_not_found(site):
    assert Client().get("/riverford/consultations/draft-plan/").status_code == 404
    assert Client().get("/riverford/consultations/draft-plan/results.json").status_code == 404
    assert Client().get("/riverford/consultations/nothing/").status_code == 404
    assert Client().get("/nowhere/consultations/").status_code == 404


def test_an_open_consultation_shows_question_background_subjects_channels_and_survey(site):
    page = html(Client().get(URL))
    assert "Which streets should get protected cycle lanes first?" in page
    assert "Transport emissions must halve by 2030." in page
    assert 'href="/riverford/vision/#objectives">Halve transport emissions' in page
    assert 'href="/riverford/roadmap/"' in page
    assert "By post, writing to Riverford City Council" in page
    assert "How do you usually travel?" in page
    assert f'href="/account/sign-in/?next={URL.replace("/", "%2F")}"' in page
    assert "<form" not in page.split('id="take-part"')[1].split("</section>")[0]


def test_a_closed_consultation_shows_no_forms_and_when_the_response_is_due(site):
    page = html(signed_in(make_person("bo")).get("/riverford/consultations/library-hours/"))
    assert "This consultation is closed" in page and "Response due by" in page
    assert 'name="form"' not in page


def test_a_responded_consultation_shows_the_response_items_and_the_change_before_and_after(site):
    respond(site)
    page = html(Client().get("/riverford/consultations/library-hours/"))
    assert "The city&#x27;s response" in page or "The city's response" in page
    assert "We open on Sundays from March." in page and "We changed it" in page
    assert "Nobody came before 9 in the trial." in page and "We did not change it" in page
    assert 'href="/riverford/roadmap/"' in page
    change = page.split("The change to")[1].split("</table>")[0]
    assert "Library wifi and Sunday opening" in change  # after
    assert "Title" in change


def test_the_french_page_renders(site):
    response = Client().get("/fr" + URL)
    assert response.status_code == 200
    assert '<html lang="fr"' in html(response)
    assert Client().get("/fr/riverford/consultations/").status_code == 200


# --- signed out ----------------------------------------------------------------------------------------


def test_signed_out_visitors_cannot_post_and_are_sent_to_sign_in(site):
    response = Client().post(URL, {"form": "comment", "comment-body": "Hello there, a long enough comment."})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=")
    assert not Contribution.objects.exists()


# --- forms -----------------------------------------------------------------------------------------------


def test_taking_part_creates_the_participant_and_shows_field_errors(site):
    user = make_person("carla")
    client = signed_in(user)
    bad = client.post(URL, {"form": "take-part", "profile-display_name": "carla", "profile-notify": "on"})
    assert bad.status_code == 400
    page = html(bad)
    error = re.search(r'<ul class="errorlist" id="id_profile-display_name_error">(.*?)</ul>', page, re.S)
    assert error and "other than your user name" in error.group(1)
    assert not Participant.objects.exists()
    bad = client.post(URL, {"form": "take-part", "profile-display_name": "Carla R", "profile-district": "Atlantis"})
    assert bad.status_code == 400 and 'id="id_profile-district_error"' in html(bad)
    ok = client.post(URL, {"form": "take-part", "profile-display_name": "Carla R", "profile-district": "North",
                           "profile-party_category": "beneficiary", "profile-segment": site["segment"].pk,
                           "profile-notify": "on"}, follow=True)
    assert "You take part as “Carla R”." in html(ok)
    p = Participant.objects.get(user=user)
    assert (p.display_name, p.district, p.party_category, p.segment, p.notify) == (
        "Carla R", "North", "beneficiary", site["segment"], True)
    # the profile form is pre-filled, and can be changed
    assert 'value="Carla R"' in html(client.get(URL))
    client.post(URL, {"form": "take-part", "profile-display_name": "Carla", "profile-anonymous": "on"})
    p.refresh_from_db()
    assert p.anonymous and p.public_name == "Verified participant"


def test_commenting_needs_taking_part_first(site):
    client = signed_in(make_person("dan"))
    response = client.post(URL, {"form": "comment", "comment-body": "A comment without a profile."}, follow=True)
    assert "Take part first" in html(response)
    assert not Contribution.objects.exists()


def test_comment_and_reply_are_published_threaded_and_errors_shown(site):
    _u, ann, client = joined(site)
    response = client.post(URL, {"form": "comment", "comment-body": "Quay Road first, please."})
    assert response.status_code == 302
    comment = Contribution.objects.get()
    assert response["Location"] == f"{URL}#contribution-{comment.pk}"
    bad = client.post(URL, {"form": "comment", "comment-body": ""})
    assert bad.status_code == 400 and 'id="id_comment-body_error"' in html(bad)
    _u2, _bo, other = joined(site, "bo", "Bo Berg")
    other.post(URL, {"form": "reply", "reply-parent": comment.pk, "reply-body": "Agreed, it is the most dangerous."})
    reply = Contribution.objects.get(parent=comment)
    page = html(Client().get(URL))
    thread = page.split(f'id="contribution-{comment.pk}"')[1]
    assert f'id="contribution-{reply.pk}"' in thread.split('class="replies"')[1]
    assert "Ann from the Quay" in page and ">Bo Berg<" in page
    # a reply to nothing on the page is refused next to the text
    bad = other.post(URL, {"form": "reply", "reply-parent": 99999, "reply-body": "To nowhere, really."}, follow=True)
    assert "not on this page" in html(bad)
    assert Contribution.objects.count() == 2


def test_proposals_are_supported_once_per_person_through_the_views(site):
    _u, _ann, author = joined(site)
    bad = author.post(URL, {"form": "propose", "proposal-title": "", "proposal-body": "Paint the lanes green."})
    assert bad.status_code == 400
    assert re.search(r'id="id_proposal-title_error">.*give your proposal a title', html(bad), re.S)
    author.post(URL, {"form": "propose", "proposal-title": "Green lanes", "proposal-body": "Paint them green."})
    proposal = Contribution.objects.get(kind="proposal")
    # no support button on one's own proposal
    assert "Support “Green lanes”" not in html(author.get(URL))
    _u2, bo, client = joined(site, "bo", "Bo Berg")
    assert "Support “Green lanes”" in html(client.get(URL))
    client.post(URL, {"form": "support", "proposal": proposal.pk})
    again = client.post(URL, {"form": "support", "proposal": proposal.pk}, follow=True)
    assert "you already support this proposal" in html(again)
    assert Support.objects.filter(contribution=proposal).count() == 1
    page = html(client.get(URL))
    assert "1 supporter" in page and "Withdraw my support for “Green lanes”" in page
    client.post(URL, {"form": "withdraw", "proposal": proposal.pk})
    assert not Support.objects.exists()


def test_support_is_withdrawn_through_the_views_once_the_consultation_is_offline_only(site):
    _u, ann, _c = joined(site)
    green = services.contribute(ann, "Paint the lanes green.", kind="proposal", title="Green lanes")
    wide = services.contribute(ann, "Make the lanes two metres wide.", kind="proposal", title="Wide lanes")
    _u2, bo, client = joined(site, "bo", "Bo Berg")
    services.support(bo, green)
    actions.update(site["open"], channels=["post"])
    page = html(client.get(URL))
    # what was given online can be taken back; nothing new is offered, nor accepted
    assert "Withdraw my support for “Green lanes”" in page
    assert "Support “Wide lanes”" not in page and 'value="comment"' not in page and 'value="reply"' not in page
    refused = client.post(URL, {"form": "support", "proposal": wide.pk}, follow=True)
    assert "offline only" in html(refused)
    done = client.post(URL, {"form": "withdraw", "proposal": green.pk}, follow=True)
    assert "You no longer support “Green lanes”." in html(done)
    assert not Support.objects.exists()


def test_support_for_a_proposal_hidden_meanwhile_can_be_withdrawn_without_repeating_it(site):
    from cityline.accounts.testing import grant

    _u, ann, _c = joined(site)
    rude = services.contribute(ann, "Something rude-ish here.", kind="proposal", title="Rude title")
    _u2, bo, client = joined(site, "bo", "Bo Berg")
    services.support(bo, rude)
    moderator = make_person("mod")
    grant(moderator, "contributor", organisation=site["council"])
    services.hide(rude, moderator, "Insulting")
    page = html(client.get(URL))
    assert "Withdraw my support for this proposal" in page and "Rude title" not in page
    assert "Withdraw my support for this proposal" not in html(signed_in(make_person("cy")).get(URL))
    done = html(client.post(URL, {"form": "withdraw", "proposal": rude.pk}, follow=True))
    assert "You no longer support this proposal." in done and "Rude title" not in done
    assert not Support.objects.exists()


def test_taking_part_keeps_the_pages_language_for_the_e_mails(site, django_capture_on_commit_callbacks):
    from django.core import mail

    for name, prefix in (("fleur", "/fr"), ("ed", "")):
        client = signed_in(make_person(name))
        taking_part = client.post(prefix + URL, {"form": "take-part", "profile-display_name": f"{name.title()} B",
                                                 "profile-notify": "on"})
        assert taking_part.status_code == 302
    assert dict(Participant.objects.values_list("display_name", "language")) == {"Fleur B": "fr", "Ed B": "en"}
    response = actions.create(ConsultationResponse, city=site["city"], consultation=site["open"], summary="Thanks.")
    actions.create(ResponseItem, city=site["city"], response=response, number=1, you_said="Quay Road first",
                   we_did="It comes first.", outcome="changed", record_type="strategy.Initiative",
                   record_key="sensor-pilot")
    services.close_consultation(site["open"])
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_response(site["open"])
    sent = {m.to[0]: m for m in mail.outbox}
    assert sent["fleur@mail.example.org"].subject == "Riverford a répondu\N{NO-BREAK SPACE}: Safer cycle lanes"
    assert sent["fleur@mail.example.org"].body.startswith("Bonjour Fleur B,")
    assert "/fr" + URL in sent["fleur@mail.example.org"].body
    assert sent["ed@mail.example.org"].subject == "Riverford has responded: Safer cycle lanes"
    assert sent["ed@mail.example.org"].body.startswith("Hello Ed B,") and "/fr/" not in sent["ed@mail.example.org"].body


def test_the_survey_saves_answers_prefills_them_and_shows_errors_per_question(site):
    _u, ann, client = joined(site)
    bad = client.post(URL, {"form": "survey", "survey-q2": ["Quay Road"]})
    assert bad.status_code == 400
    assert re.search(r'id="id_survey-q1_error">.*needs an answer', html(bad), re.S)
    assert not SurveyAnswer.objects.exists()
    response = client.post(URL, {"form": "survey", "survey-q1": "Bike", "survey-q2": ["Quay Road", "High Street"],
                                 "survey-q3": "2", "survey-q4": "More bike parking."})
    assert response.status_code == 302 and response["Location"].endswith("#survey")
    assert {a.question.number: a.value for a in SurveyAnswer.objects.filter(participant=ann)} == {
        1: "Bike", 2: ["High Street", "Quay Road"], 3: 2, 4: "More bike parking."}
    page = html(client.get(URL))
    assert re.search(r'<input type="radio" name="survey-q1" value="Bike"[^>]*checked', page)
    assert re.search(r'<input type="radio" name="survey-q3" value="2"[^>]*checked', page)
    assert "More bike parking." in page  # only in the person's own form
    assert "More bike parking." not in html(Client().get(URL))


def test_reporting_a_contribution(site):
    _u, ann, _c = joined(site)
    comment = services.contribute(ann, "Something rude-ish here.")
    client = signed_in(make_person("eve"))
    bad = client.post(URL, {"form": "report", "report-contribution": comment.pk, "report-reason": "x"})
    assert bad.status_code == 400 and 'id="id_report-reason_error"' in html(bad)
    ok = client.post(URL, {"form": "report", "report-contribution": comment.pk, "report-reason": "Insulting"},
                     follow=True)
    assert "the moderators will look at it" in html(ok)
    assert ContributionReport.objects.get().reason == "Insulting"


def test_posting_to_a_closed_consultation_is_refused(site):
    user = make_person("fay")
    client = signed_in(user)
    response = client.post("/riverford/consultations/library-hours/",
                           {"form": "take-part", "profile-display_name": "Fay"}, follow=True)
    assert "not open for contributions" in html(response)
    assert not Participant.objects.exists()


def test_an_offline_only_consultation_refuses_posts_from_the_site(site):
    _u, ann, client = joined(site)
    actions.update(site["open"], channels=["post"])
    assert "takes responses offline only" in html(client.get(URL))
    other = signed_in(make_person("olly"))
    taking_part = other.post(URL, {"form": "take-part", "profile-display_name": "Olly O", "profile-notify": "on"})
    assert taking_part.status_code == 400 and "offline only" in html(taking_part)
    commenting = client.post(URL, {"form": "comment", "comment-body": "Posted online anyway."})
    assert commenting.status_code == 400 and "offline only" in html(commenting)
    assert Participant.objects.count() == 1 and not Contribution.objects.exists()

def profile_form(page: str) -> str:
    """The profile form of the "Take part" section ("" when the page has none)."""
    section = page.split('id="take-part"')[1].split("</section>")[0]
    match = re.search(r'<form[^>]*>.*?value="take-part".*?</form>', section, re.S)
    return match.group(0) if match else ""


def test_a_participant_of_an_offline_only_consultation_still_manages_how_they_take_part(site):
    _u, ann, client = joined(site)
    assert ann.notify
    actions.update(site["open"], channels=["post"])
    page = html(client.get(URL))
    assert "takes responses offline only" in page
    form = profile_form(page)
    assert form and re.search(r'<input type="checkbox" name="profile-notify"[^>]*checked', form)
    assert 'value="Ann from the Quay"' in form
    assert 'value="comment"' not in page and 'value="survey"' not in page
    saved = client.post(URL, {"form": "take-part", "profile-display_name": "Ann Q", "profile-district": "South"},
                        follow=True)
    assert "Your profile is saved." in html(saved)
    ann.refresh_from_db()
    assert (ann.notify, ann.display_name, ann.district) == (False, "Ann Q", "South")
    # someone who has not taken part is offered no form, and cannot join through one
    other = signed_in(make_person("olly"))
    assert profile_form(html(other.get(URL))) == ""
    refused = other.post(URL, {"form": "take-part", "profile-display_name": "Olly O", "profile-notify": "on"})
    assert refused.status_code == 400
    assert re.search(r'class="messages".*offline only \(in person, by phone or by post\)', html(refused), re.S)
    assert list(Participant.objects.values_list("display_name", flat=True)) == ["Ann Q"]


def test_a_participant_switches_the_e_mail_off_after_closing_and_their_declared_profile_stays(
        site, django_capture_on_commit_callbacks):
    from django.core import mail

    user, ann, client = joined(site)
    services.join(site["open"], user, display_name="Ann from the Quay", district="North",
                  party_category="beneficiary", segment=site["segment"])
    _u2, bo, _c2 = joined(site, "bo", "Bo Berg")
    services.close_consultation(site["open"])
    page = html(client.get(URL))
    assert "This consultation is closed" in page
    form = profile_form(page)
    assert form and 'name="profile-notify"' in form and 'name="profile-display_name"' in form
    # what they declared is counted in the consultation's figures: fixed once it has closed
    assert 'name="profile-district"' not in form and 'name="profile-party_category"' not in form
    assert "are counted in its figures and no longer change." in form
    saved = client.post(URL, {"form": "take-part", "profile-display_name": "Ann Q", "profile-district": "South",
                              "profile-party_category": "consumer"}, follow=True)
    assert "Your profile is saved." in html(saved)
    ann.refresh_from_db()
    assert (ann.notify, ann.display_name, ann.district, ann.party_category, ann.segment) == (
        False, "Ann Q", "North", "beneficiary", site["segment"])
    # the response comes after closing: only the participant who still wants it is written to
    response = actions.create(ConsultationResponse, city=site["city"], consultation=site["open"], summary="Thanks.")
    actions.create(ResponseItem, city=site["city"], response=response, number=1, you_said="Quay Road first",
                   we_did="It comes first.", outcome="changed")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_response(site["open"])
    assert [m.to for m in mail.outbox] == [["bo@mail.example.org"]]
    # once responded, the name stays theirs to change
    client.post(URL, {"form": "take-part", "profile-anonymous": "on"})
    ann.refresh_from_db()
    assert ann.anonymous and ann.public_name == "Verified participant"
    # nobody joins a closed consultation, and nothing else is accepted from its participants
    late = signed_in(make_person("lou"))
    assert profile_form(html(late.get(URL))) == ""
    refused = late.post(URL, {"form": "take-part", "profile-display_name": "Lou L"}, follow=True)
    assert "not open for contributions" in html(refused)
    refused = client.post(URL, {"form": "comment", "comment-body": "After closing."}, follow=True)
    assert "not open for contributions" in html(refused)
    assert Participant.objects.count() == 2 and not Contribution.objects.exists()


def test_a_district_the_city_renamed_since_does_not_stop_the_e_mail_being_switched_off(site):
    # Once closed, the declared district is not in the form and is kept as stored: a city that has since changed its
    # districts must not make every save of the profile fail on a field the person cannot see.
    user, ann, client = joined(site)
    services.join(site["open"], user, display_name="Ann from the Quay", district="North")
    services.close_consultation(site["open"])
    city_settings = services.settings_for(site["city"])
    actions.update(city_settings, districts=[f"{d} (new)" for d in city_settings.districts])
    saved = client.post(URL, {"form": "take-part", "profile-display_name": "Ann from the Quay"}, follow=True)
    assert "Your profile is saved." in html(saved)
    ann.refresh_from_db()
    assert (ann.notify, ann.district) == (False, "North")


def test_a_verified_participant_switches_the_e_mail_off_without_choosing_a_name(site):
    vera = make_person("vera")
    services.join(site["open"], vera, anonymous=True)
    actions.update(site["open"], channels=["post"], allows_anonymous=False)
    client = signed_in(vera)
    assert re.search(r'name="profile-anonymous"[^>]*checked', profile_form(html(client.get(URL))))
    saved = client.post(URL, {"form": "take-part", "profile-anonymous": "on"}, follow=True)
    assert "Your profile is saved." in html(saved)
    assert Participant.objects.filter(user=vera, anonymous=True, notify=False).exists()


def test_a_reply_to_a_contribution_hidden_meanwhile_says_why_it_was_refused(site):
    from cityline.accounts.testing import grant

    _u, ann, _c = joined(site)
    comment = services.contribute(ann, "A first comment here.")
    moderator = make_person("mod")
    grant(moderator, "contributor", organisation=site["council"])
    services.hide(comment, moderator, "Off topic")
    _u2, _bo, other = joined(site, "bo", "Bo Berg")
    response = other.post(URL, {"form": "reply", "reply-parent": comment.pk, "reply-body": "Replying to it."})
    assert response.status_code == 400
    assert "you can only reply to a visible contribution" in html(response)
    assert Contribution.objects.count() == 1


def test_an_open_consultation_past_its_closing_date_does_not_say_it_opens(site):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    actions.update(site["open"], closes_on=today - timedelta(days=1))  # the daily tick has not run yet
    client = signed_in(make_person("gil"))
    take_part = html(client.get(URL)).split('id="take-part"')[1].split("</section>")[0]
    assert "opens on" not in take_part and "This consultation is closed" in take_part
    listed = html(Client().get("/riverford/consultations/"))
    entry = listed.split("Safer cycle lanes")[1].split("</li>")[0]
    assert "opens on" not in entry and "(Closed)" in entry
    # before its opening day it says when it opens
    actions.update(site["open"], opens_on=today + timedelta(days=2), closes_on=today + timedelta(days=9))
    assert "This consultation opens on" in html(client.get(URL))
    assert "opens on" in html(Client().get("/riverford/consultations/")).split("Safer cycle lanes")[1].split("</li>")[0]


def test_hidden_contributions_show_the_moderators_reason_not_the_text(site):
    from cityline.accounts.testing import grant

    _u, ann, _c = joined(site)
    comment = services.contribute(ann, "Buy cheap watches at example dot com.")
    moderator = make_person("mod")
    grant(moderator, "contributor", organisation=site["council"])
    services.hide(comment, moderator, "Advertising")
    page = html(Client().get(URL))
    assert "Hidden by the moderators: Advertising" in page
    assert "cheap watches" not in page


def test_no_e_mail_address_or_user_name_of_contributors_in_the_page(site):
    user, ann, client = joined(site, "zoe_private", "Zoe")
    services.contribute(ann, "A comment by Zoe about the lanes.")
    services.contribute(ann, "Wider lanes everywhere.", kind="proposal", title="Wider lanes")
    services.answer_survey(ann, {1: "Bus"})
    for client_ in (Client(), signed_in(make_person("reader"))):
        page = html(client_.get(URL)) + html(client_.get("/riverford/consultations/"))
        page += html(client_.get(URL + "results.json"))
        assert "zoe_private" not in page and "mail.example.org" not in page
        assert "Zoe" in page


# --- live results ----------------------------------------------------------------------------------------


def test_results_json_has_aggregates_only(site):
    answers = ([{1: "Bike", 2: ["Quay Road"], 3: 1, 4: "Secret text one."}] * 4
               + [{1: "Bike", 2: ["Quay Road", "High Street"], 3: 1}] * 2
               + [{1: "Bus", 3: 4, 4: "Secret text two."}] * 5)
    for i, a in enumerate(answers):
        _u, p, _c = joined(site, f"p{i}", f"Person {i}")
        services.answer_survey(p, a)
    response = Client().get(URL + "results.json")
    assert response.status_code == 200
    data = response.json()
    assert data["participants"] == 11 and data["survey"]["respondents"] == 11
    q1, q2, q3, q4 = data["survey"]["questions"]
    assert [(o["label"], o["count"], o["percent"]) for o in q1["options"]] == [
        ("Bike", 6, 54.5), ("Bus", 5, 45.5), ("Car", 0, 0.0), ("On foot", 0, 0.0)]
    # multiple choice: 6 answered; 2 chose High Street, below the threshold of 5: withheld
    assert q2["answered"] == 6
    assert {o["label"]: (o["count"], o["percent"]) for o in q2["options"]} == {
        "Quay Road": (6, 100.0), "High Street": (None, None), "Station Avenue": (0, 0.0)}
    assert q3["mean"] == round((6 * 1 + 5 * 4) / 11, 2) and [d["count"] for d in q3["distribution"]] == [6, 0, 0, 5, 0]
    assert q4 == {"number": 4, "text": "Anything else?", "kind": "text", "answered": 9}
    assert "Secret" not in response.content.decode()
    assert "Secret" not in html(Client().get(URL))
    assert survey_results(site["open"]) == data["survey"]


def test_small_survey_results_are_withheld_in_the_page_and_results_json(site):
    for i, a in enumerate([{1: "Bike", 3: 2}, {1: "Bike", 3: 5}, {1: "Bus", 3: 5}]):
        _u, p, _c = joined(site, f"p{i}", f"Person {i}")
        services.answer_survey(p, a)
    data = Client().get(URL + "results.json").json()["survey"]
    q1, _q2, q3, _q4 = data["questions"]
    assert data["respondents"] == 3 and q1["answered"] == 3
    assert {o["count"] for o in q1["options"]} == {None} and {d["count"] for d in q3["distribution"]} == {None}
    assert q3["mean"] is None
    page = html(Client().get(URL))
    assert "fewer than 5 answers" in page
    assert not re.search(r'options\.0\.count">\s*2\s*<', page)


def test_a_scale_mean_is_withheld_when_any_point_is_so_no_hidden_count_can_be_worked_out(site):
    # nine "5" and one "1": points 1 and 5 are withheld, and a mean of 4.6 over 10 would give the "1" away
    for i, point in enumerate([5] * 9 + [1]):
        _u, p, _c = joined(site, f"s{i}", f"Scale person {i}")
        services.answer_survey(p, {1: "Bike", 3: point})
    q3 = Client().get(URL + "results.json").json()["survey"]["questions"][2]
    assert q3["answered"] == 10 and [d["count"] for d in q3["distribution"]] == [None, 0, 0, 0, None]
    assert q3["mean"] is None
    assert "4.6" not in html(Client().get(URL))
    # every point published: the mean adds nothing a reader could not compute, so it is shown
    for i in range(4):
        _u, p, _c = joined(site, f"t{i}", f"Other person {i}")
        services.answer_survey(p, {1: "Bike", 3: 1})
    q3 = Client().get(URL + "results.json").json()["survey"]["questions"][2]
    assert [d["count"] for d in q3["distribution"]] == [5, 0, 0, 0, 9] and q3["mean"] == round(50 / 14, 2)


def test_the_page_loads_the_live_results_script_only_while_open(site):
    assert "participation/live-results" in html(Client().get(URL))
    assert "<script>" not in html(Client().get(URL))  # no inline script (strict CSP)
    assert "live-results" not in html(Client().get("/riverford/consultations/library-hours/"))


# --- spam protection --------------------------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_quietly(site):
    _u, _ann, client = joined(site)
    response = client.post(URL, {"form": "comment", "comment-body": "Buy now, buy now, buy now.",
                                 "comment-website": "http://spam.example"})
    assert response.status_code == 302 and response["Location"] == URL
    assert not Contribution.objects.exists()
    page = html(client.get(URL))
    assert 'class="hp" aria-hidden="true"' in page
    assert re.search(r'name="comment-website"[^>]*tabindex="-1"[^>]*autocomplete="off"', page)


@pytest.fixture
def limits_on():
    cache.clear()
    with override_settings(RATELIMIT_ENABLE=True, CITYLINE_RATE_LIMITS={"participation_post": "3/h"}):
        yield
    cache.clear()


def test_participation_posts_are_rate_limited_per_user(site, limits_on):
    _u, _ann, client = joined(site)
    for i in range(3):
        assert client.post(URL, {"form": "comment", "comment-body": f"Comment number {i} here."}).status_code == 302
    response = client.post(URL, {"form": "comment", "comment-body": "One comment too many."})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert Contribution.objects.count() == 3
    # reading is not limited, and another person has their own counter
    assert client.get(URL).status_code == 200
    _u2, _bo, other = joined(site, "bo", "Bo Berg")
    assert other.post(URL, {"form": "comment", "comment-body": "Bo has a say too."}).status_code == 302


# --- static export ------------------------------------------------------------------------------------


def test_the_static_export_has_the_pages_without_forms_or_scripts(site, tmp_path):
    from cityline.portal import publish

    _u, ann, _c = joined(site)
    services.contribute(ann, "Quay Road first, please.")
    respond(site)
    out = tmp_path / "site"
    publish.publish(out, "riverford", progress=False)
    base = out / "riverford" / "consultations"
    for lang in ("", "fr/"):
        root = out / lang / "riverford" / "consultations"
        assert (root / "index.html").is_file()
        assert (root / "cycle-lanes" / "index.html").is_file() and (root / "cycle-lanes" / "results.json").is_file()
        assert (root / "library-hours" / "index.html").is_file()
        assert not (root / "draft-plan").exists()
    page = (base / "cycle-lanes" / "index.html").read_text(encoding="utf-8")
    assert "Quay Road first, please." in page and "Ann from the Quay" in page
    assert "<form" not in page.split("<main")[1] and "live-results" not in page and "sign-in" not in page
    assert 'href="/' not in page  # links made relative
    assert json.loads((base / "cycle-lanes" / "results.json").read_text())["participants"] == 1
    assert "We open on Sundays from March." in (base / "library-hours" / "index.html").read_text(encoding="utf-8")
