"""The comparison of a city with its peers, from the records (B3.c, C2.c); shared by API, page and CLI."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cityline.benefits.choices import IndicatorSource
from cityline.benefits.models import Kpi, Measurement
from cityline.core.models import City

from .domain import compare as rules
from .models import PeerAssessment, PeerCity, PeerValue

#: A peer value more than this many years from the comparison year is flagged (configurable per call).
MAX_YEAR_GAP = 1


def _warning_text(w: rules.Warning, names: dict[str, str]) -> str:
    peer = names.get(w.peer, w.peer)
    p = w.params
    if w.kind == "unit" and p.get("ranked"):
        return _("units differ: %(peer)s also gives values in “%(peer_unit)s”, not the city's “%(city_unit)s”: "
                 "those are left out, its values in “%(city_unit)s” are compared") % {
            "peer": peer, "peer_unit": p["peer_unit"], "city_unit": p["city_unit"]}
    if w.kind == "unit":
        return _("units differ: %(peer)s gives “%(peer_unit)s”, the city “%(city_unit)s” — not compared") % {
            "peer": peer, "peer_unit": p["peer_unit"], "city_unit": p["city_unit"]}
    if w.kind == "year_gap":
        return _("years differ: %(peer)s's latest value is for %(peer_year)s, compared with %(year)s "
                 "(more than %(max_gap)s year apart)") % {"peer": peer, **p}
    if w.kind == "no_data":
        return _("the city has no measured value yet — not compared")
    return w.kind


def city_kpis(city: City) -> list[rules.CityKpi]:
    """The city's published KPIs, with their usable measurements (bad values left out)."""
    kpis = list(Kpi.objects.filter(city=city, published=True).select_related("indicator"))
    points: dict[int, list] = {}
    for m in Measurement.objects.filter(kpi__in=kpis).exclude(quality="bad").order_by("period_end"):
        points.setdefault(m.kpi_id, []).append((m.period_end, float(m.value)))
    out = []
    for k in kpis:
        ind = k.indicator
        out.append(rules.CityKpi(
            key=k.key, title=k.title, source=ind.source if ind else IndicatorSource.CITY,
            code=ind.code if ind else "", indicator=(ind.name if ind else "") or k.title, unit=k.unit,
            direction=k.direction, points=points.get(k.pk, []),
            band_low=float(k.band_low) if k.band_low is not None else None,
            band_high=float(k.band_high) if k.band_high is not None else None,
        ))
    return out


def peer_series(city: City) -> list[rules.PeerSeries]:
    """The peers' values, one series per peer, indicator and unit: values a peer gave in another unit
    (another year, another import) are never placed under the unit of its first one."""
    series: dict[tuple, rules.PeerSeries] = {}
    for v in PeerValue.objects.filter(city=city).select_related("peer").order_by("peer__key", "period_end"):
        ident = (v.peer.key, v.source, v.code, rules.normalise_unit(v.unit))
        if ident not in series:
            series[ident] = rules.PeerSeries(v.peer.key, v.peer.name, v.source, v.code, v.unit, [])
        series[ident].points.append((v.period_end, float(v.value)))
    return list(series.values())


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


def benchmark(city: City, max_year_gap: int = MAX_YEAR_GAP) -> dict[str, Any]:
    """The comparison as plain data (JSON-ready), warnings worded in the active language."""
    peers = list(PeerCity.objects.filter(city=city))
    names = {p.key: p.name for p in peers}
    result = rules.compare(city.name, city_kpis(city), peer_series(city), max_year_gap=max_year_gap)
    lists = dict(IndicatorSource.choices)
    rows = []
    for row in result.rows:
        k = row.kpi
        rows.append({
            "kpi": k.key, "title": k.title, "list": k.source, "list_label": str(lists.get(k.source, k.source)),
            "code": k.code, "indicator": k.indicator, "unit": k.unit, "direction": k.direction,
            "year": row.year, "rank": row.rank, "group_size": row.group_size, "percentile": row.percentile,
            "members": [{
                "peer": m.key or None, "name": m.name, "is_city": m.is_city, "unit": m.unit, "year": m.year,
                "value": _num(m.value), "trend_per_year": _num(m.trend), "trend": m.trend_direction,
                "compared": m.compared, "rank": m.rank,
            } for m in row.members],
            "warnings": [{"kind": w.kind, "peer": w.peer or None, "message": _warning_text(w, names)}
                         for w in row.warnings],
        })
    return {
        "city": city.key, "city_name": city.name, "max_year_gap": max_year_gap,
        "peers": [{"key": p.key, "name": p.name, "country": p.country, "population": p.population,
                   "source_kind": p.source_kind, "source": p.source, "licence": p.licence,
                   "imported_at": p.imported_at.isoformat() if p.imported_at else None} for p in peers],
        "rows": rows,
        "city_defined": result.city_defined,
        "unmatched": result.unmatched,
        "peer_only": [{"list": s, "code": c} for s, c in result.peer_only],
        "summary": {"compared": len(rows), "warnings": sum(len(r["warnings"]) for r in rows),
                    "city_defined": len(result.city_defined), "unmatched": len(result.unmatched)},
        "assessment": assessment_comparison(city),
    }


def _score(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def assessment_comparison(city: City) -> dict[str, Any]:
    """The ISO 37106 maturity of the city and its peers side by side: one row per component (and the
    overall row), one cell per member with score and level (B3.c; issue 9 item 5).

    The city takes part only when it publishes its own assessment (B2.g); each peer contributes its
    latest imported assessment."""
    from cityline.assessment.domain.maturity import COMPONENTS
    from cityline.assessment.report import component_label, level_name
    from cityline.assessment.services import assess, is_published

    members: list[dict[str, Any]] = []
    published = is_published(city)
    if published:
        a = assess(city)
        m = a.maturity.as_dict()
        members.append({"peer": None, "name": city.name, "is_city": True, "taken_on": a.on_date.isoformat(),
                        "source_kind": "", "source": "", "score": m["score"], "level": m["level"],
                        "components": m["components"]})
    seen = set()
    for pa in PeerAssessment.objects.filter(city=city).select_related("peer").order_by("peer__name", "-taken_on"):
        if pa.peer_id in seen:
            continue
        seen.add(pa.peer_id)
        members.append({"peer": pa.peer.key, "name": pa.peer.name, "is_city": False,
                        "taken_on": pa.taken_on.isoformat(), "source_kind": pa.source_kind, "source": pa.source,
                        "score": pa.score, "level": pa.level, "components": pa.components})

    def cell(member: dict[str, Any], score: float | None, level: int | None) -> dict[str, Any]:
        return {"member": member["peer"], "score": _score(score), "level": level,
                "level_name": level_name(level)}

    rows = []
    for c in COMPONENTS:
        cells = []
        for member in members:
            found = next((x for x in member["components"] if x.get("component") == c), {})
            cells.append(cell(member, found.get("score"), found.get("level")))
        rows.append({"component": c, "label": component_label(c), "cells": cells})
    rows.append({"component": "overall", "label": str(_("Overall")),
                 "cells": [cell(m, m["score"], m["level"]) for m in members]})
    return {"city_published": published,
            "members": [{**{k: v for k, v in m.items() if k != "components"}, "score": _score(m["score"])}
                        for m in members],
            "rows": rows, "peers": sum(1 for m in members if not m["is_city"])}
