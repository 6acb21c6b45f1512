"""Continuity check (B2.f) over a city's stored organisations: gathers the data, the domain decides."""

from __future__ import annotations

from .domain.continuity import Finding, continuity_findings, successor_chain
from .models import City, Organisation


def dependants_of(org: Organisation, limit: int = 20) -> list[str]:
    """Descriptions of the records that still point at ``org`` (its successor links aside)."""
    found: list[str] = []
    for rel in org._meta.related_objects:
        if rel.related_model is Organisation or not (rel.one_to_many or rel.one_to_one):
            continue
        qs = rel.related_model._default_manager.filter(**{rel.field.name: org})
        for obj in qs[:limit]:
            found.append(f"{obj._meta.verbose_name}: {obj}")
    return sorted(found)


def city_findings(city: City) -> list[Finding]:
    """Every broken hand-over among the city's organisations."""
    orgs = list(Organisation.objects.filter(city=city).select_related("successor"))
    data = {o.key: {"name": o.name, "lifecycle": o.lifecycle, "successor": o.successor.key if o.successor_id else None}
            for o in orgs}
    relying = {o.key: dependants_of(o) for o in orgs if o.lifecycle != "active"}
    return continuity_findings(data, relying)


def would_loop(org: Organisation) -> bool:
    """Would saving ``org`` with its current successor create a loop of successors?"""
    if not org.successor_id or not org.pk:
        return False
    successors = dict(
        Organisation.objects.filter(city_id=org.city_id).values_list("pk", "successor_id")
    )
    successors[org.pk] = org.successor_id
    _chain, loops = successor_chain(org.pk, successors)
    return loops
