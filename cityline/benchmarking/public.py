"""The public comparison page (B3.c, C2.c): the city's published KPIs beside its peer cities'."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityline.portal import registry
from cityline.strategy.public import provenance

from .models import PeerAssessment, PeerCity, PeerValue
from .services import benchmark


def benchmark_page(city) -> dict[str, Any]:
    data = benchmark(city)
    records = [*PeerCity.objects.filter(city=city), *PeerValue.objects.filter(city=city).order_by("-updated_at")[:1],
               *PeerAssessment.objects.filter(city=city).order_by("-updated_at")[:1]]
    data["provenance"] = provenance(city, records)
    return data


def comparison_rows(data: dict[str, Any]):
    header = ["kpi", "list", "code", "indicator", "unit", "direction", "year", "member", "is_city", "member_year",
              "value", "trend_per_year", "trend", "compared", "rank"]
    rows = [[r["kpi"], r["list"], r["code"], r["indicator"], m["unit"], r["direction"], r["year"],
             m["peer"] or data["city"], m["is_city"], m["year"], m["value"], m["trend_per_year"], m["trend"],
             m["compared"], m["rank"]] for r in data["rows"] for m in r["members"]]
    return header, rows


def warning_rows(data: dict[str, Any]):
    header = ["kpi", "kind", "peer", "message"]
    return header, [[r["kpi"], w["kind"], w["peer"], w["message"]] for r in data["rows"] for w in r["warnings"]]


def maturity_rows(data: dict[str, Any]):
    header = ["component", "member", "is_city", "taken_on", "score", "level", "level_name"]
    members = data["assessment"]["members"]
    return header, [[row["component"], m["peer"] or data["city"], m["is_city"], m["taken_on"], c["score"], c["level"],
                     c["level_name"]] for row in data["assessment"]["rows"]
                    for m, c in zip(members, row["cells"], strict=True)]


registry.register(registry.DataPage(
    name="benchmark", title=_("Comparison with other cities"), order=95, data=benchmark_page,
    template="portal/benchmarking/benchmark.html",
    description=_("The city's published KPIs beside the same indicators in peer cities: values, trends and "
                  "position, with warnings where units or years differ."),
    tables={"": comparison_rows, "warnings": warning_rows, "maturity": maturity_rows},
))
