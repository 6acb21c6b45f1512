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
