"""Generate the benefit map, KPIs and risk register of the demo city Kestermouth (issue 3, item 8).

    .venv/bin/python scripts/gen_demo_benefits.py            # (re)write the two files
    .venv/bin/python scripts/gen_demo_benefits.py --check    # fail if the committed files differ

Writes ``cityline/demo/city-pack/benefits.yaml`` and ``cityline/demo/city-pack/risks.yaml``.
Everything in them is **synthetic demo data**: Kestermouth, its people, projects, costs,
evaluations and every measured value are invented for Cityline. Indicator identifiers and
names are real (the ISO 37120:2014 and ITU U4SSC lists shipped in
``cityline/benefits/reference/``); the values measured against them are not.

How it works. The script builds plain records here, imports them with the normal city
pack importer (every write goes through ``cityline.core.actions``) into a throw-away
SQLite database in a temporary folder, then writes the two files with the pack exporter.
So the committed files are exactly what ``cityline pack export`` produces, and a round
trip is byte-identical. Nothing is written to the repository's ``var/`` folder. It then
computes the realisation (KPI statuses on :data:`AS_OF`) and checks that every KPI has the
status its scenario intends; a mismatch stops the script.

Deterministic: every random number comes from ``random.Random(f"{SEED}:{kpi key}")``,
so a KPI's values do not change when other KPIs are added or removed.

The map follows the chain investment → output (enabler, then governance change) →
intermediate outcome → end outcome → ISO 37101 purpose, and covers all six purposes and
all six governance changes of ISO 37106 Table 1. Deliberate gaps, so that
``cityline benefits check`` has something to find (docs/benefits/line-of-sight.md,
"What the demo city's check finds"):

1. ``inv-legacy-crm-exit`` leads only to ``out-crm-decommissioned``, a dead end:
   investment without line of sight (C1), and an enabler that leads to no outcome.
2. ``out-led-lanterns`` (enabler) goes straight to an intermediate outcome: an enabler
   with no governance change downstream on any path to an outcome (C1).
3. ``eo-visitor-economy`` is reached by no investment (C1).
4. ``eo-data-trust`` has no benefit owner (C3.a), and every path to it rests on links
   whose evidence is only assumed (C1).
5. ``eo-healthy-estuary`` has no outcome KPI (C2.c).
6. ``out-participation-site``, ``gc-outcome-budgets`` and a few investments have no
   leading indicator (C2.c; ``gc-co-design`` has one: the share of consultations responded
   to within 60 days, computed from participation, so it has no synthetic values); ``io-digital-confidence`` and
   ``io-household-water-awareness`` have no outcome KPI (C2.c, info).
7. ``eo-digital-inclusion → io-channel-shift`` goes backwards in the chain (C1); there is
   no cycle.
8. Several links rest on assumed evidence only (C1, info).

KPI statuses on :data:`AS_OF` (see ``SCENARIOS``): about 60 % on track, some at risk,
some off track, two with data overdue and one with a vague target (no target). Two
leading indicators are off track (electronic health records on
``out-shared-care-record``, smart water meters on ``out-water-meters``), so the outcomes
downstream of them (healthy life expectancy, household water use) are at risk.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "cityline" / "demo" / "city-pack"
REFERENCE = ROOT / "cityline" / "benefits" / "reference"
FILES = ("benefits.yaml", "risks.yaml")

SEED = 37106
#: The date the scenarios are designed for: statuses are checked on this day.
AS_OF = dt.date(2026, 11, 30)
#: Last period end of the regular series ("before 2026-10").
LAST_PERIOD = dt.date(2026, 9, 30)
SYNTHETIC = "Synthetic demo data"

# --- the benefit map ------------------------------------------------------------------------

PURPOSES = {
    "attractiveness": "Attractiveness",
    "environment": "Preservation and improvement of environment",
    "resilience": "Resilience",
    "resource_use": "Responsible resource use",
    "social_cohesion": "Social cohesion",
    "well_being": "Well-being",
}


def purpose_key(purpose: str) -> str:
    return "purpose-" + purpose.replace("_", "-")


#: (key, cost in GBP, title, description, initiatives, projects)
INVESTMENTS = [
    ("inv-open-data-platform", 1_450_000, "Open data platform",
     "Build and run the city's open data platform with the university and Estuary Analytics.",
     ["open-data-portal"], ["open-data-platform"]),
    ("inv-sensor-network", 1_200_000, "City-wide sensor network",
     "Air quality, noise, traffic and water-level sensors on lamp columns and bridges.",
     ["sensor-network-rollout"], ["sensor-network"]),
    ("inv-digital-twin", 2_400_000, "Local digital twin of the estuary",
     "A 3D model of the estuary, the flood defences and the drainage network, first used for flood planning.",
     ["digital-twin-build"], ["digital-twin"]),
    ("inv-customer-account", 2_300_000, "My Kestermouth customer account",
     "One account for council services, with tell-us-once for changes of address and circumstances.",
     ["customer-account-rollout"], ["customer-account"]),
    ("inv-inclusion-hubs", 380_000, "Digital inclusion hubs",
     "Help, devices and free wi-fi in twelve libraries and community centres.",
     ["inclusion-hubs-rollout"], ["inclusion-hubs"]),
    ("inv-shared-care-record", 1_800_000, "Shared care record integration",
     "Connect the hospital, GP practices, community health and adult social care to one shared record.",
     ["shared-care-record-integration"], ["shared-care-record"]),
    ("inv-connected-port", 4_100_000, "Connected port and freight booking",
     "A port community system with booked truck slots and live berth information.",
     ["connected-port-rollout"], ["connected-port"]),
    ("inv-flood-warning", 950_000, "Estuary flood early warning",
     "Street-level flood alerts from tide gauges, river levels and the surge forecast.",
     ["flood-early-warning"], ["flood-warning"]),
    ("inv-smart-lighting", 5_800_000, "Smart street lighting",
     "Replace 28,000 sodium lanterns with LED lanterns on a central management system.",
     ["smart-lighting-rollout"], ["smart-lighting"]),
    ("inv-participation-platform", 150_000, "Online participation platform",
     "One place online for consultations, ideas and feedback on what happened as a result.",
     ["participation-platform"], []),
    ("inv-smart-water-meters", 2_100_000, "Smart water meters",
     "Council share of the water company's smart meter programme in council homes and public buildings.",
     [], []),
    ("inv-ev-charging", 1_650_000, "Public electric vehicle charging",
     "420 public charge points on streets and in car parks, with a car club of electric vehicles.",
     [], []),
    ("inv-cycle-network", 2_700_000, "Protected cycle network",
     "38 km of protected cycle lanes linking the eastern wards, the centre and the port.",
     [], []),
    ("inv-buildings-retrofit", 3_200_000, "Public buildings energy retrofit",
     "Insulation, heat pumps and building energy management in 90 council and school buildings.",
     [], []),
    ("inv-data-ethics-panel", 35_000, "Citizen data ethics panel",
     "Twelve residents review new uses of personal and location data.",
     ["data-ethics-panel"], []),
    ("inv-outcome-budgeting", 400_000, "Outcome-based budgeting across partners",
     "Partners agree shared outcomes and plan their budgets against them.",
     ["outcome-budgeting"], []),
    ("inv-api-gateway", 720_000, "City API gateway and context broker",
     "One gateway through which partners' systems share data in common formats.",
     ["api-gateway"], []),
    ("inv-legacy-crm-exit", 260_000, "Exit the legacy CRM contract",
     "Move the last services off the old customer relationship system and switch it off.",
     ["legacy-crm-exit"], []),
]

#: (key, title, description)
ENABLERS = [
    ("out-open-data-portal", "Open data portal with the city's core datasets", ""),
    ("out-sensor-grid", "850 sensors reporting live", "Air quality, noise, traffic and water levels every five minutes."),
    ("out-flood-model", "Digital twin flood model", "Models tides, surge and rainfall against defences and drains."),
    ("out-my-account", "My Kestermouth account live for all council services", ""),
    ("out-inclusion-hubs", "Twelve digital inclusion hubs open", ""),
    ("out-shared-care-record", "Shared care record used by all care partners", ""),
    ("out-port-community-system", "Port community system with booked truck slots", ""),
    ("out-flood-alerts", "Street-level flood alert service", "Text, app and phone alerts by street."),
    ("out-led-lanterns", "28,000 LED lanterns on central management", ""),
    ("out-participation-site", "Online participation site", ""),
    ("out-water-meters", "Smart water meters in homes and public buildings", ""),
    ("out-charge-points", "420 public charge points and an electric car club", ""),
    ("out-cycle-lanes", "38 km of protected cycle lanes", ""),
    ("out-bems", "Building energy management in 90 public buildings", ""),
    ("out-api-gateway", "City API gateway in service", ""),
    ("out-crm-decommissioned", "Legacy CRM switched off", ""),
]

#: (key, governance change, title, description)
GOVERNANCE = [
    ("gc-open-by-default", "improved_transparency", "Open by default",
     "Partners publish their data unless there is a stated reason not to, and decisions show the data behind them."),
    ("gc-operations-room", "real_time_management", "Live operations room for flood, traffic and lighting",
     "Council, transport authority and emergency services run the city's assets from shared live data."),
    ("gc-joined-up-care", "cross_silo_collaboration", "Joined-up neighbourhood care teams",
     "Health, housing and social care staff plan and act on one record, per neighbourhood."),
    ("gc-tell-us-once", "cross_silo_collaboration", "Tell us once",
     "Services share what residents tell one of them, with consent, so nobody repeats themselves."),
    ("gc-co-design", "citizen_engagement", "Services and priorities designed with residents",
     "Residents take part in setting priorities and designing services, and hear what changed."),
    ("gc-outcome-budgets", "stakeholder_alignment", "Partners budget against shared outcomes",
     "The partnership board agrees outcomes first and each partner plans its spending against them."),
    ("gc-shared-street-space", "shared_resources", "Street space shared between walking, cycling and buses",
     "Streets are reallocated from parking and general traffic to shared, sustainable uses."),
    ("gc-shared-port-data", "shared_resources", "Port users share one booking and data system",
     "Terminal operators, hauliers and the port authority plan freight movements from shared data."),
    ("gc-water-data", "real_time_management", "Leaks and demand managed from live meter data",
     "The water company and the council act on daily meter readings and night flows."),
    ("gc-shared-infrastructure", "shared_resources", "Charging and data infrastructure shared across partners",
     "Charge points, ducts and the API gateway are used by the council, partners and businesses alike."),
]

#: (key, title, description)
INTERMEDIATE = [
    ("io-data-reuse", "City data reused by businesses, researchers and residents", ""),
    ("io-faster-flood-response", "Earlier, better-targeted flood response", ""),
    ("io-channel-shift", "Residents choose online channels for simple requests", ""),
    ("io-digital-confidence", "More residents confident online", ""),
    ("io-fewer-admissions", "Fewer avoidable emergency hospital admissions", ""),
    ("io-port-throughput", "Freight moves through the port faster", ""),
    ("io-street-energy", "Less energy used by street lighting", ""),
    ("io-leaks-fixed", "Water leaks found and fixed faster", ""),
    ("io-household-water-awareness", "Households see their water use and cut it", ""),
    ("io-cleaner-fleet", "More low-emission vehicles on the road", ""),
    ("io-more-cycling", "More trips by bike", ""),
    ("io-building-energy", "Less energy used in public buildings", ""),
    ("io-participation", "More residents take part in decisions", ""),
    ("io-bus-journeys", "More bus journeys", ""),
    ("io-estuary-monitoring", "Pollution in the estuary spotted and stopped within a day", ""),
]

#: (key, title, benefit owner, description)
END_OUTCOMES = [
    ("eo-healthy-life", "Narrower gap in healthy life expectancy", "miriam-achebe",
     "Objective 1 of the vision: close a third of the gap between the most and the least deprived wards."),
    ("eo-digital-inclusion", "Every adult can get online", "amara-okafor",
     "Objective 2 of the vision."),
    ("eo-homes-protected", "Homes and businesses protected from flooding", "eleanor-fairweather",
     "Objective 3 of the vision."),
    ("eo-lower-carbon", "Lower carbon emissions", "grace-whitfield", "Objective 4 of the vision."),
    ("eo-clean-air", "Cleaner, quieter air in the streets", "grace-whitfield", ""),
    ("eo-sustainable-travel", "Walking, cycling and public transport are the normal way to travel", "simon-pargeter",
     "Objective 5 of the vision."),
    ("eo-good-jobs", "More good jobs for residents", "rachel-odunsi", "Objective 6 of the vision."),
    ("eo-easy-services", "Requests resolved at the first contact", "lucy-harrow", "Objective 7 of the vision."),
    ("eo-water-use", "Less water used at home", "grace-whitfield", "Objective 8 of the vision."),
    ("eo-energy-use", "Less energy used across the city", "daniel-ferris", ""),
    ("eo-visitor-economy", "A thriving visitor economy on the waterfront", "fiona-macleod", ""),
    ("eo-healthy-estuary", "A healthy estuary and salt marsh", "callum-reid", ""),
    ("eo-data-trust", "Residents trust how the city uses their data", None, ""),
]

W = None  # no weight: split equally
VISION = "Kestermouth 2035 vision, purposes and their rationale (synthetic demo source)"
A, N, E, P = "assumed", "anecdotal", "evaluated", "proven"
#: (source, target, evidence, rationale, sources, weight)
LINKS = [
    # open data
    ("inv-open-data-platform", "out-open-data-portal", P, "The platform is the portal: building it delivers the output.",
     "Project closure report, open data platform release 1 (synthetic demo source)", W),
    ("out-open-data-portal", "gc-open-by-default", E,
     "A portal that is easy to publish to lets partners adopt an open-by-default rule in practice.",
     "Kestermouth data maturity review 2024, Urban Observatory (synthetic demo source)", W),
    ("gc-open-by-default", "io-data-reuse", E, "Data that is published routinely and kept current gets reused.",
     "Open data reuse survey of local firms, Estuary Analytics 2025 (synthetic demo source)", W),
    ("io-data-reuse", "eo-good-jobs", N, "Local firms build products and win contracts on city data.", "", W),
    ("inv-api-gateway", "out-api-gateway", P, "Delivering the gateway is the project's scope.",
     "Gateway go-live acceptance report (synthetic demo source)", W),
    ("out-api-gateway", "gc-open-by-default", N, "Open APIs make publishing a by-product of running the service.", "", "0.4"),
    ("out-api-gateway", "gc-shared-infrastructure", E, "Partners connect once and share the same data services.",
     "Integration cost comparison, shared data services study 2025 (synthetic demo source)", "0.6"),
    # sensors, twin, flood
    ("inv-sensor-network", "out-sensor-grid", P, "Installing and connecting the sensors delivers the grid.",
     "Sensor network commissioning records (synthetic demo source)", W),
    ("out-sensor-grid", "gc-operations-room", E, "Live readings let the operations room manage assets as things happen.",
     "Operations room pilot evaluation, winter 2024 (synthetic demo source)", "0.7"),
    ("out-sensor-grid", "gc-open-by-default", N, "Sensor feeds are published as open data in real time.", "", "0.3"),
    ("inv-digital-twin", "out-flood-model", E, "The first release of the twin is the flood model.",
     "Digital twin business case, independent review 2025 (synthetic demo source)", W),
    ("out-flood-model", "gc-operations-room", A, "The model's forecasts will guide where crews and barriers go.", "", W),
    ("inv-flood-warning", "out-flood-alerts", P, "The project builds and runs the alert service.",
     "Flood warning project closure report (synthetic demo source)", W),
    ("out-flood-alerts", "gc-operations-room", E, "Alerts and live gauges give the operations room a shared picture.",
     "Winter 2024 flood alert pilot evaluation, Old Docks (synthetic demo source)", W),
    ("gc-operations-room", "io-faster-flood-response", E, "One live picture shortens the time from warning to action.",
     "Storm Ciara and 2024 surge exercises, after-action reviews (synthetic demo source)", "0.4"),
    ("gc-operations-room", "io-bus-journeys", N, "Bus priority at junctions managed live makes buses more reliable.", "", "0.2"),
    ("gc-operations-room", "io-estuary-monitoring", A, "Water-quality alarms will bring inspectors out the same day.", "", "0.2"),
    ("io-faster-flood-response", "eo-homes-protected", P, "Earlier warning and action reduce flood damage to property.",
     "Environment agency flood warning benefit studies summarised in the 2023 flood strategy (synthetic demo source)", W),
    ("io-estuary-monitoring", "eo-healthy-estuary", A, "Pollution stopped early harms the salt marsh less.", "", W),
    # services
    ("inv-customer-account", "out-my-account", P, "The project delivers the account.",
     "Customer account release notes and acceptance (synthetic demo source)", W),
    ("out-my-account", "gc-tell-us-once", E, "A single account lets services share a change of circumstances.",
     "Tell-us-once pilot with council tax and housing benefit, 2025 (synthetic demo source)", W),
    ("gc-tell-us-once", "io-channel-shift", E, "Residents move online when online saves them repeat contacts.",
     "Contact centre demand analysis 2025 (synthetic demo source)", W),
    ("io-channel-shift", "eo-easy-services", E, "Simple requests done online free advisers for complex ones.",
     "Channel shift evaluation, customer services 2025 (synthetic demo source)", W),
    ("inv-legacy-crm-exit", "out-crm-decommissioned", P, "The contract exit switches the old system off.",
     "Legacy CRM exit plan, a condition of the initiate gateway (synthetic demo source)", W),
    # inclusion and participation
    ("inv-inclusion-hubs", "out-inclusion-hubs", P, "The project opens and staffs the hubs.",
     "Inclusion hubs opening records (synthetic demo source)", W),
    ("out-inclusion-hubs", "gc-co-design", N, "Hub visitors test new online services before they launch.", "", "0.3"),
    ("out-inclusion-hubs", "gc-shared-infrastructure", N, "Libraries, the college and charities share the hubs and their devices.", "", "0.7"),
    ("gc-shared-infrastructure", "io-digital-confidence", E, "Help close to home, with a device to borrow, builds confidence.",
     "Digital inclusion network learner follow-up 2024 (synthetic demo source)", "0.6"),
    ("io-digital-confidence", "eo-digital-inclusion", E, "Confident residents keep using the internet after the course ends.",
     "Kestermouth College adult learner outcomes 2024 (synthetic demo source)", W),
    ("eo-digital-inclusion", "io-channel-shift", N, "Residents who can get online use online channels more.", "", W),
    ("inv-participation-platform", "out-participation-site", P, "The project launches the site.",
     "Participation platform launch report (synthetic demo source)", W),
    ("out-participation-site", "gc-co-design", A, "Online consultation draws in residents who never come to meetings.", "", W),
    ("gc-co-design", "io-participation", A, "Residents who see what changed take part again.", "", W),
    ("io-participation", "eo-data-trust", A, "Residents who help decide how data is used trust its use more.", "", W),
    ("inv-data-ethics-panel", "gc-co-design", N, "The panel is residents deciding with the council on data uses.", "", W),
    # health
    ("inv-shared-care-record", "out-shared-care-record", E, "Integration delivers a record all partners can use.",
     "Shared care record integration test report 2025 (synthetic demo source)", W),
    ("out-shared-care-record", "gc-joined-up-care", E, "A shared record is the condition for joint neighbourhood teams.",
     "Eastgate integrated care team pilot evaluation 2024 (synthetic demo source)", W),
    ("gc-joined-up-care", "io-fewer-admissions", E, "Joined-up teams act before a crisis sends someone to hospital.",
     "Eastgate integrated care team pilot evaluation 2024 (synthetic demo source)", W),
    ("io-fewer-admissions", "eo-healthy-life", N, "Fewer crises mean longer healthy lives in the most deprived wards.", "", W),
    # port, jobs
    ("inv-connected-port", "out-port-community-system", E, "The project delivers the system and the booking service.",
     "Connected port mid-point review, June 2026 (synthetic demo source)", W),
    ("out-port-community-system", "gc-shared-port-data", E, "One system makes sharing data the normal way to work.",
     "North Sea Smart Ports Network peer review 2025 (synthetic demo source)", W),
    ("gc-shared-port-data", "io-port-throughput", P, "Booked slots cut truck queues and berth waiting.",
     "Slot booking results at three partner ports, North Sea Smart Ports Network (synthetic demo source)", W),
    ("io-port-throughput", "eo-good-jobs", E, "A faster port wins traffic and the marine engineering work around it.",
     "Port economic impact study 2023 (synthetic demo source)", "0.7"),
    ("io-port-throughput", "eo-clean-air", N, "Fewer idling trucks at the gates.", "", "0.3"),
    # lighting, buildings, energy
    ("inv-smart-lighting", "out-led-lanterns", P, "The project replaces the lanterns.",
     "Smart lighting phase 1 completion report (synthetic demo source)", W),
    ("out-led-lanterns", "io-street-energy", P, "LED lanterns use about 60% less electricity than sodium ones.",
     "Phase 1 metered savings, 6,000 lanterns (synthetic demo source)", W),
    ("io-street-energy", "eo-energy-use", P, "Street lighting is the council's largest electricity load.",
     "Council energy account 2023 (synthetic demo source)", "0.5"),
    ("io-street-energy", "eo-lower-carbon", P, "Less electricity used means lower emissions.",
     "National grid carbon intensity factors (synthetic demo source)", "0.5"),
    ("inv-buildings-retrofit", "out-bems", E, "The retrofit installs building energy management everywhere it works.",
     "Retrofit programme quarterly report (synthetic demo source)", W),
    ("out-bems", "gc-operations-room", N, "Buildings are managed from the same live room as the streets.", "", W),
    ("gc-operations-room", "io-building-energy", E, "Heating and lighting follow occupancy when managed live.",
     "Retrofit pilot in five schools, 2023 (synthetic demo source)", "0.2"),
    ("io-building-energy", "eo-energy-use", E, "Public buildings use a tenth of the city's non-domestic energy.",
     "City energy baseline 2019 (synthetic demo source)", "0.5"),
    ("io-building-energy", "eo-lower-carbon", E, "Heat pumps and less energy cut building emissions.",
     "City energy baseline 2019 (synthetic demo source)", "0.5"),
    ("eo-energy-use", "purpose-resource-use", P, "Using less energy is responsible resource use.", VISION, W),
    # water
    ("inv-smart-water-meters", "out-water-meters", E, "The programme fits the meters.",
     "Water company installation returns (synthetic demo source)", W),
    ("out-water-meters", "gc-water-data", E, "Daily readings are what live leak and demand management runs on.",
     "Water company district metering trial results 2023 (synthetic demo source)", W),
    ("gc-water-data", "io-leaks-fixed", E, "Night-flow alarms reach repair crews the same night.",
     "Water company district metering trial results 2023 (synthetic demo source)", "0.5"),
    ("gc-water-data", "io-household-water-awareness", A, "Households that see their daily use in the customer account cut it.",
     "", "0.5"),
    ("io-household-water-awareness", "eo-water-use", E, "Metered households use less water than unmetered ones.",
     "Water company metering study 2022 (synthetic demo source)", W),
    ("io-leaks-fixed", "eo-water-use", N, "Fixing supply-pipe leaks on private land lowers measured use.", "", W),
    # transport
    ("inv-ev-charging", "out-charge-points", P, "The project installs the charge points.",
     "Charge point installation register (synthetic demo source)", W),
    ("out-charge-points", "gc-shared-infrastructure", E, "Council fleet, taxis and residents share the same charge points.",
     "Taxi trade electric vehicle survey 2025 (synthetic demo source)", W),
    ("gc-shared-infrastructure", "io-cleaner-fleet", E, "Reliable shared charging is what drivers say they need to switch.",
     "Taxi trade electric vehicle survey 2025 (synthetic demo source)", "0.4"),
    ("io-cleaner-fleet", "eo-clean-air", P, "Electric vehicles emit no exhaust nitrogen dioxide.",
     "Roadside monitoring before and after the 2022 bus fleet change (synthetic demo source)", "0.5"),
    ("io-cleaner-fleet", "eo-lower-carbon", E, "Transport is a third of the city's emissions.",
     "City emissions inventory 2022 (synthetic demo source)", "0.5"),
    ("inv-cycle-network", "out-cycle-lanes", P, "The project builds the lanes.",
     "Cycle network construction records (synthetic demo source)", W),
    ("out-cycle-lanes", "gc-shared-street-space", E, "Building the lanes reallocates the street.",
     "Street design review 2024 (synthetic demo source)", W),
    ("gc-shared-street-space", "io-more-cycling", P, "Protected lanes are what gets people cycling.",
     "Automatic counter data on the first 6 km of lanes, 2023-2025 (synthetic demo source)", "0.6"),
    ("gc-shared-street-space", "io-bus-journeys", E, "Bus lanes on the same streets make buses faster.",
     "Bus journey time surveys on Eastgate Road 2024 (synthetic demo source)", "0.4"),
    ("io-more-cycling", "eo-sustainable-travel", P, "Bike trips are sustainable trips.",
     "Household travel diary method note (synthetic demo source)", "0.6"),
    ("io-more-cycling", "eo-clean-air", E, "Car trips replaced by bike trips reduce traffic fumes.",
     "Counter and traffic data 2023-2025 (synthetic demo source)", "0.4"),
    ("io-bus-journeys", "eo-sustainable-travel", P, "Bus trips are sustainable trips.",
     "Household travel diary method note (synthetic demo source)", W),
    ("eo-sustainable-travel", "eo-lower-carbon", E, "Fewer car trips cut transport emissions.",
     "City emissions inventory 2022 (synthetic demo source)", W),
    # partnership
    ("inv-outcome-budgeting", "gc-outcome-budgets", N, "The project sets up the shared outcome framework and budget process.", "", W),
    ("gc-outcome-budgets", "io-fewer-admissions", A, "Partners fund prevention together when budgets follow outcomes.", "", "0.5"),
    ("gc-outcome-budgets", "io-digital-confidence", A, "Partners pool inclusion budgets in the hubs.", "", "0.5"),
    # end outcomes to purposes
    ("eo-healthy-life", "purpose-social-cohesion", E, "The gap is between wards: closing it is cohesion.",
     "Joint strategic needs assessment 2023 (synthetic demo source)", W),
    ("eo-healthy-life", "purpose-well-being", P, "Healthy years are well-being.", VISION, W),
    ("eo-digital-inclusion", "purpose-social-cohesion", E, "Nobody is shut out of services and work that moved online.",
     "Digital exclusion mapping 2023 (synthetic demo source)", W),
    ("eo-homes-protected", "purpose-resilience", P, "Protecting homes from flooding is resilience.", VISION, W),
    ("eo-lower-carbon", "purpose-environment", P, "Lower emissions protect the climate.", VISION, W),
    ("eo-clean-air", "purpose-environment", P, "Cleaner air is a better environment.", VISION, W),
    ("eo-clean-air", "purpose-well-being", P, "Cleaner air means fewer breathing problems.", VISION, W),
    ("eo-sustainable-travel", "purpose-well-being", E, "Active travel is healthier.", "Active travel health study 2021 (synthetic demo source)", W),
    ("eo-good-jobs", "purpose-attractiveness", E, "Good jobs keep graduates in the city.",
     "Graduate retention survey, University of Kestermouth 2024 (synthetic demo source)", W),
    ("eo-easy-services", "purpose-well-being", N, "Less effort to get help is a better everyday life.", "", W),
    ("eo-water-use", "purpose-resource-use", P, "Less water used at home is responsible resource use.", VISION, W),
    ("eo-visitor-economy", "purpose-attractiveness", E, "Visitors and the jobs they bring make the city attractive.",
     "Visitor economy study 2023 (synthetic demo source)", W),
    ("eo-healthy-estuary", "purpose-environment", P, "The salt marsh is a protected habitat.", VISION, W),
    ("eo-healthy-estuary", "purpose-resilience", E, "Salt marsh absorbs wave energy in a surge.",
     "Marine Research Institute sediment study 2022 (synthetic demo source)", W),
    ("eo-data-trust", "purpose-social-cohesion", A, "Trust in the council's use of data is part of trust between residents and institutions.", "", W),
]


def benefit_nodes() -> list[dict]:
    nodes = []
    for key, cost, title, description, initiatives, projects in INVESTMENTS:
        nodes.append({"key": key, "kind": "investment", "title": title, "description": description, "cost": cost,
                      "initiatives": initiatives, "projects": projects})
    for key, title, description in ENABLERS:
        nodes.append({"key": key, "kind": "output", "title": title, "description": description,
                      "output_type": "enabler"})
    for key, change, title, description in GOVERNANCE:
        nodes.append({"key": key, "kind": "output", "title": title, "description": description,
                      "output_type": "governance_change", "governance_change": change})
    for key, title, description in INTERMEDIATE:
        nodes.append({"key": key, "kind": "intermediate_outcome", "title": title, "description": description})
    for key, title, owner, description in END_OUTCOMES:
        nodes.append({"key": key, "kind": "end_outcome", "title": title, "description": description,
                      "benefit_owner": owner})
    for purpose, title in PURPOSES.items():
        nodes.append({"key": purpose_key(purpose), "kind": "purpose", "title": title, "purpose": purpose})
    return [{k: v for k, v in n.items() if v not in (None, "", [])} for n in nodes]


def benefit_links() -> list[dict]:
    out = []
    for source, target, evidence, rationale, sources, weight in LINKS:
        assert sources or evidence in (A, N), f"{source} → {target}: evaluated and proven links name their sources"
        link = {"source": source, "target": target, "weight": float(weight) if weight else None,
                "evidence": evidence, "rationale": rationale, "sources": sources}
        out.append({k: v for k, v in link.items() if v not in (None, "")})
    return out


# --- indicators and KPIs ----------------------------------------------------------------------

def catalogue() -> dict[tuple[str, str], tuple[str, str]]:
    """(source, code) → (name, theme) from the lists shipped with Cityline."""
    found = {}
    with open(REFERENCE / "iso37120_indicators.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[("iso37120_2014", row["id"])] = (row["name"], row["theme"])
    with open(REFERENCE / "u4ssc_kpis.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[("u4ssc", row["code"])] = (row["name"], row["dimension"])
    return found


def indicator_key(source: str, code_or_name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", code_or_name.lower()).strip("-")
    prefix = {"iso37120_2014": "iso37120", "u4ssc": "u4ssc", "city": "city"}[source]
    return f"{prefix}-{slug}"[:60].rstrip("-")


ISO, U4 = "iso37120_2014", "u4ssc"
Q, Y, M = "quarterly", "annual", "monthly"
RT, SV, LS = "real_time", "periodic_survey", "longitudinal_study"
UP, DOWN, BAND = "higher_is_better", "lower_is_better", "target_band"
B19, B20 = dt.date(2019, 12, 31), dt.date(2020, 12, 31)
T27, T30 = dt.date(2027, 12, 31), dt.date(2030, 12, 31)

#: Scenarios: the status each KPI is designed to have on AS_OF.
ON, RISK, OFF, OVERDUE, VAGUE = "on_track", "at_risk", "off_track", "data_overdue", "no_target"

#: One row per KPI. ``ind``: (source, code) from the catalogue, or ("city", name, theme, definition).
#: ``targets``: [(date, value)] (labelled "2027 milestone" / "2030 target"); ``points`` for
#: stepped/custom trajectories; ``dp``: decimals of the generated values; ``noise``: relative
#: spread of the values; ``stop``: last period end (data overdue).
KPIS: list[dict] = [
    # --- end outcomes --------------------------------------------------------------------------
    dict(key="healthy-life-gap", node="eo-healthy-life", kind="outcome",
         ind=("city", "Gap in healthy life expectancy between the most and least deprived fifth of wards",
              "Health", "Healthy life expectancy at birth, most deprived fifth of wards minus least deprived fifth."),
         unit="years", direction=DOWN, freq=Y, method=LS, baseline=(B19, 14.2), targets=[(T27, 12.8), (T30, 11.8)],
         scenario=ON, dp=1, noise=0.01, suppliers=["health-party"], users=["council-members", "health-party"],
         calc="Three-year pooled life tables by ward from the public health observatory; published each spring."),
    dict(key="life-expectancy", node="eo-healthy-life", kind="outcome", ind=(U4, "SC: EH: H: 1C"), unit="years",
         direction=UP, freq=Y, method=LS, baseline=(B19, 79.6), targets=[(T30, 81.0)], scenario=ON, dp=1,
         noise=0.002, suppliers=["health-party"], users=["health-party", "council-members"],
         calc="Period life expectancy at birth, persons, three-year average."),
    dict(key="adults-without-digital-skills", node="eo-digital-inclusion", kind="outcome",
         ind=("city", "Adults without the essential digital skills for everyday life", "Education",
              "Share of adults who cannot do all the essential digital tasks for everyday life."),
         unit="%", direction=DOWN, freq=Y, method=SV, baseline=(B19, 16.8), targets=[(T27, 9.0), (T30, 5.0)],
         scenario=RISK, dp=1, noise=0.03, suppliers=["digital-inclusion-party"],
         users=["digital-inclusion-party", "council-members", "older-residents"],
         calc="Residents' survey, 2,000 adults a year, weighted to the census by age, sex and ward."),
    dict(key="household-internet-access", node="eo-digital-inclusion", kind="outcome", ind=(U4, "EC: ICT: ICT: 1C"),
         unit="% of households", direction=UP, freq=Y, method=SV, baseline=(B19, 86.0),
         targets=[(T27, 93.0), (T30, 96.0)], scenario=ON, dp=1, noise=0.005, suppliers=["digital-inclusion-party"],
         users=["council-members"], calc="Residents' survey: households with internet access at home."),
    dict(key="fixed-broadband", node="eo-digital-inclusion", kind="outcome", ind=(U4, "EC: ICT: ICT: 2C"),
         unit="per 100 inhabitants", direction=UP, freq=Y, method=RT, baseline=(B19, 34.0), targets=[(T30, 42.0)],
         scenario=ON, dp=1, noise=0.01, suppliers=["energy-party"], users=["council-members"],
         calc="Fixed broadband subscriptions from operators' returns, per 100 residents.", published=False),
    dict(key="population-flood-prone", node="eo-homes-protected", kind="outcome", ind=(U4, "SC: SH: SA: 4A"),
         unit="% of population", direction=DOWN, freq=Y, method=LS, baseline=(B19, 4.1),
         targets=[(T27, 3.2), (T30, 2.6)], scenario=ON, dp=2, noise=0.01, suppliers=["rivers-trust-party"],
         users=["council-members", "old-docks-residents-party"],
         calc="Residents in the high flood-risk band of the national flood map, as a share of the population."),
    dict(key="disaster-losses", node="eo-homes-protected", kind="outcome", ind=(U4, "SC: SH: SA: 2C"),
         unit="% of GVA", direction=DOWN, freq=Y, method=LS, baseline=(B19, 0.42), targets=[(T30, 0.2)],
         scenario=RISK, dp=2, noise=0.05, suppliers=["port-party"], users=["council-members", "chamber-party"],
         calc="Insured and uninsured flood and storm losses reported to the council, as a share of city GVA.",
         tolerance=(0.1, 0.25)),
    dict(key="ghg-per-capita", node="eo-lower-carbon", kind="outcome", ind=(ISO, "8.3"), unit="t CO2e per person",
         direction=DOWN, freq=Y, method=LS, baseline=(B19, 5.3), targets=[(T27, 3.9), (T30, 3.1)], scenario=RISK,
         dp=2, noise=0.01, suppliers=["energy-party"], users=["council-members"],
         calc="Territorial emissions from the national local-authority inventory divided by mid-year population."),
    dict(key="renewable-energy", node="eo-lower-carbon", kind="outcome", ind=(U4, "EN: E: E: 1C"), unit="%",
         direction=UP, freq=Y, method=LS, baseline=(B19, 21.0), targets=[(T30, 45.0)], scenario=OFF, dp=1,
         noise=0.02, suppliers=["energy-party"], users=["council-members"],
         calc="Renewable share of final energy consumption in the city."),
    dict(key="pm25", node="eo-clean-air", kind="outcome", ind=(ISO, "8.1"), unit="µg/m³", direction=DOWN, freq=M,
         method=RT, baseline=(B19, 10.4), targets=[(T27, 8.5), (T30, 7.5)], scenario=ON, dp=1, noise=0.08,
         seasonal=0.12, suppliers=["university-party"], users=["council-members", "older-residents"],
         calc="Monthly mean of hourly values at the six reference-grade monitors, ratified data replacing provisional."),
    dict(key="no2", node="eo-clean-air", kind="outcome", ind=(ISO, "8.4"), unit="µg/m³", direction=DOWN, freq=Q,
         method=RT, baseline=(B19, 31.0), targets=[(T27, 25.0), (T30, 20.0)], scenario=ON, dp=1, noise=0.04,
         seasonal=0.08, suppliers=["university-party"], users=["council-members"],
         calc="Quarterly mean at roadside monitors and diffusion tubes."),
    dict(key="pm10", node="eo-clean-air", kind="outcome", ind=(ISO, "8.2"), unit="µg/m³", direction=DOWN, freq=Y,
         method=RT, baseline=(B19, 17.2), targets=[(T30, 14.0)], scenario=OFF, dp=1, noise=0.02,
         suppliers=["university-party"], users=["council-members"], calc="Annual mean at the reference monitors."),
    dict(key="noise-exposure", node="eo-clean-air", kind="outcome", ind=(U4, "EN: EN: EQ: 2A"), unit="% of population",
         direction=DOWN, freq=Y, method=LS, baseline=(B19, 18.0), targets=[(T30, 14.0)], scenario=OFF, dp=1,
         noise=0.01, suppliers=["university-party"], users=["council-members"], published=False,
         calc="Residents exposed to road noise above 55 dB Lden, from the strategic noise map and sensor data."),
    dict(key="non-car-commuters", node="eo-sustainable-travel", kind="outcome", ind=(ISO, "18.5"),
         unit="% of commuters", direction=UP, freq=Y, method=SV, baseline=(B19, 38.0),
         targets=[(T27, 46.0), (T30, 52.0)], scenario=ON, dp=1, noise=0.02, suppliers=["transport-party"],
         users=["council-members", "bus-operator"], calc="Travel-to-work question of the residents' survey."),
    dict(key="mode-share", node="eo-sustainable-travel", kind="outcome", ind=(U4, "EC: I: T: 4A"),
         unit="% of trips", direction=UP, freq=Y, method=SV, baseline=(B19, 41.0), targets=[(T30, 55.0)],
         scenario=RISK, dp=1, noise=0.015, suppliers=["transport-party"], users=["council-members"],
         calc="Share of all trips within the city on foot, by bike or by public transport (household travel diary)."),
    dict(key="unemployment", node="eo-good-jobs", kind="outcome", ind=(ISO, "5.1"), unit="%", direction=DOWN,
         freq=Q, method=SV, baseline=(B19, 5.1), targets=[(T27, 4.4), (T30, 4.0)], scenario=ON, dp=1, noise=0.03,
         covid=0.35, suppliers=["combined-authority-party"], users=["council-members", "chamber-party"],
         calc="Model-based unemployment rate for residents aged 16 and over, rolling four quarters."),
    dict(key="youth-unemployment", node="eo-good-jobs", kind="outcome", ind=(ISO, "5.5"), unit="%", direction=DOWN,
         freq=Y, method=SV, baseline=(B19, 12.4), targets=[(T30, 9.0)], scenario=OFF, dp=1, noise=0.02,
         covid=0.3, suppliers=["combined-authority-party"], users=["college-party", "council-members"],
         calc="Unemployment rate of residents aged 16 to 24, annual population survey."),
    dict(key="ict-employment", node="eo-good-jobs", kind="outcome", ind=(U4, "EC: P: EM: 4A"), unit="% of jobs",
         direction=UP, freq=Y, method=SV, baseline=(B19, 3.1), targets=[(T27, 4.0), (T30, 4.6)], scenario=ON,
         dp=2, noise=0.015, suppliers=["combined-authority-party"], users=["chamber-party", "university-party"],
         calc="Employee jobs in information and communication sections of the business register survey."),
    dict(key="jobs-housing-ratio", node="eo-good-jobs", kind="outcome", ind=(ISO, "19.4"), unit="ratio",
         direction=BAND, band=(0.95, 1.15), freq=Y, method=LS, baseline=(B19, 1.22), targets=[(T30, 1.05)],
         scenario=ON, dp=2, noise=0.005, suppliers=["combined-authority-party"], users=["council-members"],
         calc="Jobs located in the city divided by dwellings; the band keeps jobs and homes in balance."),
    dict(key="first-contact-resolution", node="eo-easy-services", kind="outcome",
         ind=("city", "Council service requests resolved at first contact, all channels", "Governance",
              "Requests closed without a follow-up contact within 14 days, as a share of all requests."),
         unit="%", direction=UP, freq=M, method=RT, baseline=(B19, 61.0), targets=[(T27, 78.0), (T30, 85.0)],
         scenario=ON, dp=1, noise=0.015, suppliers=["council-members"], users=["council-members"],
         calc="From the customer account and the contact centre system, all channels."),
    dict(key="domestic-water", node="eo-water-use", kind="outcome", ind=(ISO, "21.4"), unit="litres per person per day",
         direction=DOWN, freq=Y, method=RT, baseline=(B19, 141.0), targets=[(T27, 128.0), (T30, 120.0)],
         scenario=ON, dp=0, noise=0.008, suppliers=["energy-party"], users=["council-members"],
         calc="Household consumption from the water company's annual return, per resident."),
    dict(key="water-consumption", node="eo-water-use", kind="outcome", ind=(U4, "EN: EN: WS: 2C"),
         unit="litres per person per day", direction=DOWN, freq=Y, method=RT, baseline=(B19, 232.0),
         targets=[(T30, 205.0)], scenario=OVERDUE, stop=dt.date(2023, 12, 31), dp=0, noise=0.008,
         suppliers=["energy-party"], users=["council-members"],
         calc="Total water supplied to the city per resident; the water company stopped sending it in 2024."),
    dict(key="electricity-per-capita", node="eo-energy-use", kind="outcome", ind=(ISO, "7.5"),
         unit="kWh per person per year", direction=DOWN, freq=Y, method=RT, baseline=(B19, 4350.0),
         targets=[(T27, 4050.0), (T30, 3900.0)], scenario=ON, dp=0, noise=0.01, suppliers=["energy-party"],
         users=["council-members"], calc="Metered electricity consumption from the national sub-national statistics."),
    dict(key="tourism-employment", node="eo-visitor-economy", kind="outcome", ind=(U4, "EC: P: EM: 3A"),
         unit="% of jobs", direction=UP, freq=Y, method=SV, baseline=(B19, 7.8), targets=[(T30, 8.8)],
         scenario=RISK, covid=0.25, dp=1, noise=0.01, suppliers=["chamber-party"], users=["chamber-party"],
         calc="Employee jobs in accommodation, food and visitor attractions."),
    dict(key="trust-in-data-use", node="eo-data-trust", kind="outcome",
         ind=("city", "Residents who trust the council to use their data well", "Governance",
              "Share of residents who agree the council uses data about them responsibly."),
         unit="%", direction=UP, freq=Y, method=SV, baseline=(B20, 48.0), targets=[(T30, 60.0)], scenario=ON,
         dp=0, noise=0.02, suppliers=["open-kestermouth-party"], users=["council-members", "data-regulator"],
         calc="Residents' survey question, asked since 2020.", published=False),
    # --- intermediate outcomes -----------------------------------------------------------------
    dict(key="open-data-api-calls", node="io-data-reuse", kind="outcome",
         ind=("city", "Calls to the city's open data APIs", "Telecommunication and innovation",
              "Requests to the open data platform's APIs from outside the council."),
         unit="thousand calls per month", direction=UP, freq=M, method=RT, baseline=(B19, 120.0),
         targets=[(T27, 900.0), (T30, 1400.0)], scenario=ON, dp=0, noise=0.06,
         suppliers=["app-developers"], users=["app-developers", "open-kestermouth-party"],
         calc="API gateway logs, excluding the council's own systems and known crawlers."),
    dict(key="emergency-response-time", node="io-faster-flood-response", kind="outcome", ind=(ISO, "10.5"),
         unit="minutes", direction=DOWN, freq=Q, method=RT, baseline=(B19, 14.5), targets=[(T27, 11.5), (T30, 10.0)],
         scenario=ON, dp=1, noise=0.03, suppliers=["council-members"], users=["council-members"],
         calc="Median time from the first call to the first crew on site, weather-related incidents."),
    dict(key="online-transactions", node="io-channel-shift", kind="outcome",
         ind=("city", "Council transactions completed online", "Governance",
              "Share of council service transactions completed online from start to finish."),
         unit="%", direction=UP, freq=Q, method=RT, baseline=(B19, 38.0), targets=[(T27, 65.0), (T30, 75.0)],
         scenario=RISK, dp=1, noise=0.015, suppliers=["council-members"], users=["council-members", "staff-unions"],
         calc="Customer account and payment systems; phone and face-to-face from the contact centre system."),
    dict(key="avoidable-admissions", node="io-fewer-admissions", kind="outcome",
         ind=("city", "Emergency admissions for conditions usually managed outside hospital", "Health",
              "Emergency admissions for ambulatory care sensitive conditions per 100,000 residents."),
         unit="per 100,000 residents", direction=DOWN, freq=Q, method=LS, baseline=(B19, 1520.0),
         targets=[(T27, 1350.0), (T30, 1250.0)], scenario=ON, dp=0, noise=0.025, seasonal=0.06,
         suppliers=["health-party"], users=["health-party", "council-members"],
         calc="Hospital episode statistics, rolling four quarters, age-standardised."),
    dict(key="truck-turnaround", node="io-port-throughput", kind="outcome",
         ind=("city", "Average truck turnaround time at the port", "Transportation",
              "Minutes from gate in to gate out for container and ro-ro trucks."),
         unit="minutes", direction=DOWN, freq=M, method=RT, baseline=(B19, 74.0), targets=[(T27, 45.0), (T30, 40.0)],
         scenario=OFF, dp=0, noise=0.04, suppliers=["port-party"], users=["port-party", "smart-ports-network"],
         calc="Gate system timestamps, monthly mean."),
    dict(key="street-lighting-energy", node="io-street-energy", kind="outcome",
         ind=("city", "Electricity used by street lighting", "Energy",
              "Metered and unmetered supply to the council's street lighting."),
         unit="GWh per year", direction=DOWN, freq=Q, method=RT, baseline=(B19, 14.8), targets=[(T27, 8.0), (T30, 6.5)],
         scenario=ON, dp=2, noise=0.015, suppliers=["energy-party"], users=["council-members"],
         calc="Central management system readings, annualised rolling four quarters."),
    dict(key="water-loss", node="io-leaks-fixed", kind="outcome", ind=(ISO, "21.7"), unit="%", direction=DOWN,
         freq=Y, method=RT, baseline=(B19, 21.5), targets=[(T27, 17.0), (T30, 15.0)], scenario=ON, dp=1, noise=0.015,
         suppliers=["energy-party"], users=["council-members"],
         calc="Leakage as a share of water put into supply, from the water company's returns."),
    dict(key="low-carbon-vehicles", node="io-cleaner-fleet", kind="outcome", ind=(U4, "EC: I: T: 8A"),
         unit="% of registered cars", direction=UP, freq=Q, method=RT, baseline=(B19, 1.2),
         targets=[(T27, 12.0), (T30, 22.0)], scenario=OFF, dp=1, noise=0.02,
         suppliers=["transport-party"], users=["taxi-trade", "council-members"],
         calc="Licensed cars with zero or ultra-low exhaust emissions, vehicle licensing statistics."),
    dict(key="cycle-counts", node="io-more-cycling", kind="outcome",
         ind=("city", "Cycle trips at the automatic counters", "Transportation",
              "Average daily cycle trips counted at the 14 permanent counters."),
         unit="trips per day", direction=UP, freq=Q, method=RT, baseline=(B19, 6200.0),
         targets=[(T27, 9500.0), (T30, 11500.0)], scenario=ON, dp=0, noise=0.04, seasonal=0.15,
         suppliers=["transport-party"], users=["council-members"], calc="Permanent counters, quarterly daily mean."),
    dict(key="public-building-energy", node="io-building-energy", kind="outcome", ind=(ISO, "7.3"),
         unit="kWh/m²", direction=DOWN, freq=Y, method=RT, baseline=(B19, 212.0), targets=[(T27, 175.0), (T30, 160.0)],
         scenario=RISK, dp=0, noise=0.01, suppliers=["energy-party"], users=["council-members"],
         calc="Display energy certificates of the 90 buildings in the retrofit programme, floor-area weighted."),
    dict(key="consultation-participation", node="io-participation", kind="outcome",
         ind=("city", "Residents who took part in a council consultation in the last year", "Governance",
              "Share of residents who responded to or attended at least one consultation."),
         unit="%", direction=UP, freq=Y, method=SV, baseline=(B19, 9.0), targets=[], vague=True, scenario=VAGUE,
         dp=1, noise=0.03, suppliers=["council-members"], users=["council-members", "old-docks-residents-party"],
         calc="Residents' survey. The target is still to be agreed with the partnership board."),
    dict(key="pt-trips", node="io-bus-journeys", kind="outcome", ind=(ISO, "18.3"), unit="trips per person per year",
         direction=UP, freq=Y, method=RT, baseline=(B19, 52.0), targets=[(T27, 56.0), (T30, 62.0)],
         trajectory="custom", points=[(dt.date(2020, 12, 31), 31.0), (dt.date(2021, 12, 31), 40.0),
                                      (dt.date(2022, 12, 31), 47.0), (dt.date(2023, 12, 31), 50.0)],
         scenario=ON, dp=1, noise=0.015, suppliers=["bus-operator", "transport-party"], users=["bus-operator"],
         calc="Bus and rail boardings within the city divided by population; the plan allows for the pandemic dip."),
    dict(key="travel-time-index", node="io-bus-journeys", kind="outcome", ind=(U4, "EC: I: T: 5A"), unit="index",
         direction=DOWN, freq=Q, method=RT, baseline=(B19, 1.32), targets=[(T30, 1.22)], scenario=ON, dp=3,
         noise=0.01, covid=-0.12, suppliers=["transport-party"], users=["bus-operator"],
         calc="Peak journey time divided by free-flow journey time on the main corridors."),
    dict(key="pollution-incidents-24h", node="io-estuary-monitoring", kind="outcome",
         ind=("city", "Estuary pollution incidents found within 24 hours", "Environment",
              "Share of confirmed pollution incidents first detected within 24 hours of starting."),
         unit="%", direction=UP, freq=Q, method=RT, baseline=(B20, 35.0), targets=[(T27, 70.0), (T30, 85.0)],
         scenario=RISK, dp=0, noise=0.04, suppliers=["rivers-trust-party"], users=["rivers-trust-party"],
         calc="Incident log of the rivers trust and the council's environmental health team."),
    # --- leading indicators: outputs -----------------------------------------------------------
    dict(key="open-data-share", node="gc-open-by-default", kind="leading", ind=(U4, "EC: ICT: PS: 1A"),
         unit="% of datasets", direction=UP, freq=Q, method=RT, baseline=(B19, 8.0), targets=[(T27, 60.0), (T30, 80.0)],
         scenario=ON, dp=0, noise=0.03, suppliers=["open-kestermouth-party"], users=["app-developers", "council-members"],
         calc="Datasets in the partners' information asset registers published as open data."),
    dict(key="datasets-published", node="out-open-data-portal", kind="leading",
         ind=("city", "Datasets on the open data portal", "Telecommunication and innovation",
              "Datasets listed and kept current on the portal."),
         unit="datasets", direction=UP, freq=Q, method=RT, baseline=(B19, 0.0), targets=[(T27, 400.0), (T30, 550.0)],
         trajectory="stepped", points=[(dt.date(2021, 12, 31), 60.0), (dt.date(2022, 12, 31), 100.0),
                                       (dt.date(2023, 12, 31), 180.0), (dt.date(2024, 12, 31), 250.0),
                                       (dt.date(2025, 12, 31), 320.0), (dt.date(2026, 12, 31), 360.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["open-kestermouth-party"], users=["app-developers"],
         calc="Portal catalogue count at quarter end, excluding datasets not updated on schedule.", tolerance_basis="change"),
    dict(key="systems-on-gateway", node="out-api-gateway", kind="leading",
         ind=("city", "Partner systems connected to the API gateway", "Telecommunication and innovation",
              "Production systems exchanging data through the gateway."),
         unit="systems", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 24.0), (T30, 40.0)],
         scenario=ON, dp=0, noise=0.0, suppliers=["energy-party"], users=["app-developers"],
         calc="Gateway registry, systems in production.", tolerance_basis="change"),
    dict(key="traffic-monitoring", node="out-sensor-grid", kind="leading", ind=(U4, "EC: ICT: T: 2C"),
         unit="% of main roads", direction=UP, freq=Q, method=RT, baseline=(B19, 12.0), targets=[(T27, 80.0), (T30, 95.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["transport-party"], users=["transport-party"],
         calc="Length of the main road network with live traffic sensors, as a share of its total length."),
    dict(key="sensors-live", node="inv-sensor-network", kind="leading",
         ind=("city", "Sensors installed and reporting", "Environment", "Sensors that reported in the last 24 hours."),
         unit="sensors", direction=UP, freq=Q, method=RT, baseline=(B20, 40.0), targets=[(T27, 850.0), (T30, 1000.0)],
         trajectory="custom", points=[(dt.date(2022, 12, 31), 150.0), (dt.date(2024, 6, 30), 420.0),
                                      (dt.date(2025, 12, 31), 700.0)],
         scenario=ON, dp=0, noise=0.03, bad_at=dt.date(2024, 3, 31), suppliers=["university-party"],
         users=["university-party"], calc="Sensor platform heartbeat count at quarter end."),
    dict(key="drainage-monitoring", node="gc-operations-room", kind="leading", ind=(U4, "EC: ICT: D: 1A"),
         unit="% of drainage network", direction=UP, freq=Q, method=RT, baseline=(B19, 5.0),
         targets=[(T27, 55.0), (T30, 75.0)], scenario=RISK, dp=0, noise=0.02, suppliers=["rivers-trust-party"],
         users=["council-members"], calc="Share of the surface-water network with live level or flow monitoring."),
    dict(key="intersection-control", node="gc-operations-room", kind="leading", ind=(U4, "EC: ICT: T: 3A"),
         unit="% of signalled junctions", direction=UP, freq=Q, method=RT, baseline=(B19, 22.0),
         targets=[(T27, 60.0), (T30, 80.0)], scenario=ON, dp=0, noise=0.02, suppliers=["transport-party"],
         users=["bus-operator"], calc="Signalled junctions under adaptive control from the operations room."),
    dict(key="real-time-bus-info", node="inv-sensor-network", kind="leading", ind=(U4, "EC: ICT: T: 1C"),
         unit="% of bus stops", direction=UP, freq=Q, method=RT, baseline=(B19, 18.0), targets=[(T27, 70.0), (T30, 90.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["bus-operator"], users=["bus-operator", "older-residents"],
         calc="Stops with live arrival information on a display or by text message."),
    dict(key="resilience-plans", node="out-flood-model", kind="leading", ind=(U4, "SC: SH: SA: 3A"),
         unit="% of plan actions", direction=UP, freq=Y, method=LS, baseline=(B19, 10.0), targets=[(T27, 60.0), (T30, 90.0)],
         scenario=ON, dp=0, noise=0.03, suppliers=["rivers-trust-party"], users=["council-members"],
         calc="Actions of the flood risk management plan tested against the flood model."),
    dict(key="flood-alert-signups", node="out-flood-alerts", kind="leading",
         ind=("city", "Homes signed up to street-level flood alerts", "Fire and emergency response",
              "Homes in the flood zone with at least one registered alert contact."),
         unit="homes", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 3200.0), (T30, 3800.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["old-docks-residents-party"],
         users=["old-docks-residents-party"], calc="Alert service register at quarter end.", tolerance_basis="change"),
    dict(key="e-government", node="out-my-account", kind="leading", ind=(U4, "EC: ICT: PS: 2A"),
         unit="% of services", direction=UP, freq=Q, method=RT, baseline=(B19, 30.0), targets=[(T27, 85.0), (T30, 95.0)],
         scenario=ON, dp=0, noise=0.015, suppliers=["council-members"], users=["council-members"],
         calc="Council services that can be requested and tracked in the customer account."),
    dict(key="tell-us-once-services", node="gc-tell-us-once", kind="leading",
         ind=("city", "Services joined to tell-us-once", "Governance",
              "Council and partner services that act on a change reported once."),
         unit="services", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 18.0), (T30, 30.0)],
         trajectory="stepped", points=[(dt.date(2024, 3, 31), 4.0), (dt.date(2025, 3, 31), 8.0),
                                       (dt.date(2026, 3, 31), 12.0)],
         scenario=RISK, dp=0, noise=0.0, suppliers=["council-members"], users=["staff-unions"],
         calc="Services live on the tell-us-once hub.", tolerance=(0.1, 0.3)),
    dict(key="public-wifi", node="out-inclusion-hubs", kind="leading", ind=(U4, "EC: ICT: ICT: 5C"),
         unit="hotspots", direction=UP, freq=Q, method=RT, baseline=(B19, 35.0), targets=[(T27, 140.0), (T30, 180.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["digital-inclusion-party"], users=["digital-inclusion-party"],
         calc="Free public wi-fi hotspots in libraries, hubs and the city centre."),
    dict(key="electronic-health-records", node="out-shared-care-record", kind="leading", ind=(U4, "SC: EH: ED: 5A"),
         unit="% of residents", direction=UP, freq=Q, method=RT, baseline=(B19, 12.0), targets=[(T27, 80.0), (T30, 95.0)],
         scenario=OFF, dp=0, noise=0.02, suppliers=["health-party"], users=["health-party"],
         calc="Residents whose record is viewable in the shared care record by all care partners."),
    dict(key="port-bookings", node="out-port-community-system", kind="leading",
         ind=("city", "Freight movements booked through the port community system", "Transportation",
              "Truck movements with a booked slot, as a share of all truck movements."),
         unit="%", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 70.0), (T30, 90.0)],
         scenario=RISK, dp=0, noise=0.03, suppliers=["port-party"], users=["port-party", "taxi-trade"],
         calc="Port community system slot records against gate transactions.", tolerance_basis="change",
         tolerance=(0.05, 0.2)),
    # Computed by Cityline from the participation records (an engagement KPI feed, B3): no synthetic values.
    dict(key="consultations-responded-in-60-days", node="gc-co-design", kind="leading",
         ind=("city", "Share of consultations responded to within 60 days", "Governance",
              "Consultations closed in the period whose response was published within 60 days of closing."),
         unit="%", direction=UP, freq=Q, method=RT, baseline=(dt.date(2025, 12, 31), 50.0),
         targets=[(T27, 90.0), (T30, 100.0)], scenario="no_data", dp=0, suppliers=["council-members"],
         users=["council-members", "old-docks-residents-party"], fed=True,
         calc="Computed by Cityline from the consultations closed in each quarter and their published responses."),
    dict(key="led-lanterns", node="out-led-lanterns", kind="leading",
         ind=("city", "Street lanterns converted to LED on central management", "Energy",
              "LED lanterns connected to the central management system."),
         unit="lanterns", direction=UP, freq=Q, method=RT, baseline=(B19, 2000.0),
         targets=[(T27, 14000.0), (T30, 28000.0)], scenario=ON, dp=0, noise=0.02, suppliers=["energy-party"],
         users=["council-members"], calc="Central management system asset register."),
    dict(key="smart-water-meters", node="out-water-meters", kind="leading", ind=(U4, "EC: ICT: WS: 1C"),
         unit="% of households", direction=UP, freq=Q, method=RT, baseline=(B19, 6.0), targets=[(T27, 60.0), (T30, 85.0)],
         scenario=OFF, dp=0, noise=0.02, suppliers=["energy-party"], users=["council-members"],
         calc="Households with a smart meter sending daily readings."),
    dict(key="water-ict-monitoring", node="gc-water-data", kind="leading", ind=(U4, "EC: ICT: WS: 2A"),
         unit="% of supply network", direction=UP, freq=Y, method=RT, baseline=(B19, 20.0),
         targets=[(T27, 55.0), (T30, 70.0)], scenario=OVERDUE, stop=dt.date(2024, 12, 31), dp=0, noise=0.02,
         suppliers=["energy-party"], users=["council-members"],
         calc="District metered areas with live pressure and flow monitoring; last return received for 2024."),
    dict(key="charge-points", node="out-charge-points", kind="leading",
         ind=("city", "Public charge points", "Transportation", "Public charge points in service."),
         unit="charge points", direction=UP, freq=Q, method=RT, baseline=(B19, 45.0), targets=[(T27, 420.0), (T30, 600.0)],
         scenario=ON, dp=0, noise=0.02, suppliers=["energy-party"], users=["taxi-trade"],
         calc="Charge points registered and available at quarter end."),
    dict(key="shared-vehicles", node="inv-ev-charging", kind="leading", ind=(U4, "EC: I: T: 7A"),
         unit="per 100,000 residents", direction=UP, freq=Y, method=RT, baseline=(B19, 6.0), targets=[(T30, 40.0)],
         scenario=ON, dp=1, noise=0.03, suppliers=["transport-party"], users=["transport-party"],
         calc="Car club vehicles available to the public.", published=False),
    dict(key="bicycle-lanes", node="out-cycle-lanes", kind="leading", ind=(ISO, "18.7"),
         unit="km per 100,000 residents", direction=UP, freq=Y, method=RT, baseline=(B19, 9.5),
         targets=[(T27, 20.0), (T30, 23.0)], scenario=RISK, dp=1, noise=0.0, suppliers=["transport-party"],
         users=["transport-party", "council-members"], calc="Protected and painted lanes and off-road paths."),
    dict(key="bike-share", node="gc-shared-street-space", kind="leading", ind=(U4, "EC: I: T: 6A"),
         unit="bicycles per 100,000 residents", direction=UP, freq=Q, method=RT, baseline=(B19, 40.0),
         targets=[(T27, 160.0), (T30, 200.0)], scenario=ON, dp=0, noise=0.03, suppliers=["transport-party"],
         users=["transport-party"], calc="Shared bicycles, docked and dockless, available to hire."),
    dict(key="pedestrian-infrastructure", node="gc-shared-street-space", kind="leading", ind=(U4, "EC: I: UP: 1A"),
         unit="% of city-centre streets", direction=UP, freq=Y, method=RT, baseline=(B19, 14.0),
         targets=[(T27, 30.0), (T30, 40.0)], scenario=ON, dp=0, noise=0.02, suppliers=["transport-party"],
         users=["older-residents"], calc="Street length in the centre that is pedestrian priority."),
    dict(key="building-management", node="out-bems", kind="leading", ind=(U4, "EC: I: B: 2A"),
         unit="% of public buildings", direction=UP, freq=Q, method=RT, baseline=(B19, 10.0),
         targets=[(T27, 75.0), (T30, 100.0)], scenario=ON, dp=0, noise=0.02, suppliers=["energy-party"],
         users=["council-members"], calc="Buildings in the retrofit programme on the building energy management system."),
    dict(key="building-temperature", node="out-bems", kind="leading",
         ind=("city", "Winter indoor temperature in council offices", "Energy",
              "Mean occupied-hours temperature across council offices, December to February."),
         unit="°C", direction=BAND, band=(19.0, 21.0), freq=Y, method=RT, baseline=(B19, 22.4), targets=[(T27, 20.0)],
         scenario=ON, dp=1, noise=0.005, suppliers=["energy-party"], users=["staff-unions"],
         calc="Building management system sensors, occupied hours only."),
    dict(key="public-building-sustainability", node="inv-buildings-retrofit", kind="leading", ind=(U4, "EC: I: B: 1A"),
         unit="% of public buildings", direction=UP, freq=Y, method=LS, baseline=(B19, 4.0),
         targets=[(T27, 35.0), (T30, 60.0)], scenario=ON, dp=0, noise=0.03, suppliers=["energy-party"],
         users=["council-members"], calc="Public buildings with a recognised sustainability certification."),
    dict(key="joint-care-teams", node="gc-joined-up-care", kind="leading",
         ind=("city", "Neighbourhood care teams working from the shared record", "Health",
              "Neighbourhood teams of health, housing and social care staff that plan care together on the shared record."),
         unit="teams", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 10.0), (T30, 12.0)],
         trajectory="stepped", points=[(dt.date(2024, 3, 31), 2.0), (dt.date(2025, 3, 31), 4.0),
                                       (dt.date(2026, 3, 31), 7.0)],
         scenario=RISK, dp=0, noise=0.0, suppliers=["health-party"], users=["health-party", "staff-unions"],
         calc="Teams signed off by the health and care partnership board.", tolerance=(0.1, 0.3)),
    dict(key="port-data-sharers", node="gc-shared-port-data", kind="leading",
         ind=("city", "Port users sharing data through the port community system", "Transportation",
              "Terminal operators, hauliers, agents and authorities exchanging data through the system."),
         unit="organisations", direction=UP, freq=Q, method=RT, baseline=(B20, 0.0), targets=[(T27, 60.0), (T30, 80.0)],
         scenario=ON, dp=0, noise=0.03, suppliers=["port-party"], users=["port-party", "smart-ports-network"],
         calc="Organisations with an active data-sharing agreement and at least one message in the quarter.",
         tolerance_basis="change"),
    dict(key="shared-infrastructure-users", node="gc-shared-infrastructure", kind="leading",
         ind=("city", "Organisations using the shared charging and data infrastructure", "Telecommunication and innovation",
              "Partners, businesses and community groups using the shared charge points, hubs or gateway."),
         unit="organisations", direction=UP, freq=Q, method=RT, baseline=(B20, 2.0), targets=[(T27, 45.0), (T30, 70.0)],
         scenario=ON, dp=0, noise=0.03, suppliers=["council-members"], users=["council-members", "chamber-party"],
         calc="Programme office register of organisations with an agreement to use shared infrastructure.",
         tolerance_basis="change"),
]

#: Leading indicators of delivery on investments: milestones achieved, from project start to end.
#: (investment, project or initiative name, start, end, scenario)
MILESTONES = [
    ("inv-open-data-platform", "open data platform", "2024-05-01", "2025-09-30", ON),
    ("inv-customer-account", "My Kestermouth customer account", "2024-10-01", "2027-06-30", ON),
    ("inv-inclusion-hubs", "digital inclusion hubs", "2024-04-01", "2027-03-31", ON),
    ("inv-shared-care-record", "shared care record integration", "2025-01-01", "2027-12-31", RISK),
    ("inv-connected-port", "connected port", "2025-04-01", "2028-09-30", RISK),
    ("inv-flood-warning", "estuary flood early warning", "2025-03-01", "2027-03-31", ON),
    ("inv-digital-twin", "local digital twin", "2026-07-01", "2028-12-31", RISK),
    ("inv-api-gateway", "city API gateway", "2025-04-01", "2027-03-31", ON),
    ("inv-cycle-network", "protected cycle network", "2023-04-01", "2028-03-31", RISK),
    ("inv-smart-water-meters", "smart water meters", "2023-01-01", "2028-12-31", RISK),
]
MILESTONE_INDICATOR = ("city", "Project milestones achieved", "Governance",
                       "Milestones of the project plan achieved, as a share of all its milestones.")
for _node, _name, _start, _end, _scenario in MILESTONES:
    KPIS.append(dict(
        key="milestones-" + _node.removeprefix("inv-"), node=_node, kind="leading", ind=MILESTONE_INDICATOR,
        title=f"Project milestones achieved: {_name}", unit="% of milestones", direction=UP, freq=Q,
        method=SV, baseline=(dt.date.fromisoformat(_start), 0.0), targets=[(dt.date.fromisoformat(_end), 100.0)],
        scenario=_scenario, dp=0, noise=0.04, cap=100.0, suppliers=["council-members"], users=["council-members"],
        calc="Programme office quarterly review of the project plan; the baseline is the project start.",
        tolerance_basis="change" if _scenario == ON else None))


# --- generating values ----------------------------------------------------------------------------

def period_ends(freq: str, start: dt.date, stop: dt.date) -> list[dt.date]:
    """Calendar period ends (month, quarter or year ends) after ``start`` up to ``stop``."""
    months = {"monthly": range(1, 13), "quarterly": (3, 6, 9, 12), "annual": (12,)}[freq]
    out = []
    for year in range(start.year, stop.year + 1):
        for month in months:
            end = dt.date(year, month, 28) + dt.timedelta(days=4)
            end -= dt.timedelta(days=end.day)
            if start < end <= stop:
                out.append(end)
    return out


def plain(spec: dict):
    from cityline.benefits.domain.kpi import kpi_from_dict

    base_date, base_value = spec["baseline"]
    return kpi_from_dict({
        "id": spec["key"], "name": spec["key"], "kind": spec["kind"], "unit": spec["unit"],
        "direction": spec["direction"], "frequency": spec["freq"],
        "baseline": {"value": base_value, "date": base_date},
        "targets": [{"value": v, "date": d, "label": ""} for d, v in spec["targets"]],
        "trajectory": {"kind": spec.get("trajectory", "linear"),
                       "points": [{"value": v, "date": d} for d, v in spec.get("points", [])]},
        "band": {"low": spec["band"][0], "high": spec["band"][1]} if "band" in spec else None,
        "tolerance": tolerance_of(spec),
    })


def tolerance_of(spec: dict) -> dict | None:
    tol = {}
    if "tolerance" in spec:
        tol["on_track"], tol["at_risk"] = spec["tolerance"]
    if spec.get("tolerance_basis"):
        tol["basis"] = spec["tolerance_basis"]
    return tol or None


def final_gap(spec: dict, rng: random.Random) -> float:
    """The relative variance (positive = better than planned) the last value is given."""
    on, at = spec.get("tolerance", (0.05, 0.15))
    scenario = spec["scenario"]
    if scenario == RISK:
        return -(on + (at - on) * rng.uniform(0.35, 0.75))
    if scenario == OFF:
        return -at * rng.uniform(1.6, 2.2)
    return rng.uniform(-0.4 * on, 0.5 * on)


def measurements(spec: dict) -> list[dict]:
    """Synthetic values around the plan, drifting to the scenario's gap by the last period."""
    from cityline.benefits.domain.trajectory import Plan

    rng = random.Random(f"{SEED}:{spec['key']}")
    kpi = plain(spec)
    plan = Plan(kpi) if spec["targets"] else None
    base_date, base_value = spec["baseline"]
    stop = spec.get("stop", LAST_PERIOD)
    dates = [base_date] + period_ends(spec["freq"], base_date, stop)
    gap = final_gap(spec, rng)
    noise, dp = spec.get("noise", 0.02), spec["dp"]
    basis_change = spec.get("tolerance_basis") == "change"
    span = abs(plan.values[-1] - plan.values[0]) if plan else 0.0
    first, last = dates[0].toordinal(), dates[-1].toordinal()
    rows = []
    for n, day in enumerate(dates):
        frac = (day.toordinal() - first) / (last - first) if last > first else 1.0
        if plan is None:  # vague target: drift gently upwards
            expected = base_value * (1 + 0.04 * frac * 6)
        else:
            expected = plan.at(day.toordinal())
        if n == 0:
            value = base_value
        else:
            g = gap * frac ** 1.5
            if n < len(dates) - 1:
                g += rng.gauss(0, noise)
            if spec.get("seasonal") and spec["freq"] != "annual":  # winter is worse: more pollution, fewer bikes
                season = 1.0 if day.month in (12, 1, 2, 3) else -0.5 if day.month in (6, 7, 8, 9) else 0.0
                g -= spec["seasonal"] * season * (0.3 if n == len(dates) - 1 else 1)
            if spec.get("covid") and day.year in (2020, 2021):
                g += -abs(spec["covid"]) * (1.0 if day.year == 2020 else 0.5) * (1 if spec["covid"] > 0 else -1)
            scale = span if basis_change else abs(expected)
            if spec["direction"] == BAND:
                low, high = spec["band"]
                value = expected * (1 + rng.gauss(0, noise))
                if n == len(dates) - 1 and spec["scenario"] == ON:
                    value = min(max(value, low), high)
            elif spec["direction"] == UP:
                value = expected + g * scale
            else:
                value = expected - g * scale
        value = min(max(value, 0.0), spec.get("cap", float("inf")))
        value = round(value, dp) if dp else float(round(value))
        rows.append({"kpi": spec["key"], "period_end": day, "value": value})
    # quality flags and notes
    for i, row in enumerate(rows):
        quality = "ok"
        if i == len(rows) - 1 and spec["freq"] in ("annual",) and rng.random() < 0.35:
            quality = "provisional"
        elif 0 < i < len(rows) - 1 and rng.random() < 0.04:
            quality = "estimated"
        if spec.get("bad_at") == row["period_end"]:
            quality = "bad"
            row["value"] = round(row["value"] * 0.2, dp) if dp else float(round(row["value"] * 0.2))
            row["note"] = "Gateway fault: most sensors did not report for three weeks; value ignored."
        elif quality == "estimated":
            row["note"] = "Estimated from partial returns."
        elif quality == "provisional":
            row["note"] = "Provisional until the supplier's annual return is audited."
        elif i == 0:
            row["note"] = "Baseline."
        row["quality"] = quality
        row["source"] = f"{SYNTHETIC} ({SOURCES.get(spec['kpi_supplier'], 'Kestermouth City Council')})"
    return rows


