"""A city with consultations, for tests of the participation area (B1.b, B2.g, B3).

``make_participation_city()`` returns ``(city, r)`` built on the strategy test city (Riverford):
participation settings (districts North, South, Centre; threshold 5; anonymous allowed), a
customer segment ``older-residents``, and

- ``r["open"]``: consultation ``cycle-lanes`` (open, about the vision objective ``co2`` and the
  initiative ``sensor-pilot``; online and by post) with three survey questions: 1 single choice
  (required), 2 multiple choice, 3 scale 1-5, 4 free text;
- ``r["draft"]``: consultation ``draft-plan`` (draft);
- ``r["closed"]``: consultation ``library-hours`` (closed yesterday, about ``library-wifi``).

``make_person(name)`` creates a signed-up resident with an e-mail address.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from cityline.core import actions
from cityline.core.models import Organisation

from .models import Consultation, ParticipationSettings, SurveyQuestion


def make_person(username: str, *, email: str | None = None):
    return get_user_model().objects.create_user(username, email=f"{username}@mail.example.org" if email is None else email,
                                                password="not-used-in-tests")


def make_participation_city(key: str = "riverford"):
    from cityline.citizen_services.models import CustomerSegment
    from cityline.strategy import models as sm
    from cityline.strategy.tests.factories import make_strategy_city

    city = make_strategy_city(key=key)
    today = timezone.localdate()
    r: dict = {"city": city, "council": Organisation.objects.get(city=city, key="council")}
    r["settings"] = actions.create(ParticipationSettings, city=city, districts=["North", "South", "Centre"],
                                   small_count_threshold=5, response_target_days=60,
                                   allows_verified_anonymous=True)
    r["segment"] = actions.create(CustomerSegment, city=city, key="older-residents", name="Older residents")
    r["open"] = actions.create(
        Consultation, city=city, key="cycle-lanes", title="Safer cycle lanes", organiser=r["council"],
        question="Which streets should get protected cycle lanes first?",
        background="Transport emissions must halve by 2030.", opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=20), audiences=["beneficiary", "consumer"], channels=["online", "post"],
        allows_anonymous=True,
        m2m={"vision_objectives": [sm.VisionObjective.objects.get(city=city, key="co2")],
             "initiatives": [sm.Initiative.objects.get(city=city, key="sensor-pilot")],
             "segments": [r["segment"]]})
    actions.update(r["open"], status="open")
    questions = [
        dict(number=1, text="How do you usually travel?", kind="single", options=["Bike", "Bus", "Car", "On foot"],
             required=True),
        dict(number=2, text="Which streets matter most to you?", kind="multiple",
             options=["High Street", "Quay Road", "Station Avenue"]),
        dict(number=3, text="How safe do you feel cycling today?", kind="scale", scale_min=1, scale_max=5,
             scale_min_label="Not safe", scale_max_label="Very safe"),
        dict(number=4, text="Anything else?", kind="text"),
    ]
    r["questions"] = [actions.create(SurveyQuestion, city=city, consultation=r["open"], **q) for q in questions]
    r["draft"] = actions.create(
        Consultation, city=city, key="draft-plan", title="Draft plan (not public)", organiser=r["council"],
        question="What should the next plan say?", opens_on=today + timedelta(days=30),
        closes_on=today + timedelta(days=60), channels=["online"])
    r["closed"] = actions.create(
        Consultation, city=city, key="library-hours", title="Library opening hours", organiser=r["council"],
        question="When should libraries open?", opens_on=today - timedelta(days=40),
        closes_on=today - timedelta(days=1), channels=["online", "in_person"],
        m2m={"initiatives": [sm.Initiative.objects.get(city=city, key="library-wifi")]})
    actions.update(r["closed"], status="open")
    actions.update(r["closed"], status="closed", closed_on=today - timedelta(days=1))
    return city, r
