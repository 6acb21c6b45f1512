"""Editor for benefit realisation: the benefit map (C1) with links inline; indicators and KPIs (C2)
with targets, trajectory points and the latest measurements inline; the indicator catalogue read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline, WriteRefused

from .models import (
    BenefitLink,
    BenefitNode,
    CityIndicator,
    Indicator,
    IndicatorTheme,
    Kpi,
    KpiTarget,
    Measurement,
    TrajectoryPoint,
    targets_written_with_kpi,
)


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
    readonly_fields = ["status_today"]
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

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [(_("Status today (C3.d)"), {"fields": ["status_today"]}), *fieldsets]

    @admin.display(description=_("status"))
    def status_today(self, obj):
        """The node's status from its KPIs and from off-track nodes upstream, with the path of causes."""
        from .realisation import realisation

        node = realisation(obj.city).nodes.get(obj.key)
        if node is None or node.status is None:
            return _("No KPI measures this node and nothing upstream is off track.")
        text = format_html("<strong>{}</strong>", STATUS_LABELS.get(node.status, node.status))
        if node.cause == "upstream":
            return format_html("{} — {} {}", text, _("endangered by an off-track node upstream:"),
                               " → ".join(node.risk.path))
        return format_html("{} — {} {}", text, _("from its KPIs:"), ", ".join(node.kpis))


@admin.register(BenefitLink)
class BenefitLinkAdmin(CitylineAdmin):
    list_display = ["source", "target", "evidence", "weight"]
    list_filter = ["evidence", "source__kind", "target__kind"]
    search_fields = ["source__title", "target__title", "rationale"]
    ordering = ["source__key", "target__key"]
    autocomplete_fields = ["source", "target"]


# --- indicators and KPIs (C2) ----------------------------------------------------------------


