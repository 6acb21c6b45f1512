"""Editor for the benefit map (C1): nodes with their outgoing links inline."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from .models import BenefitLink, BenefitNode


class OutgoingLinkInline(CityTabularInline):
    model = BenefitLink
    fk_name = "source"
    fields = ["target", "weight", "evidence", "rationale", "sources"]
    autocomplete_fields = ["target"]
    verbose_name = _("link to a node further along the chain")
    verbose_name_plural = _("links to nodes further along the chain")


@admin.register(BenefitNode)
class BenefitNodeAdmin(CitylineAdmin):
    list_display = ["title", "key", "kind", "output_type", "benefit_owner"]
    list_filter = ["kind", "output_type", "governance_change", "purpose"]
    search_fields = ["title", "key", "description"]
    ordering = ["kind", "title"]
    autocomplete_fields = ["benefit_owner", "initiatives", "projects"]
    inlines = [OutgoingLinkInline]
    fieldsets = [
        (
            _("Benefit map node (C1)"),
            {
                "fields": ["key", "kind", "title", "description"],
                "description": _(
                    "Line of sight runs from investments through outputs and outcomes to the city's "
                    "strategic purposes (C1)."
                ),
            },
        ),
        (_("Outputs"), {"fields": ["output_type", "governance_change"]}),
        (_("Investments"), {"fields": ["cost", "initiatives", "projects"]}),
        (_("Outcomes and purposes"), {"fields": ["benefit_owner", "purpose"]}),
    ]


@admin.register(BenefitLink)
class BenefitLinkAdmin(CitylineAdmin):
    list_display = ["source", "target", "evidence", "weight"]
    list_filter = ["evidence", "source__kind", "target__kind"]
    search_fields = ["source__title", "target__title", "rationale"]
    ordering = ["source__key", "target__key"]
    autocomplete_fields = ["source", "target"]
