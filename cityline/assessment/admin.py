"""Editor for the self-assessment: attestations, the city's settings, and snapshots (read only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin

from .models import AssessmentSettings, Attestation, Snapshot


@admin.register(Attestation)
class AttestationAdmin(CitylineAdmin):
    list_display = ["recommendation", "key", "outcome", "attested_by", "attested_on", "expires", "evidence"]
    list_filter = ["outcome", "recommendation"]
    search_fields = ["key", "recommendation", "statement"]
    ordering = ["recommendation", "-attested_on"]
    autocomplete_fields = ["evidence", "attested_by"]
    fieldsets = [
        (_("What is attested"), {"fields": ["key", "recommendation", "outcome", "statement"]}),
        (_("Evidence and validity"), {"fields": ["evidence", "attested_by", "attested_on", "expires"],
                                      "description": _("An attestation counts until it expires; renew it with "
                                                       "fresh evidence.")}),
    ]


@admin.register(AssessmentSettings)
class AssessmentSettingsAdmin(CitylineAdmin):
    list_display = ["__str__", "publish"]
    fields = ["thresholds", "publish", "licence"]


@admin.register(Snapshot)
class SnapshotAdmin(CitylineAdmin):
    list_display = ["taken_on", "created_at"]
    ordering = ["-taken_on"]
    fields = ["taken_on", "created_at", "maturity", "results"]
    readonly_fields = ["taken_on", "created_at", "maturity", "results"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
