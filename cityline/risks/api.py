"""Key risks in the API: the risk register (D). Declarations only."""

from ninja import Router, Schema

from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

D = "risks: D risk register"

TAGS = {
    D: "Key risks with cause and effect, likelihood × impact score, owner, responses and their costs, "
       "review dates, the benefit-map nodes each risk threatens (C3.c) and the checkpoints that reviewed it (D.1).",
}

RESOURCES = [
    Resource(m.Risk, "risks", D,
             filters=["area", "nature", "status", "owner", "likelihood", "impact", "next_review", "threatens"],
             search=["key", "title", "cause", "effect"], computed={"score": int, "rating": str}),
    Resource(m.RiskResponse, "risk-responses", D, filters=["risk", "kind", "status"], search=["description"]),
]


# --- the register as a whole: heat map, overdue reviews, what each risk endangers ------------


class RiskSummary(Schema):
    key: str
    title: str
    area: str
    nature: str
    status: str
    likelihood: int
    impact: int
    score: int
    rating: str
    owner: str
    next_review: str | None = None
    threatens: list[str]
    endangered_end_outcomes: list[str]
    endangered_purposes: list[str]


class RiskRegister(Schema):
    city: str
    on: str
    risks: list[RiskSummary]
    heat_map: list[list[list[str]]]
    overdue_reviews: list[str]


def add_routes(router: Router) -> None:
    from .services import register_summary

    @router.get("/cities/{city_key}/risk-register", response={200: RiskRegister, **ERRORS_READ}, tags=[D],
                operation_id="risk_register", summary="The risk register: heat map, overdue reviews, endangered outcomes",
                description="Each risk with its score and rating, the end outcomes and purposes it endangers through "
                            "the benefit map (C3.c); the 5 × 5 heat map (rows: impact 1–5, columns: likelihood 1–5) "
                            "of live risks; live risks whose review is overdue (D.1). See docs/risks.md.")
    def risk_register(request, city_key: str):
        return register_summary(get_city(city_key))
