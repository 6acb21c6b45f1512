"""Peer cities and the indicator values they publish (B3.c, C2.c).

A peer belongs to the city that compares itself with it: the same real city may be a
peer of several hosted cities, each with its own imported copy. Values use the
indicator vocabulary of :mod:`cityline.benefits` (``source`` = the list, ``code`` =
its identifier), so they meet the city's KPIs on the indicators both track.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.benefits.choices import IndicatorSource
from cityline.benefits.models import VALUE_DIGITS, VALUE_PLACES
from cityline.core.models import CityRecord, KeyedRecord

from . import choices


class PeerCity(KeyedRecord):
    """Another city the city compares its KPIs with, and where its data came from (B3.c)."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code."))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True,
                                             validators=[MinValueValidator(1)])
    source_kind = models.CharField(_("imported from"), max_length=20, choices=choices.PeerSourceKind.choices)
    source = models.CharField(_("source"), max_length=500, blank=True,
                              help_text=_("The API address, pack folder or file name the values came from."))
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    licence = models.CharField(_("licence"), max_length=100, blank=True,
                               help_text=_("Licence of the peer's data, as its publisher states it."))

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("peer city")
        verbose_name_plural = _("peer cities")

    def __str__(self) -> str:
        return self.name


class PeerValue(CityRecord):
    """One published value of a peer city: an indicator of a list, for a period (C2.c)."""

    peer = models.ForeignKey(PeerCity, on_delete=models.CASCADE, related_name="values", verbose_name=_("peer city"))
    source = models.CharField(_("list"), max_length=20, choices=IndicatorSource.choices)
    code = models.CharField(_("identifier"), max_length=60, help_text=_("The identifier in the list, e.g. 5.1."))
    name = models.CharField(_("indicator name"), max_length=300, blank=True)
    period_end = models.DateField(_("period end"), help_text=_("Last day of the period; 31 December for a year."))
    value = models.DecimalField(_("value"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    unit = models.CharField(_("unit"), max_length=60, blank=True)

    class Meta:
        ordering = ["peer__key", "source", "code", "period_end"]
        verbose_name = _("peer value")
        verbose_name_plural = _("peer values")
        constraints = [models.UniqueConstraint(fields=["peer", "source", "code", "period_end"],
                                               name="benchmarking_peervalue_unique_period")]

    def __str__(self) -> str:
        return f"{self.peer}: {self.code} {self.period_end.isoformat() if self.period_end else '?'}"

    def clean(self) -> None:
        super().clean()
        if self.source == IndicatorSource.CITY:
            raise ValidationError({"source": _("only indicators of a published list can be compared between cities")})


class PeerAssessment(CityRecord):
    """A peer city's published ISO 37106 maturity on one date: score and level per component and
    overall, the shape of :mod:`cityline.assessment.domain.maturity` (B3.c; issue 9 item 5)."""

    peer = models.ForeignKey(PeerCity, on_delete=models.CASCADE, related_name="assessments",
                             verbose_name=_("peer city"))
    taken_on = models.DateField(_("assessed on"))
    score = models.FloatField(_("overall score"), null=True, blank=True,
                              help_text=_("Mean over the applicable rules: met 1, partly met 0.5, not met 0."))
    level = models.PositiveSmallIntegerField(_("overall level"), null=True, blank=True,
                                             help_text=_("1 (ad hoc) to 5 (optimised); empty when not assessed."))
    components = models.JSONField(_("components"), default=list, blank=True,
                                  help_text=_("One entry per component: component, score, level."))
    source_kind = models.CharField(_("imported from"), max_length=20, choices=choices.PeerSourceKind.choices)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        ordering = ["peer__key", "-taken_on"]
        verbose_name = _("peer assessment")
        verbose_name_plural = _("peer assessments")
        constraints = [models.UniqueConstraint(fields=["peer", "taken_on"],
                                               name="benchmarking_peerassessment_unique_date")]

    def __str__(self) -> str:
        return f"{self.peer}: {self.taken_on.isoformat() if self.taken_on else '?'}"

    def clean(self) -> None:
        super().clean()
        from cityline.assessment.domain.maturity import COMPONENTS

        errors: dict[str, list[str]] = {}
        for field_name, value in (("score", self.score), ("level", self.level)):
            if _maturity_problem(field_name, value):
                errors[field_name] = _maturity_problem(field_name, value)
        if not isinstance(self.components, list):
            errors["components"] = [_("must be a list of {component, score, level}")]
            raise ValidationError(errors)
        problems = []
        seen = set()
        for n, row in enumerate(self.components, start=1):
            if not isinstance(row, dict) or row.get("component") not in COMPONENTS:
                problems.append(_("entry %(n)s: component must be one of %(names)s") % {
                    "n": n, "names": ", ".join(COMPONENTS)})
                continue
            if row["component"] in seen:
                problems.append(_("entry %(n)s: %(name)s appears twice") % {"n": n, "name": row["component"]})
            seen.add(row["component"])
            for key in ("score", "level"):
                problems += [_("entry %(n)s: %(problem)s") % {"n": n, "problem": p}
                             for p in _maturity_problem(key, row.get(key))]
        if problems:
            errors["components"] = problems
        if errors:
            raise ValidationError(errors)


def _maturity_problem(name: str, value) -> list[str]:
    if value is None:
        return []
    if name == "level" and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
        return [_("level %(value)r is not a whole number from 1 to 5") % {"value": value}]
    if name == "score" and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
        return [_("score %(value)r is not a number from 0 to 1") % {"value": value}]
    return []
