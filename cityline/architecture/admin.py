"""Editor for the city-wide architecture (B14): building blocks, standards, the migration plan."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from .models import BuildingBlock, MigrationStep, Standard, StandardCell


class StandardCellInline(CityTabularInline):
    model = StandardCell
    fields = ["process", "dimension"]
    extra = 0


@admin.register(Standard)
class StandardAdmin(CitylineAdmin):
    list_display = ["identifier", "body", "title", "edition", "status", "key"]
    list_filter = ["status", "body"]
    search_fields = ["identifier", "title", "body", "key", "description"]
    ordering = ["body", "identifier"]
    inlines = [StandardCellInline]
    fieldsets = [
        (_("Standard (B14)"), {"fields": ["key", "body", "identifier", "title", "edition", "status", "url",
                                          "description"]}),
    ]


@admin.register(StandardCell)
class StandardCellAdmin(CitylineAdmin):
    list_display = ["standard", "process", "dimension"]
    list_filter = ["process", "dimension"]
    search_fields = ["standard__identifier", "standard__title"]
    ordering = ["standard", "process", "dimension"]
    autocomplete_fields = ["standard"]


@admin.register(BuildingBlock)
class BuildingBlockAdmin(CitylineAdmin):
    list_display = ["name", "key", "kind", "lifecycle", "owner", "reuse_display"]
    list_filter = ["kind", "lifecycle"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["owner", "standards", "used_by_organisations"]
    readonly_fields = ["reuse_display"]
    fieldsets = [
        (_("Building block (B14)"), {"fields": ["key", "name", "kind", "lifecycle", "description"]}),
        (_("Service description and contract"), {"fields": ["service_contract", "service_level", "api_spec_url"]}),
        (_("Ownership and standards"), {"fields": ["owner", "standards"]}),
        (_("Reuse"), {"fields": ["used_by_organisations", "used_by_services", "reuse_display"]}),
    ]

    @admin.display(description=_("reuse count"))
    def reuse_display(self, obj: BuildingBlock | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return str(obj.reuse_count)


@admin.register(MigrationStep)
class MigrationStepAdmin(CitylineAdmin):
    list_display = ["order", "title", "key", "target", "phase", "due_date", "status"]
    list_filter = ["phase", "status"]
    search_fields = ["title", "key", "description"]
    ordering = ["order", "key"]
    autocomplete_fields = ["replaces", "target"]
    fieldsets = [
        (_("Migration step (B14)"), {"fields": ["key", "order", "title", "description"]}),
        (_("From legacy to target"), {"fields": ["replaces", "target"]}),
        (_("Roadmap (B7.a)"), {"fields": ["phase", "due_date", "status"]}),
    ]
