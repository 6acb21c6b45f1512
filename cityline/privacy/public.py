"""Public page of the personal-data inventory: ``/<city>/privacy/`` "Personal data we hold" (B14, B2.g).

Registered in the portal registry, so it joins the city navigation, the static export and the
accessibility audit, with ``privacy.json`` and ``privacy.csv`` downloads. Only published
holdings (and, within them, published purposes) appear; a city with none has no page.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityline.core.models import City
from cityline.portal import registry
from cityline.strategy.public import provenance

from .choices import SPECIAL_CATEGORIES, DataCategory, LawfulBasis
from .models import PersonalDataHolding, ProcessingPurpose

CATEGORY_LABELS = dict(DataCategory.choices)
BASIS_LABELS = dict(LawfulBasis.choices)


def _holdings(city: City):
    return (PersonalDataHolding.objects.filter(city=city, published=True)
            .select_related("holder", "service").prefetch_related("purposes", "shared_with")
            .order_by("holder__name", "name"))


def has_inventory(city: City) -> bool:
    return PersonalDataHolding.objects.filter(city=city, published=True).exists()


def _purpose(p: ProcessingPurpose) -> dict[str, Any]:
    return {"key": p.key, "name": p.name, "description": p.description, "controller": p.controller.name,
            "lawful_basis": p.lawful_basis, "lawful_basis_label": str(BASIS_LABELS.get(p.lawful_basis, "")),
            "asks_consent": p.asks_consent, "policy_url": p.policy_url or None,
            "services": [s.name for s in p.services.all()]}


def _holding(h: PersonalDataHolding) -> dict[str, Any]:
    shared = [o.name for o in h.shared_with.all()]
    if h.shared_with_others:
        shared.append(h.shared_with_others)
    return {
        "key": h.key, "name": h.name, "description": h.description,
        "holder": h.holder.name, "service": h.service.name if h.service else None,
        "categories": [{"code": c, "label": str(CATEGORY_LABELS.get(c, c)), "special": c in SPECIAL_CATEGORIES}
                       for c in h.categories or []],
        "data_subjects": h.data_subjects,
        "purposes": [{"key": p.key, "name": p.name, "asks_consent": p.asks_consent}
                     for p in h.purposes.all() if p.published],
        "lawful_basis": h.lawful_basis, "lawful_basis_label": str(BASIS_LABELS.get(h.lawful_basis, "")),
        "retention": h.retention, "retention_days": h.retention_days,
        "shared_with": shared,
        "transfers_outside_eea": h.transfers_outside_eea, "transfers": h.transfers or None,
        "security_measures": h.security_measures or None,
    }


def inventory(city: City) -> dict[str, Any]:
    """The city's published inventory, grouped by holder, and its published purposes."""
    records = list(_holdings(city))
    groups: list[dict[str, Any]] = []
    for h in records:
        if not groups or groups[-1]["holder_key"] != h.holder.key:
            groups.append({"holder": h.holder.name, "holder_key": h.holder.key, "holdings": []})
        groups[-1]["holdings"].append(_holding(h))
    purposes = list(ProcessingPurpose.objects.filter(city=city, published=True)
                    .select_related("controller").prefetch_related("services"))
    return {
        "holders": groups,
        "holdings": [h for g in groups for h in g["holdings"]],
        "purposes": [_purpose(p) for p in purposes],
        "summary": {"holdings": len(records), "holders": len(groups),
                    "special": sum(1 for h in records if h.special),
                    "asking_consent": sum(1 for p in purposes if p.asks_consent)},
        "provenance": provenance(city, [*records, *purposes]),
    }


def inventory_rows(data: dict[str, Any]):
    header = ["holder", "system", "service", "categories", "data_subjects", "purposes", "lawful_basis",
              "retention", "retention_days", "shared_with", "transfers_outside_eea", "transfers"]
    rows = [[h["holder"], h["name"], h["service"] or "", ";".join(c["code"] for c in h["categories"]),
             h["data_subjects"], ";".join(p["key"] for p in h["purposes"]), h["lawful_basis"], h["retention"],
             h["retention_days"] if h["retention_days"] is not None else "", ";".join(h["shared_with"]),
             h["transfers_outside_eea"], h["transfers"] or ""]
            for h in data["holdings"]]
    return header, rows


PAGE = registry.register(registry.DataPage(
    name="privacy", title=_("Personal data we hold"), order=130, data=inventory,
    template="privacy/inventory.html", shown=has_inventory,
    description=_("Which personal data the city and its partners hold, about whom, why, for how long and "
                  "with whom they share it."),
    tables={"": inventory_rows},
))
