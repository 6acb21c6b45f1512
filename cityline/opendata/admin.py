"""Editor for the open data platform: the asset register (B13), themes, datasets and distributions (B8).

Versions and privacy reviews are written by the upload and the privacy gate
(:mod:`cityline.opendata.services`), never typed in: the editor shows them read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from .models import DataAsset, Dataset, Distribution, DistributionVersion, PrivacyReview, Theme


@admin.register(DataAsset)
class DataAssetAdmin(CitylineAdmin):
    list_display = ["name", "key", "asset_type", "owner", "domain", "reuse_potential", "personal_data"]
    list_filter = ["asset_type", "personal_data", "reuse_potential"]
    search_fields = ["name", "key", "description", "domain"]
    ordering = ["name"]
    autocomplete_fields = ["owner", "standards", "building_block"]
    fieldsets = [
        (_("Asset (B13)"), {"fields": ["key", "name", "asset_type", "description", "owner", "domain"]}),
        (_("Reuse"), {"fields": ["reuse_policy", "reuse_potential", "personal_data", "standards",
                                 "building_block"]}),
    ]


@admin.register(Theme)
class ThemeAdmin(CitylineAdmin):
    list_display = ["title", "key", "eu_theme"]
    list_filter = ["eu_theme"]
    search_fields = ["title", "key", "description"]
    ordering = ["title"]


class DistributionInline(CityTabularInline):
    model = Distribution
    fields = ["key", "title", "kind", "format", "access_url"]
    extra = 0
    show_change_link = True


@admin.register(Dataset)
class DatasetAdmin(CitylineAdmin):
    list_display = ["title", "key", "publisher", "licence", "access_level", "published", "gate", "public"]
    list_filter = ["published", "gate", "access_level", "licence", "frequency", "themes"]
    search_fields = ["title", "key", "description", "keywords"]
    ordering = ["title"]
    autocomplete_fields = ["themes", "publisher", "contact_point", "asset", "kpis", "services"]
    readonly_fields = ["gate", "public", "uuid", "steward_pages", "take_up_totals"]
    inlines = [DistributionInline]
    fieldsets = [
        (_("Dataset (B8)"), {"fields": ["key", "title", "description", "keywords", "themes"]}),
        (_("Who and on what terms"), {"fields": ["publisher", "contact_point", "licence", "access_level",
                                                 "publication_model"]}),
        (_("Coverage and updates"), {"fields": ["spatial", "temporal_start", "temporal_end", "frequency",
                                                "issued", "modified", "landing_page", "conforms_to"]}),
        (_("Line of sight"), {"fields": ["asset", "kpis", "services"]}),
        (_("Privacy gate (B8, B10)"), {"fields": ["microdata", "quasi_identifiers", "k_threshold", "published",
                                                  "gate", "steward_pages", "public", "uuid"]}),
        (_("Take-up (B7.d)"), {"fields": ["take_up_totals"]}),
    ]

    @admin.display(description=_("views, downloads and API calls"))
    def take_up_totals(self, obj):
        """All-time take-up counts of the dataset (:func:`cityline.opendata.takeup.totals`)."""
        from .takeup import totals

        if obj is None or obj.pk is None:
            return "—"
        return _("%(view)s views, %(download)s downloads, %(api)s API calls") % totals(obj)

    @admin.display(description=_("steward pages"))
    def steward_pages(self, obj):
        """Links to the upload and privacy gate pages (``cityline.opendata.steward``)."""
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>',
                           reverse("admin:opendata_dataset_upload", args=[obj.pk]), _("Upload a new version"),
                           reverse("admin:opendata_dataset_gate", args=[obj.pk]), _("Privacy gate"))

    def get_urls(self):
        from . import steward

        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/upload/", view(lambda request, object_id: steward.upload_view(
                self, request, object_id)), name="opendata_dataset_upload"),
            path("<path:object_id>/gate/", view(lambda request, object_id: steward.gate_view(
                self, request, object_id)), name="opendata_dataset_gate"),
            *super().get_urls(),
        ]


class VersionInline(CityTabularInline):
    model = DistributionVersion
    fields = ["number", "original_name", "byte_size", "row_count", "checksum", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Distribution)
class DistributionAdmin(CitylineAdmin):
    list_display = ["title", "key", "dataset", "kind", "format"]
    list_filter = ["kind", "format"]
    search_fields = ["title", "key", "description", "dataset__title"]
    ordering = ["dataset", "key"]
    autocomplete_fields = ["dataset"]
    readonly_fields = ["generated", "uuid"]
    inlines = [VersionInline]
    fieldsets = [
        (_("Distribution (B8)"), {"fields": ["key", "dataset", "title", "description", "kind", "format",
                                             "media_type", "access_url", "pack_file"]}),
        (_("Structure and links"), {"fields": ["key_columns", "about_url", "column_links", "declared_schema"]}),
        (_("Bookkeeping"), {"fields": ["generated", "uuid"]}),
    ]


@admin.register(PrivacyReview)
class PrivacyReviewAdmin(CitylineAdmin):
    list_display = ["distribution_version", "dataset", "result", "k", "steward", "created_at"]
    list_filter = ["result"]
    search_fields = ["dataset__title", "justification"]
    ordering = ["-created_at"]
    readonly_fields = ["dataset", "distribution_version", "result", "report", "k", "steward", "justification", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
