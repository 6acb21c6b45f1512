"""Strategy management: delivery principles (A) and the processes B1–B7 of ISO 37106.

Each class names the recommendation it serves; IDs refer to
``docs/iso37106-recommendations`` (our paraphrase, with stable IDs).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityline.core.models import CityRecord, Document, KeyedRecord, Organisation, Person

from . import choices

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
WEIGHT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]
#: Costs and values are amounts spent or committed: never below zero (a negative cost would also break the
#: quick-win ranking of the roadmap, B7.c, and the whole-life cost of a procurement, B4.b.4).
AMOUNT = [MinValueValidator(Decimal("0"))]


def _check_dates(start, end, start_name="start_date", end_name="end_date"):
    if start and end and end < start:
        raise ValidationError({end_name: _("cannot be before %(field)s") % {"field": start_name.replace("_", " ")}})


# --- A: delivery principles ---------------------------------------------------------


class Principle(KeyedRecord):
    """A delivery principle, agreed with interested parties (A.1, A.2)."""

    group = models.CharField(_("group"), max_length=20, choices=choices.PrincipleGroup.choices)
    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(_("statement"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(KeyedRecord.Meta):
        ordering = ["group", "order", "title"]
        verbose_name = _("delivery principle")
        verbose_name_plural = _("delivery principles")

    def __str__(self) -> str:
        return self.title


class PrincipleAgreement(CityRecord):
    """Which organisation agreed a principle, and when (A.1)."""

    principle = models.ForeignKey(Principle, on_delete=models.CASCADE, related_name="agreements")
    organisation = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="principle_agreements")
    agreed_on = models.DateField(_("agreed on"))

    class Meta:
        ordering = ["agreed_on"]
        verbose_name = _("principle agreement")
        verbose_name_plural = _("principle agreements")
        constraints = [
            models.UniqueConstraint(fields=["principle", "organisation"], name="strategy_agreement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.principle}"


# --- B1: city vision ------------------------------------------------------------------


class Vision(CityRecord):
    """The city vision (B1): one per city, with a horizon year."""

    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(_("statement"))
    horizon_year = models.PositiveSmallIntegerField(_("horizon year"))
    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("vision document"),
    )

    class Meta:
        verbose_name = _("vision")
        verbose_name_plural = _("visions")
        constraints = [models.UniqueConstraint(fields=["city"], name="strategy_one_vision_per_city")]

    def __str__(self) -> str:
        return self.title


class VisionPurpose(CityRecord):
    """How strongly the vision serves one of the six ISO 37101 purposes (B1.a)."""

    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="purposes")
    purpose = models.CharField(_("purpose"), max_length=20, choices=choices.Purpose.choices)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=3, validators=WEIGHT)
    rationale = models.TextField(_("local priority"), blank=True)

    class Meta:
        ordering = ["-weight", "purpose"]
        verbose_name = _("vision purpose")
        verbose_name_plural = _("vision purposes")
        constraints = [models.UniqueConstraint(fields=["vision", "purpose"], name="strategy_vision_purpose_unique")]

    def __str__(self) -> str:
        return self.get_purpose_display()


class VisionIssue(CityRecord):
    """How strongly the vision addresses one of the twelve ISO 37101 issues (B1.a, B1.d)."""

    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="issues")
    issue = models.CharField(_("issue"), max_length=20, choices=choices.Issue.choices)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=3, validators=WEIGHT)

    class Meta:
        ordering = ["-weight", "issue"]
        verbose_name = _("vision issue")
        verbose_name_plural = _("vision issues")
        constraints = [models.UniqueConstraint(fields=["vision", "issue"], name="strategy_vision_issue_unique")]

    def __str__(self) -> str:
        return self.get_issue_display()


class VisionObjective(KeyedRecord):
    """A measurable objective of the vision (B1.f)."""

    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    purpose = models.CharField(_("main purpose"), max_length=20, choices=choices.Purpose.choices)
    indicator = models.CharField(_("indicator"), max_length=300)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline_value = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    target_value = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    target_year = models.PositiveSmallIntegerField(_("target year"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta(KeyedRecord.Meta):
        ordering = ["order", "title"]
        verbose_name = _("vision objective")
        verbose_name_plural = _("vision objectives")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.baseline_year and self.target_year and self.target_year < self.baseline_year:
            raise ValidationError({"target_year": _("cannot be before the baseline year")})


# --- B2: leadership and governance ---------------------------------------------------


class GovernanceBody(KeyedRecord):
    """A cross-sector governance body at strategic or delivery level (B2.c)."""

    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=choices.BodyLevel.choices)
    remit = models.TextField(_("remit"))
    meets = models.CharField(_("meets"), max_length=100, blank=True, help_text=_("e.g. monthly, quarterly"))
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children",
        verbose_name=_("reports to"),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["level", "name"]
        verbose_name = _("governance body")
        verbose_name_plural = _("governance bodies")

    def __str__(self) -> str:
        return self.name


class BodyMember(CityRecord):
    """A person sitting on a governance body; their organisation gives the sector (B2.b, B2.c)."""

    body = models.ForeignKey(GovernanceBody, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=choices.MemberRole.choices, default="member")

    class Meta:
        ordering = ["role", "person__name"]
        verbose_name = _("body member")
        verbose_name_plural = _("body members")
        constraints = [models.UniqueConstraint(fields=["body", "person"], name="strategy_member_unique")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Meeting(KeyedRecord):
    """A meeting of a governance body with its published papers (B2.g)."""

    body = models.ForeignKey(GovernanceBody, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    papers = models.ManyToManyField(Document, blank=True, related_name="meetings", verbose_name=_("papers"))

    class Meta(KeyedRecord.Meta):
        ordering = ["-date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.body} — {self.date}"


class AccountableLead(CityRecord):
    """A named accountable lead inside the local authority, political or administrative (B2.a)."""

    person = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="lead_roles")
    kind = models.CharField(_("kind"), max_length=20, choices=choices.LeadKind.choices)
    title = models.CharField(_("title"), max_length=200)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("accountable lead")
        verbose_name_plural = _("accountable leads")
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="strategy_lead_unique")]

    def __str__(self) -> str:
        return f"{self.title}: {self.person}"


class SkillCoverage(CityRecord):
    """A leadership skill held by someone in the leadership team (B2.e), optionally with an SFIA code."""

    person = models.ForeignKey(Person, on_delete=models.RESTRICT, related_name="skills")
    skill = models.CharField(_("skill"), max_length=20, choices=choices.Skill.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=choices.SkillLevel.choices)
    sfia_code = models.CharField(
        _("SFIA skill code"), max_length=4, blank=True,
        help_text=_("Four-letter SFIA skill code, e.g. ITSP (strategic planning)."),
    )

    class Meta:
        ordering = ["skill", "-level"]
        verbose_name = _("skill coverage")
        verbose_name_plural = _("skill coverage")
        constraints = [models.UniqueConstraint(fields=["person", "skill"], name="strategy_skill_unique")]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_skill_display()}"

    def clean(self) -> None:
        super().clean()
        if self.sfia_code and not (self.sfia_code.isalpha() and self.sfia_code.isupper() and len(self.sfia_code) == 4):
            raise ValidationError({"sfia_code": _("an SFIA code is four capital letters, e.g. ITSP")})


class PortfolioItem(KeyedRecord):
    """Common fields of programmes and projects: the formal programme management of B2.d."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(Person, on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=choices.PortfolioStatus.choices, default="proposed"
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=PERCENT)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 validators=AMOUNT)
    business_case_costs = models.DecimalField(
        _("business case: whole-life costs"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=AMOUNT,
    )
    expected_benefits = models.TextField(_("business case: expected benefits"), blank=True)
    success_indicators = models.TextField(_("business case: success indicators"), blank=True)

    class Meta(KeyedRecord.Meta):
        abstract = True

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        _check_dates(self.start_date, self.end_date)
        if self.status == choices.PortfolioStatus.COMPLETED and self.progress != 100:
            raise ValidationError({"progress": _("a completed item must show 100 percent progress")})


class Programme(PortfolioItem):
    class Meta(PortfolioItem.Meta):
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")


class Project(PortfolioItem):
    programme = models.ForeignKey(
        Programme, on_delete=models.RESTRICT, null=True, blank=True, related_name="projects",
        verbose_name=_("programme"),
    )

    class Meta(PortfolioItem.Meta):
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")


# --- B3: collaborative engagement ------------------------------------------------------


class InterestedParty(KeyedRecord):
    """An interested party in one or more categories (B3.a), from any sector (B3.b)."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.RESTRICT, null=True, blank=True, related_name="party_roles"
    )
    categories = models.JSONField(
        _("categories"), default=list,
        help_text=_("One or more of: promoter, negative_promoter, investor, beneficiary, consumer, external."),
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Organisation._meta.get_field("sector").choices)
    influence = models.CharField(_("influence"), max_length=10, choices=choices.Level.choices)
    interest = models.CharField(_("interest"), max_length=10, choices=choices.Level.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("interested party")
        verbose_name_plural = _("interested parties")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        allowed = set(choices.PartyCategory.values)
        cats = self.categories
        if not isinstance(cats, list) or not cats:
            raise ValidationError({"categories": _("give at least one category")})
        unknown = [c for c in cats if c not in allowed]
        if unknown:
            raise ValidationError(
                {"categories": _("unknown category %(c)s; use one of %(allowed)s")
                 % {"c": ", ".join(map(str, unknown)), "allowed": ", ".join(sorted(allowed))}}
            )
        if len(set(cats)) != len(cats):
            raise ValidationError({"categories": _("a category is listed twice")})


class EngagementActivity(KeyedRecord):
    """An engagement activity with interested parties or other cities (B3, B3.c)."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=choices.EngagementKind.choices)
    date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=20, choices=choices.Channel.choices)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    parties = models.ManyToManyField(InterestedParty, blank=True, related_name="activities")
    partner_city = models.CharField(_("partner city"), max_length=200, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["-date"]
        verbose_name = _("engagement activity")
        verbose_name_plural = _("engagement activities")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.kind == choices.EngagementKind.CITY_EXCHANGE and not self.partner_city:
            raise ValidationError({"partner_city": _("a city-to-city exchange names the partner city")})


# --- B4: procurement and supplier management ------------------------------------------


class ProcurementEntry(KeyedRecord):
    """A coming procurement in the city-wide pipeline (B4.a, B4.c.2), with the smart-contracting checklist (B4.b)."""

    title = models.CharField(_("title"), max_length=200)
    buyer = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="procurements")
    outcome_sought = models.TextField(_("outcome sought"))
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2, validators=AMOUNT)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    expected_tender_date = models.DateField(_("expected tender date"))
    status = models.CharField(_("status"), max_length=20, choices=choices.ProcurementStatus.choices, default="planned")
    sme_engagement = models.CharField(
        _("SME engagement"), max_length=20, choices=choices.SmeEngagement.choices, default="none"
    )
    buys_outcomes = models.BooleanField(_("buys outcomes and service levels, not inputs (B4.b.1)"), default=False)
    open_data_terms = models.BooleanField(_("open data terms in the contract (B4.b.2)"), default=False)
    innovation_incentives = models.BooleanField(
        _("incentives for innovation, collaboration and shared assets (B4.b.3)"), default=False
    )
    avoids_lock_in = models.BooleanField(
        _("interoperability and open standards required, no lock-in (B4.b.4)"), default=False
    )
    capital_cost = models.DecimalField(_("capital cost"), max_digits=14, decimal_places=2, default=0,
                                       validators=AMOUNT)
    annual_running_cost = models.DecimalField(_("annual running cost"), max_digits=14, decimal_places=2, default=0,
                                              validators=AMOUNT)
    contract_years = models.PositiveSmallIntegerField(_("contract years"), default=1)
    exit_cost = models.DecimalField(_("exit cost"), max_digits=14, decimal_places=2, default=0, validators=AMOUNT)
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="procurements"
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["expected_tender_date", "title"]
        verbose_name = _("procurement pipeline entry")
        verbose_name_plural = _("procurement pipeline")

    def __str__(self) -> str:
        return self.title

    @property
    def total_cost_of_ownership(self) -> Decimal:
        from .domain.procurement import total_cost_of_ownership

        return total_cost_of_ownership(self.capital_cost, self.annual_running_cost, self.contract_years, self.exit_cost)


