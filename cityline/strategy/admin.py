"""Editor for strategy management: delivery principles (A) and B1–B7.

Configuration only: the write path (actions layer), optimistic locking, city scoping
and history come from :mod:`cityline.core.editor`. Fieldsets follow the structure of
ISO 37106 and their descriptions cite recommendation IDs.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from cityline.core.editor import CitylineAdmin, CityStackedInline, CityTabularInline, ReadOnlyTabularInline

from . import choices
from .domain.procurement import CHECKLIST, checklist_score
from .models import (
    AccountableLead,
    BodyMember,
    Checkpoint,
    Contract,
    EngagementActivity,
    GlossaryTerm,
    GovernanceBody,
    Initiative,
    InterestedParty,
    InteropAction,
    InteropBarrier,
    InteropCell,
    Meeting,
    Principle,
    PrincipleAgreement,
    Programme,
    ProcurementEntry,
    Project,
    RoadmapPhase,
    SkillCoverage,
    Supplier,
    Vision,
    VisionIssue,
    VisionObjective,
    VisionPurpose,
    Workstream,
)


def _count(queryset, **annotations):
    return queryset.annotate(**{name: Count(rel, distinct=True) for name, rel in annotations.items()})


# --- A: delivery principles -----------------------------------------------------------------


class PrincipleAgreementInline(CityTabularInline):
    model = PrincipleAgreement
    fields = ["organisation", "agreed_on"]
    autocomplete_fields = ["organisation"]
    verbose_name_plural = _("agreed by (A.1)")


@admin.register(Principle)
class PrincipleAdmin(CitylineAdmin):
    list_display = ["title", "group", "order", "agreement_count"]
    list_filter = ["group"]
    search_fields = ["title", "key", "statement"]
    ordering = ["group", "order", "title"]
    inlines = [PrincipleAgreementInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["key", "group", "title", "statement", "order"],
                "description": _(
                    "Delivery principles guide every decision of the programme and are agreed with "
                    "the city's interested parties (A.1); group them as visionary, citizen-centric, "
                    "digital, or open and collaborative (A.2)."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return _count(super().get_queryset(request), n_agreements="agreements")

    @admin.display(description=_("agreed by"), ordering="n_agreements")
    def agreement_count(self, obj):
        return obj.n_agreements


@admin.register(PrincipleAgreement)
class PrincipleAgreementAdmin(CitylineAdmin):
    list_display = ["principle", "organisation", "agreed_on"]
    list_filter = ["principle__group"]
    search_fields = ["principle__title", "organisation__name"]
    ordering = ["-agreed_on"]
    autocomplete_fields = ["principle", "organisation"]
    date_hierarchy = "agreed_on"


# --- B1: vision -------------------------------------------------------------------------------


class VisionPurposeInline(CityTabularInline):
    model = VisionPurpose
    fields = ["purpose", "weight", "rationale"]
    verbose_name_plural = _("ISO 37101 purposes served (B1.a)")


class VisionIssueInline(CityTabularInline):
    model = VisionIssue
    fields = ["issue", "weight"]
    verbose_name_plural = _("ISO 37101 issues addressed (B1.a, B1.d)")


class VisionObjectiveInline(CityStackedInline):
    model = VisionObjective
    fields = [
        ("key", "order"),
        "title",
        "description",
        ("purpose", "indicator", "unit"),
        ("baseline_value", "baseline_year"),
        ("target_value", "target_year"),
    ]
    verbose_name_plural = _("measurable objectives (B1.f)")


@admin.register(Vision)
class VisionAdmin(CitylineAdmin):
    list_display = ["title", "horizon_year", "document"]
    search_fields = ["title", "statement"]
    ordering = ["city__name"]
    autocomplete_fields = ["document"]
    inlines = [VisionPurposeInline, VisionIssueInline, VisionObjectiveInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["title", "statement", "horizon_year", "document"],
                "description": _(
                    "One shared vision per city, tied to local priorities and weighted against the six "
                    "ISO 37101 purposes and twelve issues (B1.a), with objectives that can be measured (B1.f)."
                ),
            },
        ),
    ]


@admin.register(VisionPurpose)
class VisionPurposeAdmin(CitylineAdmin):
    list_display = ["purpose", "weight", "vision"]
    list_filter = ["purpose"]
    search_fields = ["vision__title", "rationale"]
    ordering = ["vision", "-weight"]


@admin.register(VisionIssue)
class VisionIssueAdmin(CitylineAdmin):
    list_display = ["issue", "weight", "vision"]
    list_filter = ["issue"]
    search_fields = ["vision__title"]
    ordering = ["vision", "-weight"]


@admin.register(VisionObjective)
class VisionObjectiveAdmin(CitylineAdmin):
    list_display = ["title", "purpose", "indicator", "baseline_value", "target_value", "target_year"]
    list_filter = ["purpose", "target_year"]
    search_fields = ["title", "key", "indicator", "description"]
    ordering = ["order", "title"]
    fieldsets = [
        (None, {"fields": ["vision", "key", "title", "description", "purpose", "order"]}),
        (
            _("Measure (B1.f)"),
            {"fields": ["indicator", "unit", ("baseline_value", "baseline_year"), ("target_value", "target_year")]},
        ),
    ]


# --- B2: leadership and governance ---------------------------------------------------------------


class BodyMemberInline(CityTabularInline):
    model = BodyMember
    fields = ["person", "role"]
    autocomplete_fields = ["person"]
    verbose_name_plural = _("members (B2.b, B2.c)")


class MeetingInline(CityTabularInline):
    model = Meeting
    fields = ["key", "date", "title", "papers"]
    autocomplete_fields = ["papers"]
    show_change_link = True
    verbose_name_plural = _("meetings and published papers (B2.g)")


@admin.register(GovernanceBody)
class GovernanceBodyAdmin(CitylineAdmin):
    list_display = ["name", "level", "parent", "meets", "member_count"]
    list_filter = ["level"]
    search_fields = ["name", "key", "remit"]
    ordering = ["level", "name"]
    inlines = [BodyMemberInline, MeetingInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["key", "name", "level", "parent", "remit", "meets"],
                "description": _(
                    "Cross-sector bodies: strategic ones own outcomes and benefits, delivery ones own "
                    "the roadmap (B2.c)."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return _count(super().get_queryset(request), n_members="members")

    @admin.display(description=_("members"), ordering="n_members")
    def member_count(self, obj):
        return obj.n_members

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        obj = getattr(request, "_cityline_parent", None)
        if db_field.name == "parent" and obj is not None and formfield is not None:
            formfield.queryset = formfield.queryset.exclude(pk=obj.pk)  # a body cannot report to itself
        return formfield


@admin.register(BodyMember)
class BodyMemberAdmin(CitylineAdmin):
    list_display = ["person", "role", "body"]
    list_filter = ["role", "body__level", "person__organisation__sector"]
    search_fields = ["person__name", "body__name"]
    ordering = ["body__name", "role"]
    autocomplete_fields = ["person"]


@admin.register(Meeting)
class MeetingAdmin(CitylineAdmin):
    list_display = ["title", "body", "date"]
    list_filter = ["body"]
    search_fields = ["title", "key", "summary", "body__name"]
    ordering = ["-date"]
    date_hierarchy = "date"
    autocomplete_fields = ["papers"]
    fieldsets = [
        (None, {"fields": ["body", "key", "date", "title", "summary"]}),
        (_("Published papers (B2.g)"), {"fields": ["papers"]}),
    ]


@admin.register(AccountableLead)
class AccountableLeadAdmin(CitylineAdmin):
    list_display = ["title", "person", "kind", "since"]
    list_filter = ["kind"]
    search_fields = ["title", "person__name"]
    ordering = ["kind", "title"]
    autocomplete_fields = ["person"]
    fieldsets = [
        (
            None,
            {
                "fields": ["person", "kind", "title", "since"],
                "description": _(
                    "Name an accountable lead inside the local authority on both the political and the "
                    "administrative side (B2.a)."
                ),
            },
        ),
    ]


@admin.register(SkillCoverage)
class SkillCoverageAdmin(CitylineAdmin):
    list_display = ["person", "skill", "level", "sfia_code"]
    list_filter = ["skill", "level"]
    search_fields = ["person__name", "sfia_code"]
    ordering = ["skill", "-level"]
    autocomplete_fields = ["person"]
    fieldsets = [
        (
            None,
            {
                "fields": ["person", "skill", "level", "sfia_code"],
                "description": _(
                    "The leadership team needs strategy, engagement, marketing, commercial and technology "
                    "skills (B2.e); an SFIA code can make the skill precise."
                ),
            },
        ),
    ]


_PORTFOLIO_FIELDSETS = [
    (_("Delivery"), {"fields": ["status", "progress", ("start_date", "end_date")]}),
    (
        _("Business case (B2.d)"),
        {
            "fields": ["budget", "business_case_costs", "expected_benefits", "success_indicators"],
            "description": _(
                "Formal programme management: a business case with whole-life costs, expected benefits "
                "and the indicators that show success (B2.d)."
            ),
        },
    ),
]


class ProjectInline(ReadOnlyTabularInline):
    model = Project
    fields = ["name", "status", "progress", "owner", "end_date"]
    verbose_name_plural = _("projects in this programme")


@admin.register(Programme)
class ProgrammeAdmin(CitylineAdmin):
    list_display = ["name", "status", "progress", "owner", "start_date", "end_date", "budget"]
    list_filter = ["status"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["owner"]
    inlines = [ProjectInline]
    fieldsets = [(None, {"fields": ["key", "name", "description", "owner"]}), *_PORTFOLIO_FIELDSETS]


@admin.register(Project)
class ProjectAdmin(CitylineAdmin):
    list_display = ["name", "programme", "status", "progress", "owner", "end_date", "budget"]
    list_filter = ["status", "programme"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["owner", "programme"]
    fieldsets = [(None, {"fields": ["key", "name", "programme", "description", "owner"]}), *_PORTFOLIO_FIELDSETS]


# --- B3: collaborative engagement ------------------------------------------------------------------


class CategoryFilter(admin.SimpleListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return choices.PartyCategory.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value in choices.PartyCategory.values:
            # Match the quoted JSON string so "promoter" does not match "negative_promoter".
            return queryset.filter(categories__icontains=f'"{value}"')
        return queryset


@admin.register(InterestedParty)
class InterestedPartyAdmin(CitylineAdmin):
    list_display = ["name", "category_list", "sector", "influence", "interest", "organisation"]
    list_filter = [CategoryFilter, "sector", "influence", "interest"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (
            None,
            {
                "fields": ["key", "name", "organisation", "categories", "sector", "description"],
                "description": _(
                    "Who has a stake in the programme, in one or more categories (B3.a), from every "
                    "sector (B3.b)."
                ),
            },
        ),
        (_("Influence and interest (B3.a)"), {"fields": [("influence", "interest")]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            return forms.MultipleChoiceField(
                label=_("categories"),
                choices=choices.PartyCategory.choices,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("One or more (B3.a)."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("categories"))
    def category_list(self, obj):
        labels = dict(choices.PartyCategory.choices)
        return ", ".join(str(labels.get(c, c)) for c in obj.categories or [])


@admin.register(EngagementActivity)
class EngagementActivityAdmin(CitylineAdmin):
    list_display = ["title", "kind", "date", "channel", "participants", "partner_city"]
    list_filter = ["kind", "channel"]
    search_fields = ["title", "key", "outcome", "partner_city"]
    ordering = ["-date"]
    date_hierarchy = "date"
    autocomplete_fields = ["parties"]
    fieldsets = [
        (None, {"fields": ["key", "title", "kind", "date", "channel", "participants"]}),
        (_("Who took part (B3)"), {"fields": ["parties", "partner_city"],
                                    "description": _("A city-to-city exchange names the partner city (B3.c).")}),
        (_("Outcome"), {"fields": ["outcome"]}),
    ]


# --- B4: procurement and supplier management -------------------------------------------------------


class ContractInline(ReadOnlyTabularInline):
    model = Contract
    fk_name = None
    fields = ["title", "supplier", "value", "start_date", "end_date", "data_ownership"]
    verbose_name_plural = _("contracts")


class ProcurementContractInline(ContractInline):
    fk_name = "procurement"


class SupplierContractInline(ContractInline):
    fk_name = "supplier"
    fields = ["title", "buyer", "value", "start_date", "end_date", "data_ownership"]


@admin.register(ProcurementEntry)
class ProcurementEntryAdmin(CitylineAdmin):
    list_display = [
        "title", "buyer", "status", "expected_tender_date", "estimated_value", "sme_engagement",
        "checklist", "tco",
    ]
    list_filter = ["status", "sme_engagement", "buys_outcomes", "open_data_terms", "innovation_incentives",
                   "avoids_lock_in", "buyer"]
    search_fields = ["title", "key", "outcome_sought", "buyer__name"]
    ordering = ["expected_tender_date", "title"]
    date_hierarchy = "expected_tender_date"
    autocomplete_fields = ["buyer", "project"]
    readonly_fields = ["checklist_summary", "total_cost_of_ownership"]
    inlines = [ProcurementContractInline]
    fieldsets = [
        (
            _("Pipeline entry (B4.a, B4.c.2)"),
            {
                "fields": ["key", "title", "buyer", "project", "outcome_sought", "status",
                           "expected_tender_date", ("estimated_value", "currency")],
                "description": _(
                    "One city-wide view of coming procurements across the council and other public "
                    "bodies (B4.a), published and kept up to date (B4.c.2)."
                ),
            },
        ),
        (
            _("Smart-contracting checklist (B4.b.1–B4.b.4)"),
            {
                "fields": ["buys_outcomes", "open_data_terms", "innovation_incentives", "avoids_lock_in",
                           "checklist_summary"],
            },
        ),
        (
            _("Total cost of ownership (B4.b.4)"),
            {
                "fields": ["capital_cost", "annual_running_cost", "contract_years", "exit_cost",
                           "total_cost_of_ownership"],
                "description": _(
                    "Weigh long-term value, not price alone: whole-life cost counts the exit from the "
                    "start (B4.b.4). The total is computed when you save."
                ),
            },
        ),
        (
            _("Supplier engagement (B4.c.3, B4.c.4)"),
            {"fields": ["sme_engagement"],
             "description": _("Engage suppliers early, including SMEs, and make room for SME-led innovation.")},
        ),
    ]

    @admin.display(description=_("total cost of ownership"))
    def tco(self, obj):
        return f"{obj.total_cost_of_ownership:,.2f} {obj.currency}"

    @admin.display(description=_("smart contracting"))
    def checklist(self, obj):
        score, _missing = checklist_score({name: getattr(obj, name) for name, _rid in CHECKLIST})
        return f"{score}/{len(CHECKLIST)}"

    @admin.display(description=_("checklist result"))
    def checklist_summary(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        score, missing = checklist_score({name: getattr(obj, name) for name, _rid in CHECKLIST})
        if not missing:
            return _("%(score)s of %(total)s checks met") % {"score": score, "total": len(CHECKLIST)}
        return _("%(score)s of %(total)s checks met; missing %(ids)s") % {
            "score": score, "total": len(CHECKLIST), "ids": ", ".join(missing),
        }

    @admin.display(description=_("total cost of ownership (capital + running × years + exit)"))
    def total_cost_of_ownership(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return f"{obj.total_cost_of_ownership:,.2f} {obj.currency}"


@admin.register(Supplier)
class SupplierAdmin(CitylineAdmin):
    list_display = ["name", "size", "organisation", "website"]
    list_filter = ["size"]
    search_fields = ["name", "key"]
    ordering = ["name"]
    autocomplete_fields = ["organisation"]
    inlines = [SupplierContractInline]
    field_help = {"size": _("SMEs are engaged early and given room to innovate (B4.c.3, B4.c.4).")}


@admin.register(Contract)
class ContractAdmin(CitylineAdmin):
    list_display = ["title", "supplier", "buyer", "value", "start_date", "end_date", "data_ownership"]
    list_filter = ["data_ownership", "supplier__size"]
    search_fields = ["title", "key", "supplier__name", "buyer__name"]
    ordering = ["-start_date"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["supplier", "buyer", "procurement"]
    fieldsets = [
        (None, {"fields": ["key", "title", "supplier", "buyer", "procurement", ("value", "currency"),
                           ("start_date", "end_date")]}),
        (
            _("Data and exit terms (B4.b.2, B4.b.4)"),
            {
                "fields": ["data_ownership", "data_terms", "exit_terms"],
                "description": _(
                    "The city owns the data a contract produces, or the supplier publishes it on open "
                    "standards or fair terms (B4.b.2); exit terms avoid lock-in (B4.b.4)."
                ),
            },
        ),
    ]


# --- B5: interoperability matrix ------------------------------------------------------------------


class InteropBarrierInline(CityTabularInline):
    model = InteropBarrier
    fields = ["key", "description", "severity"]
    verbose_name_plural = _("barriers found (B5.a)")


class InteropActionInline(CityTabularInline):
    model = InteropAction
    fields = ["key", "title", "status", "due_date", "barrier", "initiative", "aligned_with"]
    autocomplete_fields = ["initiative"]
    verbose_name_plural = _("actions (B5.b, B5.c)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        cell = getattr(request, "_cityline_parent", None)
        if db_field.name == "barrier" and formfield is not None:
            # Only barriers of this cell (none yet while the cell is being created).
            formfield.queryset = formfield.queryset.filter(cell=cell) if cell is not None else formfield.queryset.none()
        return formfield


@admin.register(InteropCell)
class InteropCellAdmin(CitylineAdmin):
    list_display = ["__str__", "process", "dimension", "product_count", "barrier_count", "action_count"]
    list_filter = ["process", "dimension"]
    search_fields = ["notes"]
    ordering = ["process", "dimension"]
    autocomplete_fields = ["policy_products"]
    inlines = [InteropBarrierInline, InteropActionInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["process", "dimension", "policy_products", "notes"],
                "description": _(
                    "One cell of the interoperability matrix: three processes × five dimensions. Its "
                    "policy products, the barriers found (B5.a) and the actions that remove them (B5.b), "
                    "aligned with other cities and authorities where possible (B5.c)."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return _count(
            super().get_queryset(request),
            n_products="policy_products", n_barriers="barriers", n_actions="actions",
        )

    @admin.display(description=_("policy products"), ordering="n_products")
    def product_count(self, obj):
        return obj.n_products

    @admin.display(description=_("barriers"), ordering="n_barriers")
    def barrier_count(self, obj):
        return obj.n_barriers

    @admin.display(description=_("actions"), ordering="n_actions")
    def action_count(self, obj):
        return obj.n_actions


@admin.register(InteropBarrier)
class InteropBarrierAdmin(CitylineAdmin):
    list_display = ["__str__", "cell", "severity"]
    list_filter = ["severity", "cell__process", "cell__dimension"]
    search_fields = ["description", "key"]
    ordering = ["cell", "key"]


@admin.register(InteropAction)
class InteropActionAdmin(CitylineAdmin):
    list_display = ["title", "cell", "status", "due_date", "initiative"]
    list_filter = ["status", "cell__process", "cell__dimension"]
    search_fields = ["title", "key", "aligned_with"]
    ordering = ["cell", "due_date"]
    autocomplete_fields = ["initiative"]


# --- B6: terminology ---------------------------------------------------------------------------------


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(CitylineAdmin):
    list_display = ["term", "status", "sccm_concept", "source"]
    list_filter = ["status", "sccm_concept"]
    search_fields = ["term", "key", "definition", "source"]
    ordering = ["term"]
    autocomplete_fields = ["related"]
    fieldsets = [
        (
            None,
            {
                "fields": ["key", "term", "definition", "source", "status"],
                "description": _("A shared vocabulary across partners, agreed before it is relied on (B6)."),
            },
        ),
        (_("Reference model (B6)"), {"fields": ["sccm_concept", "related"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        obj = getattr(request, "_cityline_parent", None)
        if db_field.name == "related" and obj is not None and formfield is not None:
            formfield.queryset = formfield.queryset.exclude(pk=obj.pk)
        return formfield


# --- B7: roadmap --------------------------------------------------------------------------------------


@admin.register(RoadmapPhase)
class RoadmapPhaseAdmin(CitylineAdmin):
    list_display = ["phase", "start_date", "end_date"]
    list_filter = ["phase"]
    search_fields = ["summary"]
    ordering = ["start_date"]
    fieldsets = [
        (
            None,
            {
                "fields": ["phase", ("start_date", "end_date"), "summary"],
                "description": _("Plan, initiate, deliver, consolidate, transform (B7.a)."),
            },
        ),
    ]


class InitiativeInline(ReadOnlyTabularInline):
    model = Initiative
    fields = ["title", "phase", "status", "progress", "cost", "risk", "months_to_deliver"]
    verbose_name_plural = _("initiatives in this workstream")


@admin.register(Workstream)
class WorkstreamAdmin(CitylineAdmin):
    list_display = ["name", "kind", "lead"]
    list_filter = ["kind"]
    search_fields = ["name", "key", "description"]
    ordering = ["name"]
    autocomplete_fields = ["lead"]
    inlines = [InitiativeInline]


@admin.register(Initiative)
class InitiativeAdmin(CitylineAdmin):
    list_display = ["title", "phase", "workstream", "status", "progress", "cost", "risk", "months_to_deliver",
                    "quick_win_agreed"]
    list_filter = ["phase", "status", "risk", "quick_win_agreed", "workstream"]
    search_fields = ["title", "key", "description"]
    ordering = ["phase", "title"]
    autocomplete_fields = ["projects"]
    fieldsets = [
        (None, {"fields": ["key", "title", "phase", "workstream", "description", "projects"]}),
        (_("Delivery"), {"fields": ["status", "progress"]}),
        (
            _("Quick-win ranking (B7.b, B7.c)"),
            {
                "fields": ["cost", "risk", "months_to_deliver", "quick_win_agreed"],
                "description": _(
                    "Quick wins are agreed with interested parties (B7.b); favour changes that are quick, "
                    "cheap and low-risk (B7.c)."
                ),
            },
        ),
        (_("Take-up (B7.d, B7.e)"), {"fields": ["early_adopters"]}),
    ]


@admin.register(Checkpoint)
class CheckpointAdmin(CitylineAdmin):
    list_display = ["title", "phase", "date", "result", "reviewer"]
    list_filter = ["phase", "result"]
    search_fields = ["title", "key", "reviewer", "findings"]
    ordering = ["date"]
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": ["key", "title", "phase", "date"]}),
        (
            _("Independent review (B7, D)"),
            {
                "fields": ["reviewer", "result", "findings"],
                "description": _("Each checkpoint is reviewed independently against the key risks (D)."),
            },
        ),
    ]