SOURCES = {
    "health-party": "Kester Valley Health and Care Partnership",
    "digital-inclusion-party": "Kestermouth Digital Inclusion Network",
    "energy-party": "Kester Energy Networks",
    "rivers-trust-party": "Kester Rivers Trust",
    "port-party": "Port of Kestermouth Authority",
    "university-party": "Kestermouth Urban Observatory",
    "transport-party": "Kester Valley Transport Authority",
    "combined-authority-party": "Kester Estuary Combined Authority",
    "council-members": "Kestermouth City Council",
    "chamber-party": "Kestermouth Chamber of Commerce",
    "open-kestermouth-party": "Kestermouth City Council residents' survey",
    "app-developers": "Kestermouth open data platform",
    "old-docks-residents-party": "Flood alert service",
    "bus-operator": "Kester Valley Buses",
}


def city_indicators_and_kpis(cat) -> tuple[list[dict], list[dict], list[dict]]:
    indicators: dict[str, dict] = {}
    kpis, rows = [], []
    for spec in KPIS:
        ind = spec["ind"]
        if ind[0] == "city":
            _, name, theme, definition = ind
            ikey = indicator_key("city", name)
            indicators[ikey] = {"key": ikey, "source": "city", "name": name, "theme": theme, "definition": definition}
            title = spec.get("title", name)
        else:
            source, code = ind
            name, theme = cat[(source, code)]
            ikey = indicator_key(source, code)
            indicators[ikey] = {"key": ikey, "source": source, "code": code, "name": name, "theme": theme}
            title = f"{name} (Kestermouth)"
        spec["kpi_supplier"] = spec["suppliers"][0]
        base_date, base_value = spec["baseline"]
        targets = [{"label": f"{d.year} {'target' if d == max(t[0] for t in spec['targets']) else 'milestone'}",
                    "value": v, "date": d} for d, v in spec["targets"]]
        if spec.get("vague"):
            targets = [{"label": "Aspiration", "note": "More residents taking part; number and date to be agreed."}]
        kpi = {
            "key": spec["key"], "title": title, "indicator": ikey, "scope": spec.get("scope", "Kestermouth"),
            "node": spec["node"], "kind": spec["kind"], "unit": spec["unit"], "direction": spec["direction"],
            "band_low": spec["band"][0] if "band" in spec else None,
            "band_high": spec["band"][1] if "band" in spec else None,
            "frequency": spec["freq"], "evaluation_method": spec["method"],
            "suppliers": spec["suppliers"], "users": spec["users"], "calculation": spec["calc"],
            "baseline_value": base_value, "baseline_date": base_date,
            "trajectory": spec.get("trajectory", "linear"),
            "tolerance_on_track": spec["tolerance"][0] if "tolerance" in spec else None,
            "tolerance_at_risk": spec["tolerance"][1] if "tolerance" in spec else None,
            "tolerance_basis": spec.get("tolerance_basis"),
            "published": spec.get("published", True),
            "targets": targets,
            "trajectory_points": [{"date": d, "value": v} for d, v in spec.get("points", [])],
        }
        kpis.append({k: v for k, v in kpi.items() if v not in (None, "", [])})
        if not spec.get("fed"):  # a fed KPI's values come from Cityline itself (e.g. participation)
            rows.extend(measurements(spec))
    return list(indicators.values()), kpis, rows