class Supplier(KeyedRecord):
    name = models.CharField(_("name"), max_length=200)
    size = models.CharField(_("size"), max_length=10, choices=choices.SupplierSize.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="supplier_roles"
    )
    website = models.URLField(_("website"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return self.name


class Contract(KeyedRecord):
    """An awarded contract, with who owns the data it produces (B4.b.2)."""

    title = models.CharField(_("title"), max_length=200)
    supplier = models.ForeignKey(Supplier, on_delete=models.RESTRICT, related_name="contracts")
    buyer = models.ForeignKey(Organisation, on_delete=models.RESTRICT, related_name="contracts")
    procurement = models.ForeignKey(
        ProcurementEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="contracts"
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, validators=AMOUNT)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    data_ownership = models.CharField(_("data ownership"), max_length=30, choices=choices.DataOwnership.choices)
    data_terms = models.TextField(_("data terms"), blank=True)
    exit_terms = models.TextField(_("exit terms"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["-start_date"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        _check_dates(self.start_date, self.end_date)


# --- B5: interoperability matrix -----------------------------------------------------


class InteropCell(CityRecord):
    """One cell of the 3 × 5 interoperability matrix (B5): process × dimension."""

    process = models.CharField(_("process"), max_length=20, choices=choices.InteropProcess.choices)
    dimension = models.CharField(_("dimension"), max_length=20, choices=choices.InteropDimension.choices)
    notes = models.TextField(_("notes"), blank=True)
    policy_products = models.ManyToManyField(
        Document, blank=True, related_name="interop_cells", verbose_name=_("policy products")
    )

    class Meta:
        ordering = ["process", "dimension"]
        verbose_name = _("interoperability matrix cell")
        verbose_name_plural = _("interoperability matrix")
        constraints = [
            models.UniqueConstraint(fields=["city", "process", "dimension"], name="strategy_interop_cell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_process_display()} × {self.get_dimension_display()}"


class InteropBarrier(KeyedRecord):
    """A barrier to interoperability found in a cell (B5.a)."""

    cell = models.ForeignKey(InteropCell, on_delete=models.CASCADE, related_name="barriers")
    description = models.TextField(_("description"))
    severity = models.CharField(_("severity"), max_length=10, choices=choices.Severity.choices)

    class Meta(KeyedRecord.Meta):
        ordering = ["cell", "key"]
        verbose_name = _("interoperability barrier")
        verbose_name_plural = _("interoperability barriers")

    def __str__(self) -> str:
        return self.description[:80]


class InteropAction(KeyedRecord):
    """An action that removes a barrier or sets a policy (B5.b, B5.c); goes into the roadmap."""

    cell = models.ForeignKey(InteropCell, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=choices.ActionStatus.choices, default="planned")
    due_date = models.DateField(_("due"), null=True, blank=True)
    barrier = models.ForeignKey(InteropBarrier, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    initiative = models.ForeignKey(
        "Initiative", on_delete=models.SET_NULL, null=True, blank=True, related_name="interop_actions",
        help_text=_("The roadmap initiative that carries this action."),
    )
    aligned_with = models.CharField(
        _("aligned with"), max_length=300, blank=True,
        help_text=_("Other cities, authorities or standards this action aligns with (B5.c)."),
    )

    class Meta(KeyedRecord.Meta):
        ordering = ["cell", "due_date"]
        verbose_name = _("interoperability action")
        verbose_name_plural = _("interoperability actions")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.barrier_id and self.cell_id and self.barrier.cell_id != self.cell_id:
            raise ValidationError({"barrier": _("the barrier belongs to another cell")})


# --- B6: terminology and reference model ----------------------------------------------


class GlossaryTerm(KeyedRecord):
    """A term of the shared glossary, mapped to the ISO/IEC 30182 concept model (B6)."""

    term = models.CharField(_("term"), max_length=200)
    definition = models.TextField(_("definition"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=choices.TermStatus.choices, default="proposed")
    sccm_concept = models.CharField(
        _("ISO/IEC 30182 concept"), max_length=20, choices=choices.SccmConcept.choices, blank=True
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("related terms"))

    class Meta(KeyedRecord.Meta):
        ordering = ["term"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")

    def __str__(self) -> str:
        return self.term


# --- B7: roadmap -----------------------------------------------------------------------


class RoadmapPhase(CityRecord):
    """One of the five roadmap phases with its dates (B7.a)."""

    phase = models.CharField(_("phase"), max_length=20, choices=choices.Phase.choices)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("roadmap phase")
        verbose_name_plural = _("roadmap phases")
        constraints = [models.UniqueConstraint(fields=["city", "phase"], name="strategy_phase_unique")]

    def __str__(self) -> str:
        return self.get_phase_display()

    def clean(self) -> None:
        super().clean()
        _check_dates(self.start_date, self.end_date)


class Workstream(KeyedRecord):
    """A roadmap workstream (B7.a), such as engagement (B3) or procurement (B4)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=choices.WorkstreamKind.choices)
    lead = models.ForeignKey(Person, on_delete=models.RESTRICT, null=True, blank=True, related_name="workstreams")
    description = models.TextField(_("description"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["name"]
        verbose_name = _("workstream")
        verbose_name_plural = _("workstreams")

    def __str__(self) -> str:
        return self.name


class Initiative(KeyedRecord):
    """A roadmap initiative, with what quick-win ranking needs: cost, risk, time (B7.b, B7.c)."""

    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=choices.Phase.choices)
    workstream = models.ForeignKey(Workstream, on_delete=models.RESTRICT, related_name="initiatives")
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=choices.PortfolioStatus.choices, default="proposed")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=PERCENT)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, validators=AMOUNT)
    risk = models.CharField(_("risk"), max_length=10, choices=choices.Level.choices)
    months_to_deliver = models.PositiveSmallIntegerField(_("months to deliver"))
    quick_win_agreed = models.BooleanField(
        _("agreed quick win"), default=False, help_text=_("Agreed with interested parties as a quick win (B7.b).")
    )
    early_adopters = models.TextField(_("early adopters and champions"), blank=True, help_text="B7.e")
    projects = models.ManyToManyField(Project, blank=True, related_name="initiatives")

    class Meta(KeyedRecord.Meta):
        ordering = ["phase", "title"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.status == choices.PortfolioStatus.COMPLETED and self.progress != 100:
            raise ValidationError({"progress": _("a completed item must show 100 percent progress")})


class Checkpoint(KeyedRecord):
    """A roadmap checkpoint with its independent review against the key risks (B7, D)."""

    title = models.CharField(_("title"), max_length=200)
    phase = models.CharField(_("phase"), max_length=20, choices=choices.Phase.choices)
    date = models.DateField(_("date"))
    reviewer = models.CharField(_("independent reviewer"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=30, choices=choices.ReviewResult.choices, default="pending")
    findings = models.TextField(_("findings"), blank=True)

    class Meta(KeyedRecord.Meta):
        ordering = ["date"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.result != choices.ReviewResult.PENDING and not self.reviewer:
            raise ValidationError({"reviewer": _("a review result needs the independent reviewer's name")})
