"""The comparison section of city packs (``benchmarking.yaml``): peer cities and their indicator values
(B3.c, C2.c).

Peer assessments (the maturity a peer publishes) are not in the pack: they are taken again from the
peer with ``cityline benchmark import-assessment``. ``imported_at`` is not either: an import stamps it.
"""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models

SECTION = register(
    Section(
        file="benchmarking.yaml",
        title="cross-city comparison (B3.c, C2.c): peer cities and the indicator values they publish",
        order=95,
        collections=[
            Collection(
                "peer_cities", models.PeerCity, key=True,
                fields=["name", "country", "population", "source_kind", "source", "licence"],
                description="Other cities the city compares its KPIs with, and where their values came from.",
                children=[
                    Collection(
                        "values", models.PeerValue, parent="peer", identity=["source", "code", "period_end"],
                        fields=[Field("source", required=True), Field("code", required=True),
                                Field("period_end", required=True), "name", "value", "unit"],
                        description="The peer's published values: list, identifier in the list, period end, "
                                    "value and unit.",
                    ),
                ],
            ),
        ],
    )
)
