"""Editor for benefit delivery (C3): realisation plans with their activities inline, the board pack and owner engagement.

Two staff pages hang off the realisation plans list:

- **Board pack** (C3.d): pick a city, a date and a format (HTML, CSV, PDF) and download
  the escalation list with the KPI status summary;
- **Owner engagement** (C3.a): per benefit owner, how current their KPI data and plans
  are, what is overdue, and whether a reminder would go out.
"""

from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityline.core.editor import CitylineAdmin, CityTabularInline, viewer_city, viewer_city_list
from cityline.core.models import City
from cityline.core.security import allow_inline_styles

from . import boardpack
from .models import PlanActivity, RealisationPlan
from .services import engagement


class ActivityInline(CityTabularInline):
    model = PlanActivity
    fk_name = "plan"
    fields = ["key", "title", "owner", "start", "due", "status", "priority", "depends_on", "advances"]
    autocomplete_fields = ["owner", "depends_on", "advances"]
    extra = 0


@admin.register(RealisationPlan)
class RealisationPlanAdmin(CitylineAdmin):
    list_display = ["key", "benefit", "owner", "last_reviewed", "next_review_display", "open_count"]
    list_filter = ["last_reviewed"]
    search_fields = ["key", "summary", "benefit__title"]
    ordering = ["key"]
    autocomplete_fields = ["benefit", "owner"]
    inlines = [ActivityInline]
    change_list_template = "admin/delivery/realisationplan/change_list.html"
    fieldsets = [
        (gettext_lazy("Realisation plan (C3.b)"), {"fields": ["key", "benefit", "owner", "summary"]}),
        (gettext_lazy("Review"), {"fields": ["last_reviewed", "review_every_days"],
                                  "description": gettext_lazy("The owner reviews the plan at least this often; "
                                                              "an overdue review shows on the owner-engagement "
                                                              "page and in reminders (C3.a).")}),
    ]

    @admin.display(description=gettext_lazy("next review"))
    def next_review_display(self, obj: RealisationPlan) -> str:
        due = obj.next_review()
        return due.isoformat() if due else _("now (never reviewed)")

    @admin.display(description=gettext_lazy("open actions"))
    def open_count(self, obj: RealisationPlan) -> int:
        return sum(1 for a in obj.activities.all() if a.is_open)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("activities")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("board-pack/", view(self.board_pack_view), name="delivery_board_pack"),
            path("engagement/", view(self.engagement_view), name="delivery_engagement"),
            *super().get_urls(),
        ]

    def _check(self, request) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def _city_and_date(self, request) -> tuple[list[City], City | None, date | None, str]:
        """The cities this user holds a role in (all for platform administrators), the chosen one and the date.

        A city outside them does not exist for this user (404): its board pack carries unpublished KPIs and
        its engagement page the owners' e-mail addresses.
        """
        cities = viewer_city_list(request)
        key = request.GET.get("city") or (cities[0].key if len(cities) == 1 else "")
        city = viewer_city(request, key, cities) if key else None
        error = ""
        on_date = None
        if request.GET.get("on"):
            try:
                on_date = date.fromisoformat(request.GET["on"])
            except ValueError:
                error = _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": request.GET["on"]}
        return cities, city, on_date, error

    def board_pack_view(self, request):
        """Choose city, date and format; with ``format`` given, download the board pack (C3.d)."""
        self._check(request)
        cities, city, on_date, error = self._city_and_date(request)
        fmt = request.GET.get("format", "")
        if city is not None and fmt in boardpack.FORMATS and not error:
            data = boardpack.board_pack(city, on_date)
            response = HttpResponse(boardpack.render(data, fmt), content_type=boardpack.CONTENT_TYPES[fmt])
            disposition = "inline" if fmt == "html" else "attachment"
            response["Content-Disposition"] = f'{disposition}; filename="{boardpack.filename(data, fmt)}"'
            if fmt == "html":  # a standalone printable page: its own <style> block, allowed by hash
                allow_inline_styles(response, response.content.decode("utf-8"))
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Board pack for the programme board"),
            "opts": self.opts,
            "cities": cities,
            "city": city,
            "on": request.GET.get("on", ""),
            "error": error,
            "formats": [("html", _("HTML (printable page)")), ("csv", _("CSV (spreadsheet)")), ("pdf", _("PDF"))],
        }
        return TemplateResponse(request, "admin/delivery/board_pack.html", context)

    def engagement_view(self, request):
        """Per benefit owner: how current their data and plans are (C3.a)."""
        self._check(request)
        cities, city, on_date, error = self._city_and_date(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Benefit owner engagement"),
            "opts": self.opts,
            "cities": cities,
            "city": city,
            "on": request.GET.get("on", ""),
            "error": error,
            "data": engagement(city, on_date) if city is not None and not error else None,
            "plans_url": reverse("admin:delivery_realisationplan_changelist"),
        }
        return TemplateResponse(request, "admin/delivery/engagement.html", context)


@admin.register(PlanActivity)
class PlanActivityAdmin(CitylineAdmin):
    list_display = ["title", "key", "plan", "owner", "status", "priority", "start", "due"]
    list_filter = ["status", "priority", "due"]
    search_fields = ["title", "key", "description", "plan__key"]
    ordering = ["key"]
    autocomplete_fields = ["plan", "owner", "depends_on", "advances"]
    fieldsets = [
        (gettext_lazy("Activity (C3.b)"), {"fields": ["plan", "key", "title", "description", "owner"]}),
        (gettext_lazy("Schedule"), {"fields": ["start", "due", "status", "priority"]}),
        (gettext_lazy("Dependencies and benefit"), {"fields": ["depends_on", "advances"]}),
    ]

