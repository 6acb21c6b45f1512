"""Object-level rules of every area: which organisation or outcome a record belongs to.

One line per model. ``authz.can`` reads these; the authorisation-matrix test fails when a
model the editor or the API exposes has no line here (docs/security.md, "Roles").
"""

from __future__ import annotations

from django.apps import apps

from .authz import Scope, register
from .roles import Role

STEWARD = {"org_role": Role.DATA_STEWARD, "org_delete": True}

RULES: dict[str, Scope] = {
    # core: the city itself and the shared records
    "core.City": Scope("core", platform_only=True),
    "core.Organisation": Scope("core", admin_only=True),
    "core.Person": Scope("core", organisation="organisation_id"),
    "core.Document": Scope("core", organisation="owner_id"),
    "core.AuditEntry": Scope("core", platform_only=True, read_only=True),  # the audit chain (B2.g)
    # strategy management (A, B1-B7)
    "strategy.Principle": Scope("strategy", admin_only=True),
    "strategy.PrincipleAgreement": Scope("strategy", organisation="organisation_id"),
    "strategy.Vision": Scope("strategy", admin_only=True),
    "strategy.VisionPurpose": Scope("strategy", admin_only=True),
    "strategy.VisionIssue": Scope("strategy", admin_only=True),
    "strategy.VisionObjective": Scope("strategy", admin_only=True),
    "strategy.GovernanceBody": Scope("strategy", admin_only=True),
    "strategy.BodyMember": Scope("strategy", admin_only=True),
    "strategy.Meeting": Scope("strategy", admin_only=True),
    "strategy.AccountableLead": Scope("strategy", admin_only=True),
    "strategy.SkillCoverage": Scope("strategy", admin_only=True),
    "strategy.Programme": Scope("strategy", admin_only=True),
    "strategy.Project": Scope("strategy", admin_only=True),
    "strategy.InterestedParty": Scope("strategy", organisation="organisation_id"),
    "strategy.EngagementActivity": Scope("strategy", admin_only=True),
    "strategy.ProcurementEntry": Scope("strategy", organisation="buyer_id"),
    "strategy.Supplier": Scope("strategy", organisation="organisation_id"),
    "strategy.Contract": Scope("strategy", organisation="buyer_id"),
    "strategy.InteropCell": Scope("strategy", admin_only=True),
    "strategy.InteropBarrier": Scope("strategy", admin_only=True),
    "strategy.InteropAction": Scope("strategy", admin_only=True),
    "strategy.GlossaryTerm": Scope("strategy", admin_only=True),
    "strategy.RoadmapPhase": Scope("strategy", admin_only=True),
    "strategy.Workstream": Scope("strategy", admin_only=True),
    "strategy.Initiative": Scope("strategy", admin_only=True),
    "strategy.Checkpoint": Scope("strategy", admin_only=True),
    # benefit realisation (C1-C3)
    "benefits.BenefitNode": Scope("benefits", admin_only=True),
    "benefits.BenefitLink": Scope("benefits", admin_only=True),
    # the indicator catalogue (ISO 37120/37122/37123) is instance-wide reference data, not a city's record
    "benefits.Indicator": Scope("benefits", platform_only=True),
    "benefits.IndicatorTheme": Scope("benefits", platform_only=True),
    "benefits.CityIndicator": Scope("benefits", admin_only=True),
    "benefits.Kpi": Scope("benefits", admin_only=True),
    "benefits.KpiTarget": Scope("benefits", admin_only=True),
    "benefits.TrajectoryPoint": Scope("benefits", admin_only=True),
    "benefits.Measurement": Scope("benefits", outcome="kpi__node_id"),
    "risks.Risk": Scope("risks", admin_only=True),
    "risks.RiskResponse": Scope("risks", admin_only=True),
    "delivery.RealisationPlan": Scope("delivery", outcome="benefit_id"),
    "delivery.PlanActivity": Scope("delivery", outcome="plan__benefit_id"),
    # services and channels (B11, B12)
    "citizen_services.ServiceSettings": Scope("citizen_services", admin_only=True),
    "citizen_services.UserNeed": Scope("citizen_services", admin_only=True),
    "citizen_services.Service": Scope("citizen_services", admin_only=True),
    "citizen_services.CustomerSegment": Scope("citizen_services", admin_only=True),
    "citizen_services.FranchiseTeam": Scope("citizen_services", admin_only=True),
    "citizen_services.Channel": Scope("citizen_services", admin_only=True),
    "citizen_services.ServiceChannel": Scope("citizen_services", admin_only=True),
    "citizen_services.ChannelAudit": Scope("citizen_services", admin_only=True),
    "citizen_services.ChannelShiftScenario": Scope("citizen_services", admin_only=True),
    "citizen_services.DigitalInclusionAction": Scope("citizen_services", organisation="provider_id"),
    # developments and architecture (B9, B13)
    "developments.DevelopmentProject": Scope("developments", organisation="lead_id"),
    "developments.ChecklistEntry": Scope("developments", organisation="project__lead_id"),
    "architecture.Standard": Scope("architecture", admin_only=True),
    "architecture.StandardCell": Scope("architecture", admin_only=True),
    "architecture.BuildingBlock": Scope("architecture", organisation="owner_id"),
    "architecture.MigrationStep": Scope("architecture", admin_only=True),
    # assessment and benchmarking (D)
    "assessment.Attestation": Scope("assessment", admin_only=True),
    "assessment.AssessmentSettings": Scope("assessment", admin_only=True),
    "assessment.Snapshot": Scope("assessment", admin_only=True),
    "benchmarking.PeerCity": Scope("benchmarking", admin_only=True),
    "benchmarking.PeerValue": Scope("benchmarking", admin_only=True),
    "benchmarking.PeerAssessment": Scope("benchmarking", admin_only=True),
    # open data (B8, B13, B14): the data steward's records
    "opendata.DataAsset": Scope("opendata", organisation="owner_id", **STEWARD),
    "opendata.Theme": Scope("opendata", admin_only=True),
    "opendata.Dataset": Scope("opendata", organisation="publisher_id", **STEWARD),
    "opendata.Distribution": Scope("opendata", organisation="dataset__publisher_id", **STEWARD),
    "opendata.DistributionVersion": Scope("opendata", organisation="distribution__dataset__publisher_id",
                                          read_only=True, **STEWARD),
    "opendata.PrivacyReview": Scope("opendata", organisation="dataset__publisher_id",
                                    read_only=True, **STEWARD),
    # identity and privacy (B10)
    "accounts.RoleAssignment": Scope("accounts", admin_only=True),
    "accounts.IdentityProvider": Scope("accounts", platform_only=True),
    "accounts.FederatedIdentity": Scope("accounts", platform_only=True),
    "accounts.ApiToken": Scope("accounts", platform_only=True),
    "accounts.ProviderSecret": Scope("accounts", platform_only=True),
    # privacy (B10, B14): the inventory is kept by its holder; personal records by nobody but the platform
    "privacy.ProcessingPurpose": Scope("privacy", organisation="controller_id"),
    "privacy.PersonalDataHolding": Scope("privacy", organisation="holder_id"),
    "privacy.ConsentEvent": Scope("privacy", platform_only=True, read_only=True),
    "privacy.ErasureRecord": Scope("privacy", platform_only=True, read_only=True),
    # public participation (B1.b, B2.g, B3): consultations are run by their organiser; people's contributions
    # are moderated (and offline responses entered) by the organiser's staff; supports, answers, reports and the
    # moderation log are written by their own processes only
    "participation.ParticipationSettings": Scope("participation", admin_only=True),
    "participation.Consultation": Scope("participation", organisation="organiser_id"),
    "participation.SurveyQuestion": Scope("participation", organisation="consultation__organiser_id"),
    "participation.ConsultationResponse": Scope("participation", organisation="consultation__organiser_id"),
    "participation.ResponseItem": Scope("participation", organisation="response__consultation__organiser_id"),
    "participation.EngagementKpiFeed": Scope("participation", admin_only=True),
    "participation.Participant": Scope("participation", organisation="consultation__organiser_id"),
    "participation.Contribution": Scope("participation", organisation="consultation__organiser_id"),
    "participation.Support": Scope("participation", organisation="contribution__consultation__organiser_id",
                                   read_only=True),
    "participation.SurveyAnswer": Scope("participation", organisation="question__consultation__organiser_id",
                                        read_only=True),
    "participation.ContributionReport": Scope("participation", organisation="contribution__consultation__organiser_id",
                                              read_only=True),
    "participation.ModerationEvent": Scope("participation", organisation="contribution__consultation__organiser_id",
                                           read_only=True),
    # observations and real-time city management (issue 6): series and their rules are kept by the operating
    # organisation's data stewards; what ingestion, computation and alerting produce is written by those processes
    "observations.Series": Scope("observations", organisation="organisation_id", **STEWARD),
    "observations.KpiComputation": Scope("observations", admin_only=True),
    "observations.ComputationRun": Scope("observations", admin_only=True, read_only=True),
    "observations.AlertRule": Scope("observations", admin_only=True),
    "observations.Alert": Scope("observations", admin_only=True, read_only=True),
    "observations.QuarantinedMessage": Scope("observations", platform_only=True, read_only=True),
    "observations.NgsiEntity": Scope("observations", admin_only=True, read_only=True),
}


def _register_all() -> None:
    for label, scope in RULES.items():
        register(apps.get_model(label), scope)


_register_all()

# Django's own account records: platform administrators only.
register(apps.get_model("auth.User"), Scope("accounts", platform_only=True))
register(apps.get_model("auth.Group"), Scope("accounts", platform_only=True))
