"""Synthetic participation for the demo city: people, what they said, and the changes that closed the loop.

The city pack holds the consultations and the published responses (``participation.yaml``); the
people taking part never travel in a pack, so :func:`seed_participation` makes them up:
synthetic resident accounts (``resident-0042``, unusable passwords, no e-mail address) with
invented display names and self-declared profiles, their comments, replies, proposals, supports
and survey answers, a few responses that came by post, and one contribution the moderators hid.

For each published response, the change its items name is applied to the real record through
:mod:`cityline.core.actions` (reason "You said, we did: ...") and the item points at that entry of
the record's history, so the demo shows the before and after.

Deterministic (one ``random.Random`` with a fixed seed, fixed timestamps) and idempotent: a second
run finds what the first made and adds nothing. Personal records are bulk-created, so ``cityline
demo`` stays quick.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from cityline.core import actions

from .choices import ContributionKind, ModerationAction, ResponseChannel
from .models import (
    Consultation,
    Contribution,
    ModerationEvent,
    Participant,
    ResponseItem,
    Support,
    SurveyAnswer,
)

SEED = 37106
#: Synthetic residents taking part (user names resident-0001 …).
RESIDENTS = 320
USERNAME = "resident-{:04d}"

FIRST_NAMES = [
    "Ada", "Bryn", "Cerys", "Dev", "Ebo", "Fen", "Gwen", "Hal", "Ines", "Jory", "Kit", "Lior", "Maren", "Nell",
    "Oki", "Pia", "Quill", "Rhys", "Sunniva", "Tam", "Ula", "Vero", "Wren", "Xan", "Yara", "Zeb", "Anouk", "Bram",
    "Calla", "Dara", "Edda", "Finch", "Greer", "Hollis", "Ilsa", "Jem", "Kenna", "Lark", "Mika", "Noor",
]
INITIALS = "ABCDEFGHJKLMNPRSTVW"

#: Who people say they take part as (interested-party category; "" = not said), with weights.
PARTY_WEIGHTS = [("beneficiary", 55), ("consumer", 18), ("", 15), ("promoter", 5), ("investor", 3), ("external", 4)]
SEGMENT_WEIGHTS = [("", 40), ("older-people", 14), ("young-families", 12), ("commuters", 12), ("new-residents", 7),
                   ("carers", 6), ("disabled-people", 5), ("new-businesses", 4)]
#: Wards weighted roughly by how many people took part there (the riverside wards less, as in real life).
DISTRICT_WEIGHTS = [("", 20), ("City Centre", 9), ("Eastbank", 6), ("Harbour", 5), ("Kester Vale", 10),
                    ("Northgate", 11), ("Old Docks", 6), ("Quayside", 8), ("Riverside", 7), ("Southmoor", 9),
                    ("Westfield", 12)]

COMMENTS = {
    "vision-2035-refresh": [
        "Healthy life expectancy should stay the first objective: the gap between Eastbank and Westfield is shameful.",
        "Fifty-five per cent of trips is what we nearly do already in the centre. Aim higher.",
        "The vision should say more about young people and what jobs they can expect.",
        "Please measure progress ward by ward, not as a city average.",
        "I help my neighbours with their phones every week. Nobody counts that.",
        "Flooding is the biggest risk to my home and I would like the vision to say so first.",
        "Good to be asked again. Please tell us what changes because of it.",
        "Buses in Kester Vale stop at 7 pm. No target will be met without evening buses.",
        "The digital skills target is fine but libraries need to stay open to meet it.",
        "I would like to see the vision talk about clean air near schools.",
    ],
    "smart-street-lighting": [
        "I walk home from the hospital at 2 am. Please do not dim the path along Quay Road.",
        "Dimming after midnight is fine on my street; nobody is about.",
        "Bus stops must stay bright, especially in winter.",
        "The riverside path is too bright now; the birds on the mudflats need the dark.",
        "Please ask the police where people feel unsafe before choosing where to dim.",
        "My mother is partially sighted and needs steady, even light on her street.",
        "Save the money and put it into fixing the pavements.",
        "Will the new lights be warmer in colour? The white ones are harsh.",
        "I work nights at the port. The walk from the gate to the bus needs full light.",
        "Great idea if it cuts the council's energy bill.",
    ],
    "inclusion-hubs-next": [
        "The library in Northgate is always full on Tuesdays; we need a second place nearby.",
        "A hub in the GP surgery would reach people who never go to the library.",
        "Please keep the phone line: my dad will never use a website.",
        "Help with online banking scams would be the most useful thing for older people.",
        "Southmoor has no library since 2019. Put a hub in the community centre there.",
        "Volunteers at the Old Docks hub were brilliant with my tax form.",
        "Evening sessions please, for people who work during the day.",
        "Loan laptops for school children would make a big difference in Eastbank.",
    ],
    "flood-warning-alerts": [
        "A text message in the night is the only thing that would wake me.",
        "My neighbour is deaf: a flashing alarm or a knock on the door is needed.",
        "Twelve hours' warning would let us move stock upstairs in the shop.",
        "The winter pilot alerts were clear and early. Keep them like that.",
        "Please send alerts in Polish and Portuguese as well as English.",
        "Tell us when the danger is over, not only when it starts.",
        "Businesses on the quay need a phone call, not an app.",
    ],
}
PROPOSALS = {
    "vision-2035-refresh": [
        ("Raise the sustainable travel target to 60 %",
         "Most trips in the centre are already on foot or by bus. 60 % by 2032 is reachable with evening buses."),
        ("Count digital champions in the digital skills objective",
         "People who help others online should be recognised and trained as part of the objective."),
        ("Bring the vision forward to 2030",
         "2035 is too far away for anyone to be held to account for it."),
    ],
    "smart-street-lighting": [
        ("Full brightness on shift workers' routes",
         "Keep lights bright on the routes from the port and the hospital to the bus stops all night."),
        ("Switch off after 1 am",
         "Turn lights off completely in residential streets after 1 am to save the most energy."),
        ("A map of broken lights",
         "Let people report a broken light on a map and see when it will be fixed."),
    ],
    "inclusion-hubs-next": [
        ("A hub in every GP surgery",
         "People already go to the surgery; a volunteer there once a week would reach those who need it most."),
        ("Reopen Southmoor library as a hub",
         "The old library building is empty. It could host a hub, a job club and a homework club."),
    ],
    "flood-warning-alerts": [
        ("A door-knocking rota for people who need it",
         "Volunteers and wardens could knock on the doors of people who cannot receive alerts by phone."),
        ("Alerts in the languages people speak",
         "Send each alert in the language a household chose when it signed up."),
    ],
}
REPLIES = [
    "Agreed, this matters a lot on our street too.",
    "I see it differently: the cost has to come from somewhere.",
    "Thanks for raising this. Same experience here.",
    "Good point, but what about people who cannot get there?",
    "Yes, and please publish what was decided.",
]
TEXT_ANSWERS = [
    "The community centre on Mill Lane: it is on the bus route and has a lift.",
    "Northgate library, but on Saturdays too.",
    "The church hall in Southmoor, where the food bank is.",
    "Eastbank leisure centre, everyone goes there.",
    "Somewhere near the station for people commuting.",
]

#: The participants of each consultation, and the window their contributions fall in (fixed dates: deterministic).
PLAN = {
    "vision-2035-refresh": (190, date(2026, 2, 2), date(2026, 3, 29)),
    "smart-street-lighting": (140, date(2026, 5, 18), date(2026, 7, 12)),
    "inclusion-hubs-next": (85, date(2026, 11, 2), date(2026, 11, 26)),
    "flood-warning-alerts": (120, date(2026, 9, 7), date(2026, 11, 15)),
}

HIDDEN_REASON = "Removed by the moderators: it named a private individual and made claims about them."
HIDDEN_TEXT = "The man at number 14 Harbour Street leaves his lights on all night and should be fined, ask him."

POSTAL = {
    "vision-2035-refresh": [
        ("Mrs D. (by post)", "I have no computer. Please keep the buses to the hospital; that matters most to me.",
         {1: "Healthier lives in every ward", 3: 3}),
    ],
    "flood-warning-alerts": [
        ("R. T. (by post)", "A phone call to my landline please, I do not have a mobile.",
         {1: ["Phone call"], 2: "Three hours"}),
    ],
}

#: The real change each "changed" item of a published response names: (consultation, item number) ->
#: (field values to set on the record).
CHANGES = {
    ("vision-2035-refresh", 1): {"target_value": Decimal("60")},
    ("smart-street-lighting", 1): {
        "description": "Smart LED lanterns on central management across the city. Following the 2026 "
                       "consultation, bus stops, paths to the hospital and stations, shopping streets and the "
                       "port's shift routes stay at full brightness all night; residential streets dim to half "
                       "from midnight.",
    },
}


def _weighted(rng: random.Random, weights: list[tuple[str, int]]) -> str:
    values, w = zip(*weights)
    return rng.choices(values, weights=w, k=1)[0]


def _moment(rng: random.Random, start: date, end: date) -> datetime:
    days = max(0, (end - start).days)
    day = start + timedelta(days=rng.randint(0, days))
    return datetime.combine(day, time(rng.randint(7, 22), rng.randint(0, 59)), tzinfo=dt_timezone.utc)


def _residents() -> list:
    """The synthetic resident accounts, created once (no e-mail address, no usable password)."""
    User = get_user_model()
    names = [USERNAME.format(i) for i in range(1, RESIDENTS + 1)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [User(username=n, password=f"{UNUSABLE_PASSWORD_PREFIX}synthetic-demo-resident", email="")
               for n in names if n not in existing]
    if missing:
        User.objects.bulk_create(missing)
    by_name = {u.username: u for u in User.objects.filter(username__in=names)}
    return [by_name[n] for n in names]


@dataclass
class SeedReport:
    participants: int = 0
    contributions: int = 0
    supports: int = 0
    answers: int = 0
    changes: int = 0


def _answers(rng: random.Random, questions) -> dict:
    out = {}
    for q in questions:
        if rng.random() < 0.12 and not q.required:
            continue
        if q.kind == "single":
            # earlier options a little more popular, so the live results are not flat
            out[q] = rng.choices(q.options, weights=list(range(len(q.options) + 1, 1, -1)), k=1)[0]
        elif q.kind == "multiple":
            picked = {o for o in q.options if rng.random() < 0.4} or {rng.choice(q.options)}
            out[q] = [o for o in q.options if o in picked]
        elif q.kind == "scale":
            points = list(range(q.scale_min, q.scale_max + 1))
            out[q] = rng.choices(points, weights=[1, 2, 4, 3, 2] if len(points) == 5 else None, k=1)[0]
        elif rng.random() < 0.3:
            out[q] = rng.choice(TEXT_ANSWERS)
    return out


def _seed_people(city, consultation: Consultation, rng: random.Random, residents: list, staff, report: SeedReport):
    total, start, end = PLAN[consultation.key]
    from cityline.citizen_services.models import CustomerSegment

    segments = {s.key: s for s in CustomerSegment.objects.filter(city=city)}
    people = rng.sample(residents, total)
    rows = []
    for user in people:
        channel = _weighted(rng, [(ResponseChannel.ONLINE, 90), (ResponseChannel.IN_PERSON, 10)])
        if channel not in consultation.channels:
            channel = ResponseChannel.ONLINE
        anonymous = consultation.allows_anonymous and rng.random() < 0.08
        segment = segments.get(_weighted(rng, SEGMENT_WEIGHTS))
        rows.append(Participant(
            city=city, consultation=consultation, user=user,
            display_name="" if anonymous else f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}.",
            anonymous=anonymous, party_category=_weighted(rng, PARTY_WEIGHTS), segment=segment,
            district=_weighted(rng, DISTRICT_WEIGHTS), channel=channel,
            entered_by=staff if channel != ResponseChannel.ONLINE else None, notify=rng.random() < 0.7,
            joined_at=_moment(rng, start, end)))
    for name, _text, _answers_given in POSTAL.get(consultation.key, []):
        rows.append(Participant(city=city, consultation=consultation, user=None, display_name=name,
                                party_category="beneficiary", channel=ResponseChannel.POST, entered_by=staff,
                                notify=False, joined_at=_moment(rng, start, end)))
    participants = Participant.objects.bulk_create(rows)
    report.participants += len(participants)

    # comments and proposals, then replies and supports (they need the others' ids)
    contributions = []
    for p in participants[:total]:
        if rng.random() < 0.3:
            contributions.append(Contribution(city=city, consultation=consultation, participant=p,
                                              kind=ContributionKind.COMMENT, body=rng.choice(COMMENTS[consultation.key]),
                                              created_at=p.joined_at + timedelta(minutes=rng.randint(2, 40))))
    proposers = rng.sample(participants[:total], len(PROPOSALS[consultation.key]))
    for p, (title, body) in zip(proposers, PROPOSALS[consultation.key]):
        contributions.append(Contribution(city=city, consultation=consultation, participant=p,
                                          kind=ContributionKind.PROPOSAL, title=title, body=body,
                                          created_at=p.joined_at + timedelta(minutes=5)))
    for p, (_name, text, _answers_given) in zip(participants[total:], POSTAL.get(consultation.key, [])):
        contributions.append(Contribution(city=city, consultation=consultation, participant=p,
                                          kind=ContributionKind.COMMENT, body=text, created_at=p.joined_at))
    if consultation.key == "smart-street-lighting":
        p = participants[7]
        contributions.append(Contribution(city=city, consultation=consultation, participant=p, body=HIDDEN_TEXT,
                                          created_at=p.joined_at + timedelta(minutes=3), hidden=True,
                                          hidden_reason=HIDDEN_REASON))
    contributions = Contribution.objects.bulk_create(contributions)
    comments = [c for c in contributions if c.kind == ContributionKind.COMMENT and not c.hidden]
    replies = []
    for parent in rng.sample(comments, max(1, len(comments) // 5)):
        p = rng.choice(participants[:total])
        if p.pk != parent.participant_id:
            replies.append(Contribution(city=city, consultation=consultation, participant=p, parent=parent,
                                        body=rng.choice(REPLIES),
                                        created_at=parent.created_at + timedelta(hours=rng.randint(1, 48))))
    Contribution.objects.bulk_create(replies)
    for c in contributions:
        if c.hidden:
            ModerationEvent.objects.create(city=city, contribution=c, action=ModerationAction.HIDE,
                                           reason=HIDDEN_REASON, moderator=staff,
                                           at=c.created_at + timedelta(hours=2))
    report.contributions += len(contributions) + len(replies)

    supports = []
    proposals = [c for c in contributions if c.kind == ContributionKind.PROPOSAL]
    for i, proposal in enumerate(proposals):
        share = [0.45, 0.2, 0.1][i % 3]
        for p in participants[:total]:
            if p.pk != proposal.participant_id and rng.random() < share:
                supports.append(Support(city=city, contribution=proposal, participant=p,
                                        created_at=max(p.joined_at, proposal.created_at) + timedelta(minutes=30)))
    Support.objects.bulk_create(supports)
    report.supports += len(supports)

    questions = list(consultation.questions.order_by("number"))
    by_number = {q.number: q for q in questions}
    answers = []
    for p in participants[:total]:
        if rng.random() < 0.85:
            for q, value in _answers(rng, questions).items():
                answers.append(SurveyAnswer(city=city, question=q, participant=p, value=value,
                                            answered_at=p.joined_at + timedelta(minutes=1)))
    for p, (_name, _text, given) in zip(participants[total:], POSTAL.get(consultation.key, [])):
        for number, value in given.items():
            answers.append(SurveyAnswer(city=city, question=by_number[number], participant=p, value=value,
                                        answered_at=p.joined_at))
    SurveyAnswer.objects.bulk_create(answers)
    report.answers += len(answers)


def _close_the_loop(city, staff, report: SeedReport) -> None:
    """Apply each named change to its record and point the response item at that change."""
    from .records import find_record

    for (consultation_key, number), values in CHANGES.items():
        item = ResponseItem.objects.filter(city=city, response__consultation__key=consultation_key,
                                           number=number).first()
        if item is None or item.change_id:
            continue
        record = find_record(city.pk, item.record_type, item.record_key)
        record = actions.update(record, user=staff, reason=f"You said, we did: {item.we_did}"[:2000], **values)
        change = record.history.filter(id=record.pk).order_by("-history_date", "-history_id").first()
        actions.update(item, user=staff, reason="The change this item made", change_id=change.history_id)
        report.changes += 1


def seed_participation(city, *, staff=None) -> SeedReport:
    """Make up the demo city's participation (once): see the module docstring. ``staff`` enters offline
    responses and moderates (the demo editor)."""
    report = SeedReport()
    consultations = {c.key: c for c in Consultation.objects.filter(city=city, key__in=PLAN)}
    with transaction.atomic():
        residents = None
        for key in PLAN:  # fixed order: deterministic
            consultation = consultations.get(key)
            if consultation is None or Participant.objects.filter(consultation=consultation).exists():
                continue
            residents = residents or _residents()
            rng = random.Random(f"{SEED}:{key}")
            _seed_people(city, consultation, rng, residents, staff, report)
        _close_the_loop(city, staff, report)
    # the engagement KPI feeds (B3) and the anonymised participation datasets (counts, survey aggregates,
    # published responses) are refreshed as `cityline opendata sync-kpis` would
    from .kpis import sync_engagement_kpis
    from .opendata import publish

    sync_engagement_kpis(city, user=staff)
    publish(city, user=staff)
    return report
