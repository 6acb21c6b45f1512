"""Editor for the core: cities, organisations, people and documents (policy products).

Also the per-city change history page (``/admin/core/city/<key>/timeline/``): the latest
changes across a city's whole operating model, filterable by kind of record and user.
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityline.accounts import authz
from cityline.accounts.principals import principal_for

from . import continuity, history
from .editor import CitylineAdmin, CityTabularInline, viewer_city, viewer_city_list
from .models import AuditEntry, City, Document, Organisation, Person

admin.site.site_header = gettext_lazy("Cityline editor")
admin.site.site_title = gettext_lazy("Cityline editor")
admin.site.index_title = gettext_lazy("Operating model")

TIMELINE_LIMITS = (50, 100, 250, 500)


# --- city and its change history -----------------------------------------------------------


@admin.register(City)
class CityAdmin(CitylineAdmin):
    list_display = ["name", "key", "country", "population", "timeline_link"]
    list_filter = ["country"]
    search_fields = ["name", "key"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["key", "name", "country", "population"]}),
        (gettext_lazy("About"), {"fields": ["description", "website"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # The key names the city in packs and URLs; it is set once.
        return [*fields, "key"] if obj is not None else fields

    @admin.display(description=gettext_lazy("change history"))
    def timeline_link(self, obj: City):
        return format_html('<a href="{}">{}</a>', reverse("admin:core_city_timeline", args=[obj.key]), _("Latest changes"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("timeline/", view(self.timeline_index_view), name="core_city_timeline_index"),
            path("<slug:key>/timeline/", view(self.timeline_view), name="core_city_timeline"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        city = City.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if city is not None:
            extra_context["timeline_url"] = reverse("admin:core_city_timeline", args=[city.key])
        return super().change_view(request, object_id, form_url, extra_context)

    def timeline_index_view(self, request):
        cities = viewer_city_list(request)
        if len(cities) == 1:
            return redirect("admin:core_city_timeline", cities[0].key)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history by city"),
            "opts": self.opts,
            "cities": [(c, reverse("admin:core_city_timeline", args=[c.key])) for c in cities],
        }
        return TemplateResponse(request, "admin/cityline/timeline_index.html", context)

    def timeline_view(self, request, key: str):
        """The latest changes across one city's operating model (issue 2, item 4).

        Only for staff of that city (404 for any other city: its unpublished records and who changed them), and
        only the kinds of record they may view there.
        """
        city = viewer_city(request, key)
        principal = principal_for(request)
        viewable = [m for m in history.tracked_models() if _can_view(principal, m, city)]
        if not viewable:
            raise PermissionDenied
        by_label = {m._meta.label_lower: m for m in viewable}

        model_label = request.GET.get("model", "")
        model = by_label.get(model_label)
        username = request.GET.get("user", "")
        try:
            limit = int(request.GET.get("limit", 100))
        except ValueError:
            limit = 100
        if limit not in TIMELINE_LIMITS:
            limit = 100

        # Only the kinds of record this user may view, and the chosen user's changes.
        changes = history.city_history(city, limit=limit, model=model, models_=viewable, user=username or None)

        rows = _timeline_rows(changes)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %(city)s") % {"city": city.name},
            "subtitle": city.name,
            "opts": self.opts,
            "city": city,
            "city_url": reverse("admin:core_city_change", args=[city.pk]),
            "rows": rows,
            "model_choices": sorted(
                ((label, str(m._meta.verbose_name_plural)) for label, m in by_label.items()),
                key=lambda pair: pair[1].lower(),
            ),
            "user_choices": _history_users(city, viewable),
            "selected_model": model_label if model else "",
            "selected_user": username,
            "limits": TIMELINE_LIMITS,
            "limit": limit,
        }
        return TemplateResponse(request, "admin/cityline/city_timeline.html", context)


def _can_view(principal, model, city: City) -> bool:
    """Whether the principal may view (or change) records of ``model`` in ``city``."""
    return authz.can(principal, "view", model, city_id=city.pk) or authz.can(principal, "change", model,
                                                                                city_id=city.pk)


def _timeline_rows(changes: list[history.Change]) -> list[dict]:
    """Each change with links to the record's editor (if it still exists) and its history."""
    ids = defaultdict(set)
    for ch in changes:
        ids[ch.model].add(ch.object_id)
    existing = {}
    for label, pks in ids.items():
        model = apps.get_model(label)
        existing[label] = set(model._default_manager.filter(pk__in=pks).values_list("pk", flat=True))
    rows = []
    for ch in changes:
        app_label, model_name = ch.model.split(".")
        change_url = history_url = None
        try:
            if ch.object_id in existing[ch.model]:
                change_url = reverse(f"admin:{app_label}_{model_name}_change", args=[ch.object_id])
            history_url = reverse(f"admin:{app_label}_{model_name}_history", args=[ch.object_id])
        except NoReverseMatch:
            pass
        rows.append({"change": ch, "change_url": change_url, "history_url": history_url})
    return rows


