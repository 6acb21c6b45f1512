"""The developments section of city packs (``developments.yaml``): B12 projects and their checklists."""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import choices, models

SECTION = register(
    Section(
        file="developments.yaml",
        title="developments and infrastructure (B12): projects and their smart-delivery checklists",
        order=60,
        collections=[
            Collection(
                "development_projects", models.DevelopmentProject, key=True,
                fields=[
                    "name", "description",
                    Field("infrastructure_types", kind="enum_list", required=True,
                          choices=choices.InfrastructureType.choices),
                    "stage", "area", "latitude", "longitude", "box_west", "box_south", "box_east", "box_north",
                    "start_date", "end_date", "lead", "partners", "budget", "initiatives", "risks",
                ],
                description="Development and infrastructure projects: types, stage, place, period, lead and "
                            "partners, budget, their roadmap initiatives and risks (B12).",
                children=[
                    Collection("checklist", models.ChecklistEntry, parent="project", identity=["item"],
                               fields=[Field("item", required=True), "status", "note"],
                               description="The smart-delivery checklist (B12.a–c); items left out count as "
                                           "missing."),
                ],
            ),
        ],
    )
)
