"""Citizen services and channels in the API (B9, B11): collections, the audit's derived views, the whole-of-city
view of a segment and the channel-shift calculator."""

from decimal import Decimal

from ninja import Query, Router, Schema

from cityline.api.errors import ApiProblem, Problem
from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

B9 = "citizen services: B9 services and segments"
B11 = "citizen services: B11 channels and channel shift"

TAGS = {
    B9: "Services with providers, user needs, eligibility, life events and one-stop availability; customer "
        "segments and their cross-city franchise teams; the whole-of-city view of a segment with its silo gaps (B9).",
    B11: "Channels, the services offered on each, the quarterly channel audit and its derived views (B11.a); "
         "channel-shift scenarios with saved results, the calculator, and digital-inclusion actions (B11.b).",
}

RESOURCES = [
    Resource(m.ServiceSettings, "service-settings", B11, single=True),
    Resource(m.UserNeed, "user-needs", B9, search=["key", "name", "description"]),
    Resource(m.Service, "services", B9, filters=["one_stop", "device_candidate", "providers", "needs"],
             search=["key", "name", "purpose"]),
    Resource(m.CustomerSegment, "customer-segments", B9, filters=["needs"], search=["key", "name", "description"]),
    Resource(m.FranchiseTeam, "franchise-teams", B9, filters=["segment", "lead"], search=["key", "name"]),
    Resource(m.Channel, "channels", B11, filters=["kind"], search=["key", "name", "it_system"],
             computed={"digital": bool}),
    Resource(m.ServiceChannel, "service-channels", B11, filters=["service", "channel"], search=["it_system"],
             computed={"system": str}),
    Resource(m.ChannelAudit, "channel-audit", B11, filters=["service", "channel", "year", "quarter"],
             computed={"cost_per_transaction": Decimal}),
    Resource(m.ChannelShiftScenario, "channel-shift-scenarios", B11, filters=["service"], search=["key", "name"]),
    Resource(m.DigitalInclusionAction, "inclusion-actions", B11, filters=["kind", "status", "segments"],
             search=["key", "name", "description"]),
]


class ChannelCostOut(Schema):
    channel: str
    name: str
    transactions: int
    total_cost: str
    unit_cost: str | None
    share: str


class ServiceCostOut(Schema):
    service: str
    name: str
    transactions: int
    total_cost: str
    unit_cost: str | None
    channels: list[ChannelCostOut]


class LeagueRowOut(Schema):
    rank: int | None
    channel: str
    name: str
    kind: str
    digital: bool
    transactions: int
    total_cost: str
    unit_cost: str | None
    services: int


class ServiceRef(Schema):
    service: str
    name: str


class ServiceLevelOut(Schema):
    service: str
    name: str
    service_level_met: str


class BelowStandardOut(Schema):
    channel: str
    name: str
    service_level_met: str
    shortfall: str
    services: list[ServiceLevelOut]


class SystemOut(Schema):
    system: str
    channels: list[str]


class DuplicatedItOut(Schema):
    service: str
    name: str
    systems: list[SystemOut]


class DeviceCandidateOut(Schema):
    service: str
    name: str
    transactions: int
    total_cost: str
    channels: list[str]


class AuditSummaryOut(Schema):
    city: str
    year: int | None
    period: str
    years: list[int]
    service_level_threshold: str
    cost_per_service: list[ServiceCostOut]
    league_table: list[LeagueRowOut]
    services_without_digital: list[ServiceRef]
    below_standard: list[BelowStandardOut]
    duplicated_it: list[DuplicatedItOut]
    device_candidates: list[DeviceCandidateOut]


class NeedOut(Schema):
    need: str
    name: str


class TeamOut(Schema):
    team: str
    name: str
    lead: str | None
    members: list[str]


class SegmentServiceOut(Schema):
    service: str
    name: str
    one_stop: bool
    providers: list[str]
    needs: list[str]
    channels: list[str]
    life_events: list[str]


class OrganisationRef(Schema):
    organisation: str
    name: str


