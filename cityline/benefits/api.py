"""Benefit realisation in the API: the benefit map (C1), city indicators, KPIs, targets and measurements (C2).

Declarations only: :mod:`cityline.api.generic` builds list, detail, create, update,
delete and history for each collection.
"""

from datetime import date

from ninja import Query, Router, Schema

from cityline.api.auth import viewer_is_staff
from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

C1 = "benefits: C1 benefit map"
C2 = "benefits: C2 KPIs"

TAGS = {
    C1: "The benefit map: investments, outputs (enablers and governance changes), intermediate and end "
        "outcomes and the ISO 37101 purposes, with the links between them, their theory of change and "
        "its evidence (C1); end outcomes name their benefit owner (C3.a).",
    C2: "Indicators the city measures (from a catalogue list or its own), KPIs with kind, unit, direction, "
        "frequency, evaluation method, suppliers and users (C2.c, C2.d), baseline (C2.a), targets and "
        "trajectory points (C2.b), and measurements, one per KPI and period end date, which systems can push "
        "here (C2.b, C2.f). KPI data carries an SPDX licence (C2.g).",
}

RESOURCES = [
    Resource(m.BenefitNode, "benefit-nodes", C1,
             filters=["kind", "output_type", "governance_change", "purpose", "benefit_owner", "initiatives",
                      "projects"],
             search=["key", "title", "description"]),
    Resource(m.BenefitLink, "benefit-links", C1, filters=["source", "target", "evidence"],
             search=["rationale", "sources"]),
    Resource(m.CityIndicator, "city-indicators", C2, filters=["source", "code", "theme"],
             search=["key", "name", "code", "theme", "definition"]),
    Resource(m.Kpi, "kpis", C2,
             filters=["indicator", "node", "kind", "direction", "frequency", "evaluation_method", "trajectory",
                      "suppliers", "users", "published"],
             search=["key", "title", "scope", "calculation"],
             # A KPI stays with staff until it is published (C2.f); so do its targets and measurements.
             visible_if="published"),
    Resource(m.KpiTarget, "kpi-targets", C2, filters=["kpi", "date"], search=["label", "note"],
             visible_if="kpi__published"),
    Resource(m.TrajectoryPoint, "trajectory-points", C2, filters=["kpi", "date"], visible_if="kpi__published"),
    Resource(m.Measurement, "measurements", C2, filters=["kpi", "period_end", "quality"], search=["source", "note"],
             visible_if="kpi__published"),
]


# --- line of sight (C1): the analysis of the map, not a collection ------------------------


class FindingOut(Schema):
    check: str
    recommendation: str
    severity: str
    message: str
    nodes: list[str]
    links: list[list[str]]
    field: str | None = None


class StrandedOut(Schema):
    node: str
    amount: float
    reason: str


class RollUpOut(Schema):
    total_investment: float
    end_outcomes: dict[str, float]
    purposes: dict[str, float]
    by_purpose: dict[str, float]
    retained: dict[str, float]
    stranded: list[StrandedOut]
    stranded_total: float


class LineOfSightReport(Schema):
    ok: bool
    counts: dict[str, int]
    node_counts: dict[str, int]
    link_count: int
    findings: list[FindingOut]
    rollup: RollUpOut | None = None


class NodeLineOfSight(Schema):
    node: str
    upstream: list[str]
    downstream: list[str]


# --- status and forecast (C2.b, C2.f, C3.d): computed, not stored ------------------------


class KpiStatusOut(Schema):
    kpi_id: str
    on_date: date
    status: str
    label: str
    reason: str
    rating: str | None = None
    expected: float | None = None
    actual: float | None = None
    actual_date: date | None = None
    actual_quality: str | None = None
    expected_at_actual: float | None = None
    variance: float | None = None
    relative_variance: float | None = None
    next_due: date | None = None


class KpiForecastOut(Schema):
    kpi_id: str
    outcome: str
    message: str
    method: str
    n_points: int
    confidence: float
    target_date: date | None = None
    target_value: float | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    gap: float | None = None
    certain: bool | None = None
    slope_per_year: float | None = None


class KpiReportOut(Schema):
    kpi: str
    title: str
    kind: str
    node: str | None = None
    published: bool
    status: KpiStatusOut
    forecast: KpiForecastOut


class NodeStatusOut(Schema):
    node: str
    kind: str
    title: str
    status: str | None = None
    own_status: str | None = None
    cause: str
    kpis: list[str]
    caused_by: str | None = None
    path: list[str]


class RealisationOut(Schema):
    city: str
    on: date
    counts: dict[str, int]
    kpis: list[KpiReportOut]
    nodes: list[NodeStatusOut]


class CatalogueIndicatorOut(Schema):
    source: str
    code: str
    name: str
    theme: str
    sub_theme: str
    indicator_type: str
    edition: str
    reference: str
    licensed: bool


class CataloguePage(Schema):
    count: int
    limit: int
    offset: int
    next: str | None = None
    previous: str | None = None
    results: list[CatalogueIndicatorOut]


