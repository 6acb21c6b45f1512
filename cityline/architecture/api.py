"""The city-wide architecture in the API (B14). Declarations and the architecture checks."""

from ninja import Router, Schema

from cityline.api.generic import ERRORS_READ, Resource, get_city

from . import models as m

B14 = "architecture: B14 city-wide architecture"

TAGS = {
    B14: "Building blocks of the architecture blueprint with service contract, owner, standards, lifecycle and "
         "reuse count; the register of standards with the interoperability-matrix cells (B5) they address; the "
         "phased migration plan tied to roadmap phases; and the architecture checks (B14).",
}

RESOURCES = [
    Resource(m.BuildingBlock, "building-blocks", B14,
             filters=["kind", "lifecycle", "owner", "standards", "used_by_organisations", "used_by_services"],
             search=["key", "name", "description"], computed={"reuse_count": int}),
    Resource(m.Standard, "standards", B14, filters=["body", "status"],
             search=["key", "identifier", "title", "body", "description"]),
    Resource(m.StandardCell, "standard-cells", B14, filters=["standard", "process", "dimension"]),
    Resource(m.MigrationStep, "migration-steps", B14, filters=["phase", "status", "target", "replaces", "due_date"],
             search=["key", "title", "description"]),
]


class FindingOut(Schema):
    code: str
    recommendation: str
    records: list[str]
    message: str


class ArchitectureChecksOut(Schema):
    city: str
    findings: list[FindingOut]
    counts: dict[str, int]


def add_routes(router: Router) -> None:
    from .services import architecture_checks

    @router.get("/cities/{city_key}/architecture-checks", response={200: ArchitectureChecksOut, **ERRORS_READ},
                tags=[B14], operation_id="architecture_checks",
                summary="Architecture checks: ownership, contracts, unused standards, legacy without a migration",
                description="Building blocks without an owner or without a service contract, adopted standards "
                            "no building block uses, legacy or retiring blocks no migration step replaces, and "
                            "migration steps out of roadmap-phase order or due outside their phase (B14). "
                            "See docs/developments-and-architecture.md.")
    def architecture_checks_view(request, city_key: str):
        return architecture_checks(get_city(city_key))
