"""Editor pages of the privacy area (B10, B14).

Purposes and inventory entries are city records, edited like every other (through the
actions layer, with history; contributors of the controller or holder may keep their own).
Consent events and erasure records are personal evidence: platform administrators may look
at them, nobody edits them here (they are written by the citizen area only).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin

from .choices import DataCategory
from .models import ConsentEvent, ErasureRecord, PersonalDataHolding, ProcessingPurpose


@admin.register(ProcessingPurpose)
class ProcessingPurposeAdmin(CitylineAdmin):
    list_display = ["name", "key", "controller", "lawful_basis", "asks_consent", "published"]
    list_filter = ["lawful_basis", "asks_consent", "published"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["controller", "services"]
    fieldsets = [
        (_("Purpose"), {"fields": ["key", "name", "description", "category", "controller", "services"]}),
        (_("Lawful basis and consent"), {"fields": ["lawful_basis", "asks_consent", "policy_url", "termination",
                                                    "third_parties"]}),
        (_("Contact for consent receipts"), {"fields": ["contact_email", "contact_phone", "contact_address"]}),
        (_("Publication"), {"fields": ["published"]}),
    ]


class HoldingForm(forms.ModelForm):
    """The categories as tick boxes of the fixed list (stored as a JSON list)."""

    categories = forms.TypedMultipleChoiceField(choices=DataCategory.choices, widget=forms.CheckboxSelectMultiple,
                                                label=_("categories of personal data"))

    class Meta:
        model = PersonalDataHolding
        fields = "__all__"


@admin.register(PersonalDataHolding)
class PersonalDataHoldingAdmin(CitylineAdmin):
    list_display = ["name", "key", "holder", "lawful_basis", "retention", "published"]
    list_filter = ["lawful_basis", "transfers_outside_eea", "published"]
    search_fields = ["name", "key", "description", "data_subjects"]
    ordering = ["holder__name", "name"]
    autocomplete_fields = ["holder", "service", "data_asset", "building_block", "purposes", "shared_with"]
    fieldsets = [
        (_("System"), {"fields": ["key", "name", "description", "holder", "service", "data_asset",
                                  "building_block"]}),
        (_("What, about whom, why"), {"fields": ["categories", "data_subjects", "purposes", "lawful_basis"]}),
        (_("Retention and sharing"), {"fields": ["retention", "retention_days", "shared_with",
                                                 "shared_with_others", "transfers_outside_eea", "transfers"]}),
        (_("Protection and publication"), {"fields": ["security_measures", "published"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("categories")
        if field is not None and not isinstance(field, forms.TypedMultipleChoiceField):
            form.base_fields["categories"] = HoldingForm.base_fields["categories"]
        return form


class _PlatformEvidenceAdmin(admin.ModelAdmin):
    """Read-only, and only for platform administrators (``platform_only`` in cityline.accounts.scopes)."""

    def _platform_admin(self, request) -> bool:
        from cityline.accounts.principals import principal_for

        return principal_for(request).platform_admin

    def has_view_permission(self, request, obj=None):
        return self._platform_admin(request)

    def has_module_permission(self, request):
        return self._platform_admin(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(_PlatformEvidenceAdmin):
    list_display = ["receipt_id", "city", "purpose_key", "action", "at", "subject"]
    list_filter = ["city", "action"]
    search_fields = ["receipt_id", "subject", "purpose_key"]
    ordering = ["-at"]
    readonly_fields = ["city", "user", "subject", "purpose", "purpose_key", "purpose_ref", "action", "at", "receipt_id",
                       "receipt"]
    fields = readonly_fields


@admin.register(ErasureRecord)
class ErasureRecordAdmin(_PlatformEvidenceAdmin):
    list_display = ["at", "subject", "note"]
    search_fields = ["subject"]
    ordering = ["-at"]
    readonly_fields = ["at", "subject", "erased", "note"]
    fields = readonly_fields