# --- risks ------------------------------------------------------------------------------------------

def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


#: key, title, cause, effect, area, nature, likelihood, impact, owner, status, last_reviewed, next_review,
#: threatens, reviewed_at, responses [(kind, description, cost, status, due)]
RISKS = [
    ("staff-resist-new-ways", "Front-line staff keep working around the new systems",
     "Advisers and care staff were not involved in designing the new processes and fear for their jobs.",
     "Tell-us-once and the shared care record are live but little used, so requests and admissions do not fall.",
     "service", "cultural_change", 4, 4, "lucy-harrow", "mitigating", "2026-09-15", "2026-12-15",
     ["gc-tell-us-once", "gc-joined-up-care"], ["deliver-midpoint"],
     [("reduce", "Champions in every team, with time set aside to redesign their own processes.", 45000, "in_progress", "2027-03-31"),
      ("reduce", "Agreement with the unions on redeployment instead of redundancy.", 0, "agreed", "2026-12-31")]),
    ("partners-budget-silos", "Partners keep budgeting in silos",
     "Each partner's governing body still approves budgets against its own targets.",
     "Outcome-based budgeting stalls; prevention work is nobody's budget line.",
     "strategy", "business_change", 4, 3, "helen-marwood", "open", "2026-06-20", "2026-09-30",
     ["gc-outcome-budgets", "io-fewer-admissions"], ["deliver-midpoint"],
     [("reduce", "Pilot a pooled prevention budget in Eastgate with the health partnership.", 250000, "proposed", "2027-06-30")]),
    ("care-record-consent", "Residents opt out of the shared care record",
     "Worries about who can see health and social care records, stirred by national news.",
     "Coverage of the shared care record stays low and joined-up teams lack the information they need.",
     "service", "cultural_change", 3, 4, "miriam-achebe", "open", "2026-11-10", "2027-02-10",
     ["out-shared-care-record", "eo-healthy-life"], [],
     [("reduce", "Plain-language campaign with GP practices and the data ethics panel.", 60000, "in_progress", "2027-01-31"),
      ("reduce", "Publish who looked at records, as the panel recommended.", 20000, "agreed", "2027-03-31")]),
    ("care-integration-delay", "Hospital system upgrade delays the shared care record",
     "The hospital's electronic patient record upgrade slipped by a year and holds the integration work.",
     "Care partners cannot see hospital data; coverage targets for electronic health records are missed.",
     "resource", "technology", 4, 4, "miriam-achebe", "open", "2026-10-01", "2027-01-15",
     ["out-shared-care-record"], ["deliver-midpoint"],
     [("contingency", "Interim document feed from the hospital while the upgrade completes.", 180000, "agreed", "2027-02-28")]),
    ("port-operator-change", "Terminal operator change delays the connected port",
     "The container terminal concession changed hands in 2025 and the new operator re-tendered its systems.",
     "Slot booking is used by fewer hauliers than planned and truck queues stay long.",
     "service", "business_change", 4, 4, "ian-rudd", "mitigating", "2026-06-17", "2026-12-17",
     ["out-port-community-system", "io-port-throughput"], ["deliver-midpoint"],
     [("reduce", "Re-plan the port timetable with the new operator; booking made a condition of gate access.", 90000, "in_progress", "2027-03-31"),
      ("transfer", "Delay costs shared with the operator under the concession's change clause.", 0, "agreed", "2026-12-31")]),
    ("water-meter-supply", "Smart water meter roll-out falls behind",
     "The water company's meter supplier is short of stock and installers are scarce.",
     "Households cannot see their use and leaks on private pipes go unnoticed.",
     "resource", "delivery", 4, 3, "grace-whitfield", "open", "2026-05-20", "2026-08-20",
     ["out-water-meters", "eo-water-use"], [],
     [("reduce", "Council homes first, fitted during planned kitchen and bathroom works.", 120000, "proposed", "2027-04-30")]),
    ("twin-funding", "Partner funding for the digital twin is not confirmed",
     "Two partners have not yet committed their share of the twin's running costs.",
     "The flood model is built but not kept up to date, and planning falls back to old maps.",
     "resource", "business_change", 3, 4, "nadia-brennan", "open", "2026-06-17", "2026-12-31",
     ["out-flood-model", "inv-digital-twin"], ["deliver-midpoint"],
     [("avoid", "No tender until the partnership board confirms three years of running costs.", 0, "agreed", "2026-12-31")]),
    ("sensor-cyber", "Sensor gateways are attacked or fail",
     "Cheap sensor gateways with weak security, on a network run by a small team.",
     "Live data stops or cannot be trusted; the operations room and flood alerts lose their inputs.",
     "resource", "technology", 2, 5, "marek-nowak", "mitigating", "2025-09-30", "2026-03-31",
     ["out-sensor-grid", "gc-operations-room", "out-flood-alerts"], ["cyber-resilience"],
     [("reduce", "Unique credentials and signed firmware on every gateway.", 75000, "done", "2025-09-30"),
      ("reduce", "Tested recovery plan and a second network path for flood gauges.", 110000, "in_progress", "2026-12-31")]),
    ("open-data-privacy", "Published data reveals personal information",
     "Fine-grained sensor and service data can be combined to identify people.",
     "Data is withdrawn, trust falls and partners stop publishing by default.",
     "strategy", "legal", 2, 4, "priya-lal", "open", "2026-09-01", "2027-03-01",
     ["gc-open-by-default", "eo-data-trust"], ["initiate-gateway"],
     [("reduce", "Disclosure review before publication, with the data ethics panel for new kinds of data.", 30000, "in_progress", "2026-12-31")]),
    ("digital-exclusion-online-first", "Moving services online shuts out residents who are not online",
     "Online channels are promoted before the people without skills or devices have been helped.",
     "Older and poorer residents find services harder to reach, and complaints and repeat contacts rise.",
     "service", "cultural_change", 3, 4, "amara-okafor", "mitigating", "2026-10-20", "2027-01-20",
     ["io-channel-shift", "eo-digital-inclusion", "eo-easy-services"], ["initiate-gateway"],
     [("reduce", "Phone and face-to-face kept for every service; assisted digital in every hub.", 95000, "agreed", "2026-12-31")]),
    ("inclusion-network-merger", "Volunteers are lost when the inclusion network merges",
     "The digital inclusion network is merging into the Council for Voluntary Service.",
     "Hubs lose volunteer hours and learners lose the people they trust.",
     "resource", "business_change", 3, 3, "joseph-mensah", "open", "2026-10-15", "2027-01-15",
     ["out-inclusion-hubs", "io-digital-confidence"], [],
     [("reduce", "Named coordinator kept for two years after the merger.", 70000, "agreed", "2026-12-31")]),
    ("cycle-lane-opposition", "Opposition to reallocating street space",
     "Some businesses and residents object to losing parking and traffic lanes.",
     "Cycle lanes and bus lanes are delayed or watered down, and cycling and bus use grow more slowly.",
     "strategy", "cultural_change", 4, 3, "simon-pargeter", "open", "2026-09-10", "2026-12-10",
     ["gc-shared-street-space", "out-cycle-lanes", "eo-sustainable-travel"], [],
     [("reduce", "Trial schemes with temporary materials and published before-and-after data.", 140000, "in_progress", "2027-06-30"),
      ("reduce", "Co-design sessions with traders on each corridor.", 25000, "agreed", "2027-02-28")]),
    ("lighting-contractor", "The lighting contractor cannot keep pace",
     "The lantern replacement contractor lost staff to a larger contract.",
     "Energy savings arrive later and the phase 2 budget is at risk from inflation.",
     "resource", "delivery", 2, 3, "gareth-lloyd-evans", "resolved", "2026-04-30", "2026-10-31",
     ["out-led-lanterns"], [],
     [("reduce", "Second installer added under the framework.", 0, "done", "2026-03-31")]),
    ("energy-price-retrofit", "Energy prices and interest rates undermine the retrofit case",
     "Volatile energy prices and the cost of borrowing change the payback of the retrofit.",
     "Fewer buildings are retrofitted, and public-building energy use falls more slowly.",
     "resource", "financial", 3, 3, "grace-whitfield", "open", "2026-08-05", "2027-02-05",
     ["inv-buildings-retrofit", "io-building-energy"], [],
     [("accept", "Keep the programme at 90 buildings; review the pipeline each budget round.", 0, "agreed", "2027-02-28")]),
    ("data-skills-gap", "Not enough data and commercial skills in the partnership",
     "Data, architecture and contract-management roles are hard to fill at council pay rates.",
     "Projects depend on suppliers, exit plans slip and the data platform is not exploited.",
     "strategy", "business_change", 4, 3, "helen-marwood", "mitigating", "2026-06-17", "2026-12-17",
     ["inv-legacy-crm-exit", "gc-shared-infrastructure", "io-data-reuse"], ["initiate-gateway", "deliver-midpoint"],
     [("reduce", "Data apprenticeships with the college and a shared data team with the neighbouring districts.", 210000, "in_progress", "2027-09-30")]),
    ("surge-exceeds-design", "A storm surge beyond the design standard",
     "Sea level rise and stronger storms make a surge above the defences more likely each year.",
     "Homes and the port flood even with warnings; losses exceed the plan.",
     "strategy", "delivery", 2, 5, "eleanor-fairweather", "open", "2026-09-01", "2027-03-01",
     ["eo-homes-protected", "io-faster-flood-response"], ["initiate-gateway"],
     [("contingency", "Tested evacuation and rest-centre plan for the riverside wards.", 35000, "done", "2025-11-30"),
      ("reduce", "Property-level protection grants in the highest-risk streets.", 400000, "proposed", "2027-12-31")]),
    ("survey-response-fall", "Residents' survey response falls",
     "Fewer people answer postal and phone surveys each year.",
     "Several outcome KPIs lose precision and trends become hard to read.",
     "service", "cultural_change", 3, 2, "jodie-carmichael", "open", "2026-10-05", "2027-04-05",
     ["eo-data-trust", "io-participation"], [],
     [("reduce", "Add an online panel and weight it against the census.", 18000, "proposed", "2027-03-31")]),
]


