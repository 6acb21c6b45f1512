"""Key risks in the API: the risk register (D). Declarations only."""

from cityline.api.generic import Resource

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
