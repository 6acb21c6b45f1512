"""The architecture section of city packs (``architecture.yaml``): B14 standards, building blocks, migration plan."""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

SECTION = register(
    Section(
        file="architecture.yaml",
        title="city-wide architecture (B14): standards, building blocks and the migration plan",
        order=70,
        collections=[
            Collection(
                "standards", models.Standard, key=True,
                fields=["body", "identifier", "title", "edition", "status", "description", "url"],
                description="The register of standards adopted or considered (B14, B5.b).",
                children=[
                    Collection("matrix_cells", models.StandardCell, parent="standard",
                               identity=["process", "dimension"], fields=["process", "dimension"],
                               description="Cells of the interoperability matrix (B5) the standard addresses."),
                ],
            ),
            Collection(
                "building_blocks", models.BuildingBlock, key=True,
                fields=["name", "kind", "description", "service_contract", "service_level", "api_spec_url",
                        "owner", "lifecycle", "standards", "used_by_organisations",
                        "used_by_services"],
                description="Building blocks of the architecture blueprint (B14).",
            ),
            Collection(
                "migration_steps", models.MigrationStep, key=True,
                fields=["title", "description", Field("order", required=True), "replaces", "target", "phase",
                        "due_date", "status"],
                description="The phased migration plan from legacy building blocks to the target (B14, B7.a).",
            ),
        ],
    )
)
