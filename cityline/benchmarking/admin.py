"""Editor for peer cities and their values (B3.c, C2.c); imports are the usual way in (`cityline benchmark`)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from .models import PeerAssessment, PeerCity, PeerValue


class PeerValueInline(CityTabularInline):
    model = PeerValue
    fields = ["source", "code", "name", "period_end", "value", "unit"]
    extra = 0


@admin.register(PeerCity)
class PeerCityAdmin(CitylineAdmin):
    list_display = ["name", "key", "country", "population", "source_kind", "imported_at", "licence"]
    list_filter = ["source_kind", "country"]
    search_fields = ["name", "key", "source"]
    ordering = ["name"]
    inlines = [PeerValueInline]
    fieldsets = [
        (_("Peer city"), {"fields": ["key", "name", "country", "population"]}),
        (_("Where the values came from"), {"fields": ["source_kind", "source", "imported_at", "licence"]}),
    ]


@admin.register(PeerValue)
class PeerValueAdmin(CitylineAdmin):
    list_display = ["peer", "source", "code", "name", "period_end", "value", "unit"]
    list_filter = ["source", "peer"]
    search_fields = ["code", "name", "peer__name"]
    ordering = ["peer__key", "source", "code", "period_end"]
    autocomplete_fields = ["peer"]


@admin.register(PeerAssessment)
class PeerAssessmentAdmin(CitylineAdmin):
    list_display = ["peer", "taken_on", "score", "level", "source_kind"]
    list_filter = ["peer", "source_kind"]
    search_fields = ["peer__name", "source"]
    ordering = ["peer__key", "-taken_on"]
    autocomplete_fields = ["peer"]
