"""Cross-city comparison in the API (B3.c, C2.c): peer cities, their values, and the comparison."""

from typing import Any

from ninja import Router, Schema

from cityline.api.errors import ApiProblem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

B = "benchmarking: B3.c, C2.c cross-city comparison"

TAGS = {
    B: "Peer cities the city compares itself with, the indicator values they publish (ISO 37120, 37122, 37123, "
       "U4SSC), and the comparison on the indicators both track: values, trends, rank and percentile in the peer "
       "group, with warnings where units or years differ (docs/benchmarking.md).",
}

RESOURCES = [
    Resource(m.PeerCity, "peer-cities", B, filters=["country", "source_kind"], search=["key", "name", "source"]),
    Resource(m.PeerValue, "peer-values", B, filters=["peer", "source", "code", "period_end"], search=["code", "name"]),
    Resource(m.PeerAssessment, "peer-assessments", B, filters=["peer", "taken_on", "level"], search=["source"]),
]


class BenchmarkMember(Schema):
    peer: str | None = None
    name: str
    is_city: bool
    unit: str
    year: int | None = None
    value: float | None = None
    trend_per_year: float | None = None
    trend: str | None = None
    compared: bool
    rank: int | None = None


class BenchmarkWarning(Schema):
    kind: str
    peer: str | None = None
    message: str


class BenchmarkRow(Schema):
    kpi: str
    title: str
    list: str
    list_label: str
    code: str
    indicator: str
    unit: str
    direction: str
    year: int | None = None
    rank: int | None = None
    group_size: int
    percentile: float | None = None
    members: list[BenchmarkMember]
    warnings: list[BenchmarkWarning]


class MaturityMember(Schema):
    peer: str | None = None
    name: str
    is_city: bool
    taken_on: str
    source_kind: str
    source: str
    score: float | None = None
    level: int | None = None


class MaturityCell(Schema):
    member: str | None = None
    score: float | None = None
    level: int | None = None
    level_name: str


class MaturityRow(Schema):
    component: str
    label: str
    cells: list[MaturityCell]


class AssessmentComparison(Schema):
    city_published: bool
    members: list[MaturityMember]
    rows: list[MaturityRow]
    peers: int


class Benchmark(Schema):
    city: str
    city_name: str
    max_year_gap: int
    peers: list[dict[str, Any]]
    rows: list[BenchmarkRow]
    city_defined: list[str]
    unmatched: list[str]
    peer_only: list[dict[str, str]]
    summary: dict[str, int]
    assessment: AssessmentComparison


def add_routes(router: Router) -> None:
    from .services import benchmark

    @router.get("/cities/{city_key}/benchmark", response={200: Benchmark, **ERRORS_READ}, tags=[B],
                operation_id="benchmark", summary="The city's published KPIs compared with its peer cities",
                description="For each published KPI on an indicator of a published list that a peer city also "
                            "reports: each member's value in the comparison year, its Theil–Sen trend per year, "
                            "rank (1 = best, by the KPI's direction) and the city's percentile, with warnings where "
                            "units or years differ; and `assessment`, the ISO 37106 maturity (score and "
                            "level per component) of the city, when it publishes its assessment, beside each peer's "
                            "latest imported one. See docs/benchmarking.md.")
    def benchmark_view(request, city_key: str, max_year_gap: int = 1):
        city = get_city(city_key)
        if max_year_gap < 0:
            raise ApiProblem("bad-request", f"max_year_gap: {max_year_gap}: give a whole number of 0 or more")
        return benchmark(city, max_year_gap=max_year_gap)
