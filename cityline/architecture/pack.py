"""The architecture section of city packs (``architecture.yaml``): B14 standards, building blocks, migration plan.

A pack states the plan's final state at once: it may mark the steps that lead to a block done (or drop them)
and retire the block in one import, yet it writes the blocks before the steps and deletes records last. So a
block the import retires is checked by :func:`check_retired_blocks` once everything is written.
"""

from cityline.core.packs import yamlio
from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

FILE = "architecture.yaml"


def _lifecycle_line(directory, key: str) -> tuple[int | None, str]:
    """The line and path of a building block's ``lifecycle`` in the pack's file (the block's line without it)."""
    try:
        data, _problems = yamlio.load((directory / FILE).read_text(encoding="utf-8"))
    except OSError:
        data = None
    blocks = data.get("building_blocks") if isinstance(data, dict) else None
    for i, item in enumerate(blocks if isinstance(blocks, list) else []):
        if isinstance(item, dict) and item.get("key") == key:
            path = ["building_blocks", i, "lifecycle"]
            return yamlio.line_of(data, path), yamlio.format_path(path)
    return None, f"building_blocks.{key}.lifecycle"


def check_retired_blocks(city, directory, *, user=None, dry_run=False, rights=None):
    """Blocks the import retired that planned or in-progress migration steps still lead to, as imported."""
    retired = models.BuildingBlock.objects.filter(city=city, pk__in=models.blocks_retired_in_import(city.pk),
                                                  lifecycle="retired").order_by("key")
    problems = []
    for block in retired:
        problem = block.retirement_problem()
        if problem:
            line, where = _lifecycle_line(directory, block.key)
            problems.append((FILE, line, where, str(problem)))
    return problems


SECTION = register(
    Section(
        file=FILE,
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
        after_import=check_retired_blocks,
    )
)
