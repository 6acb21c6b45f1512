"""The ISO 37106 self-assessment: one rule per recommendation ID, registered declaratively.

A rule is a small function that looks at one city's data and says how far the city
meets one recommendation::

    @rule("B4.c.2", title=_("The procurement pipeline is published and kept up to date"),
          thresholds={"pipeline_fresh_days": 180})
    def pipeline_is_current(ctx: Context) -> Result:
        entries = ProcurementEntry.objects.filter(city=ctx.city)
        if not entries:
            return ctx.not_met(_("No procurement is on the pipeline."), _("Add the coming procurements."))
        ...
        return ctx.met(_("%(n)d procurements, last updated %(date)s.") % {...},
                       evidence=[ctx.evidence(e) for e in entries])

Rules are plain Python over the ORM (the registry itself is plain Python); they live in
``cityline/assessment/rules/<component>.py`` and are imported by :func:`load_rules`.
``reference/recommendations.csv`` lists every ID; a test fails when one has no rule.

Outcomes: ``met``, ``partly_met``, ``not_met``, ``not_applicable``. Each result carries the
reason in plain language, the next step that would move it up, and the evidence (links to
the exact records). Where the data cannot show a recommendation (a culture change, say),
the rule is declared ``attestable=True``: a current staff attestation (with its evidence
document and expiry date) then raises a ``not_met`` or ``partly_met`` result to what the
attestation states, and the result says it rests on an attestation.

Thresholds (freshness windows, minimum shares) are declared with their defaults on the
rule; a city may override any of them (``Context.threshold``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import Any

MET, PARTLY_MET, NOT_MET, NOT_APPLICABLE = "met", "partly_met", "not_met", "not_applicable"
OUTCOMES = (MET, PARTLY_MET, NOT_MET, NOT_APPLICABLE)
#: Points per outcome for the roll-ups (not applicable is left out of the average).
SCORES = {MET: 1.0, PARTLY_MET: 0.5, NOT_MET: 0.0}

COMPONENTS = ("A", "B-strategy", "B-service", "B-resource", "C", "D")
REFERENCE = Path(__file__).resolve().parent / "reference" / "recommendations.csv"
#: Modules under cityline/assessment/rules/ holding the rules, one per component (or group).
RULE_MODULES = ("principles", "strategy", "service", "resource", "benefits", "risks")


def recommendation_ids() -> dict[str, str]:
    """Every recommendation ID at its finest level → its component, in the standard's order."""
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["component"] for row in csv.DictReader(handle)}


@dataclass(frozen=True)
class Evidence:
    """A record a result rests on: what it is, its key, and where to see it (editor or public URL)."""

    label: str
    kind: str = ""  # e.g. "strategy.procuremententry"
    key: str = ""
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "kind": self.kind, "key": self.key, "url": self.url}


@dataclass(frozen=True)
class Result:
    """How far the city meets one recommendation, why, and what to do next."""

    id: str
    outcome: str
    reason: str
    next_step: str = ""
    evidence: tuple[Evidence, ...] = ()
    #: the attestation the result rests on (its key), when data alone did not show it
    attestation: str | None = None
    #: the measured share behind a partly met result, 0..1, when the rule has one
    share: float | None = None

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"{self.id}: unknown outcome {self.outcome!r}")

    @property
    def score(self) -> float | None:
        return SCORES.get(self.outcome)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "outcome": self.outcome, "reason": str(self.reason), "next_step": str(self.next_step),
                "evidence": [e.as_dict() for e in self.evidence], "attestation": self.attestation,
                "share": self.share}


@dataclass(frozen=True)
class Attestation:
    """A staff statement that a recommendation is (partly) met where data cannot show it."""

    key: str
    recommendation: str
    outcome: str  # met or partly_met
    statement: str
    evidence: Evidence | None
    expires: date


@dataclass
class Context:
    """What a rule sees: the city, the date, the city's thresholds and its current attestations."""

    city: Any
    on_date: date
    thresholds: dict[str, Any] = field(default_factory=dict)
    attestations: dict[str, Attestation] = field(default_factory=dict)
    #: the results are for the public face (B2.g): reasons and evidence name no unpublished record
    public: bool = False
    #: set by the engine while a rule runs
    current: Rule | None = None

    def threshold(self, name: str) -> Any:
        """The city's value for a threshold of the current rule, or the rule's default."""
        if name in self.thresholds:
            return self.thresholds[name]
        if self.current is not None and name in self.current.thresholds:
            return self.current.thresholds[name]
        for r in RULES.values():
            if name in r.thresholds:
                return r.thresholds[name]
        raise KeyError(f"no rule declares a threshold named {name!r}")

    def may_name(self, record: Any) -> bool:
        """Whether a result may name ``record``: always for staff; on the public face only when the record
        is public, i.e. has no ``published`` or ``public`` flag that is off (an unpublished KPI, C2.f)."""
        return not self.public or all(getattr(record, flag, True) is not False for flag in ("published", "public"))

    # -- result helpers: the current rule's id is filled in ------------------------------

    def _result(self, outcome: str, reason, next_step="", evidence: Iterable[Evidence] = (), share=None) -> Result:
        return Result(self.current.id, outcome, reason, next_step, tuple(evidence), share=share)

    def met(self, reason, evidence: Iterable[Evidence] = (), next_step="") -> Result:
        return self._result(MET, reason, next_step, evidence)

    def partly_met(self, reason, next_step, evidence: Iterable[Evidence] = (), share: float | None = None) -> Result:
        return self._result(PARTLY_MET, reason, next_step, evidence, share)

    def not_met(self, reason, next_step, evidence: Iterable[Evidence] = ()) -> Result:
        return self._result(NOT_MET, reason, next_step, evidence)

    def not_applicable(self, reason) -> Result:
        return self._result(NOT_APPLICABLE, reason)

    def share(self, done: int, total: int, *, minimum: float, reason, next_step,
              evidence: Iterable[Evidence] = ()) -> Result:
        """met when every one of ``total`` is done, partly met from ``minimum`` share, else not met."""
        if total == 0:
            return self._result(NOT_MET, reason, next_step, evidence, 0.0)
        ratio = done / total
        if done == total:
            return self._result(MET, reason, "", evidence, 1.0)
        outcome = PARTLY_MET if ratio >= minimum else NOT_MET
        return self._result(outcome, reason, next_step, evidence, ratio)

    @staticmethod
    def evidence(record: Any, label: str | None = None) -> Evidence:
        """Evidence pointing at a stored record (its editor page; the public page where the rule knows one)."""
        from django.urls import NoReverseMatch, reverse

        meta = record._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
        except NoReverseMatch:
            url = ""
        return Evidence(label or str(record), f"{meta.app_label}.{meta.model_name}",
                        str(getattr(record, "key", "") or record.pk), url)