class _ReferenceAdmin(admin.ModelAdmin):
    """Reference data of the instance: loaded with ``cityline benefits load-catalogue`` or
    ``import-indicators``, read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(_ReferenceAdmin):
    list_display = ["code", "name", "source", "theme", "indicator_type", "edition"]
    list_filter = ["source", "indicator_type", "licensed", "theme"]
    search_fields = ["code", "name", "theme", "sub_theme"]
    ordering = ["source", "code"]


@admin.register(IndicatorTheme)
class IndicatorThemeAdmin(_ReferenceAdmin):
    list_display = ["clause", "name", "source"]
    list_filter = ["source"]
    search_fields = ["clause", "name"]


@admin.register(CityIndicator)
class CityIndicatorAdmin(CitylineAdmin):
    list_display = ["name", "key", "source", "code", "theme"]
    list_filter = ["source", "theme"]
    search_fields = ["key", "name", "code", "theme", "definition"]
    ordering = ["source", "code", "name"]
    fieldsets = [
        (
            _("Indicator (C2.c)"),
            {
                "fields": ["key", "source", "code", "name", "theme", "definition"],
                "description": _(
                    "Take an indicator from a catalogue list (its identifier fills in the name) or define your "
                    "own with the list \"Defined by the city\" (C2.c)."
                ),
            },
        ),
    ]


class KpiTargetInline(CityTabularInline):
    model = KpiTarget
    fields = ["label", "value", "date", "note"]
    verbose_name_plural = _("targets (C2.b)")


class TrajectoryPointInline(CityTabularInline):
    model = TrajectoryPoint
    fields = ["date", "value"]
    verbose_name_plural = _("trajectory points (stepped or custom trajectories, C2.b)")


#: How many of the latest measurements the KPI form shows; the measurement list has them all.
LATEST_MEASUREMENTS = 12


class LatestMeasurementInline(CityTabularInline):
    model = Measurement
    fields = ["period_end", "value", "quality", "source", "note"]
    extra = 1
    verbose_name_plural = _("latest measurements (C2.f): older ones are in the measurement list")

    def get_formset(self, request, obj=None, **kwargs):
        base = super().get_formset(request, obj, **kwargs)

        class LatestFormSet(base):
            def __init__(self, *args, instance=None, queryset=None, **kw):
                if instance is not None and instance.pk:
                    ends = list(Measurement.objects.filter(kpi=instance).order_by("-period_end")
                                .values_list("period_end", flat=True)[:LATEST_MEASUREMENTS])
                    if ends:
                        qs = queryset if queryset is not None else Measurement._default_manager.all()
                        queryset = qs.filter(period_end__gte=ends[-1]).order_by("-period_end")
                super().__init__(*args, instance=instance, queryset=queryset, **kw)

        return LatestFormSet


#: Status names as the editor shows them (the codes are those of :mod:`.domain.status`).
STATUS_LABELS = {
    "on_track": _("On track"), "at_risk": _("At risk"), "off_track": _("Off track"), "no_data": _("No data"),
    "data_overdue": _("Data overdue"), "no_target": _("No target"),
}


@admin.register(Kpi)
class KpiAdmin(CitylineAdmin):
    list_display = ["title", "key", "kind", "node", "frequency", "status_column", "published"]
    readonly_fields = ["status_today"]
    list_filter = ["kind", "frequency", "direction", "evaluation_method", "trajectory", "published",
                   "indicator__source", "node__kind"]
    search_fields = ["title", "key", "scope", "calculation", "indicator__name", "indicator__code"]
    ordering = ["title"]
    autocomplete_fields = ["indicator", "node", "suppliers", "users"]
    inlines = [KpiTargetInline, TrajectoryPointInline, LatestMeasurementInline]
    fieldsets = [
        (
            _("KPI (C2.c)"),
            {
                "fields": ["key", "title", "indicator", "scope", "node", "kind", "unit"],
                "description": _(
                    "Outcome indicators measure intermediate and end outcomes; leading indicators measure "
                    "investments, activities and outputs (C2.c)."
                ),
            },
        ),
        (_("Direction and frequency"), {"fields": ["direction", "band_low", "band_high", "frequency", "grace_days"]}),
        (
            _("Method and parties (C2.d)"),
            {"fields": ["evaluation_method", "calculation", "suppliers", "users"]},
        ),
        (
            _("Baseline and trajectory (C2.a, C2.b)"),
            {"fields": ["baseline_value", "baseline_date", "trajectory", "tolerance_on_track", "tolerance_at_risk",
                        "tolerance_basis"]},
        ),
        (_("Publication (C2.f, C2.g)"), {"fields": ["published", "licence"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        """The measurement form's KPI lookup offers the KPIs the user may record (as its field does)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name")) == (
                "benefits", "measurement", "kpi"):
            from cityline.accounts.principals import principal_for

            from .services import recordable_kpis

            queryset = recordable_kpis(principal_for(request), queryset)
        return queryset, may_have_duplicates

    def get_queryset(self, request):
        # Status needs targets, trajectory and measurements: fetch them once for the whole page.
        return super().get_queryset(request).prefetch_related(
            Prefetch("targets", queryset=KpiTarget.objects.order_by("date", "label")),
            Prefetch("trajectory_points", queryset=TrajectoryPoint.objects.order_by("date")),
            Prefetch("measurements", queryset=Measurement.objects.order_by("period_end")),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [(_("Status today (C2.b, C3.d)"), {"fields": ["status_today"]}), *fieldsets]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form gives the KPI and its targets at once (re-baselining moves both): the baseline is checked
        # against the targets as saved (save_related), not against those stored before.
        with targets_written_with_kpi():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        problems = form.instance.baseline_problems()
        if problems:
            raise WriteRefused(list(problems.items()))  # the whole submission is rolled back

    @staticmethod
    def _report(obj):
        from .realisation import kpi_reports

        return kpi_reports([obj], timezone.localdate())[0]

    @admin.display(description=_("status today"))
    def status_column(self, obj):
        return STATUS_LABELS[self._report(obj).status.status]

    @admin.display(description=_("status and forecast"))
    def status_today(self, obj):
        """Status against the trajectory with the rule applied, and the forecast to the next target."""
        report = self._report(obj)
        lines = [(STATUS_LABELS[report.status.status], report.status.reason),
                 (_("Forecast"), report.forecast.message)]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", lines))


@admin.register(Measurement)
class MeasurementAdmin(CitylineAdmin):
    list_display = ["kpi", "period_end", "value", "quality", "source"]
    list_filter = ["quality", "kpi__kind", "kpi__frequency", "kpi"]
    search_fields = ["kpi__title", "kpi__key", "source", "note"]
    ordering = ["kpi__key", "-period_end"]
    date_hierarchy = "period_end"
    autocomplete_fields = ["kpi"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Only the KPIs the user may record measurements of (a benefit owner: their outcome's, C3.a)."""
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "kpi" and formfield is not None:
            from cityline.accounts.principals import principal_for

            from .services import recordable_kpis

            formfield.queryset = recordable_kpis(principal_for(request), formfield.queryset)
        return formfield
