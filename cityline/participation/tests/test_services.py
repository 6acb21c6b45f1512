"""The consultation lifecycle and taking part (B1.b, B3): one support per person, surveys, spam, moderation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.packs import importer
from cityline.participation import services
from cityline.participation.models import (
    ConsultationResponse,
    Contribution,
    ModerationEvent,
    Participant,
    ResponseItem,
    Support,
    SurveyAnswer,
)
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_participation_city()


def test_the_lifecycle_refuses_jumps_and_keeps_the_question_once_public(world):
    city, r = world
    with pytest.raises(ValidationError) as err:
        actions.update(r["draft"], status="closed")
    assert "cannot go from draft to closed" in str(err.value)
    with pytest.raises(ValidationError) as err:
        actions.update(r["closed"], status="responded")
    assert "response is published" in str(err.value)
    with pytest.raises(ValidationError) as err:
        actions.update(r["open"], question="Something else?")
    assert "question" in err.value.message_dict
    r["draft"].refresh_from_db()
    services.open_consultation(r["draft"])
    assert r["draft"].status == "open"
    with pytest.raises(ValidationError):
        actions.update(r["draft"], status="draft")


def test_due_consultations_close_on_their_closing_date(world):
    city, r = world
    later = timezone.localdate() + timedelta(days=21)
    closed = services.close_due(city, on=later)
    assert [c.key for c in closed] == ["cycle-lanes"]
    r["open"].refresh_from_db()
    assert (r["open"].status, r["open"].closed_on) == ("closed", r["open"].closes_on)


def test_a_person_supports_a_proposal_once_and_not_their_own(world):
    city, r = world
    ann, bob = make_person("u-ann"), make_person("u-bob")
    pa = services.join(r["open"], ann, display_name="Ann from North", district="North")
    pb = services.join(r["open"], bob, display_name="Bob")
    proposal = services.contribute(pa, "Protect Quay Road first: it is the school route.", kind="proposal",
                                   title="Quay Road first")
    services.support(pb, proposal)
    with pytest.raises(ValidationError) as err:
        services.support(pb, proposal)
    assert "already support" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.support(pa, proposal)
    assert "own proposal" in str(err.value)
    # joining again updates the profile, it does not make a second participant
    again = services.join(r["open"], bob, display_name="Bob B.")
    assert again.pk == pb.pk
    with pytest.raises(ValidationError):
        services.support(again, proposal)
    assert Support.objects.filter(contribution=proposal).count() == 1


def test_support_given_online_can_be_taken_back_while_the_consultation_is_open(world):
    city, r = world
    ann = services.join(r["open"], make_person("u-ann"), display_name="Ann")
    bob = services.join(r["open"], make_person("u-bob"), display_name="Bob")
    cat = services.join(r["open"], make_person("u-cat"), display_name="Cat")
    green = services.contribute(ann, "Paint the lanes green.", kind="proposal", title="Green lanes")
    wide = services.contribute(ann, "Make the lanes two metres wide.", kind="proposal", title="Wide lanes")
    for person in (bob, cat):
        services.support(person, green)
        services.support(person, wide)
    # the consultation now takes responses by post only: no new support online, but what was given can go
    actions.update(r["open"], channels=["post"])
    r["open"].refresh_from_db()
    services.withdraw_support(cat, green)
    with pytest.raises(ValidationError, match="offline only"):
        services.support(cat, green)
    assert services.withdraw_support(bob, green) is True
    assert services.withdraw_support(bob, green) is False  # nothing left to take back
    assert not Support.objects.filter(contribution=green).exists()
    # a proposal the moderators hid meanwhile: one's support for it is still one's own to take back
    moderator = make_person("u-mod")
    grant(moderator, "contributor", city=city, organisation=r["council"])
    services.hide(wide, moderator, "Repeats another proposal")
    assert services.withdraw_support(bob, wide) is True
    # only one's own support goes
    assert list(Support.objects.values_list("participant__display_name", "contribution__title")) == [
        ("Cat", "Wide lanes")]


def test_support_cannot_be_taken_back_once_the_consultation_has_closed(world):
    city, r = world
    ann = services.join(r["open"], make_person("u-ann"), display_name="Ann")
    bob = services.join(r["open"], make_person("u-bob"), display_name="Bob")
    green = services.contribute(ann, "Paint the lanes green.", kind="proposal", title="Green lanes")
    services.support(bob, green)
    actions.update(r["open"], channels=["post"])
    services.close_consultation(r["open"])
    bob.refresh_from_db()
    with pytest.raises(ValidationError, match="not open for contributions"):
        services.withdraw_support(bob, green)
    assert Support.objects.filter(contribution=green, participant=bob).exists()


def test_display_names_are_not_account_identifiers(world):
    city, r = world
    ann = make_person("u-ann", email="ann.smith@mail.example.org")
    for name in ["u-ann", "ANN.SMITH", "ann.smith@mail.example.org", "me@elsewhere.org"]:
        with pytest.raises(ValidationError) as err:
            services.join(r["open"], ann, display_name=name)
        assert "display_name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.join(r["open"], ann, display_name="Ann", district="Atlantis")
    assert "district" in err.value.message_dict


def test_draft_and_closed_consultations_take_no_contributions(world):
    city, r = world
    ann = make_person("u-ann")
    with pytest.raises(ValidationError):
        services.join(r["draft"], ann, display_name="Ann")
    with pytest.raises(ValidationError, match="not open for contributions"):
        services.join(r["closed"], ann, display_name="Ann")
    p = services.join(r["open"], ann, display_name="Ann")
    services.close_consultation(r["open"])
    with pytest.raises(ValidationError) as err:
        services.contribute(p, "Open on Sundays please")
    assert "not open" in str(err.value)
    assert list(Participant.objects.all()) == [p] and not Contribution.objects.filter(participant=p).exists()


def test_survey_answers_are_all_or_nothing_and_replaced_on_a_second_go(world):
    city, r = world
    p = services.join(r["open"], make_person("u-ann"), display_name="Ann")
    with pytest.raises(ValidationError) as err:
        services.answer_survey(p, {1: "Bike", 2: ["Quay Road", "Nowhere"], 3: 9})
    assert set(err.value.message_dict) == {"q2", "q3"}
    assert not SurveyAnswer.objects.filter(participant=p).exists()
    with pytest.raises(ValidationError) as err:
        services.answer_survey(p, {3: 2})
    assert "q1" in err.value.message_dict  # required
    services.answer_survey(p, {1: "Bike", 2: ["Station Avenue", "Quay Road"], 3: "4", 4: "  More racks "})
    values = {a.question.number: a.value for a in SurveyAnswer.objects.filter(participant=p)}
    assert values == {1: "Bike", 2: ["Quay Road", "Station Avenue"], 3: 4, 4: "More racks"}
    services.answer_survey(p, {1: "Bus"})
    values = {a.question.number: a.value for a in SurveyAnswer.objects.filter(participant=p)}
    assert values == {1: "Bus"}


def test_spam_checks_name_the_field(world):
    city, r = world
    p = services.join(r["open"], make_person("u-ann"), display_name="Ann")
    services.contribute(p, "Cycle lanes on the High Street, please.")
    with pytest.raises(ValidationError) as err:
        services.contribute(p, "cycle lanes on the   high street, please.")
    assert "same text" in err.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as err:
        services.contribute(p, " ".join(f"https://spam.example/{i}" for i in range(4)))
    assert "links" in err.value.message_dict["body"][0]


def test_moderation_hides_with_a_public_reason_and_logs_it(world):
    city, r = world
    author, reporter, mod, outsider = (make_person(f"u-{n}") for n in ("ann", "bob", "mod", "eve"))
    grant(mod, "contributor", city=city, organisation=r["council"])
    p = services.join(r["open"], author, display_name="Ann")
    comment = services.contribute(p, "Something rude about a neighbour")
    services.report(comment, reporter, "Personal attack")
    with pytest.raises(ValidationError):
        services.report(comment, reporter, "Again")
    with pytest.raises(PermissionDenied):
        services.hide(comment, outsider, "Not yours to hide")
    services.hide(comment, mod, "Personal attack on a named resident")
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_reason == "Personal attack on a named resident"
    assert not comment.reports.filter(resolved=False).exists()
    services.restore(comment, mod, "Edited by the author")
    log = list(ModerationEvent.objects.filter(contribution=comment).values_list("action", "reason"))
    assert log == [("restore", "Edited by the author"), ("hide", "Personal attack on a named resident")]
    with pytest.raises(ValidationError):
        log_entry = ModerationEvent.objects.first()
        log_entry.reason = "rewritten"
        log_entry.save()


def test_staff_enter_offline_responses(world):
    city, r = world
    staff = make_person("u-clerk")
    with pytest.raises(PermissionDenied):
        services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Letter 12",
                                        body="Please light the towpath.")
    grant(staff, "contributor", city=city, organisation=r["council"])
    with pytest.raises(ValidationError) as err:
        services.enter_offline_response(r["open"], staff=staff, channel="phone", display_name="Call 3", body="x y")
    assert "channel" in err.value.message_dict
    p = services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Letter 12",
                                        body="Please light the towpath.", answers={1: "On foot"}, district="South")
    assert (p.user, p.channel, p.entered_by, p.district) == (None, "post", staff, "South")
    assert p.contributions.get().body == "Please light the towpath."
    # two letters may well be signed alike, and a name on a letter does not take it from people online
    services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Letter 12", body="Again.")
    services.join(r["open"], make_person("u-twelve"), display_name="Letter 12")


def test_publishing_the_response_closes_the_loop_and_tells_participants(world, django_capture_on_commit_callbacks):
    city, r = world
    ann, bob, cat = make_person("u-ann"), make_person("u-bob"), make_person("u-cat", email="")
    services.join(r["open"], ann, display_name="Ann")
    services.join(r["open"], bob, display_name="Bob", notify=False)
    services.join(r["open"], cat, display_name="Cat")
    response = actions.create(ConsultationResponse, city=city, consultation=r["open"],
                              summary="Most of you asked for Quay Road first.")
    with pytest.raises(ValidationError):
        services.publish_response(r["open"])  # no item yet
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="Quay Road first",
                   we_did="Quay Road is now first in the sensor pilot.", outcome="changed",
                   record_type="strategy.Initiative", record_key="sensor-pilot")
    with pytest.raises(ValidationError):
        services.publish_response(r["open"])  # still open
    services.close_consultation(r["open"])
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_response(r["open"])
    r["open"].refresh_from_db()
    assert r["open"].status == "responded"
    assert [m.to for m in mail.outbox] == [["u-ann@mail.example.org"]]
    assert "Quay Road first" not in mail.outbox[0].subject and "Safer cycle lanes" in mail.outbox[0].subject
    assert "/riverford/consultations/cycle-lanes/" in mail.outbox[0].body
    # publishing it again (a re-run, an action selected twice) tells nobody a second time
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_response(r["open"])
    assert mail.outbox == []


def _responded(city, r, django_capture_on_commit_callbacks):
    """Close ``cycle-lanes`` and publish its response (one item), running the e-mails it sends."""
    response = actions.create(ConsultationResponse, city=city, consultation=r["open"],
                              summary="Most of you asked for Quay Road first.")
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="Quay Road first",
                   we_did="Quay Road is now first in the sensor pilot.", outcome="changed",
                   record_type="strategy.Initiative", record_key="sensor-pilot")
    services.close_consultation(r["open"])
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_response(r["open"])
    return {m.to[0]: m for m in mail.outbox}


def test_each_participant_is_told_in_the_language_they_took_part_in(world, django_capture_on_commit_callbacks):
    city, r = world
    services.join(r["open"], make_person("u-fleur"), display_name="Fleur", language="fr-CA")
    services.join(r["open"], make_person("u-ed"), display_name="Ed", language="en")
    services.join(r["open"], make_person("u-vera"), anonymous=True, language="fr")
    services.join(r["open"], make_person("u-dirk"), display_name="Dirk", language="de")  # not a site language
    services.join(r["open"], make_person("u-old"), display_name="Olga")  # took part before languages were kept
    assert dict(Participant.objects.values_list("display_name", "language")) == {
        "Fleur": "fr", "Ed": "en", "": "fr", "Dirk": "", "Olga": ""}
    # whoever publishes it, in whatever language their own page is
    with translation.override("fr"):
        sent = _responded(city, r, django_capture_on_commit_callbacks)
    fleur, vera = sent["u-fleur@mail.example.org"], sent["u-vera@mail.example.org"]
    nbsp, site = "\N{NO-BREAK SPACE}", settings.CITYLINE_SITE_URL.rstrip("/")  # French typography: as catalogued
    assert fleur.subject == f"Riverford a répondu{nbsp}: Safer cycle lanes"
    assert fleur.body.startswith(f"Bonjour Fleur,\n\nVous avez participé à la consultation «{nbsp}Safer cycle lanes")
    assert "Most of you asked for Quay Road first." in fleur.body  # the city's words, as written
    assert f"Lire la réponse complète{nbsp}: {site}/fr/riverford/consultations/cycle-lanes/" in fleur.body
    assert fleur.extra_headers["Content-Language"] == "fr" and fleur.message()["Content-Language"] == "fr"
    assert vera.body.startswith("Bonjour Participant vérifié,")
    for address in ("u-ed@mail.example.org", "u-dirk@mail.example.org", "u-old@mail.example.org"):
        english = sent[address]
        assert english.subject == "Riverford has responded: Safer cycle lanes"
        assert "You took part in the consultation “Safer cycle lanes”" in english.body
        assert f"Read the full response: {site}/riverford/consultations/cycle-lanes/" in english.body
        assert english.extra_headers["Content-Language"] == "en"


def test_without_a_language_of_their_own_people_are_written_to_in_the_sites(world):
    from cityline.participation import notify

    city, r = world
    old = services.join(r["open"], make_person("u-old"), display_name="Olga")
    with override_settings(LANGUAGE_CODE="fr"):
        assert notify.reader_language(old) == "fr"
    # saving the profile again from a face that does not know the page's language keeps the one stored
    fleur = services.join(r["open"], make_person("u-fleur"), display_name="Fleur", language="fr")
    fleur = services.join(r["open"], fleur.user, display_name="Fleur B.")
    assert (fleur.display_name, fleur.language) == ("Fleur B.", "fr")
    fleur = services.join(r["open"], fleur.user, display_name="Fleur B.", language="en")
    assert fleur.language == "en"


def test_a_response_item_names_a_real_record_and_change(world):
    city, r = world
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"], summary="Thanks.")
    with pytest.raises(ValidationError) as err:
        actions.create(ResponseItem, city=city, response=response, number=1, you_said="a", we_did="b",
                       outcome="changed", record_type="strategy.Initiative", record_key="nope")
    assert "no strategy.Initiative with the key nope" in str(err.value)
    with pytest.raises(ValidationError) as err:
        actions.create(ResponseItem, city=city, response=response, number=1, you_said="a", we_did="b",
                       outcome="not_changed")
    assert "reason" in err.value.message_dict
    from cityline.strategy.models import Initiative

    wifi = Initiative.objects.get(city=city, key="library-wifi")
    wifi = actions.update(wifi, description="Open until 9 pm on weekdays.", reason="You said, we did")
    change = wifi.history.order_by("-history_date").first()
    item = actions.create(ResponseItem, city=city, response=response, number=1, you_said="Later hours",
                          we_did="Longer hours", outcome="changed", record_type="strategy.Initiative",
                          record_key="library-wifi", change_id=change.history_id)
    from cityline.participation.records import find_record, public_change

    shown = public_change(find_record(city.pk, item.record_type, item.record_key), item.change_id)
    assert {"field": "description", "before": "", "after": "Open until 9 pm on weekdays."} in shown["fields"] \
        or any(f["field"] == "description" and f["after"] == "Open until 9 pm on weekdays." for f in shown["fields"])


def test_display_names_cannot_pass_for_a_label_of_the_site_or_another_participant(world):
    city, r = world
    services.join(r["open"], make_person("u-ann"), display_name="Ann from the Quay")
    eve = make_person("u-eve")
    for name in ["Verified participant", "former  PARTICIPANT", "Participant vérifié", "ann from the quay",
                 " Ann  from the Quay "]:
        with pytest.raises(ValidationError) as err:
            services.join(r["open"], eve, display_name=name)
        assert "display_name" in err.value.message_dict, name
    services.join(r["open"], eve, display_name="Eve from the Quay")
    # one's own name is kept on a second go, and the same name in another consultation is someone else's business
    services.join(r["open"], eve, display_name="Eve from the Quay", district="North")
    actions.update(r["closed"], status="open", closes_on=timezone.localdate() + timedelta(days=5))
    services.join(r["closed"], make_person("u-ann2"), display_name="Ann from the Quay")
    staff = make_person("u-clerk")
    grant(staff, "contributor", city=city, organisation=r["council"])
    with pytest.raises(ValidationError) as err:
        services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Verified participant")
    assert "display_name" in err.value.message_dict
    # a letter signed as someone online is entered as signed (staff copy what people wrote; two may sign alike)
    services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Eve from the quay")


def test_an_offline_only_consultation_takes_no_contribution_on_the_site(world):
    city, r = world
    ann = services.join(r["open"], make_person("u-ann"), display_name="Ann")
    actions.update(r["open"], channels=["post"])
    with pytest.raises(ValidationError, match="offline only"):
        services.join(r["open"], make_person("u-bob"), display_name="Bob")
    for act in (lambda: services.contribute(ann, "Posted online anyway."),
                lambda: services.answer_survey(ann, {1: "Bike"})):
        with pytest.raises(ValidationError, match="offline only"):
            act()
    assert not Contribution.objects.exists() and not SurveyAnswer.objects.exists()
    staff = make_person("u-clerk")
    grant(staff, "contributor", city=city, organisation=r["council"])
    p = services.enter_offline_response(r["open"], staff=staff, channel="post", display_name="Letter 1",
                                        body="Light the towpath please.", answers={1: "On foot"})
    assert p.contributions.count() == 1 and p.answers.count() == 1


def test_a_participant_manages_their_profile_whatever_the_channels_and_once_closed(world):
    city, r = world
    ann = make_person("u-ann")
    p = services.join(r["open"], ann, display_name="Ann", district="North", party_category="beneficiary",
                      segment=r["segment"])
    actions.update(r["open"], channels=["post"])
    # no longer online: the participant still changes their profile; nobody new joins on the site
    p = services.join(r["open"], ann, display_name="Ann Q", district="South", party_category="beneficiary",
                      segment=r["segment"], notify=False)
    assert (p.display_name, p.district, p.notify) == ("Ann Q", "South", False)
    with pytest.raises(ValidationError, match="offline only"):
        services.join(r["open"], make_person("u-bob"), display_name="Bob")
    services.close_consultation(r["open"])
    # closed: the name and the e-mail at the response are still theirs; what they declared stays as counted
    p = services.join(r["open"], ann, display_name="Ann R", district="South", party_category="beneficiary",
                      segment=r["segment"], notify=True, language="fr")
    assert (p.display_name, p.notify, p.language) == ("Ann R", True, "fr")
    for change, field in ((dict(district="North"), "district"), (dict(party_category="consumer"), "party_category"),
                          (dict(segment=None), "segment")):
        kwargs = {"display_name": "Ann S", "district": "South", "party_category": "beneficiary",
                  "segment": r["segment"], "notify": False, **change}
        with pytest.raises(ValidationError) as err:
            services.join(r["open"], ann, **kwargs)
        assert list(err.value.message_dict) == [field] and "no longer changes" in err.value.messages[0]
    p.refresh_from_db()  # nothing of a refused change is kept
    assert (p.display_name, p.notify, p.district, p.party_category, p.segment) == (
        "Ann R", True, "South", "beneficiary", r["segment"])
    with pytest.raises(ValidationError, match="not open for contributions"):
        services.join(r["open"], make_person("u-cat"), display_name="Cat")
    assert Participant.objects.count() == 1


def test_a_verified_participant_stays_one_when_the_consultation_no_longer_offers_it(world):
    city, r = world
    vera = make_person("u-vera")
    services.join(r["open"], vera, anonymous=True)
    actions.update(r["open"], allows_anonymous=False)
    p = services.join(r["open"], vera, anonymous=True, notify=False)
    assert p.anonymous and not p.notify
    with pytest.raises(ValidationError) as err:
        services.join(r["open"], make_person("u-wim"), anonymous=True)
    assert "anonymous" in err.value.message_dict


def test_closed_on_is_set_on_closing_cleared_on_reopening_and_only_a_closed_consultation_has_one(world):
    city, r = world
    today = timezone.localdate()
    with pytest.raises(ValidationError) as err:
        actions.update(r["open"], closed_on=today - timedelta(days=3))
    assert "closed_on" in err.value.message_dict
    r["open"].refresh_from_db()
    actions.update(r["open"], status="closed")  # as the API does: no day given
    r["open"].refresh_from_db()
    assert r["open"].closed_on == today
    actions.update(r["open"], closes_on=today + timedelta(days=7))
    services.open_consultation(r["open"])
    r["open"].refresh_from_db()
    assert (r["open"].status, r["open"].closed_on) == ("open", None)
    services.close_consultation(r["open"], on=today - timedelta(days=1))
    r["open"].refresh_from_db()
    assert r["open"].closed_on == today - timedelta(days=1)
    # a closed consultation without its day (as a pack may state it) is not given today's at a later save
    actions.update(r["open"], status="open", closed_on=None)
    token = importer._importing.set(True)
    try:
        actions.update(r["open"], status="closed")
    finally:
        importer._importing.reset(token)
    actions.update(r["open"], title="Towpath lighting (corrected)")
    r["open"].refresh_from_db()
    assert (r["open"].status, r["open"].closed_on) == ("closed", None)