def risks() -> list[dict]:
    out = []
    for (key, title, cause, effect, area, nature, likelihood, impact, owner, status, last, nxt, threatens,
         reviewed_at, responses) in RISKS:
        risk = {"key": key, "title": title, "cause": cause, "effect": effect, "area": area, "nature": nature,
                "likelihood": likelihood, "impact": impact, "owner": owner, "status": status,
                "last_reviewed": d(last), "next_review": d(nxt), "threatens": threatens, "reviewed_at": reviewed_at,
                "responses": [{"order": i, "kind": kind, "description": text, "cost": cost, "status": st,
                               "due_date": d(due)}
                              for i, (kind, text, cost, st, due) in enumerate(responses, start=1)]}
        out.append({k: v for k, v in risk.items() if v not in (None, "", [])})
    return out


# --- writing -----------------------------------------------------------------------------------------

def setup_django(data_dir: Path) -> None:
    os.environ["CITYLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityline.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def draft_files(directory: Path) -> None:
    import yaml

    from cityline.benefits.catalogue import load_catalogue

    load_catalogue()  # so every catalogue identifier is checked against the shipped lists
    cat = catalogue()
    indicators, kpis, rows = city_indicators_and_kpis(cat)
    benefits = {"benefit_nodes": benefit_nodes(), "benefit_links": benefit_links(), "city_indicators": indicators,
                "kpis": kpis, "measurements": rows}
    (directory / "benefits.yaml").write_text(yaml.safe_dump(benefits, sort_keys=False, allow_unicode=True),
                                             encoding="utf-8")
    (directory / "risks.yaml").write_text(yaml.safe_dump({"risks": risks()}, sort_keys=False, allow_unicode=True),
                                          encoding="utf-8")


def verify(city_key: str) -> list[str]:
    """Check the generated city against the scenarios; return a summary (raise on a mismatch)."""
    from cityline.benefits.models import BenefitNode, Kpi, Measurement
    from cityline.benefits.realisation import realisation
    from cityline.benefits.services import check_city
    from cityline.core.models import City
    from cityline.risks.models import Risk

    city = City.objects.get(key=city_key)
    real = realisation(city, AS_OF)
    wrong = [f"{r.key}: {r.status.status}, meant {spec['scenario']} ({r.status.reason})"
             for r, spec in zip(real.kpis, sorted(KPIS, key=lambda s: s["key"])) if r.status.status != spec["scenario"]]
    if wrong:
        raise SystemExit("KPIs off their scenario:\n  " + "\n  ".join(wrong))
    report = check_city(city)
    at_risk = [n for n in real.escalations() if n.cause == "upstream"]
    return [
        f"nodes {BenefitNode.objects.filter(city=city).count()}, KPIs {Kpi.objects.filter(city=city).count()}, "
        f"measurements {Measurement.objects.filter(city=city).count()}, risks {Risk.objects.filter(city=city).count()}",
        f"KPI statuses on {AS_OF}: {real.counts()}",
        "at risk through an off-track node upstream: " + ", ".join(f"{n.key} (from {n.risk.cause})" for n in at_risk),
        "check findings: " + ", ".join(f"{k} {len(v)}" for k, v in report.by_check().items()),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ from the generated ones")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cityline-demo-") as tmp:
        tmp = Path(tmp)
        setup_django(tmp / "data")
        from cityline.core.packs import PackError, export_pack, import_pack

        draft = tmp / "draft"
        shutil.copytree(PACK, draft, ignore=shutil.ignore_patterns(*FILES))
        draft_files(draft)
        try:
            report = import_pack(draft, progress=False, trusted=True)
        except PackError as exc:
            print("\n".join(map(str, exc.problems)), file=sys.stderr)
            return 1
        out = tmp / "export"
        export_pack(report.city_key, out)
        summary = verify(report.city_key)
        if args.check:
            stale = [name for name in FILES
                     if not (PACK / name).exists() or (PACK / name).read_bytes() != (out / name).read_bytes()]
            if stale:
                print(f"out of date: {', '.join(stale)}; run scripts/gen_demo_benefits.py", file=sys.stderr)
                return 1
        else:
            for name in FILES:
                shutil.copyfile(out / name, PACK / name)
        print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
