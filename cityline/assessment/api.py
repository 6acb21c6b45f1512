"""The self-assessment in the API (issue 9): results and maturity, snapshots, attestations.

Anyone may read a city's assessment when the city publishes it (B2.g); otherwise only staff.
"""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema

from cityline.api.auth import viewer_is_staff
from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

TAG = "assessment: ISO 37106 self-assessment"

TAGS = {
    TAG: "How far the city meets each ISO 37106 recommendation (met, partly met, not met, not applicable) with "
         "the reason, the next step and the evidence; maturity per component and overall; dated snapshots; staff "
         "attestations for what the data cannot show. Public when the city publishes its assessment (B2.g), "
         "otherwise staff only. See docs/assessment.md.",
}

RESOURCES = [
    Resource(m.Attestation, "attestations", TAG, filters=["recommendation", "outcome", "attested_by", "expires"],
             search=["key", "recommendation", "statement"], visible_if="city__assessment_settings__publish"),
]


class AssessmentOut(Schema):
    city: str
    city_name: str
    on: str
    maturity: dict[str, Any]
    results: list[dict[str, Any]]
    gaps: list[dict[str, Any]]


class SnapshotOut(Schema):
    taken_on: str
    created_at: str
    maturity: dict[str, Any]


def _visible_city(request, city_key: str):
    from .services import is_published

    city = get_city(city_key)
    if not is_published(city) and not viewer_is_staff(request, city):
        raise ApiProblem("not-found", f"{city_key!r} does not publish its assessment")
    return city


def add_routes(router: Router) -> None:
    @router.get("/cities/{city_key}/assessment", response={200: AssessmentOut, **ERRORS_READ}, tags=[TAG],
                operation_id="assessment", summary="The city's ISO 37106 self-assessment today",
                description="Every rule's result (outcome, reason, next step, evidence), the maturity matrix "
                            "(score and level per component and overall) and the gaps ranked by what they hold "
                            "back. 404 for anyone but staff unless the city publishes its assessment (B2.g). "
                            "For anyone but staff, reasons and evidence name no unpublished record (C2.f).")
    def assessment(request, city_key: str):
        from .services import assess

        city = _visible_city(request, city_key)
        return assess(city, public=not viewer_is_staff(request, city)).as_dict()

    @router.get("/cities/{city_key}/assessment/snapshots", response={200: list[SnapshotOut], **ERRORS_READ},
                tags=[TAG], operation_id="assessment_snapshots", summary="Dated assessment snapshots",
                description="Every stored snapshot, newest first, with its maturity summary (C2.e). Same "
                            "visibility as the assessment.")
    def snapshots(request, city_key: str):
        city = _visible_city(request, city_key)
        return [{"taken_on": s.taken_on.isoformat(), "created_at": s.created_at.isoformat(), "maturity": s.maturity}
                for s in m.Snapshot.objects.filter(city=city).order_by("-taken_on")]
