"""Enumerations of strategy management (A, B1–B7), named as in ISO 37106 / ISO 37101."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PrincipleGroup(models.TextChoices):
    """The four groups of delivery principles (A.2)."""

    VISIONARY = "visionary", _("Visionary")
    CITIZEN_CENTRIC = "citizen_centric", _("Citizen-centric")
    DIGITAL = "digital", _("Digital")
    OPEN_COLLABORATIVE = "open_collaborative", _("Open and collaborative")


class Purpose(models.TextChoices):
    """The six purposes of sustainable communities (ISO 37101:2016, 4.5)."""

    ATTRACTIVENESS = "attractiveness", _("Attractiveness")
    ENVIRONMENT = "environment", _("Preservation and improvement of environment")
    RESILIENCE = "resilience", _("Resilience")
    RESOURCE_USE = "resource_use", _("Responsible resource use")
    SOCIAL_COHESION = "social_cohesion", _("Social cohesion")
    WELL_BEING = "well_being", _("Well-being")


class Issue(models.TextChoices):
    """The twelve issues of sustainable development for communities (ISO 37101:2016, 4.6)."""

    GOVERNANCE = "governance", _("Governance, empowerment and engagement")
    EDUCATION = "education", _("Education and capacity building")
    INNOVATION = "innovation", _("Innovation, creativity and research")
    HEALTH = "health", _("Health and care in the community")
    CULTURE = "culture", _("Culture and community identity")
    LIVING_TOGETHER = "living_together", _("Living together, interdependence and mutuality")
    ECONOMY = "economy", _("Economy and sustainable production and consumption")
    LIVING_WORKING = "living_working", _("Living and working environment")
    SAFETY = "safety", _("Safety and security")
    INFRASTRUCTURE = "infrastructure", _("Community infrastructures")
    MOBILITY = "mobility", _("Mobility")
    BIODIVERSITY = "biodiversity", _("Biodiversity and ecosystem services")


class BodyLevel(models.TextChoices):
    """Governance bodies work at strategic level (outcomes, benefits) or delivery level (roadmap) — B2.c."""

    STRATEGIC = "strategic", _("Strategic")
    DELIVERY = "delivery", _("Delivery")


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice-chair")
    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")
    SECRETARY = "secretary", _("Secretary")


class LeadKind(models.TextChoices):
    """Accountable leads inside the local authority (B2.a)."""

    POLITICAL = "political", _("Political lead")
    ADMINISTRATIVE = "administrative", _("Administrative lead")


class Skill(models.TextChoices):
    """The leadership skills mix of B2.e."""

    STRATEGY = "strategy", _("Strategy")
    ENGAGEMENT = "engagement", _("Engagement")
    MARKETING = "marketing", _("Marketing")
    COMMERCIAL = "commercial", _("Commercial")
    TECHNOLOGY = "technology", _("Technology")


class SkillLevel(models.IntegerChoices):
    AWARE = 1, _("Aware")
    WORKING = 2, _("Working")
    PRACTITIONER = 3, _("Practitioner")
    EXPERT = 4, _("Expert")


class PortfolioStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PartyCategory(models.TextChoices):
    """Categories of interested party (B3.a); one party can be in several."""

    PROMOTER = "promoter", _("Promoter")
    NEGATIVE_PROMOTER = "negative_promoter", _("Negative promoter")
    INVESTOR = "investor", _("Investor")
    BENEFICIARY = "beneficiary", _("Beneficiary")
    CONSUMER = "consumer", _("Consumer")
    EXTERNAL = "external", _("External")


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class EngagementKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    WORKSHOP = "workshop", _("Workshop")
    SURVEY = "survey", _("Survey")
    CO_CREATION = "co_creation", _("Co-creation")
    CITY_EXCHANGE = "city_exchange", _("City-to-city exchange")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    HYBRID = "hybrid", _("Online and in person")
    PHONE = "phone", _("Phone")
    POST = "post", _("Post")


class ProcurementStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    MARKET_ENGAGEMENT = "market_engagement", _("Market engagement")
    TENDER_OPEN = "tender_open", _("Tender open")
    EVALUATION = "evaluation", _("Evaluation")
    AWARDED = "awarded", _("Awarded")
    CANCELLED = "cancelled", _("Cancelled")


class SmeEngagement(models.TextChoices):
    NONE = "none", _("None planned")
    MARKET_DAY = "market_day", _("Supplier day open to SMEs")
    LOTS = "lots", _("Split into lots sized for SMEs")
    CHALLENGE = "challenge", _("Innovation challenge or competition")
    SUBCONTRACTING = "subcontracting", _("SME subcontracting required of prime supplier")


class SupplierSize(models.TextChoices):
    SME = "sme", _("Small or medium-sized enterprise")
    LARGE = "large", _("Large enterprise")


class DataOwnership(models.TextChoices):
    """Who owns the data a contract produces (B4.b.2)."""

    CITY_OWNS = "city_owns", _("City owns the data")
    SUPPLIER_PUBLISHES_OPEN = "supplier_publishes_open", _("Supplier publishes it openly on open standards")
    FRAND = "frand", _("Supplier licenses it on fair, reasonable and non-discriminatory terms")
    SUPPLIER_OWNS = "supplier_owns", _("Supplier owns the data")
    NOT_ADDRESSED = "not_addressed", _("Not addressed")


class InteropProcess(models.TextChoices):
    """The three processes of the interoperability matrix (B5)."""

    STRATEGY = "strategy", _("Strategy management")
    SERVICE = "service", _("Citizen-centric service management")
    RESOURCE = "resource", _("Digital and physical resource management")


class InteropDimension(models.TextChoices):
    """The five dimensions of the interoperability matrix (B5)."""

    POLICY = "policy", _("Political and policy")
    LEGAL = "legal", _("Legal")
    ORGANISATIONAL = "organisational", _("Organisational")
    SEMANTIC = "semantic", _("Semantic")
    TECHNICAL = "technical", _("Technical")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class TermStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    AGREED = "agreed", _("Agreed")


class SccmConcept(models.TextChoices):
    """Concepts of the ISO/IEC 30182 Smart City Concept Model (names only; see docs)."""

    ABSTRACT = "Abstract", "Abstract"
    ACCOUNT = "Account", "Account"
    AGENT = "Agent", "Agent"
    AGREEMENT = "Agreement", "Agreement"
    ASSUMPTION = "Assumption", "Assumption"
    BUILDING = "Building", "Building"
    CASE = "Case", "Case"
    COLLECTION = "Collection", "Collection"
    COMMUNITY = "Community", "Community"
    DECISION = "Decision", "Decision"
    EVENT = "Event", "Event"
    FUNCTION = "Function", "Function"
    ITEM = "Item", "Item"
    METHOD = "Method", "Method"
    METRIC = "Metric", "Metric"
    OBJECT = "Object", "Object"
    OBJECTIVE = "Objective", "Objective"
    OBSERVATION = "Observation", "Observation"
    ORGANIZATION = "Organization", "Organization"
    PERSON = "Person", "Person"
    PLACE = "Place", "Place"
    PLAN = "Plan", "Plan"
    RESOURCE = "Resource", "Resource"
    RULE = "Rule", "Rule"
    SERVICE = "Service", "Service"
    STATE = "State", "State"
    TARGET = "Target", "Target"


class Phase(models.TextChoices):
    """The five phases of the smart city roadmap (B7.a), in order."""

    PLAN = "plan", _("Plan")
    INITIATE = "initiate", _("Initiate")
    DELIVER = "deliver", _("Deliver")
    CONSOLIDATE = "consolidate", _("Consolidate")
    TRANSFORM = "transform", _("Transform")


class WorkstreamKind(models.TextChoices):
    """Workstreams the Plan phase sets up (B7.a)."""

    GOVERNANCE = "governance", _("Governance")
    ENGAGEMENT = "engagement", _("Engagement")
    PROCUREMENT = "procurement", _("Procurement")
    PLANNING = "planning", _("Physical and digital planning")
    IT_ASSETS = "it_assets", _("IT asset mapping and target architecture")
    INTEROPERABILITY = "interoperability", _("Interoperability")
    RISK = "risk", _("Risk management")
    SERVICES = "services", _("Service transformation")
    OTHER = "other", _("Other")


class ReviewResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    PASSED_WITH_CONDITIONS = "passed_with_conditions", _("Passed with conditions")
    FAILED = "failed", _("Failed")