def _history_users(city: City, models) -> list[str]:
    user_ids = set()
    for model in models:
        user_ids.update(
            model.history.filter(city_id=city.pk, history_user__isnull=False)
            .values_list("history_user_id", flat=True)
            .distinct()
        )
    users = get_user_model().objects.filter(pk__in=user_ids)
    return sorted(u.get_username() for u in users)


# --- organisations, people, documents ---------------------------------------------------------


class PersonInline(CityTabularInline):
    model = Person
    fields = ["key", "name", "role", "email", "published_contact"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(CitylineAdmin):
    list_display = ["name", "key", "sector", "lifecycle", "successor"]
    list_filter = ["sector", "lifecycle"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["successor"]
    inlines = [PersonInline]
    readonly_fields = ["continuity"]
    fieldsets = [
        (None, {"fields": ["key", "name", "sector", "description", "website"]}),
        (
            gettext_lazy("Continuity (B2.f)"),
            {
                "fields": ["lifecycle", "successor", "continuity"],
                "description": gettext_lazy(
                    "When a partner merges or winds down, name who takes over its assets and services "
                    "so that nothing the programme relies on is lost (B2.f)."
                ),
            },
        ),
    ]


    @admin.display(description=gettext_lazy("hand-over check"))
    def continuity(self, obj: Organisation | None) -> str:
        """What still relies on this organisation, when it is winding down without a working hand-over."""
        if obj is None or obj.pk is None:
            return "—"
        findings = [f for f in continuity.city_findings(obj.city) if f.organisation == obj.key]
        if not findings:
            return _("No hand-over problem.")
        return format_html_join(
            "", "<p>{}</p>{}",
            ((f.message, format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((d,) for d in f.dependants))))
             for f in findings),
        )


@admin.register(Person)
class PersonAdmin(CitylineAdmin):
    list_display = ["name", "role", "organisation", "published_contact"]
    list_filter = ["published_contact", "organisation__sector"]
    search_fields = ["name", "key", "role", "email"]
    ordering = ["name"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["key", "name", "role", "organisation"]}),
        (
            gettext_lazy("Contact (B2.g)"),
            {
                "fields": ["email", "phone", "published_contact"],
                "description": gettext_lazy(
                    "Open governance publishes who leads the programme and how to reach them (B2.g); "
                    "names and roles are public; e-mail and phone only for published contacts."
                ),
            },
        ),
    ]


@admin.register(Document)
class DocumentAdmin(CitylineAdmin):
    list_display = ["title", "doc_type", "status", "owner", "adopted_on", "published_on"]
    list_filter = ["doc_type", "status"]
    search_fields = ["title", "key", "summary"]
    ordering = ["title"]
    autocomplete_fields = ["owner"]
    date_hierarchy = "published_on"
    fieldsets = [
        (None, {"fields": ["key", "title", "doc_type", "owner", "summary", "url"]}),
        (
            gettext_lazy("Status: draft → adopted → published"),
            {
                "fields": ["status", "adopted_on", "published_on"],
                "description": gettext_lazy(
                    "A policy product only moves forward: once adopted it cannot return to draft, "
                    "and published documents keep their publication date (B2.g, B5)."
                ),
            },
        ),
    ]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit chain, read-only, for platform administrators (B2.g): ``cityline audit verify`` checks it."""

    list_display = ["seq", "at", "model", "object_id", "kind", "short_hash"]
    list_filter = ["model", "kind"]
    search_fields = ["hash", "=object_id"]
    ordering = ["-seq"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    @admin.display(description=gettext_lazy("hash"))
    def short_hash(self, obj):
        return obj.hash[:16] + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
