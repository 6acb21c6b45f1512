"""The public assessment page (B2.g): the maturity matrix and every rule with its outcome, reason,
next step and evidence, shown only when the city publishes its assessment; CSV and JSON downloads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityline.portal import registry

from .services import is_published


def assessment(city) -> dict[str, Any]:
    from .models import AssessmentSettings
    from .report import gap_report

    data = gap_report(city, top=10)
    for r in data["results"]:   # editor links are for staff: the public sees labels only
        r["evidence"] = [{"label": e["label"], "kind": e["kind"], "key": e["key"]} for e in r["evidence"]]
    settings = AssessmentSettings.objects.filter(city=city).first()
    stamps = [city.updated_at] + ([settings.updated_at] if settings else [])
    return {"city": data["city"], "city_name": data["city_name"], "on": data["on"], "maturity": data["maturity"],
            "matrix": data["matrix"], "level_names": data["level_names"], "overall": data["overall"],
            "results": data["results"], "gaps": data["top_gaps"],
            "provenance": {"city": city.key, "city_name": city.name, "last_updated": max(stamps).isoformat(),
                           "assessed_on": data["on"]}}


def result_rows(data: dict[str, Any]):
    header = ["id", "component", "title", "outcome", "reason", "next_step", "evidence", "attestation", "share"]
    return header, ([r["id"], r["component"], r["title"], r["outcome"], r["reason"], r["next_step"],
                     "; ".join(e["label"] for e in r["evidence"]), r["attestation"], r["share"]]
                    for r in data["results"])


def matrix_rows(data: dict[str, Any]):
    header = ["component", "score", "level", "level_name"] + [f"level_{n}_reached" for n in range(1, 6)]
    return header, ([c["component"], c["score"], c["level"], c["level_name"]] + [cell["reached"] for cell in c["cells"]]
                    for c in data["maturity"]["components"])


registry.register(registry.DataPage(
    name="assessment", title=_("ISO 37106 self-assessment"), order=180, data=assessment,
    template="portal/assessment/assessment.html", shown=is_published,
    description=_("How far the city meets each ISO 37106 recommendation, its maturity per component and what "
                  "it will do next."),
    tables={"": result_rows, "matrix": matrix_rows},
))
