"""The architecture checks of a stored city (B14)."""

from __future__ import annotations

from typing import Any

from cityline.core.models import City
from cityline.strategy.models import RoadmapPhase

from .domain import checks
from .models import BuildingBlock, MigrationStep, Standard


def facts(city: City) -> tuple[list[checks.Block], list[checks.Std], list[checks.Step], dict]:
    blocks = [
        checks.Block(b.key, b.lifecycle, b.owner.key if b.owner_id else None, b.service_contract,
                     tuple(sorted(s.key for s in b.standards.all())))
        for b in BuildingBlock.objects.filter(city=city).select_related("owner").prefetch_related("standards")
    ]
    stds = [checks.Std(s.key, s.status) for s in Standard.objects.filter(city=city)]
    steps = [
        checks.Step(s.key, s.order, s.phase, s.target.key, tuple(sorted(b.key for b in s.replaces.all())),
                    s.due_date, s.status)
        for s in MigrationStep.objects.filter(city=city).select_related("target").prefetch_related("replaces")
    ]
    phases = {p.phase: (p.start_date, p.end_date) for p in RoadmapPhase.objects.filter(city=city)}
    return blocks, stds, steps, phases


def findings(city: City) -> list[checks.Finding]:
    return checks.check(*facts(city))


def architecture_checks(city: City) -> dict[str, Any]:
    """Every finding of the architecture checks, with a count per check (B14)."""
    found = findings(city)
    return {"city": city.key, "findings": [f.as_dict() for f in found], "counts": checks.counts(found)}
