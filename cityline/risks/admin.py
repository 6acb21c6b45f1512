"""Editor for the risk register (D): responses inline, score and rating shown."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from .models import Risk, RiskResponse


class ResponseInline(CityTabularInline):
    model = RiskResponse
    fields = ["order", "kind", "description", "cost", "status", "due_date"]


@admin.register(Risk)
class RiskAdmin(CitylineAdmin):
    list_display = ["title", "key", "area", "nature", "likelihood", "impact", "score_display", "owner", "status",
                    "next_review"]
    list_filter = ["area", "nature", "status", "likelihood", "impact"]
    search_fields = ["title", "key", "cause", "effect"]
    ordering = ["key"]
    autocomplete_fields = ["owner", "threatens", "reviewed_at"]
    readonly_fields = ["score_display"]
    inlines = [ResponseInline]
    fieldsets = [
        (_("Risk (D.1)"), {"fields": ["key", "title", "cause", "effect", "area", "nature"]}),
        (_("Rating"), {"fields": ["likelihood", "impact", "score_display"]}),
        (_("Ownership and review"), {"fields": ["owner", "status", "last_reviewed", "next_review", "reviewed_at"]}),
        (
            _("What it threatens (C3.c)"),
            {"fields": ["threatens"],
             "description": _("Link the risk to the benefit-map nodes it puts in danger; the outcomes and "
                              "purposes downstream of them are endangered too.")},
        ),
    ]

    @admin.display(description=_("score"))
    def score_display(self, obj: Risk | None) -> str:
        if obj is None or obj.pk is None or not obj.likelihood or not obj.impact:
            return "—"
        return f"{obj.score} ({obj.rating_label})"


@admin.register(RiskResponse)
class RiskResponseAdmin(CitylineAdmin):
    list_display = ["risk", "kind", "status", "cost", "due_date"]
    list_filter = ["kind", "status"]
    search_fields = ["description", "risk__title"]
    ordering = ["risk", "order"]
    autocomplete_fields = ["risk"]
