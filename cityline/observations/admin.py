"""The observations editor (issue 6): series, KPI computation specs, alert rules; read-only logs of what Cityline does.

Every write goes through :mod:`cityline.core.actions` (via :class:`CitylineAdmin`) and the rules of
:mod:`.services` (a spec's version, a series' group and key once it has readings, deleting a series).
A spec is edited as JSON text; a problem is shown next to the field with the path of the part at
fault (``value.function: ...``). Alerts, computation runs, quarantined messages and NGSI-LD entities
are written by their processes and only shown here.
"""

from __future__ import annotations

import json

import duckdb

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cityline.core import actions
from django.utils.html import format_html, format_html_join

from cityline.core.editor import CitylineAdmin, VersionedForm

from . import services
from .store import LayoutError
from .domain import spec as spec_rules
from .models import Alert, AlertRule, ComputationRun, KpiComputation, NgsiEntity, QuarantinedMessage, Series

RECENT_RUNS = 20


@admin.register(Series)
class SeriesAdmin(CitylineAdmin):
    list_display = ["key", "name", "group", "entity_type", "attribute", "unit", "district", "public"]
    list_filter = ["group", "entity_type", "public"]
    search_fields = ["key", "name", "entity_id", "attribute", "district"]
    fieldsets = [
        (None, {"fields": ["key", "name", "description", "group", "public"]}),
        (_("NGSI-LD / Smart Data Models"), {"fields": ["entity_type", "entity_id", "attribute", "unit"]}),
        (_("Where and whose"), {"fields": ["data_asset", "organisation", "district", "latitude", "longitude",
                                           "weight"]}),
        (_("Readings"), {"fields": ["interval_seconds", "retention_days", "downsample_after_days",
                                    "downsample_interval"]}),
    ]
    actions = ["delete_leaving_readings"]

    def delete_refusal(self, obj):
        try:
            return super().delete_refusal(obj)
        except (duckdb.Error, LayoutError):  # a damaged part: the delete itself then says what it can
            return None

    @admin.action(description=_("Delete, leaving the readings in the store"), permissions=["delete"])
    def delete_leaving_readings(self, request, queryset):
        if self.refuse_unpermitted(request, queryset, "delete"):
            return
        deleted = 0
        for series in queryset.order_by("key"):
            try:
                services.delete_series(series, user=request.user, forget_readings=True)
            except (ValidationError, actions.ConflictError) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, text, messages.ERROR)
            else:
                deleted += 1
        if deleted:
            self.message_user(request, ngettext("%(count)d series deleted; its readings stay in the store.",
                                                "%(count)d series deleted; their readings stay in the store.",
                                                deleted) % {"count": deleted}, messages.SUCCESS)


class SpecField(forms.CharField):
    """A KPI spec as JSON text, checked by the spec's own rules (the message names the part at fault)."""

    widget = forms.Textarea(attrs={"rows": 16, "cols": 80, "class": "vLargeTextField", "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, (dict, list)):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text.strip():
            raise ValidationError(_("write the spec as JSON, e.g. {\"value\": {\"series\": {\"group\": \"air\"}, "
                                    "\"function\": \"mean\"}}"))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("not JSON: %(problem)s (line %(line)s, column %(column)s)")
                                  % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno}) from None
        try:
            spec_rules.parse(data)
        except spec_rules.SpecError as exc:
            raise ValidationError(str(exc)) from None
        return data


class KpiComputationForm(VersionedForm):
    spec = SpecField(label=_("spec"), help_text=_("What to compute, as JSON: see docs/observations.md, 'KPI specs'."))

    class Meta:
        model = KpiComputation
        fields = ["kpi", "spec", "active", "first_period_end"]


@admin.register(KpiComputation)
class KpiComputationAdmin(CitylineAdmin):
    form = KpiComputationForm
    list_display = ["kpi", "spec_version", "active", "first_period_end"]
    list_filter = ["active"]
    search_fields = ["kpi__key", "kpi__title"]
    fields = ["kpi", "spec", "spec_version", "active", "first_period_end", "recent_runs"]
    readonly_fields = ["spec_version", "recent_runs"]

    @admin.display(description=_("recent runs"))
    def recent_runs(self, obj):
        """The last 20 runs (an inline would list every run of years of daily values)."""
        if obj is None or obj.pk is None:
            return "-"
        runs = list(obj.runs.order_by("-computed_at", "-pk")[:RECENT_RUNS])
        if not runs:
            return _("No runs yet: `cityline kpi compute` writes them.")
        head = format_html("<tr>{}</tr>", format_html_join("", "<th scope=\"col\">{}</th>", (
            (label,) for label in (_("period end"), _("status"), _("value"), _("spec version"), _("engine"),
                                   _("readings used"), _("computed at")))))
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                    "<td>{}</td></tr>",
                                ((r.period_end.isoformat(), r.get_status_display(), "" if r.value is None else r.value,
                                  r.spec_version, r.get_engine_display(), r.row_count,
                                  r.computed_at.strftime("%Y-%m-%d %H:%M")) for r in runs))
        return format_html("<table><caption>{}</caption><thead>{}</thead><tbody>{}</tbody></table>",
                           _("The last %(count)s runs, newest first") % {"count": len(runs)}, head, rows)


@admin.register(AlertRule)
class AlertRuleAdmin(CitylineAdmin):
    list_display = ["key", "name", "kind", "comparison", "threshold", "severity", "active"]
    list_filter = ["kind", "severity", "active"]
    search_fields = ["key", "name", "description"]
    filter_horizontal = ["series"]
    fields = ["key", "name", "series", "kind", "comparison", "threshold", "duration_seconds", "window_seconds",
              "severity", "webhook_url", "active", "description"]



class _LogAdmin(CitylineAdmin):
    """Records a Cityline process writes (alerts, runs, quarantine, NGSI-LD entities): shown, never edited here."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Closed"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(ended_at__isnull=self.value() == "yes")
        return queryset


@admin.register(Alert)
class AlertAdmin(_LogAdmin):
    list_display = ["raised_at", "rule", "series", "trigger_value", "peak_value", "ended_at", "end_note",
                    "webhook_status"]
    list_filter = [OpenFilter, "rule__severity", "rule", "webhook_status"]
    search_fields = ["message", "end_note", "rule__key", "series__key"]
    date_hierarchy = "raised_at"


@admin.register(ComputationRun)
class ComputationRunAdmin(_LogAdmin):
    list_display = ["computation", "period_end", "status", "value", "spec_version", "engine", "row_count",
                    "computed_at"]
    list_filter = ["status", "engine", "computation"]
    search_fields = ["computation__kpi__key", "detail"]


@admin.register(QuarantinedMessage)
class QuarantinedMessageAdmin(_LogAdmin):
    list_display = ["received_at", "source", "origin", "reason"]
    list_filter = ["source"]
    search_fields = ["origin", "reason"]


@admin.register(NgsiEntity)
class NgsiEntityAdmin(_LogAdmin):
    list_display = ["entity_id", "entity_type", "modified_at"]
    list_filter = ["entity_type"]
    search_fields = ["entity_id"]