CATALOGUE_FIELDS = ["source", "code", "name", "theme", "sub_theme", "indicator_type", "edition", "reference",
                    "licensed"]


class OnDate(Schema):
    on: date | None = None


ON_DATE_HELP = ("Statuses are computed for the date ``on`` (default: today); measurements after it are ignored, so "
                "any past date can be replayed. Unpublished KPIs are left out unless the caller is staff (C2.f).")


def add_routes(router: Router) -> None:
    from .realisation import kpi_queryset, kpi_reports, realisation
    from .services import check_city, line_of_sight

    @router.get("/indicators", response={200: CataloguePage, **ERRORS_READ}, tags=[C2],
                summary="The indicator catalogue", operation_id="indicator_catalogue",
                description="Instance-wide reference lists a city picks its indicators from (C2.c): the shipped "
                            "ISO 37120:2014 and ITU U4SSC lists and any list loaded under licence. Filters: "
                            "``source`` (a list), ``theme``, ``indicator_type``; ``_q`` searches code and name; "
                            "``_limit`` / ``_offset`` page through.")
    def indicator_catalogue(request):
        from django.db.models import Q

        from cityline.api import query

        from .choices import IndicatorSource

        params = request.GET
        query.check_known(params, {"source", "theme", "indicator_type", *query.RESERVED} - {"_sort"},
                          "filters: source, theme, indicator_type; _q, _limit, _offset")
        qs = m.Indicator.objects.order_by("source", "code")
        if "source" in params:
            lists = [c for c in IndicatorSource.values if c != "city"]
            if params["source"] not in lists:
                raise ApiProblem("invalid-parameter", f"source: unknown list {params['source']!r}; use one of {', '.join(lists)}",
                                 errors={"source": ["unknown list"]})
            qs = qs.filter(source=params["source"])
        for name in ("theme", "indicator_type"):
            if name in params:
                qs = qs.filter(**{name: params[name]})
        if params.get("_q"):
            qs = qs.filter(Q(code__icontains=params["_q"]) | Q(name__icontains=params["_q"]))
        limit, offset = query.page_bounds(params)
        rows = list(qs.values(*CATALOGUE_FIELDS)[offset:offset + limit])
        return query.page(request, qs.count(), limit, offset, rows)

    @router.get("/cities/{city_key}/benefit-map/status", response={200: RealisationOut, **ERRORS_READ},
                tags=[C1], summary="Status of every KPI and benefit-map node on a date",
                operation_id="benefit_map_status",
                description="Each KPI's status against its trajectory and forecast to its next target, and each "
                            "node's status: the worst of its KPIs, raised to at risk when an off-track node upstream "
                            "endangers it, with the path of causes (see docs/benefits/kpi-status.md). " + ON_DATE_HELP)
    def benefit_map_status(request, city_key: str, query: Query[OnDate]):
        city = get_city(city_key)
        return realisation(city, query.on, published_only=not viewer_is_staff(request, city)).as_dict()

    @router.get("/cities/{city_key}/kpis/{key}/status", response={200: KpiReportOut, **ERRORS_READ},
                tags=[C2], summary="Status and forecast of one KPI on a date", operation_id="kpi_status",
                description="Expected value on the trajectory, latest actual, variance, status with the tolerance "
                            "rule applied, and a Theil–Sen forecast to the next target with its band. " + ON_DATE_HELP)
    def kpi_status(request, city_key: str, key: str, query: Query[OnDate]):
        from django.utils import timezone

        city = get_city(city_key)
        record = kpi_queryset(city, published_only=not viewer_is_staff(request, city)).filter(key=key).first()
        if record is None:
            raise ApiProblem("not-found", f"no KPI with key {key!r} in {city.key}")
        return kpi_reports([record], query.on or timezone.localdate())[0].as_dict()

    @router.get("/cities/{city_key}/benefit-map/check", response={200: LineOfSightReport, **ERRORS_READ},
                tags=[C1], summary="Check the benefit map's line of sight", operation_id="benefit_map_check",
                description="Findings of every line-of-sight check, each naming its nodes and the recommendation "
                            "it serves, and where the money invested flows (see docs/benefits/line-of-sight.md). "
                            "For viewers who are not staff of the city, only published KPIs count.")
    def benefit_map_check(request, city_key: str):
        city = get_city(city_key)
        return check_city(city, published_only=not viewer_is_staff(request, city)).as_dict()

    @router.get("/cities/{city_key}/benefit-nodes/{key}/line-of-sight",
                response={200: NodeLineOfSight, **ERRORS_READ}, tags=[C1], operation_id="benefit_node_line_of_sight",
                summary="Everything upstream and downstream of one node")
    def benefit_node_line_of_sight(request, city_key: str, key: str):
        city = get_city(city_key)
        if not m.BenefitNode.objects.filter(city=city, key=key).exists():
            raise ApiProblem("not-found", f"no benefit map node with key {key!r} in {city.key}")
        return {"node": key, **line_of_sight(city, key)}
