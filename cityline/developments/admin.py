"""Editor for developments and infrastructure (B12): the checklist inline, its score shown."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from . import choices
from .models import ChecklistEntry, DevelopmentProject


class ChecklistInline(CityTabularInline):
    model = ChecklistEntry
    fields = ["item", "status", "note"]
    extra = 0


@admin.register(DevelopmentProject)
class DevelopmentProjectAdmin(CitylineAdmin):
    list_display = ["name", "key", "type_list", "stage", "area", "start_date", "end_date", "lead", "score_display"]
    list_filter = ["stage"]
    search_fields = ["name", "key", "description", "area"]
    ordering = ["name"]
    autocomplete_fields = ["lead", "partners", "initiatives", "risks"]
    readonly_fields = ["score_display"]
    inlines = [ChecklistInline]
    fieldsets = [
        (_("Project (B12)"), {"fields": ["key", "name", "description", "infrastructure_types", "stage"]}),
        (_("Place and period"),
         {"fields": ["area", ("latitude", "longitude"), ("box_west", "box_south", "box_east", "box_north"),
                     ("start_date", "end_date")],
          "description": _("Projects in the same area, or whose point or bounding box meets another's, at the "
                           "same time are shown together so they can share works and sensors (B12.b).")}),
        (_("Who and how much"), {"fields": ["lead", "partners", "budget"]}),
        (_("Project roadmap and risks (B12)"), {"fields": ["initiatives", "risks"]}),
        (_("Smart-delivery checklist (B12.a–c)"), {"fields": ["score_display"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "infrastructure_types":
            return forms.MultipleChoiceField(
                label=_("infrastructure types"), choices=choices.InfrastructureType.choices,
                widget=forms.CheckboxSelectMultiple, help_text=_("One or more (B12.b)."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("infrastructure types"))
    def type_list(self, obj):
        labels = dict(choices.InfrastructureType.choices)
        return ", ".join(str(labels.get(t, t)) for t in obj.infrastructure_types or [])

    @admin.display(description=_("checklist completeness"))
    def score_display(self, obj: DevelopmentProject | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        score = obj.checklist_score
        return "—" if score is None else f"{score} %"


@admin.register(ChecklistEntry)
class ChecklistEntryAdmin(CitylineAdmin):
    list_display = ["project", "item", "status"]
    list_filter = ["item", "status"]
    search_fields = ["note", "project__name"]
    ordering = ["project", "item"]
    autocomplete_fields = ["project"]
