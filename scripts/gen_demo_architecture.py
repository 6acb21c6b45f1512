"""Generate the developments (B12) and architecture (B14) sections of the demo city Kestermouth.

    .venv/bin/python scripts/gen_demo_architecture.py            # (re)write the two files
    .venv/bin/python scripts/gen_demo_architecture.py --check    # fail if the committed files differ

Writes ``cityline/demo/city-pack/developments.yaml`` and ``architecture.yaml``. The
projects, building blocks and migration plan are **synthetic**: Kestermouth and its
organisations are invented. The standards are real (bodies, identifiers and titles are
facts); their descriptions are our own words.

Like ``scripts/gen_demo_benefits.py``, the script drafts the records, imports them
with the normal pack importer into a throw-away SQLite database together with the rest
of the demo pack, writes the two files with the pack exporter (so a round trip is
byte-identical), then checks that the cross-infrastructure view and the architecture
checks find what the demo plants (listed in :data:`EXPECTED_PAIRS` and
:data:`EXPECTED_FINDINGS`, explained in docs/developments-and-architecture.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "cityline" / "demo" / "city-pack"
FILES = ("developments.yaml", "architecture.yaml")

ALL = ("ducting", "sensors", "data_sharing", "holistic_assessment", "joint_sensors", "partnership",
       "smart_procurement")


def checklist(done=(), planned=(), na=(), notes=None):
    notes = notes or {}
    out = []
    for item in ALL:
        status = "done" if item in done else "planned" if item in planned else "not_applicable" if item in na else None
        if status is None:
            continue
        row = {"item": item, "status": status}
        if item in notes:
            row["note"] = notes[item]
        out.append(row)
    return out


OLD_DOCKS_BOX = {"box_west": -2.06, "box_south": 50.715, "box_east": -2.04, "box_north": 50.725}

PROJECTS = [
    {"key": "old-docks-regeneration", "name": "Old Docks regeneration, phase 1",
     "description": "Around 600 homes, workspace and a new waterfront square on the former dock estate, built "
                    "with Kestermouth Homes. The council's biggest development of the decade.",
     "infrastructure_types": ["buildings", "public_realm", "energy"], "stage": "construction", "area": "Old Docks",
     **OLD_DOCKS_BOX, "start_date": "2025-03-01", "end_date": "2028-06-30", "lead": "kcc",
     "partners": ["kestermouth-homes", "kester-energy"], "budget": 148000000,
     "initiatives": ["digital-twin-build"], "risks": ["twin-funding"],
     "checklist": checklist(done=ALL[:6], planned=("smart_procurement",),
                            notes={"ducting": "Spare ducts under every new street, handed to the open-access "
                                              "network operator.",
                                   "joint_sensors": "Shares the city sensor network's gateways with the heat "
                                                    "network."})},
    {"key": "docks-heat-network", "name": "Old Docks heat network",
     "description": "A low-carbon heat network fed by a water-source heat pump in the old dock basin, serving "
                    "the new homes and the college annexe.",
     "infrastructure_types": ["energy"], "stage": "design", "area": "Old Docks",
     "latitude": 50.72, "longitude": -2.05, "start_date": "2025-09-01", "end_date": "2027-12-31",
     "lead": "kester-energy", "partners": ["kcc"], "budget": 21500000, "risks": ["energy-price-retrofit"],
     "checklist": checklist(done=("ducting", "data_sharing", "holistic_assessment"),
                            planned=("sensors", "joint_sensors", "partnership"), na=("smart_procurement",),
                            notes={"smart_procurement": "Delivered by the network operator under its "
                                                        "regulated licence."})},
    {"key": "quayside-sewer-upgrade", "name": "Quayside sewer upgrade",
     "description": "Separating surface water from foul sewers along the quayside to stop overflows into the "
                    "basin during storms.",
     "infrastructure_types": ["water"], "stage": "procurement", "area": "old docks",
     "start_date": "2026-01-01", "end_date": "2027-06-30", "lead": "kester-water", "budget": 9800000,
     "checklist": checklist(done=("holistic_assessment",), planned=("sensors",))},
    {"key": "harbour-fibre-spine", "name": "Harbour fibre spine",
     "description": "An open-access fibre route from the port gate to the city centre exchange, with spare "
                    "capacity for public services.",
     "infrastructure_types": ["telecoms"], "stage": "construction", "area": "Harbour Ward",
     "box_west": -2.045, "box_south": 50.72, "box_east": -2.02, "box_north": 50.735,
     "start_date": "2025-06-01", "end_date": "2026-09-30", "lead": "brightwater", "partners": ["port-authority"],
     "budget": 3200000, "initiatives": ["connected-port-rollout"],
     "checklist": checklist(done=("ducting", "data_sharing", "partnership", "smart_procurement"),
                            na=("sensors",), planned=("holistic_assessment",))},
    {"key": "port-gate-automation", "name": "Port gate automation",
     "description": "Automatic number-plate gates and a truck appointment system at the port's east gate.",
     "infrastructure_types": ["transport", "telecoms"], "stage": "planning", "area": "Harbour Ward",
     "latitude": 50.73, "longitude": -2.03, "start_date": "2026-04-01", "end_date": "2027-03-31",
     "lead": "port-authority", "partners": ["harbourline"], "budget": 4600000,
     "initiatives": ["connected-port-rollout"], "risks": ["port-operator-change"],
     "checklist": checklist(done=("sensors", "data_sharing"), planned=("partnership",))},
    {"key": "northgate-bus-corridor", "name": "Northgate bus corridor",
     "description": "Bus lanes, priority at signals and wider pavements on the Northgate road into the centre.",
     "infrastructure_types": ["transport", "public_realm"], "stage": "design", "area": "Northgate",
     "latitude": 50.76, "longitude": -2.05, "start_date": "2025-10-01", "end_date": "2027-09-30",
     "lead": "transport-authority", "partners": ["valley-buses", "kcc"], "budget": 12400000,
     "risks": ["cycle-lane-opposition"],
     "checklist": checklist(done=("sensors", "partnership"), planned=("ducting", "data_sharing"))},
    {"key": "northgate-water-mains", "name": "Northgate water mains renewal",
     "description": "Replacing Victorian cast-iron mains under the Northgate road.",
     "infrastructure_types": ["water"], "stage": "planning", "area": "Northgate",
     "start_date": "2026-03-01", "end_date": "2027-02-28", "lead": "kester-water", "budget": 5100000,
     "risks": ["water-meter-supply"], "checklist": []},
    {"key": "estuary-flood-defences", "name": "Riverside flood defences",
     "description": "Raised walls, a flood gate and a riverside park designed to flood safely.",
     "infrastructure_types": ["water", "public_realm"], "stage": "construction", "area": "Riverside",
     "box_west": -2.08, "box_south": 50.705, "box_east": -2.062, "box_north": 50.715,
     "start_date": "2024-05-01", "end_date": "2026-12-31", "lead": "kcc",
     "partners": ["rivers-trust", "kester-water"], "budget": 36000000,
     "initiatives": ["flood-early-warning"], "risks": ["surge-exceeds-design"],
     "checklist": checklist(done=ALL, notes={"sensors": "Level and tide gauges fitted in the walls as they "
                                                        "were built."})},
    {"key": "smart-lighting-phase-2", "name": "Smart street lighting, Westfield",
     "description": "LED lanterns with a central management system, each column ready for sensors.",
     "infrastructure_types": ["energy", "public_realm"], "stage": "procurement", "area": "Westfield",
     "box_west": -2.11, "box_south": 50.735, "box_east": -2.085, "box_north": 50.75,
     "start_date": "2026-01-01", "end_date": "2028-12-31", "lead": "kcc", "budget": 7300000,
     "initiatives": ["smart-lighting-rollout"], "risks": ["lighting-contractor"],
     "checklist": checklist(done=("sensors", "data_sharing", "smart_procurement"),
                            planned=("joint_sensors",), na=("ducting",))},
    {"key": "westfield-retrofit", "name": "Westfield estate retrofit",
     "description": "Insulation, heat pumps and solar panels for 1,200 council homes on the Westfield estate.",
     "infrastructure_types": ["buildings", "energy"], "stage": "planning", "area": "Westfield",
     "start_date": "2026-06-01", "end_date": "2029-03-31", "lead": "kestermouth-homes", "partners": ["kcc"],
     "budget": 28000000, "risks": ["energy-price-retrofit"],
     "checklist": checklist(done=("partnership",), planned=("sensors", "data_sharing"), na=("ducting",))},
    {"key": "valley-water-meters", "name": "Kester valley smart water meters",
     "description": "Smart meters for 40,000 homes in the valley, read over the city's low-power radio network.",
     "infrastructure_types": ["water", "telecoms"], "stage": "construction", "area": "Kester Valley",
     "start_date": "2024-09-01", "end_date": "2026-08-31", "lead": "kester-water", "partners": ["brightwater"],
     "budget": 11800000, "risks": ["water-meter-supply"],
     "checklist": checklist(done=("sensors", "data_sharing", "joint_sensors", "smart_procurement"),
                            na=("ducting",), planned=("partnership",))},
    {"key": "eastbank-college-campus", "name": "Kestermouth College Eastbank campus",
     "description": "A new technical campus on the east bank; dates wait for the funding decision.",
     "infrastructure_types": ["buildings"], "stage": "concept", "area": "Eastbank", "lead": "kestermouth-college",
     "checklist": checklist(planned=("holistic_assessment",))},
    {"key": "southmoor-recycling-centre", "name": "Southmoor recycling centre",
     "description": "Household recycling centre with weighbridge data published as open data.",
     "infrastructure_types": ["waste"], "stage": "operation", "area": "Southmoor",
     "start_date": "2021-04-01", "end_date": "2023-03-31", "lead": "kcc", "budget": 6200000,
     "checklist": checklist(done=("data_sharing", "sensors", "smart_procurement"), na=("ducting",))},
]

R = "resource"
S = "service"
ST = "strategy"

STANDARDS = [
    {"key": "w3c-dcat", "body": "W3C", "identifier": "DCAT", "edition": "3",
     "title": "Data Catalog Vocabulary (DCAT) - Version 3", "status": "adopted",
     "description": "An RDF vocabulary for describing datasets and data services in catalogues, so catalogues "
                    "can be searched and harvested together.",
     "url": "https://www.w3.org/TR/vocab-dcat-3/", "matrix_cells": [(R, "semantic"), (ST, "semantic")]},
    {"key": "dcat-ap", "body": "European Commission (SEMIC)", "identifier": "DCAT-AP", "edition": "3.0",
     "title": "DCAT Application Profile for data portals in Europe", "status": "considered",
     "description": "A profile of DCAT fixing which properties European data portals exchange.",
     "url": "https://semiceu.github.io/DCAT-AP/", "matrix_cells": [(R, "semantic")]},
    {"key": "ogc-sensorthings", "body": "OGC", "identifier": "OGC 18-088", "edition": "1.1",
     "title": "OGC SensorThings API Part 1: Sensing", "status": "adopted",
     "description": "A REST and MQTT interface to observations from Internet of Things sensors, modelled as "
                    "things, datastreams and observations.",
     "url": "https://www.ogc.org/standards/sensorthings", "matrix_cells": [(R, "technical"), (R, "semantic")]},
    {"key": "etsi-ngsi-ld", "body": "ETSI", "identifier": "GS CIM 009", "edition": "1.8.1",
     "title": "Context Information Management (CIM); NGSI-LD API", "status": "adopted",
     "description": "An API for publishing and querying context information as linked-data entities; the "
                    "interface of the city's context broker.",
     "url": "https://www.etsi.org/committee/cim", "matrix_cells": [(R, "technical"), (S, "technical")]},
    {"key": "ietf-oauth2", "body": "IETF", "identifier": "RFC 6749", "title": "The OAuth 2.0 Authorization Framework",
     "status": "adopted", "description": "How an application gets limited, revocable access to an API on a "
                                         "user's behalf without seeing their password.",
     "url": "https://www.rfc-editor.org/rfc/rfc6749", "matrix_cells": [(S, "technical")]},
    {"key": "openid-connect", "body": "OpenID Foundation", "identifier": "OpenID Connect Core 1.0",
     "title": "OpenID Connect Core 1.0", "status": "adopted",
     "description": "An identity layer on top of OAuth 2.0: one sign-in used across the city's services.",
     "url": "https://openid.net/specs/openid-connect-core-1_0.html", "matrix_cells": [(S, "technical")]},
    {"key": "openapi", "body": "OpenAPI Initiative", "identifier": "OpenAPI Specification", "edition": "3.1.0",
     "title": "OpenAPI Specification", "status": "adopted",
     "description": "A machine-readable description of an HTTP API; every API behind the gateway publishes one.",
     "url": "https://spec.openapis.org/oas/v3.1.0", "matrix_cells": [(R, "technical")]},
    {"key": "iso-37120", "body": "ISO", "identifier": "ISO 37120:2018",
     "title": "Sustainable cities and communities - Indicators for city services and quality of life",
     "status": "adopted", "description": "Defines city indicators and how to calculate them, so results can be "
                                         "compared with other cities.",
     "url": "https://www.iso.org/standard/68498.html", "matrix_cells": [(ST, "semantic")]},
    {"key": "iso-37122", "body": "ISO", "identifier": "ISO 37122:2019",
     "title": "Sustainable cities and communities - Indicators for smart cities", "status": "considered",
     "description": "Adds indicators aimed at smart city programmes to the ISO 37120 set.",
     "url": "https://www.iso.org/standard/69050.html", "matrix_cells": [(ST, "semantic")]},
    {"key": "iso-iec-30182", "body": "ISO/IEC", "identifier": "ISO/IEC 30182:2017",
     "title": "Smart city concept model - Guidance for establishing a model for data interoperability",
     "status": "adopted", "description": "A concept model (organisations, places, events, services ...) that "
                                         "helps different systems describe city data in the same terms.",
     "url": "https://www.iso.org/standard/53302.html", "matrix_cells": [(ST, "semantic"), (R, "semantic")]},
    {"key": "hl7-fhir", "body": "HL7", "identifier": "FHIR R4", "edition": "4.0.1",
     "title": "HL7 Fast Healthcare Interoperability Resources", "status": "adopted",
     "description": "Resources and a REST API for exchanging health and care records between systems.",
     "url": "https://hl7.org/fhir/R4/", "matrix_cells": [(S, "semantic"), (S, "technical")]},
    {"key": "ogc-api-features", "body": "OGC", "identifier": "OGC 17-069r4", "edition": "1.0.1",
     "title": "OGC API - Features - Part 1: Core", "status": "adopted",
     "description": "A web API for reading geographic features (roads, parcels, assets) as GeoJSON and HTML.",
     "url": "https://docs.ogc.org/is/17-069r4/17-069r4.html", "matrix_cells": [(R, "technical")]},
    {"key": "ogc-wms-111", "body": "OGC", "identifier": "OGC 01-068r3", "edition": "1.1.1",
     "title": "Web Map Service", "status": "retired",
     "description": "Serves map images; kept only while the old GIS runs.",
     "url": "https://www.ogc.org/standards/wms"},
    {"key": "ogc-citygml", "body": "OGC", "identifier": "OGC 20-010", "edition": "3.0",
     "title": "OGC City Geography Markup Language (CityGML) Conceptual Model", "status": "considered",
     "description": "A model of 3D city objects (buildings, roads, water bodies) for the digital twin.",
     "url": "https://www.ogc.org/standards/citygml", "matrix_cells": [(R, "semantic")]},
    {"key": "oasis-mqtt", "body": "OASIS", "identifier": "MQTT Version 5.0", "title": "MQTT Version 5.0",
     "status": "adopted", "description": "A light publish-and-subscribe messaging protocol for devices.",
     "url": "https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html", "matrix_cells": [(R, "technical")]},
    {"key": "lorawan", "body": "LoRa Alliance", "identifier": "TS001-1.0.4", "edition": "1.0.4",
     "title": "LoRaWAN L2 1.0.4 Specification", "status": "adopted",
     "description": "A low-power, long-range radio network protocol for battery sensors.",
     "url": "https://resources.lora-alliance.org/technical-specifications", "matrix_cells": [(R, "technical")]},
    {"key": "gtfs-realtime", "body": "MobilityData", "identifier": "GTFS Realtime",
     "title": "General Transit Feed Specification - Realtime", "status": "adopted",
     "description": "A feed format for live public transport positions, delays and service alerts.",
     "url": "https://gtfs.org/documentation/realtime/reference/", "matrix_cells": [(S, "technical")]},
    {"key": "cen-siri", "body": "CEN", "identifier": "CEN/TS 15531", "title": "Service Interface for Real Time "
     "Information (SIRI)", "status": "considered",
     "description": "European interfaces for exchanging real-time public transport information.",
     "matrix_cells": [(S, "technical")]},
    {"key": "w3c-wcag", "body": "W3C", "identifier": "WCAG 2.2", "edition": "2.2",
     "title": "Web Content Accessibility Guidelines 2.2", "status": "adopted",
     "description": "Testable criteria that make web content usable by people with disabilities.",
     "url": "https://www.w3.org/TR/WCAG22/", "matrix_cells": [(S, "policy")]},
]


def block(key, name, kind, owner, contract, standards=(), users=(), lifecycle="active", **extra):
    row = {"key": key, "name": name, "kind": kind, **extra}
    if contract:
        row["service_contract"] = contract
    if owner:
        row["owner"] = owner
    row["lifecycle"] = lifecycle
    row["standards"] = list(standards)
    row["used_by_organisations"] = list(users)
    row["used_by_services"] = sorted(SERVICES_USING.get(key, ()))
    return row


#: Which of the demo's services (citizen_services.yaml, B9) run on which building blocks (B14 reuse).
SERVICES_USING = {
    "api-gateway": ["berth-booking", "bus-pass", "journey-planner", "parking-payment", "parking-permit"],
    "city-sign-in": ["blue-badge", "bus-pass", "council-tax", "council-tax-reduction", "free-school-meals",
                     "housing-register", "parking-permit"],
    "customer-account": ["bulky-waste", "council-tax", "housing-repairs", "missed-bin", "pothole",
                         "street-light-fault"],
    "case-management": ["bulky-waste", "care-needs-assessment", "carers-support", "housing-repairs", "missed-bin",
                        "pothole", "street-light-fault"],
    "legacy-parking": ["parking-permit"],
    "legacy-crm": ["business-rates", "trading-licence"],
    "spatial-data-service": ["journey-planner", "pothole", "street-light-fault"],
    "sensor-data-service": ["missed-bin"],
    "context-broker": ["journey-planner", "parking-payment"],
}


BLOCKS = [
    block("open-data-platform", "Open data platform", "data_platform", "kcc",
          "Catalogue and downloads for every open dataset of the partners; datasets refreshed at their stated "
          "frequency; open licence by default.", ["w3c-dcat", "openapi"],
          ["kcc", "transport-authority", "kester-water", "urban-observatory", "open-kestermouth"],
          description="The city's catalogue of open data, harvested by national portals.",
          service_level="99.5% monthly availability", api_spec_url="https://data.kestermouth.example.org/api/openapi.json"),
    block("context-broker", "City context broker", "integration", "kcc",
          "Publish-subscribe access to live city context (car parks, bins, river levels); partners publish "
          "through it rather than point to point.", ["etsi-ngsi-ld", "openapi"],
          ["kcc", "port-authority", "transport-authority", "urban-observatory"],
          description="Holds the current state of city things as linked entities.",
          service_level="99.9% availability, 2 seconds end to end"),
    block("api-gateway", "City API gateway", "api", "kcc",
          "Single front door for partner and public APIs: keys, quotas, published specifications and a "
          "developer portal.", ["openapi", "ietf-oauth2"],
          ["kcc", "port-authority", "harbourline", "health-partnership", "valley-buses"],
          description="Routes, secures and meters every API the partners expose.",
          service_level="99.9% availability", api_spec_url="https://api.kestermouth.example.org/openapi.json"),
    block("city-sign-in", "My Kestermouth sign-in", "identity", "kcc",
          "One account for residents and businesses across partner services; users see and withdraw consents.",
          ["openid-connect", "ietf-oauth2"], ["kcc", "kestermouth-homes", "health-partnership"],
          description="Identity provider for residents, with consent records under the user's control.",
          service_level="99.9% availability"),
    block("customer-account", "My Kestermouth customer account", "application", "kcc",
          "Residents track requests and bookings in one place; tell-us-once for changes of address.",
          ["w3c-wcag", "openid-connect"], ["kcc", "kestermouth-homes"],
          description="The residents' portal on top of the case management service."),
    block("case-management", "Case management service", "application", "kcc",
          "Cases from every channel in one service, with service levels reported monthly.",
          ["openapi"], ["kcc", "kestermouth-homes"],
          description="The target customer relationship management platform, bought as a service."),
    block("legacy-crm", "Legacy CRM", "application", "kcc", "Vendor support until March 2026 only.",
          lifecycle="legacy", users=["kcc"], description="The council's 2009 CRM, on premises."),
    block("legacy-parking", "Parking permits system", "application", "kcc", "Best-effort support by the in-house team.",
          lifecycle="legacy", users=["kcc"], description="A stand-alone permits database with its own logins."),
    block("legacy-gis", "Desktop GIS server", "application", "kcc", "Extended support until 2026.",
          ["ogc-wms-111"], ["kcc"], lifecycle="retiring",
          description="Map server for internal desktop GIS; no migration planned yet."),
    block("spatial-data-service", "Spatial data service", "data_platform", "kcc",
          "Authoritative boundaries, addresses and assets as web features, updated nightly.",
          ["ogc-api-features", "openapi"], ["kcc", "kester-water", "kester-energy", "transport-authority"],
          description="The shared geographic data service that replaces map images with data.",
          service_level="99.5% availability"),
    block("sensor-data-service", "Sensor data service", "data_platform", "urban-observatory",
          "Every sensor observation stored with its metadata and published openly unless sensitive.",
          ["ogc-sensorthings", "oasis-mqtt"], ["urban-observatory", "kcc", "rivers-trust", "university"],
          description="Stores and serves observations from the city sensor network.",
          api_spec_url="https://sensors.kestermouth.example.org/v1.1"),
    block("lorawan-network", "City LoRaWAN network", "infrastructure", "brightwater",
          "Coverage of 95% of the city's streets; open to any partner's devices at published prices.",
          ["lorawan"], ["kcc", "kester-water", "urban-observatory"],
          description="Low-power radio gateways on council buildings and lighting columns."),
    block("digital-twin", "Local digital twin", "application", "kcc",
          "First release for flood planning; scenario runs on request.", ["ogc-sensorthings"], ["kcc"],
          lifecycle="proposed", description="A 3D model of the estuary fed by live sensor data."),
    block("payments-service", "Payments service", "integration", "kcc",
          "Card and direct debit payments for every partner service, reconciled daily.", ["openapi"],
          ["kcc", "kestermouth-homes", "transport-authority"], description="One payment service for all partners."),
    block("booking-service", "Bookings service", "application", "kcc", "", ["w3c-wcag"], ["kcc"],
          description="Books rooms, sports pitches and appointments; its contract is still being written."),
    block("notification-service", "Notifications service", "integration", None, "", [],
          ["kcc", "health-partnership"],
          description="E-mail, text and letter notifications; set up by a project that has since closed."),
    block("shared-care-record", "Shared care record", "data_platform", "health-partnership",
          "Clinicians and care staff see one record; access logged and shown to the person.",
          ["hl7-fhir"], ["health-partnership", "valley-ccg", "kcc"],
          description="Joins health and social care records for direct care."),
    block("port-community-system", "Port community system", "application", "port-authority",
          "Shared view of vessel calls and cargo for the port community, 24/7.", ["openapi"],
          ["port-authority", "harbourline"], description="Messages between shipping lines, hauliers and the port."),
    block("freight-booking-api", "Freight booking API", "api", "harbourline",
          "Hauliers book gate slots; 99.5% availability.", ["openapi", "ietf-oauth2"],
          ["harbourline", "port-authority"], description="Truck appointment booking for the port gates."),
    block("bus-realtime-feed", "Bus real-time feed", "api", "valley-buses",
          "Vehicle positions every 15 seconds, published openly.", ["gtfs-realtime"],
          ["valley-buses", "transport-authority", "kcc"], description="Live bus positions and delays."),
    block("indicator-service", "City indicators service", "api", "kcc",
          "Indicator values with their method and source, published at each indicator's frequency.",
          ["iso-37120", "w3c-dcat"], ["kcc", "combined-authority"],
          description="Feeds the public dashboard and the national returns."),
    block("document-store", "Shared document store", "infrastructure", "kcc",
          "Retention rules applied automatically; 99.9% availability.", [], ["kcc", "kester-cvs"],
          description="Document storage shared with voluntary sector partners."),
]

STEPS = [
    {"key": "crm-choose", "title": "Choose the case management service", "order": 1, "target": "case-management",
     "phase": "initiate", "due_date": "2024-10-31", "status": "done",
     "description": "Market engagement and a call-off from a framework, buying service levels, not software."},
    {"key": "crm-move-cases", "title": "Move open cases and history off the legacy CRM", "order": 2,
     "replaces": ["legacy-crm"], "target": "case-management", "phase": "deliver", "due_date": "2025-11-30",
     "status": "in_progress"},
    {"key": "permits-to-account", "title": "Parking permits in the customer account", "order": 3,
     "replaces": ["legacy-parking"], "target": "customer-account", "phase": "deliver", "due_date": "2026-09-30"},
    {"key": "gateway-policies", "title": "API gateway policies for partners", "order": 4, "target": "api-gateway",
     "phase": "initiate", "due_date": "2024-12-15", "status": "done",
     "description": "Written after the CRM move started, although it belongs to the initiate phase."},
    {"key": "sensors-to-broker", "title": "Sensor feeds through the context broker", "order": 5,
     "target": "context-broker", "phase": "deliver", "due_date": "2026-06-30"},
    {"key": "twin-first-release", "title": "Digital twin first release", "order": 6, "target": "digital-twin",
     "phase": "deliver", "due_date": "2028-03-31",
     "description": "Due after the deliver phase ends: the roadmap or the date needs changing."},
    {"key": "shared-data-with-districts", "title": "Spatial data shared with the neighbouring districts", "order": 7,
     "target": "spatial-data-service", "phase": "consolidate", "due_date": "2029-06-30"},
]

EXPECTED_PAIRS = {
    ("docks-heat-network", "old-docks-regeneration"),
    ("docks-heat-network", "quayside-sewer-upgrade"),
    ("harbour-fibre-spine", "old-docks-regeneration"),
    ("harbour-fibre-spine", "port-gate-automation"),
    ("northgate-bus-corridor", "northgate-water-mains"),
    ("old-docks-regeneration", "quayside-sewer-upgrade"),
    ("smart-lighting-phase-2", "westfield-retrofit"),
}

EXPECTED_FINDINGS = [
    ("block-without-owner", ("notification-service",)),
    ("block-without-contract", ("booking-service",)),
    ("block-without-contract", ("notification-service",)),
    ("standard-unused", ("iso-iec-30182",)),
    ("legacy-without-migration", ("legacy-gis",)),
    ("step-out-of-phase-order", ("gateway-policies", "crm-move-cases")),
    ("step-due-outside-phase", ("twin-first-release",)),
]


def standards():
    out = []
    for s in STANDARDS:
        row = {k: v for k, v in s.items() if k != "matrix_cells"}
        cells = s.get("matrix_cells", [])
        if cells:
            row["matrix_cells"] = [{"process": p, "dimension": d} for p, d in cells]
        out.append(row)
    return out


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

    dump = lambda data: yaml.safe_dump(data, sort_keys=False, allow_unicode=True)  # noqa: E731
    (directory / "developments.yaml").write_text(dump({"development_projects": PROJECTS}), encoding="utf-8")
    (directory / "architecture.yaml").write_text(
        dump({"standards": standards(), "building_blocks": BLOCKS, "migration_steps": STEPS}), encoding="utf-8")


def verify(city_key: str) -> list[str]:
    from cityline.architecture.services import findings
    from cityline.core.models import City
    from cityline.developments.services import projects, view_of

    city = City.objects.get(key=city_key)
    view = view_of(projects(city))
    pairs = {(p.a, p.b) for p in view.pairs}
    if pairs != EXPECTED_PAIRS:
        raise SystemExit(f"cross-infrastructure pairs differ: extra {pairs - EXPECTED_PAIRS}, "
                         f"missing {EXPECTED_PAIRS - pairs}")
    found = [(f.code, f.records) for f in findings(city)]
    if found != EXPECTED_FINDINGS:
        raise SystemExit(f"architecture findings differ:\n{found}")
    return [f"{len(PROJECTS)} projects, {len(pairs)} opportunity pairs in {len(view.groups)} groups; "
            f"{len(STANDARDS)} standards, {len(BLOCKS)} building blocks, {len(STEPS)} migration steps, "
            f"{len(found)} planted findings"]


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
                print(f"out of date: {', '.join(stale)}; run scripts/gen_demo_architecture.py", file=sys.stderr)
                return 1
        else:
            for name in FILES:
                shutil.copyfile(out / name, PACK / name)
        print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
