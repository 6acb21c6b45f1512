"""A participation city with past consultations and people in them, for the metrics and open data tests.

``make_metrics_world()`` returns ``(city, r)``: the test city of
:func:`cityline.participation.testing.make_participation_city` plus

- ``r["q1"]``: consultation ``bus-routes``, closed 10 Feb 2025, response published 1 Mar 2025 (19 days):
  12 online participants (North 7, South 3, no district 2; 7 residents, 5 consumer) and 2 by post,
  comments, a reply, a proposal with supports, a hidden comment, survey answers (question 1: Bike 8,
  Bus 4, Car 2; free text written with a name in it);
- ``r["q2"]``: consultation ``park-plan``, closed 20 May 2025, no response (so late once 60 days pass):
  6 online participants, all in Centre.

Online participants are signed-up people named ``Resident NN`` with e-mail addresses
``resident-NN@mail.example.org`` (for the no-leak tests).
"""

from __future__ import annotations

from datetime import date

from cityline.core import actions
from cityline.participation import services
from cityline.participation.models import (
    Consultation,
    ConsultationResponse,
    Contribution,
    Participant,
    ResponseItem,
    Support,
    SurveyAnswer,
    SurveyQuestion,
)
from cityline.participation.testing import make_participation_city, make_person

FREE_TEXT = "Ask my neighbour Harriet Quill, she cycles daily"


def add_people(consultation, n, *, start=1, district="", channel="online", party_category="", prefix="Resident"):
    people = []
    for i in range(start, start + n):
        user = make_person(f"resident-{consultation.key}-{i:02d}") if channel == "online" else None
        people.append(Participant.objects.create(
            city=consultation.city, consultation=consultation, user=user, display_name=f"{prefix} {i:02d}",
            district=district, channel=channel, party_category=party_category))
    return people


def closed_consultation(city, organiser, key, title, opens_on, closes_on):
    c = actions.create(Consultation, city=city, key=key, title=title, organiser=organiser,
                       question=f"What about {title.lower()}?", opens_on=opens_on, closes_on=closes_on,
                       channels=["online", "post"])
    actions.update(c, status="open")
    return actions.update(c, status="closed", closed_on=closes_on)


def respond(consultation, on):
    response = actions.create(ConsultationResponse, city=consultation.city, consultation=consultation,
                              summary="Many asked for more buses in the evening.")
    actions.create(ResponseItem, city=consultation.city, response=response, number=1,
                   you_said="Run buses later in the evening.", we_did="Route 4 now runs until midnight.",
                   outcome="changed")
    # ``reason`` is a field of the item here, not the history note of actions.create
    actions.save(ResponseItem(city=consultation.city, response=response, number=2, you_said="Make buses free.",
                              we_did="Fares stay as they are.", outcome="not_changed",
                              reason="The budget does not allow it this year."))
    return services.publish_response(consultation, on=on, notify=False)


def make_metrics_world(key: str = "riverford"):
    city, r = make_participation_city(key)
    council = r["council"]
    q1 = r["q1"] = closed_consultation(city, council, "bus-routes", "Bus routes", date(2025, 1, 10),
                                       date(2025, 2, 10))
    question = actions.create(SurveyQuestion, city=city, consultation=q1, number=1, text="How do you travel?",
                              kind="single", options=["Bike", "Bus", "Car"])
    free = actions.create(SurveyQuestion, city=city, consultation=q1, number=2, text="Anything else?", kind="text")
    online = (add_people(q1, 7, district="North", party_category="beneficiary")
              + add_people(q1, 3, start=8, district="South", party_category="consumer")
              + add_people(q1, 2, start=11, party_category="consumer"))
    add_people(q1, 2, start=13, channel="post", prefix="Letter")
    for i, p in enumerate(online):
        SurveyAnswer.objects.create(city=city, question=question, participant=p,
                                    value="Bike" if i < 8 else ("Bus" if i < 12 else "Car"))
    posted = Participant.objects.filter(consultation=q1, channel="post")
    for p in posted:
        SurveyAnswer.objects.create(city=city, question=question, participant=p, value="Car")
    SurveyAnswer.objects.create(city=city, question=free, participant=online[0], value=FREE_TEXT)
    first = Contribution.objects.create(city=city, consultation=q1, participant=online[0], kind="comment",
                                        body="More evening buses please.")
    Contribution.objects.create(city=city, consultation=q1, participant=online[1], kind="comment", parent=first,
                                body="Agreed, especially on Sundays.")
    proposal = Contribution.objects.create(city=city, consultation=q1, participant=online[2], kind="proposal",
                                           title="Night bus", body="A night bus on route 4.")
    Contribution.objects.create(city=city, consultation=q1, participant=online[3], kind="comment",
                                body="Rude words", hidden=True, hidden_reason="Abusive language")
    for p in online[4:9]:
        Support.objects.create(city=city, contribution=proposal, participant=p)
    respond(q1, date(2025, 3, 1))
    q2 = r["q2"] = closed_consultation(city, council, "park-plan", "Park plan", date(2025, 4, 1), date(2025, 5, 20))
    add_people(q2, 6, district="Centre")
    return city, r
