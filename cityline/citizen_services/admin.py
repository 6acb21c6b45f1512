"""Editor for citizen services and channels (B9, B11): offerings inline on services, scenario results shown."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityTabularInline

from . import models as m


class OfferingInline(CityTabularInline):
    model = m.ServiceChannel
    fields = ["channel", "it_system", "service_level_standard"]


@admin.register(m.ServiceSettings)
class ServiceSettingsAdmin(CitylineAdmin):
    list_display = ["city", "service_level_threshold"]


@admin.register(m.UserNeed)
class UserNeedAdmin(CitylineAdmin):
    list_display = ["name", "key"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]


@admin.register(m.Service)
class ServiceAdmin(CitylineAdmin):
    list_display = ["name", "key", "one_stop", "device_candidate"]
    list_filter = ["one_stop", "device_candidate"]
    search_fields = ["name", "key", "purpose"]
    ordering = ["name"]
    autocomplete_fields = ["providers", "needs", "benefit_nodes"]
    inlines = [OfferingInline]
    fieldsets = [
        (_("Service (B9)"), {"fields": ["key", "name", "purpose", "providers", "url"]}),
        (_("Who it is for"), {"fields": ["needs", "eligibility", "life_events", "one_stop"],
                              "description": _("Life events: a JSON list such as [\"moving_home\", "
                                               "\"having_a_baby\"].")}),
        (_("Channel shift (B11.b)"), {"fields": ["device_candidate"]}),
        (_("Benefit map (C1)"), {"fields": ["benefit_nodes"]}),
    ]


@admin.register(m.CustomerSegment)
class CustomerSegmentAdmin(CitylineAdmin):
    list_display = ["name", "key", "size"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["needs"]


@admin.register(m.FranchiseTeam)
class FranchiseTeamAdmin(CitylineAdmin):
    list_display = ["name", "key", "segment", "lead"]
    search_fields = ["name", "key"]
    ordering = ["name"]
    autocomplete_fields = ["segment", "lead", "members", "services", "kpis"]


@admin.register(m.Channel)
class ChannelAdmin(CitylineAdmin):
    list_display = ["name", "key", "kind", "digital_display", "it_system"]
    list_filter = ["kind"]
    search_fields = ["name", "key", "it_system"]
    ordering = ["name"]

    @admin.display(description=_("digital"), boolean=True)
    def digital_display(self, obj: m.Channel) -> bool:
        return obj.digital


@admin.register(m.ServiceChannel)
class ServiceChannelAdmin(CitylineAdmin):
    list_display = ["service", "channel", "it_system", "service_level_standard"]
    list_filter = ["channel"]
    search_fields = ["service__name", "channel__name", "it_system"]
    autocomplete_fields = ["service", "channel"]


@admin.register(m.ChannelAudit)
class ChannelAuditAdmin(CitylineAdmin):
    list_display = ["service", "channel", "year", "quarter", "transactions", "total_cost", "unit_cost_display",
                    "completion_rate", "satisfaction", "service_level_met"]
    list_filter = ["year", "quarter", "channel"]
    search_fields = ["service__name", "channel__name"]
    ordering = ["service", "channel", "year", "quarter"]
    autocomplete_fields = ["service", "channel"]

    @admin.display(description=_("cost per transaction"))
    def unit_cost_display(self, obj: m.ChannelAudit) -> str:
        value = obj.cost_per_transaction
        return "—" if value is None else str(value)


@admin.register(m.ChannelShiftScenario)
class ChannelShiftScenarioAdmin(CitylineAdmin):
    list_display = ["name", "key", "service", "from_channel", "to_channel", "share_moved", "years",
                    "annual_saving", "total_net_saving"]
    search_fields = ["name", "key"]
    ordering = ["key"]
    autocomplete_fields = ["service", "from_channel", "to_channel", "benefit_nodes"]
    readonly_fields = ["baseline_transactions", "used_from_unit_cost", "used_to_unit_cost", "moved_transactions",
                       "annual_saving", "total_saving", "total_set_aside", "total_net_saving", "yearly_display"]
    fieldsets = [
        (_("Scenario (B11.b)"), {"fields": ["key", "name", "service", "from_channel", "to_channel", "share_moved",
                                            "years", "baseline_year", "set_aside", "notes"]}),
        (_("Unit costs"), {"fields": ["from_unit_cost", "to_unit_cost"],
                           "description": _("Leave empty to take them from the channel audit of the baseline "
                                            "year.")}),
        (_("Benefit map (C1)"), {"fields": ["benefit_nodes"]}),
        (_("Results (computed when saved)"), {"fields": ["baseline_transactions", "used_from_unit_cost",
                                                          "used_to_unit_cost", "moved_transactions", "annual_saving",
                                                          "total_saving", "total_set_aside", "total_net_saving",
                                                          "yearly_display"]}),
    ]

    @admin.display(description=_("year by year"))
    def yearly_display(self, obj: m.ChannelShiftScenario | None) -> str:
        if obj is None or not obj.yearly:
            return "—"
        return "; ".join(
            str(_("%(year)s: %(moved)s moved, saving %(gross)s, set aside %(aside)s")
                % {"year": y["year"], "moved": y["moved"], "gross": y["gross_saving"], "aside": y["set_aside"]})
            for y in obj.yearly
        )


@admin.register(m.DigitalInclusionAction)
class DigitalInclusionActionAdmin(CitylineAdmin):
    list_display = ["name", "key", "kind", "status", "reach", "cost"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "key", "description"]
    ordering = ["key"]
    autocomplete_fields = ["segments", "provider", "funded_by"]