@dataclass(frozen=True)
class Rule:
    id: str
    title: Any
    run: Callable[[Context], Result]
    thresholds: dict[str, Any]
    attestable: bool
    #: the effort to close the gap when not met: "low", "medium" (default) or "high" (gap ranking)
    effort: str = "medium"


RULES: dict[str, Rule] = {}


EFFORTS = ("low", "medium", "high")


def rule(id: str, *, title, thresholds: dict[str, Any] | None = None, attestable: bool = False,
         effort: str = "medium") -> Callable:
    """Register the rule for recommendation ``id`` (one per ID); ``effort`` ranks its gap (low, medium, high)."""
    if effort not in EFFORTS:
        raise ValueError(f"{id}: effort must be one of {', '.join(EFFORTS)}, not {effort!r}")

    def decorator(run: Callable[[Context], Result]) -> Callable[[Context], Result]:
        if id in RULES and RULES[id].run is not run:
            raise ValueError(f"a rule for {id} is already registered ({RULES[id].run.__module__})")
        RULES[id] = Rule(id, title, run, dict(thresholds or {}), attestable, effort)
        return run

    return decorator


def load_rules() -> dict[str, Rule]:
    """Import every rule module (idempotent) and return the registry."""
    for name in RULE_MODULES:
        import_module(f"cityline.assessment.rules.{name}")
    return RULES


def attestable_ids() -> list[str]:
    """The recommendations whose rule takes a staff attestation, in the standard's order; any other rule
    reads the city's records only, so an attestation of it would count for nothing."""
    rules = load_rules()
    return [i for i in recommendation_ids() if i in rules and rules[i].attestable]


def declared_thresholds() -> dict[str, Any]:
    """Every threshold the loaded rules declare → its default (the first rule declaring it wins)."""
    out: dict[str, Any] = {}
    for r in load_rules().values():
        for name, default in r.thresholds.items():
            out.setdefault(name, default)
    return out


#: What a city's value for a threshold must be, read from the kind of its default (see :func:`threshold_kind`).
SHARE, COUNT, TEXT_LIST, ANY = "share", "count", "text_list", "any"


def threshold_kind(default: Any) -> str:
    """The kind of value a threshold takes, from its default: a fraction is a *share* (or weight) from 0 to 1,
    a whole number a *count* (of days, records, organisations ...) of at least 0, a list or tuple a *list of
    text* (e.g. licence identifiers); anything else is left to the rule."""
    if isinstance(default, bool):
        return ANY
    if isinstance(default, float):
        return SHARE
    if isinstance(default, int):
        return COUNT
    if isinstance(default, (list, tuple)):
        return TEXT_LIST
    return ANY


def threshold_fits(value: Any, kind: str) -> bool:
    """Whether ``value`` can stand for a threshold of ``kind``: a share of 60 %, written 60, or one licence
    written as text where a list is expected, would otherwise give wrong results without a word."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == SHARE:
        return number and 0 <= value <= 1
    if kind == COUNT:
        return number and value >= 0 and float(value).is_integer()
    if kind == TEXT_LIST:
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) and v.strip() for v in value)
    return True


def run_rule(r: Rule, ctx: Context) -> Result:
    """Run one rule; apply a current attestation when the data alone does not show the recommendation."""
    ctx.current = r
    try:
        result = r.run(ctx)
    finally:
        ctx.current = None
    if result.id != r.id:
        raise ValueError(f"rule {r.id} returned a result for {result.id}")
    att = ctx.attestations.get(r.id)
    if (r.attestable and att is not None and att.expires >= ctx.on_date
            and SCORES.get(att.outcome, 0) > (result.score or 0) and result.outcome != NOT_APPLICABLE):
        evidence = result.evidence + ((att.evidence,) if att.evidence else ())
        result = Result(r.id, att.outcome, att.statement, result.next_step, evidence, attestation=att.key,
                        share=result.share)
    if ctx.public:   # evidence links lead into the editor, which is for staff: the public face keeps the labels
        result = replace(result, evidence=tuple(replace(e, url="") for e in result.evidence))
    return result


def evaluate(ctx: Context, ids: Iterable[str] | None = None) -> list[Result]:
    """Run the rules (all, or ``ids``) for one city, in the order of the recommendations file."""
    rules = load_rules()
    wanted = list(recommendation_ids()) if ids is None else list(ids)
    return [run_rule(rules[i], ctx) for i in wanted if i in rules]
