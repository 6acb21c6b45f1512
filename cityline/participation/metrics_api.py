"""Engagement metrics in the API (B3): public, suppressed figures per consultation and per period.

Registered from :mod:`cityline.participation.api` (the area's generic collections), which
adds :data:`TAGS` to its own and calls :func:`add_routes`:

- ``GET /api/v1/cities/{city_key}/consultations/{key}/metrics``: one public consultation;
- ``GET /api/v1/cities/{city_key}/participation/metrics?period=quarter|year``: per period.

Anyone may read them: the figures are those of the open datasets (counts; breakdowns by
self-declared group suppressed below the city's small-count threshold; no names).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from ninja import Router, Schema

from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, get_city

TAG = "participation: engagement metrics"
TAGS = {
    TAG: "Engagement figures of public consultations (B3), per consultation and per quarter or year: participants, "
         "contributions, supports, survey responses, days from closing to the published response and whether it "
         "came within the city's target, and participants by interested-party category, customer segment, channel "
         "and district. A group below the city's small-count threshold is suppressed (`participants` null, "
         "`suppressed` true), with a second group wherever the first could be worked out from the total; a "
         "breakdown of fewer people than the threshold is an empty list. See docs/participation.md.",
}


class GroupOut(Schema):
    group: str
    label: str
    participants: int | None
    suppressed: bool


class BreakdownsOut(Schema):
    party_category: list[GroupOut]
    segment: list[GroupOut]
    channel: list[GroupOut]
    district: list[GroupOut]


class ContributionsOut(Schema):
    comments: int
    replies: int
    proposals: int
    hidden: int
    total: int


class OptionOut(Schema):
    option: str
    count: int | None
    suppressed: bool


class QuestionOut(Schema):
    number: int
    question: str
    kind: str
    options: list[OptionOut]


class ConsultationMetricsOut(Schema):
    consultation: str
    title: str
    status: str
    opens_on: date
    closes_on: date
    closed_on: date | None
    participants: int
    offline_participants: int | None
    offline_share: float | None
    contributions: ContributionsOut
    supports: int
    survey_responses: int
    response_published_on: date | None
    days_to_respond: int | None
    response_target_days: int
    responded_in_target: bool | None
    small_count_threshold: int
    breakdowns: BreakdownsOut
    survey: list[QuestionOut]


class PeriodOut(Schema):
    period: str
    starts_on: date
    ends_on: date
    closed: bool
    consultations: int
    consultations_closed: int
    participants: int
    participations: int
    offline_participations: int | None
    offline_share: float | None
    contributions: ContributionsOut
    supports: int
    survey_responses: int
    responded: int
    responded_in_target: int
    responded_in_target_share: float | None
    median_days_to_respond: float | None
    response_target_days: int
    small_count_threshold: int
    breakdowns: BreakdownsOut


class PeriodMetricsOut(Schema):
    city: str
    period: str
    periods: list[PeriodOut]


def add_routes(router: Router) -> None:
    from . import metrics
    from .models import Consultation

    @router.get("/cities/{city_key}/consultations/{key}/metrics", response={200: ConsultationMetricsOut, **ERRORS_READ},
                tags=[TAG], operation_id="consultation_metrics", summary="Engagement figures of one consultation",
                description="Participants, contributions (hidden ones counted apart), supports, survey responses and "
                            "survey option counts (free text never), response time, and the participants by "
                            "interested-party category, customer segment, channel and district, suppressed below "
                            "the city's small-count threshold. Drafts are not found.")
    def consultation_metrics(request, city_key: str, key: str):
        city = get_city(city_key)
        consultation = Consultation.objects.filter(city=city, key=key).exclude(status="draft").first()
        if consultation is None:
            raise ApiProblem("not-found", f"no public consultation {key!r} in city {city_key!r}")
        return metrics.consultation_metrics(consultation)

    @router.get("/cities/{city_key}/participation/metrics", response={200: PeriodMetricsOut, **ERRORS_READ},
                tags=[TAG], operation_id="participation_metrics", summary="Engagement figures per quarter or year",
                description="The city's public consultations counted in the quarter (or year) they closed, or are "
                            "due to close, oldest first: distinct participants, participations, contributions, the "
                            "share responded to within the target days and the median days to respond, and "
                            "suppressed breakdowns (a group is published only where every consultation's count of it "
                            "is).")
    def participation_metrics(request, city_key: str, period: Literal["quarter", "year"] = "quarter"):
        city = get_city(city_key)
        return {"city": city.key, "period": period, "periods": metrics.period_metrics(city, period)}