class ChannelRef(Schema):
    channel: str
    name: str


class KpiRef(Schema):
    kpi: str
    title: str


class SiloGapOut(Schema):
    need: str
    name: str
    organisations: list[str]
    services: list[str]


class SegmentViewOut(Schema):
    city: str
    segment: str
    name: str
    size: int | None
    needs: list[NeedOut]
    franchise_teams: list[TeamOut]
    services: list[SegmentServiceOut]
    providers: list[OrganisationRef]
    channels: list[ChannelRef]
    kpis: list[KpiRef]
    inclusion_actions: list[str]
    silo_gaps: list[SiloGapOut]


class ShiftYearOut(Schema):
    year: int
    moved: int
    gross_saving: str
    set_aside: str
    net_saving: str


class ShiftResultOut(Schema):
    service: str
    from_channel: str
    to_channel: str
    share_moved: str
    years: int
    baseline_year: int
    set_aside: str
    baseline_transactions: int
    from_unit_cost: str
    to_unit_cost: str
    unit_saving: str
    moved_transactions: int
    annual_saving: str
    yearly: list[ShiftYearOut]
    total_saving: str
    total_set_aside: str
    total_net_saving: str


class ShiftQuery(Schema):
    service: str
    from_channel: str
    to_channel: str
    share_moved: Decimal
    baseline_year: int
    years: int = 1
    set_aside: Decimal = Decimal("0")
    from_unit_cost: Decimal | None = None
    to_unit_cost: Decimal | None = None


def add_routes(router: Router) -> None:
    from . import services

    @router.get("/cities/{city_key}/channel-audit-summary", response={200: AuditSummaryOut, **ERRORS_READ},
                tags=[B11], operation_id="channel_audit_summary",
                summary="The channel audit's derived views",
                description="Cost per service across channels, the unit-cost league table of channels, services "
                            "with no digital channel, channels below the city's service-level threshold, "
                            "duplicated channel IT (B11.a) and asset-to-device candidates with their volume "
                            "(B11.b.2), for one calendar year (`year`) or, by default, the latest four quarters "
                            "in the audit. Money and rates are decimal strings. See docs/services-and-channels.md.")
    def channel_audit_summary(request, city_key: str, year: int | None = None):
        return services.audit_summary(get_city(city_key), year)

    @router.get("/cities/{city_key}/customer-segments/{key}/view", response={200: SegmentViewOut, **ERRORS_READ},
                tags=[B9], operation_id="customer_segment_view",
                summary="The whole-of-city view of a customer segment",
                description="Every service that meets one of the segment's needs or is in a franchise team's "
                            "scope, with its providers and channels; the published KPIs of the franchise teams and "
                            "of the benefit-map nodes those services serve; and the silo gaps: needs for which "
                            "the segment deals with two or more organisations and no one-stop service (B9).")
    def customer_segment_view(request, city_key: str, key: str):
        city = get_city(city_key)
        segment = m.CustomerSegment.objects.filter(city=city, key=key).first()
        if segment is None:
            raise ApiProblem("not-found", f"no customer segment {key!r} in city {city_key!r}")
        return services.segment_view(city, segment)

    @router.get("/cities/{city_key}/channel-shift/calculate",
                response={200: ShiftResultOut, **ERRORS_READ, 422: Problem},
                tags=[B11], operation_id="channel_shift_calculate",
                summary="The channel-shift calculator (nothing saved)",
                description="Move `share_moved` % of a service's yearly transactions on `from_channel` (as audited "
                            "in `baseline_year`) to `to_channel`, building up over `years` years, with `set_aside` % "
                            "of the saving kept for assisted digital (B11.b, B11.b.3.i). Unit costs come from the "
                            "audit unless given. Save a scenario (channel-shift-scenarios) to keep the inputs and "
                            "results. Formulas: docs/services-and-channels.md.")
    def channel_shift_calculate(request, city_key: str, q: Query[ShiftQuery]):
        return services.calculate_shift(get_city(city_key), **q.dict())
