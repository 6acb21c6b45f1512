"""Public participation in the API (B1.b, B2.g, B3): the city's consultations, surveys and responses.

Declarations only for the city records (:mod:`cityline.api.generic` builds list, detail, create,
update, delete and history). A draft consultation, its survey and a draft response stay with staff:
anyone else gets 404 and does not find them in lists or the history.

People's contributions are not a collection: ``GET /cities/{city}/consultations/{key}/contributions``
reads them publicly, with the display name each person chose and nothing else about them (no
account, no e-mail address, no profile); a hidden contribution shows only the moderators' reason.
Engagement figures live in :mod:`.metrics_api` (registered from here).
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from importlib.util import find_spec

from django.db.models import CharField, Count, Lookup
from ninja import Router, Schema

from cityline.api.auth import viewer_is_staff
from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m
from .choices import ConsultationStatus, ResponseStatus

PARTICIPATION = "participation: B1.b, B2.g, B3 consultations and responses"


class _StatusIn(Lookup):
    """``status__<name>=True``: the status is one of some values (``False``: none of them).

    Lets ``Resource.visible_if`` (a lookup that must be true) say "not a draft" on a status field.
    """

    prepare_rhs = False
    values: tuple[str, ...] = ()

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if not isinstance(self.rhs, bool):
            raise ValueError(f"{self.lookup_name} takes True or False")
        marks = ", ".join(["%s"] * len(self.values))
        return f"{lhs} {'' if self.rhs else 'NOT '}IN ({marks})", [*params, *self.values]


def _status_lookup(model, name: str, values: list[str]) -> None:
    lookup = type(f"{model.__name__}{name.title()}", (_StatusIn,), {"lookup_name": name, "values": tuple(values)})
    field = model._meta.get_field("status")
    assert isinstance(field, CharField)
    field.register_lookup(lookup)


# consultation status public: open, closed or responded (not a draft); response status published
_status_lookup(m.Consultation, "public", [s for s in ConsultationStatus.values if s != ConsultationStatus.DRAFT])
_status_lookup(m.ConsultationResponse, "published", [ResponseStatus.PUBLISHED])

TAGS = {
    PARTICIPATION: "Consultations on named records of the operating model (vision objectives, principles, roadmap "
                   "initiatives, policy products, services, datasets) with their question, dates, audiences, "
                   "segments, channels and status; their optional survey; the city's response with its \"you "
                   "said, we did\" items, each naming the record it changed and the change (B1.b, B2.g); the "
                   "city's participation settings; KPIs fed from engagement figures (B3). Drafts stay with "
                   "staff. People's contributions are read per consultation, under their display names only.",
}

RESOURCES = [
    Resource(m.ParticipationSettings, "participation-settings", PARTICIPATION, single=True),
    Resource(m.Consultation, "consultations", PARTICIPATION,
             filters=["status", "organiser", "opens_on", "closes_on", "vision_objectives", "principles",
                      "initiatives", "policy_products", "services", "datasets", "segments", "engagement_activity"],
             search=["key", "title", "question", "background"],
             visible_if="status__public"),
    Resource(m.SurveyQuestion, "survey-questions", PARTICIPATION, filters=["consultation", "kind", "required"],
             search=["text"], visible_if="consultation__status__public"),
    Resource(m.ConsultationResponse, "consultation-responses", PARTICIPATION,
             filters=["consultation", "status", "published_on"], search=["summary"],
             visible_if="status__published"),
    Resource(m.ResponseItem, "response-items", PARTICIPATION,
             filters=["response", "outcome", "record_type", "record_key"], search=["you_said", "we_did", "reason"],
             visible_if="response__status__published"),
    Resource(m.EngagementKpiFeed, "engagement-kpi-feeds", PARTICIPATION, filters=["kpi", "metric", "period"],
             visible_if="kpi__published"),
]

_METRICS = "cityline.participation.metrics_api"
if find_spec(_METRICS) is not None:  # the engagement figures (another module, same area)
    TAGS.update(getattr(import_module(_METRICS), "TAGS", {}))


# --- people's contributions, publicly ------------------------------------------------------------


class ContributionOut(Schema):
    id: int
    kind: str
    parent: int | None = None
    created_at: datetime
    hidden: bool
    hidden_reason: str | None = None
    erased: bool = False
    display_name: str | None = None
    title: str | None = None
    text: str | None = None
    supports: int


class ContributionsOut(Schema):
    consultation: str
    status: str
    count: int
    visible: int
    hidden: int
    results: list[ContributionOut]


def public_contributions(consultation: m.Consultation) -> list[dict]:
    """Every contribution of the consultation, oldest first, as the public may see it.

    Visible: the participant's public name (their display name, or "Verified participant"), kind,
    reply-to, title, text, when, how many support it. Hidden: only that it was hidden and why.
    """
    rows = (m.Contribution.objects.filter(consultation=consultation).select_related("participant")
            .annotate(n_supports=Count("supports")).order_by("created_at", "pk"))
    out = []
    for c in rows:
        entry = {"id": c.pk, "kind": c.kind, "parent": c.parent_id, "created_at": c.created_at, "hidden": c.hidden,
                 "erased": c.erased, "supports": c.n_supports}
        if c.hidden:
            entry["hidden_reason"] = c.hidden_reason
        else:
            entry.update(display_name=c.participant.public_name, title=c.public_title or None, text=c.public_body)
        out.append(entry)
    return out


def add_routes(router: Router) -> None:
    @router.get("/cities/{city_key}/consultations/{key}/contributions", response={200: ContributionsOut, **ERRORS_READ},
                tags=[PARTICIPATION], summary="What people said in a consultation",
                operation_id="consultation_contributions",
                description="Comments, replies (``parent``: the contribution answered) and proposals with their "
                            "number of supports, oldest first, under the display name each person chose (or "
                            "\"Verified participant\"). Nothing else about a person is given: no account, no "
                            "e-mail address, no declared profile. A contribution the moderators hid shows only "
                            "the public reason. A draft consultation is not found unless the caller is staff.")
    def consultation_contributions(request, city_key: str, key: str):
        city = get_city(city_key)
        qs = m.Consultation.objects.filter(city=city, key=key)
        if not viewer_is_staff(request, city):
            qs = qs.filter(status__public=True)
        consultation = qs.first()
        if consultation is None:
            raise ApiProblem("not-found", f"no consultation with key {key!r} in {city.key}")
        rows = public_contributions(consultation)
        hidden = sum(1 for r in rows if r["hidden"])
        return {"consultation": consultation.key, "status": consultation.status, "count": len(rows),
                "visible": len(rows) - hidden, "hidden": hidden, "results": rows}

    if find_spec(_METRICS) is not None:
        metrics = import_module(_METRICS)
        if hasattr(metrics, "add_routes"):
            metrics.add_routes(router)
