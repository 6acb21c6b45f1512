"""The citizen services section of city packs (``citizen_services.yaml``): services, segments and franchise
teams (B9), channels and the channel audit (B11.a), channel-shift scenarios and digital inclusion (B11.b).

Scenario results are not in the file: they are computed again from the inputs and the
audit when the pack is imported (the audit is imported first). Declarations only; the
engine (:mod:`cityline.core.packs`) reads, checks and writes.
"""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import choices, models

SECTION = register(
    Section(
        file="citizen_services.yaml",
        title="citizen services (B9), channels and the channel audit (B11)",
        order=60,
        collections=[
            Collection(
                "service_settings", models.ServiceSettings, single=True,
                fields=["service_level_threshold"],
                description="The city's standards for the channel audit; without them the documented defaults "
                            "apply (B11.a).",
            ),
            Collection(
                "user_needs", models.UserNeed, key=True, fields=["name", "description"],
                description="What people need to get done; services meet needs and segments have them (B9).",
            ),
            Collection(
                "channels", models.Channel, key=True, fields=["name", "kind", "it_system", "description"],
                description="Channels: face to face, phone, web, app, kiosk, post, intermediaries and "
                            "asset-to-device connections, with the IT system behind each (B11.a).",
            ),
            Collection(
                "services", models.Service, key=True,
                fields=["name", "purpose", "providers", "needs", "eligibility",
                        Field("life_events", kind="enum_list", choices=choices.LifeEvent.choices),
                        "one_stop", "device_candidate", "url", "benefit_nodes"],
                description="Services with their provider organisations, the needs they meet, eligibility, life "
                            "events and one-stop availability (B9); asset-to-device candidates (B11.b.2).",
                children=[
                    Collection(
                        "offerings", models.ServiceChannel, parent="service", identity=["channel"],
                        fields=["channel", "it_system", "service_level_standard"],
                        description="The channels the service is offered through, the IT system used on each "
                                    "(empty: the channel's) and the service level promised there (B11.a).",
                    ),
                ],
            ),
            Collection(
                "customer_segments", models.CustomerSegment, key=True,
                fields=["name", "description", "size", "needs", "insight_sources"],
                description="Customer segments with their size, needs and insight sources (B9).",
            ),
            Collection(
                "franchise_teams", models.FranchiseTeam, key=True,
                fields=["name", "segment", "lead", "members", "services", "performance_measures", "kpis"],
                description="Cross-city teams per segment: lead, member organisations, services in scope and "
                            "performance measures (B9).",
            ),
            Collection(
                "channel_audit", models.ChannelAudit, identity=["service", "channel", "year", "quarter"],
                fields=["service", "channel", "year", "quarter", "transactions", "total_cost", "completion_rate",
                        "satisfaction", "service_level_met"],
                description="One row per service, channel and quarter: transactions, total cost, completion "
                            "rate, satisfaction and service level met, in % (B11.a).",
            ),
            Collection(
                "channel_shift_scenarios", models.ChannelShiftScenario, key=True,
                fields=["name", "service", "from_channel", "to_channel", "share_moved", "years", "baseline_year",
                        "set_aside", "from_unit_cost", "to_unit_cost", "benefit_nodes", "notes"],
                description="Channel-shift scenarios: inputs only; results are computed on import (B11.b, "
                            "B11.b.3.i).",
            ),
            Collection(
                "inclusion_actions", models.DigitalInclusionAction, key=True,
                fields=["name", "kind", "description", "segments", "provider", "reach", "cost", "status",
                        "funded_by"],
                description="Digital-inclusion actions with the segments they serve, their reach and cost "
                            "(B11.b.3).",
            ),
        ],
    )
)
