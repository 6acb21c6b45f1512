"""Stored parts of the self-assessment: attestations, per-city settings and dated snapshots (issue 9).

The rules themselves are code (:mod:`.registry`, :mod:`.rules`); what a city stores is what the data
cannot show (staff *attestations* with their evidence and expiry), its own *settings* (threshold
overrides and whether the assessment is public, B2.g) and dated *snapshots* of the results so
progress reads over time (C2.e).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import City, CityRecord, Document, KeyedRecord, Person

from . import registry


class AttestationOutcome(models.TextChoices):
    MET = registry.MET, _("met")
    PARTLY_MET = registry.PARTLY_MET, _("partly met")


class Attestation(KeyedRecord):
    """A staff statement that a recommendation is (partly) met where the data cannot show it, with
    the document that backs it and the date it must be renewed by."""

    recommendation = models.CharField(
        _("recommendation"), max_length=20,
        help_text=_("The ISO 37106 recommendation ID this attestation is about, e.g. B4.c.5."),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=AttestationOutcome.choices)
    statement = models.TextField(_("statement"), help_text=_("What is in place, in plain language."))
    evidence = models.ForeignKey(
        Document, on_delete=models.RESTRICT, null=True, blank=True, related_name="attestations",
        verbose_name=_("evidence document"), help_text=_("The document that shows it (recommended)."),
    )
    attested_by = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="attestations",
                                    verbose_name=_("attested by"))
    attested_on = models.DateField(_("attested on"))
    expires = models.DateField(_("expires"), help_text=_("After this date the attestation no longer counts."))

    class Meta(KeyedRecord.Meta):
        ordering = ["recommendation", "-attested_on", "key"]
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")

    def __str__(self) -> str:
        return f"{self.recommendation}: {self.statement[:60]}"

    def clean(self) -> None:
        super().clean()
        if self.recommendation and self.recommendation not in registry.recommendation_ids():
            raise ValidationError({"recommendation": _("%(id)s is not an ISO 37106 recommendation ID "
                                                       "(see the list in docs/assessment.md)")
                                   % {"id": self.recommendation}})
        attestable = registry.attestable_ids()
        if self.recommendation and self.recommendation not in attestable:
            raise ValidationError({"recommendation": _(
                "%(id)s is assessed from the city's records alone, so an attestation of it would count for "
                "nothing; recommendations that take an attestation: %(ids)s") % {
                    "id": self.recommendation, "ids": ", ".join(attestable) or "—"}})
        if self.attested_on and self.expires and self.expires <= self.attested_on:
            raise ValidationError({"expires": _("must be after the attestation date")})


#: What a threshold's value must be, by kind (:func:`.registry.threshold_kind`), as the error says it.
THRESHOLD_RULES = {
    registry.SHARE: _("%(name)s is a share: a number from 0 to 1 (0.6 for 60%%), not %(value)s"),
    registry.COUNT: _("%(name)s must be a whole number of at least 0, not %(value)s"),
    registry.TEXT_LIST: _("%(name)s must be a list of identifiers (e.g. [CC-BY-4.0, CC0-1.0]), not %(value)s"),
}


class AssessmentSettings(CityRecord):
    """The city's own thresholds for the rules and whether its assessment is public (B2.g)."""

    # named on the city, so other records can ask whether the city publishes its assessment
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="assessment_settings",
                             verbose_name=_("city"))
    thresholds = models.JSONField(
        _("thresholds"), default=dict, blank=True,
        help_text=_("Threshold name → value, overriding the documented defaults of the rules."),
    )
    publish = models.BooleanField(
        _("publish the assessment"), default=False,
        help_text=_("Show the assessment on the public site and to anonymous API users (B2.g)."),
    )
    licence = models.CharField(
        _("licence"), max_length=100, default="CC-BY-4.0", blank=True,
        help_text=_("Licence of the published assessment (an SPDX identifier such as CC-BY-4.0, or a URL); "
                    "named in its DCAT description."),
    )

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")
        constraints = [models.UniqueConstraint(fields=["city"], name="assessment_one_settings_per_city")]

    def __str__(self) -> str:
        return str(_("Assessment settings"))

    def clean(self) -> None:
        super().clean()
        self._clean_licence()
        if not isinstance(self.thresholds, dict):
            raise ValidationError({"thresholds": _("must be a mapping of threshold names to values")})
        declared = registry.declared_thresholds()
        unknown = sorted(str(n) for n in set(self.thresholds) - set(declared))
        problems = []
        if unknown:
            problems.append(_("unknown threshold(s): %(names)s; known: %(known)s") % {
                "names": ", ".join(unknown), "known": ", ".join(sorted(declared)) or "—"})
        for name, value in sorted(self.thresholds.items(), key=lambda item: str(item[0])):
            if name not in declared:
                continue
            kind = registry.threshold_kind(declared[name])
            if not registry.threshold_fits(value, kind):
                shown = json.dumps(value, ensure_ascii=False, default=str)
                problems.append(THRESHOLD_RULES[kind] % {"name": name, "value": shown})
        if problems:
            raise ValidationError({"thresholds": problems})

    def _clean_licence(self) -> None:
        """An SPDX identifier (a licence Cityline knows is stored as its identifier however it is written) or the
        URL of the terms (DCAT needs an IRI). Any other text is refused only when the licence changes to it: one
        stored before this check stays as it is, so it never blocks an edit of the thresholds or a pack import."""
        from .licences import KNOWN, canonical

        stored = canonical(self.licence)
        if stored is not None:
            self.licence = stored
            return
        before = (type(self)._default_manager.filter(pk=self.pk).values_list("licence", flat=True).first()
                  if self.pk else None)
        if before is not None and (self.licence or "").strip() == before.strip():
            self.licence = before
            return
        raise ValidationError({"licence": _(
            "%(value)s is not a licence identifier: give an SPDX identifier (e.g. %(known)s) or the URL of "
            "its terms (https://…)") % {"value": repr(self.licence.strip()), "known": ", ".join(KNOWN.values())}})


class Snapshot(CityRecord):
    """The assessment of one city as on one date: every result and the maturity summary (C2.e)."""

    taken_on = models.DateField(_("taken on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    results = models.JSONField(_("results"), default=list, help_text=_("Every rule's result."))
    maturity = models.JSONField(_("maturity"), default=dict, help_text=_("Scores and levels per component."))

    class Meta:
        ordering = ["-taken_on"]
        verbose_name = _("assessment snapshot")
        verbose_name_plural = _("assessment snapshots")
        constraints = [models.UniqueConstraint(fields=["city", "taken_on"], name="assessment_one_snapshot_per_day")]

    def __str__(self) -> str:
        return str(_("Assessment of %(date)s") % {"date": self.taken_on.isoformat() if self.taken_on else "?"})
