"""The comparison of a city with its peers, from the records (B3.c, C2.c); shared by API, page and CLI."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cityline.benefits.choices import IndicatorSource
from cityline.benefits.models import Kpi, Measurement
from cityline.core.models import City

from .domain import compare as rules
from .models import PeerCity, PeerValue

#: A peer value more than this many years from the comparison year is flagged (configurable per call).
MAX_YEAR_GAP = 1


def _warning_text(w: rules.Warning, names: dict[str, str]) -> str:
    peer = names.get(w.peer, w.peer)
    p = w.params
    if w.kind == "unit":
        return _("units differ: %(peer)s gives “%(peer_unit)s”, the city “%(city_unit)s” — not compared") % {
            "peer": peer, "peer_unit": p["peer_unit"], "city_unit": p["city_unit"]}
    if w.kind == "year_gap":
        return _("years differ: %(peer)s's latest value is for %(peer_year)s, compared with %(year)s "
                 "(more than %(max_gap)s year apart)") % {"peer": peer, **p}
    if w.kind == "edition":
        lists = dict(IndicatorSource.choices)
        return _("definitions may differ: %(peer)s reports against %(peer_list)s, the city against %(city_list)s") % {
            "peer": peer, "peer_list": lists.get(p["peer_list"], p["peer_list"]),
            "city_list": lists.get(p["city_list"], p["city_list"])}
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
    series: dict[tuple, rules.PeerSeries] = {}
    for v in PeerValue.objects.filter(city=city).select_related("peer").order_by("peer__key", "period_end"):
        ident = (v.peer.key, v.source, v.code)
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
    }
