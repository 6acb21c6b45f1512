"""The assessment engine over the database: context, assessment, snapshots and their differences.

One data function feeds every face (CLI, API, public page, gap report): :func:`assess` returns an
:class:`Assessment` whose :meth:`Assessment.as_dict` is plain JSON-ready data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from cityline.core import actions
from cityline.core.history import Change, city_history
from cityline.core.models import City

from . import registry
from .domain import maturity as mat
from .models import AssessmentSettings, Attestation, Snapshot

OUTCOME_LABELS = {registry.MET: "met", registry.PARTLY_MET: "partly met", registry.NOT_MET: "not met",
                  registry.NOT_APPLICABLE: "not applicable"}


def outcome_label(outcome: str | None) -> str:
    labels = {registry.MET: _("met"), registry.PARTLY_MET: _("partly met"), registry.NOT_MET: _("not met"),
              registry.NOT_APPLICABLE: _("not applicable"), None: _("no result")}
    return str(labels.get(outcome, outcome))


def settings_for(city: City) -> AssessmentSettings | None:
    return AssessmentSettings.objects.filter(city=city).first()


def is_published(city: City) -> bool:
    """Whether the city publishes its assessment (B2.g)."""
    s = settings_for(city)
    return bool(s and s.publish)


def current_attestations(city: City, on_date: date) -> dict[str, Attestation]:
    """Per recommendation, the attestation that counts on ``on_date``: the latest one made by then
    that has not expired, else the latest one made by then (expired, so it will not count)."""
    chosen: dict[str, Attestation] = {}
    qs = (Attestation.objects.filter(city=city, attested_on__lte=on_date)
          .select_related("evidence").order_by("recommendation", "-attested_on", "key"))
    for att in qs:
        have = chosen.get(att.recommendation)
        if have is None or (have.expires < on_date <= att.expires):
            chosen[att.recommendation] = att
    return chosen


def context_for(city: City, on_date: date | None = None, *, public: bool = False) -> registry.Context:
    """The rules' view of one city on one date: its thresholds and its current attestations.

    ``public``: the results are for the public face, so they name no unpublished record (they count it).
    """
    on_date = on_date or timezone.localdate()
    s = settings_for(city)
    attestations = {}
    for rid, att in current_attestations(city, on_date).items():
        evidence = registry.Context.evidence(att.evidence) if att.evidence_id else None
        attestations[rid] = registry.Attestation(att.key, rid, att.outcome, att.statement, evidence, att.expires)
    return registry.Context(city, on_date, dict(s.thresholds) if s else {}, attestations, public=public)


@dataclass
class Assessment:
    city: City
    on_date: date
    results: list[registry.Result]
    maturity: mat.Maturity
    gaps: list[mat.Gap] = field(default_factory=list)

    def result_rows(self) -> list[dict[str, Any]]:
        """Every result as plain data, with the rule's title, component and effort."""
        return describe(r.as_dict() for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"city": self.city.key, "city_name": self.city.name, "on": self.on_date.isoformat(),
                "maturity": self.maturity.as_dict(), "results": self.result_rows(),
                "gaps": [g.as_dict() for g in self.gaps]}


