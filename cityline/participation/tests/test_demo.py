"""The demo city's participation: consultations on its vision and three roadmap initiatives, synthetic people
(deterministic, idempotent) and published responses whose items point at real changes (B1.b, B2.g, B3)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from cityline.participation import models as m
from cityline.participation.demo import RESIDENTS, seed_participation
from cityline.participation.records import find_record, public_change

pytestmark = pytest.mark.django_db


def _personal_state(city) -> dict:
    return {
        "participants": list(m.Participant.objects.filter(city=city).order_by("consultation__key", "pk").values_list(
            "consultation__key", "user__username", "display_name", "anonymous", "party_category", "segment__key",
            "district", "channel", "joined_at")),
        "contributions": list(m.Contribution.objects.filter(city=city).order_by("pk").values_list(
            "consultation__key", "kind", "title", "body", "hidden", "created_at", "parent__body")),
        "supports": m.Support.objects.filter(city=city).count(),
        "answers": sorted((a.question.number, repr(a.value)) for a in
                          m.SurveyAnswer.objects.filter(city=city).select_related("question")),
    }


def test_demo_participation(demo_city):
    city = demo_city
    consultations = {c.key: c for c in m.Consultation.objects.filter(city=city)}
    # the vision and three roadmap initiatives, in every state but draft
    assert consultations["vision-2035-refresh"].vision_objectives.count() == 3
    initiatives = {i.key for c in consultations.values() for i in c.initiatives.all()}
    assert {"smart-lighting-rollout", "inclusion-hubs-rollout", "flood-early-warning"} <= initiatives
    states = {k: c.status for k, c in consultations.items()}
    assert states == {"vision-2035-refresh": "responded", "smart-street-lighting": "responded",
                      "inclusion-hubs-next": "open", "flood-warning-alerts": "closed"}
    assert consultations["inclusion-hubs-next"].closes_on.isoformat() >= "2027-03-31"
    assert m.EngagementKpiFeed.objects.get(city=city).kpi.key == "consultations-responded-in-60-days"

    staff = get_user_model().objects.create_user("editor-for-test", password="x")
    report = seed_participation(city, staff=staff)
    assert report.participants > 500 and report.contributions > 100 and report.changes == 2
    first = _personal_state(city)

    # every "changed" item of a published response points at the real change, with its before and after
    for item in m.ResponseItem.objects.filter(city=city, outcome="changed"):
        assert item.response.status == "published"
        record = find_record(city.pk, item.record_type, item.record_key)
        shown = public_change(record, item.change_id)
        assert shown is not None and shown["reason"].startswith("You said, we did: ")
        assert shown["fields"], item
    target = find_record(city.pk, "strategy.VisionObjective", "sustainable-trips")
    assert target.target_value == 60
    change = public_change(target, m.ResponseItem.objects.get(record_key="sustainable-trips").change_id)
    assert {"field": "target_value", "before": "55", "after": "60"} in change["fields"]

    # people: synthetic accounts without e-mail or usable password, display names that are not user names
    residents = get_user_model().objects.filter(username__startswith="resident-")
    assert residents.count() == RESIDENTS
    assert not residents.exclude(email="").exists() and not any(u.has_usable_password() for u in residents[:20])
    participants = m.Participant.objects.filter(city=city)
    assert not participants.filter(display_name__startswith="resident-").exists()
    assert participants.filter(channel="post", user__isnull=True, entered_by=staff).count() == 2
    assert participants.filter(anonymous=True).exists()
    by_category = dict(participants.values_list("party_category").annotate(n=Count("pk")))
    assert by_category["beneficiary"] > by_category.get("investor", 0) > 0
    assert len(set(participants.exclude(district="").values_list("district", flat=True))) == 10
    hidden = m.Contribution.objects.get(city=city, hidden=True)
    assert hidden.hidden_reason and hidden.moderation.filter(action="hide").exists()
    assert m.Contribution.objects.filter(city=city, parent__isnull=False).exists()
    assert m.Support.objects.filter(city=city).exists()
    open_answers = m.SurveyAnswer.objects.filter(question__consultation__key="inclusion-hubs-next")
    assert open_answers.count() > 50

    # idempotent: a second run adds nothing and changes nothing
    again = seed_participation(city, staff=staff)
    assert (again.participants, again.contributions, again.changes) == (0, 0, 0)
    assert _personal_state(city) == first
    assert residents.count() == RESIDENTS


def test_seed_is_deterministic(demo_city):
    """The same people say the same things on every run (so the demo and its screenshots are stable)."""
    from django.db import transaction

    city = demo_city
    with transaction.atomic():
        seed_participation(city)
        first = _personal_state(city)
        transaction.set_rollback(True)
    seed_participation(city)
    assert _personal_state(city) == first