def describe(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Result dicts with what the registry knows about each rule (title, component, effort, labels)."""
    rules = registry.load_rules()
    components = registry.recommendation_ids()
    out = []
    for row in rows:
        r = rules.get(row["id"])
        out.append({**row, "title": str(r.title) if r else "", "component": components.get(row["id"], ""),
                    "effort": r.effort if r else "medium", "outcome_label": outcome_label(row["outcome"])})
    return out


def efforts() -> dict[str, str]:
    return {rid: r.effort for rid, r in registry.load_rules().items()}


def assess(city: City, on_date: date | None = None, *, public: bool = False) -> Assessment:
    """Run every registered rule for ``city`` as on ``on_date`` (default today) and roll them up.

    ``public=True`` is the public face (page, downloads, API for anyone but staff): the outcomes, shares and
    counts are the same, but reasons and evidence name no unpublished record (C2.f).
    """
    ctx = context_for(city, on_date, public=public)
    results = registry.evaluate(ctx)
    rows = [r.as_dict() for r in results]
    return Assessment(city, ctx.on_date, results, mat.maturity(rows, registry.recommendation_ids()),
                      mat.gaps(rows, efforts()))


def take_snapshot(city: City, on_date: date | None = None, *, user=None) -> Snapshot:
    """Store the assessment as on ``on_date``; a second snapshot the same day replaces the first."""
    a = assess(city, on_date)
    results = [r.as_dict() for r in a.results]
    existing = Snapshot.objects.filter(city=city, taken_on=a.on_date).first()
    if existing is not None:
        return actions.update(existing, version=existing.version, user=user, results=results,
                              maturity=a.maturity.as_dict())
    return actions.create(Snapshot, city=city, user=user, taken_on=a.on_date, results=results,
                          maturity=a.maturity.as_dict())


# --- what changed between two snapshots, and why ----------------------------------------------


@dataclass
class Move:
    """One rule whose outcome changed between two snapshots, with the record changes behind it."""

    id: str
    before: str | None
    after: str | None
    changes: list[Change]
    evidence: list[dict[str, str]]

    @property
    def explanation(self) -> str:
        return "" if self.changes else _("no recorded change to its evidence")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "from": self.before, "to": self.after,
                "changes": [c.as_dict() for c in self.changes], "evidence": self.evidence,
                "explanation": self.explanation}


def _model(kind: str):
    try:
        model = apps.get_model(kind)
    except (LookupError, ValueError):
        return None
    return model if hasattr(model, "history") else None


def _record_ids(city: City, model, key: str) -> set[int]:
    """Primary keys a piece of evidence names (by key for keyed records, else by id), deleted ones too."""
    if any(f.name == "key" for f in model._meta.fields):
        return set(model.history.filter(city_id=city.pk, key=key).values_list("id", flat=True))
    return {int(key)} if key.isdigit() else set()


def diff(a: Snapshot, b: Snapshot) -> list[Move]:
    """Rules whose outcome moved from snapshot ``a`` to ``b`` and, for each, the record changes made
    after ``a``'s date up to ``b``'s date to the records either result rests on (its evidence and
    attestation). ``a`` is taken to be the earlier one; they are swapped if not."""
    if a.city_id != b.city_id:
        raise ValueError("the two snapshots belong to different cities")
    if a.taken_on > b.taken_on:
        a, b = b, a
    city = a.city
    before = {r["id"]: r for r in a.results}
    after = {r["id"]: r for r in b.results}
    moves = mat.moved(a.results, b.results)
    wanted: dict[str, list[tuple[Any, str, dict[str, str]]]] = {}
    for rid, _from, _to in moves:
        items: list[tuple[Any, str, dict[str, str]]] = []
        seen = set()
        for row in (before.get(rid), after.get(rid)):
            if not row:
                continue
            evidence = list(row.get("evidence") or [])
            if row.get("attestation"):
                evidence.append({"label": row["attestation"], "kind": "assessment.attestation",
                                 "key": row["attestation"], "url": ""})
            for e in evidence:
                model = _model(e.get("kind", ""))
                if model is None or (e["kind"], e["key"]) in seen:
                    continue
                seen.add((e["kind"], e["key"]))
                items.append((model, e["key"], e))
        wanted[rid] = items
    models_ = sorted({m for items in wanted.values() for m, _k, _e in items}, key=lambda m: m._meta.label)
    changes = city_history(city, models_=models_, limit=100_000) if models_ else []
    in_window = [c for c in changes if a.taken_on < timezone.localdate(c.when) <= b.taken_on]
    out = []
    for rid, frm, to in moves:
        ids_by_model: dict[str, set[int]] = {}
        for model, key, _e in wanted[rid]:
            ids_by_model.setdefault(model._meta.label_lower, set()).update(_record_ids(city, model, key))
        matched = [c for c in in_window if c.object_id in ids_by_model.get(c.model, ())]
        matched.sort(key=lambda c: c.when)
        out.append(Move(rid, frm, to, matched, [e for _m, _k, e in wanted[rid]]))
    return out
