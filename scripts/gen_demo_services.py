"""Generate the citizen services, channels and channel audit of the demo city Kestermouth (issue 5, items 1-3 and 6).

    .venv/bin/python scripts/gen_demo_services.py            # (re)write the file
    .venv/bin/python scripts/gen_demo_services.py --check    # fail if the committed file differs

Writes ``cityline/demo/city-pack/citizen_services.yaml``. Everything in it is **synthetic
demo data**: the services, volumes, costs and rates are invented for Cityline.

How it works (as scripts/gen_demo_benefits.py): plain records are built here, imported
with the normal city pack importer (every write goes through ``cityline.core.actions``)
into a throw-away SQLite database, and the file is written by the pack exporter, so the
committed file is exactly what ``cityline pack export`` produces and a round trip is
byte-identical.

Deterministic: every random number comes from ``random.Random(f"{SEED}:{service}:{channel}")``.
All money is computed in Decimal.

The audit covers twelve quarters, 2023-Q4 to 2026-Q3, for every offering. Digital
channels gain share quarter by quarter (channel shift in progress). Deliberate findings,
so the derived views have something to show: the contact centre and post fall below the
90 % service-level threshold; a few services run channels on separate IT systems
(council tax, parking permits, housing repairs, business rates, and street lights
whose lanterns report faults through the IoT platform); registering a death,
burial and cremation, and the port berth booking have no digital channel; four services
are asset-to-device candidates; older and disabled people must deal with the council and
the transport authority to get about, and new businesses with the council and the port.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "cityline" / "demo" / "city-pack"
FILE = "citizen_services.yaml"
SEED = 37106
QUARTERS = [(2023, 4)] + [(y, q) for y in (2024, 2025) for q in (1, 2, 3, 4)] + [(2026, 1), (2026, 2), (2026, 3)]

NEEDS = {
    "get-about": ("Get about the city", "Travel around Kestermouth on foot, by bus, by car or with a mobility aid."),
    "find-care": ("Find care and support", "Arrange care at home or in a home, for yourself or someone you look "
                                            "after."),
    "pay-local-bills": ("Pay local bills", "Council tax, business rates, rent, parking: know what is owed and pay."),
    "find-a-home": ("Find a home", "Find somewhere to live, or keep the home you have."),
    "keep-streets-clean": ("Keep my street clean and safe", "Bins collected, lights working, potholes fixed."),
    "school-and-childcare": ("School and childcare", "Find a school place or childcare and get help with costs."),
    "start-trading": ("Start and run a business", "Register, get licences and permits, and find premises."),
    "find-work": ("Find work and skills", "Find a job, an apprenticeship or a course."),
    "register-life-events": ("Register a birth or a death", "Tell the authorities once when someone is born or "
                                                          "dies."),
    "get-online": ("Get online", "Have a device, a connection and the skills to use services online."),
    "stay-healthy": ("Stay healthy", "Get health advice and prescriptions without a long wait."),
}

# key: (name, providers, needs, life_events, one_stop, device_candidate, {channel: it_system override})
SERVICES = {
    "council-tax": ("Pay council tax", ["kcc"], ["pay-local-bills"], ["moving_home"], False, False,
                    {"website": "Revenues portal (Capita)"}),
    "council-tax-reduction": ("Apply for a council tax reduction", ["kcc"], ["pay-local-bills"],
                              ["looking_for_work", "retiring"], False, False, {}),
    "missed-bin": ("Report a missed bin", ["kcc"], ["keep-streets-clean"], [], False, True, {}),
    "bulky-waste": ("Book a bulky waste collection", ["kcc"], ["keep-streets-clean"], ["moving_home"], False, False,
                    {}),
    "street-light-fault": ("Report a street light fault", ["kcc"], ["keep-streets-clean"], [], False, True, {}),
    "pothole": ("Report a pothole", ["kcc"], ["keep-streets-clean", "get-about"], [], False, False, {}),
    "parking-permit": ("Apply for a residents' parking permit", ["kcc"], ["get-about", "pay-local-bills"],
                       ["moving_home"], False, False, {"app": "ParkNow app (legacy)"}),
    "parking-payment": ("Pay for on-street parking", ["kcc"], ["get-about"], ["travelling"], False, True, {}),
    "blue-badge": ("Apply for a blue badge", ["kcc"], ["get-about"], ["living_with_a_disability", "getting_older"],
                   False, False, {}),
    "bus-pass": ("Apply for a concessionary bus pass", ["transport-authority"], ["get-about"],
                 ["getting_older", "living_with_a_disability", "retiring"], False, False, {}),
    "journey-planner": ("Plan a journey", ["transport-authority", "valley-buses"], ["get-about"], ["travelling"],
                        False, False, {}),
    "school-admissions": ("Apply for a school place", ["kcc"], ["school-and-childcare"], ["starting_school"],
                          False, False, {}),
    "free-school-meals": ("Apply for free school meals", ["kcc"], ["school-and-childcare"],
                          ["starting_school", "looking_for_work"], False, False, {}),
    "childcare-funding": ("Get funded childcare", ["kcc"], ["school-and-childcare"], ["having_a_baby"], False, False,
                          {}),
    "register-birth": ("Register a birth", ["kcc"], ["register-life-events"], ["having_a_baby"], False, False, {}),
    "register-death": ("Register a death", ["kcc"], ["register-life-events"], ["bereavement"], False, False, {}),
    "burial-cremation": ("Arrange a burial or cremation", ["kcc"], ["register-life-events"], ["bereavement"], False,
                         False, {}),
    "care-needs-assessment": ("Ask for a care needs assessment", ["kcc", "health-partnership"], ["find-care"],
                              ["getting_older", "becoming_a_carer", "living_with_a_disability"], False, False, {}),
    "care-navigator": ("Care navigator: one front door to care and support", ["kcc", "health-partnership",
                                                                               "age-friendly"],
                       ["find-care"], ["getting_older", "becoming_a_carer"], True, False, {}),
    "carers-support": ("Get support as a carer", ["kester-cvs", "kcc"], ["find-care"], ["becoming_a_carer"], False,
                       False, {}),
    "housing-register": ("Join the housing register", ["kcc"], ["find-a-home"], ["housing_need", "moving_home"],
                         False, False, {}),
    "housing-repairs": ("Report a housing repair", ["kestermouth-homes"], ["find-a-home"], [], False, True,
                        {"contact-centre": "Repairs line (Kestermouth Homes)"}),
    "business-rates": ("Pay business rates", ["kcc"], ["pay-local-bills", "start-trading"], ["starting_a_business"],
                       False, False, {"website": "Revenues portal (Capita)"}),
    "trading-licence": ("Apply for a street trading licence", ["kcc"], ["start-trading"], ["starting_a_business"],
                        False, False, {}),
    "berth-booking": ("Book a berth or quayside space", ["port-authority"], ["start-trading"],
                      ["starting_a_business"], False, False, {}),
    "business-support": ("Get business start-up support", ["chamber", "combined-authority"],
                         ["start-trading", "find-work"], ["starting_a_business"], False, False, {}),
    "skills-courses": ("Find an adult skills course", ["kestermouth-college", "combined-authority"],
                       ["find-work", "get-online"], ["looking_for_work"], True, False, {}),
    "gp-registration": ("Register with a GP", ["health-partnership"], ["stay-healthy"], ["moving_home"], False, False,
                        {}),
}

# key: (name, kind, it_system, unit cost in £ (before the service's factor))
CHANNELS = {
    "customer-hub": ("Customer hub, Guildhall", "face_to_face", "", "8.62"),
    "contact-centre": ("Contact centre 01632 960000", "phone", "Customer account (Salesforce)", "4.15"),
    "website": ("kestermouth.gov.uk", "web", "Customer account (Salesforce)", "0.21"),
    "app": ("Kestermouth app", "app", "Customer account (Salesforce)", "0.17"),
    "library-kiosks": ("Library self-service kiosks", "kiosk", "Customer account (Salesforce)", "1.12"),
    "post": ("Post", "post", "", "6.40"),
    "community-partners": ("Community partners (voluntary sector)", "intermediary_voluntary", "", "3.05"),
    "agents": ("Registered agents and advisers", "intermediary_private", "Customer account (Salesforce)", "2.40"),
    "city-sensors": ("Connected assets (City IoT platform)", "asset_to_device", "City IoT platform", "0.04"),
}
DIGITAL = {"website", "app", "library-kiosks", "city-sensors"}

# service: (yearly transactions at the start, cost factor, {channel: starting share %})
AUDIT = {
    "council-tax": (52000, "1.0", {"customer-hub": 10, "contact-centre": 45, "website": 40, "post": 5}),
    "council-tax-reduction": (9000, "1.6", {"customer-hub": 25, "contact-centre": 35, "website": 30,
                                            "community-partners": 10}),
    "missed-bin": (31000, "0.7", {"contact-centre": 60, "website": 30, "app": 10}),
    "bulky-waste": (8000, "0.9", {"contact-centre": 55, "website": 45}),
    "street-light-fault": (6500, "0.6", {"contact-centre": 40, "website": 30, "app": 10, "city-sensors": 20}),
    "pothole": (11000, "0.6", {"contact-centre": 45, "website": 35, "app": 20}),
    "parking-permit": (14000, "1.0", {"customer-hub": 20, "contact-centre": 30, "website": 40, "app": 10}),
    "parking-payment": (240000, "0.3", {"app": 55, "library-kiosks": 5, "contact-centre": 40}),
    "blue-badge": (4200, "1.8", {"customer-hub": 35, "contact-centre": 25, "website": 25,
                                 "community-partners": 15}),
    "bus-pass": (7800, "1.2", {"customer-hub": 30, "post": 30, "website": 25, "community-partners": 15}),
    "journey-planner": (120000, "0.2", {"website": 55, "app": 40, "contact-centre": 5}),
    "school-admissions": (5600, "1.1", {"website": 80, "contact-centre": 15, "customer-hub": 5}),
    "free-school-meals": (3900, "1.3", {"website": 50, "contact-centre": 30, "community-partners": 20}),
    "childcare-funding": (2600, "1.3", {"website": 55, "contact-centre": 35, "customer-hub": 10}),
    "register-birth": (2900, "2.2", {"customer-hub": 90, "contact-centre": 10}),
    "register-death": (2400, "2.4", {"customer-hub": 85, "contact-centre": 15}),
    "burial-cremation": (1900, "3.0", {"contact-centre": 45, "agents": 55}),
    "care-needs-assessment": (3100, "4.5", {"contact-centre": 60, "customer-hub": 25, "website": 15}),
    "care-navigator": (5400, "2.0", {"contact-centre": 50, "website": 30, "community-partners": 20}),
    "carers-support": (1800, "2.5", {"community-partners": 60, "contact-centre": 25, "website": 15}),
    "housing-register": (4700, "1.7", {"customer-hub": 30, "contact-centre": 30, "website": 40}),
    "housing-repairs": (26000, "0.9", {"contact-centre": 70, "website": 20, "app": 10}),
    "business-rates": (6100, "1.0", {"contact-centre": 40, "website": 45, "post": 15}),
    "trading-licence": (650, "2.6", {"customer-hub": 40, "website": 45, "agents": 15}),
    "berth-booking": (1300, "1.9", {"contact-centre": 55, "agents": 45}),
    "business-support": (1500, "2.8", {"customer-hub": 35, "website": 45, "agents": 20}),
    "skills-courses": (4800, "1.0", {"website": 55, "customer-hub": 25, "community-partners": 20}),
    "gp-registration": (9800, "0.8", {"customer-hub": 30, "website": 55, "contact-centre": 15}),
}

STANDARDS = {
    "customer-hub": "Seen within 20 minutes of arrival",
    "contact-centre": "Answered within 60 seconds",
    "website": "Available 99.5 % of the time; decision or confirmation within 5 working days",
    "app": "Available 99.5 % of the time",
    "library-kiosks": "Available during library opening hours",
    "post": "Replied to within 10 working days",
    "community-partners": "Referral acknowledged within 2 working days",
    "agents": "Submission acknowledged within 1 working day",
    "city-sensors": "Fault reported to the service within 1 hour",
}
# Typical share of transactions meeting the standard (%), before noise: the contact centre and post fall short.
SERVICE_LEVEL = {"customer-hub": 93, "contact-centre": 84, "website": 98, "app": 98, "library-kiosks": 95,
                 "post": 86, "community-partners": 94, "agents": 96, "city-sensors": 99}

SEGMENTS = {
    "young-families": ("Parents of young children", "Households with children under five, including expectant "
                       "parents.", 14200, ["school-and-childcare", "register-life-events", "stay-healthy",
                                           "find-a-home"],
                       "Family hub surveys 2025; journey mapping with 24 families; health visitor feedback."),
    "older-people": ("Older people", "Residents aged 65 and over, living independently or with support.", 41800,
                     ["get-about", "find-care", "get-online", "stay-healthy"],
                     "Age Friendly Kestermouth listening events; census 2021; contact centre call reasons."),
    "disabled-people": ("Disabled people", "People living with a physical, sensory or learning disability and "
                        "their families.", 27500, ["get-about", "find-care", "find-work", "get-online"],
                        "Disability forum; accessibility audit of council services; complaints analysis."),
    "commuters": ("Commuters", "People travelling into, out of and across the city to work or study.", 63000,
                  ["get-about", "pay-local-bills"],
                  "Travel survey 2024; ticketing and journey-planner data; Kester Valley Buses feedback."),
    "new-businesses": ("New and small businesses", "Businesses in their first three years and sole traders.", 3100,
                       ["start-trading", "pay-local-bills", "find-work"],
                       "Chamber of Commerce members' survey; business support caseload; licensing records."),
    "new-residents": ("People moving to Kestermouth", "Households that moved to the city in the last year.", 8900,
                      ["find-a-home", "pay-local-bills", "school-and-childcare", "stay-healthy"],
                      "Council tax new accounts; GP registrations; welcome pack feedback."),
    "carers": ("Unpaid carers", "People who look after a relative or friend who could not manage without them.",
               16400, ["find-care", "get-online", "find-work"],
               "Carers' centre records; census 2021; carers' strategy consultation."),
}

TEAMS = {
    "team-young-families": ("Best start franchise team", "young-families", "lucy-harrow",
                            ["kcc", "health-partnership", "kester-cvs"],
                            ["school-admissions", "free-school-meals", "childcare-funding", "register-birth",
                             "gp-registration"],
                            "Share of birth registrations with tell-us-once; days from application to school offer.",
                            ["tell-us-once-services"]),
    "team-older-people": ("Ageing well franchise team", "older-people", "margaret-ellery",
                          ["kcc", "health-partnership", "age-friendly", "transport-authority"],
                          ["care-navigator", "care-needs-assessment", "bus-pass", "blue-badge"],
                          "Older people who can get about without help; calls resolved at first contact.",
                          ["first-contact-resolution", "adults-without-digital-skills"]),
    "team-disabled-people": ("Access for all franchise team", "disabled-people", "siobhan-keane",
                             ["kcc", "transport-authority", "kester-cvs"],
                             ["blue-badge", "bus-pass", "care-needs-assessment", "skills-courses"],
                             "Accessibility audit score of services; satisfaction of disabled users.", []),
    "team-commuters": ("Getting around franchise team", "commuters", "simon-pargeter",
                       ["transport-authority", "kcc", "valley-buses"],
                       ["journey-planner", "parking-payment", "parking-permit", "pothole"],
                       "Journey-planner use; parking transactions online.", ["online-transactions"]),
    "team-new-businesses": ("Open for business franchise team", "new-businesses", "fiona-macleod",
                            ["chamber", "kcc", "port-authority", "combined-authority"],
                            ["business-rates", "trading-licence", "berth-booking", "business-support"],
                            "Days from first contact to trading; licences issued online.", []),
    "team-new-residents": ("Welcome to Kestermouth franchise team", "new-residents", "nadia-brennan",
                           ["kcc", "health-partnership", "kestermouth-homes"],
                           ["council-tax", "gp-registration", "school-admissions", "housing-register"],
                           "New residents set up with council tax, GP and school in one visit.",
                           ["online-transactions"]),
    "team-carers": ("Carers franchise team", "carers", "joseph-mensah", ["kester-cvs", "kcc", "health-partnership"],
                    ["carers-support", "care-navigator", "care-needs-assessment"],
                    "Carers with a support plan; carers reached by digital skills help.", []),
}

SCENARIOS = [
    {"key": "council-tax-online", "name": "Council tax by phone to the website", "service": "council-tax",
     "from_channel": "contact-centre", "to_channel": "website", "share_moved": Decimal("40"), "years": 3,
     "baseline_year": 2025, "set_aside": Decimal("15"), "benefit_nodes": ["io-channel-shift", "inv-customer-account"],
     "notes": "Customer account launch with e-billing; direct debit by default."},
    {"key": "missed-bins-app", "name": "Missed bins reported in the app", "service": "missed-bin",
     "from_channel": "contact-centre", "to_channel": "app", "share_moved": Decimal("50"), "years": 2,
     "baseline_year": 2025, "set_aside": Decimal("10"), "benefit_nodes": ["io-channel-shift"]},
    {"key": "missed-bins-sensors", "name": "Bin lifts confirmed by vehicle sensors", "service": "missed-bin",
     "from_channel": "contact-centre", "to_channel": "city-sensors", "share_moved": Decimal("30"), "years": 2,
     "baseline_year": 2025, "set_aside": Decimal("10"), "to_unit_cost": Decimal("0.0400"),
     "notes": "Asset-to-device (B11.b.2): vehicles log each lift, so a missed bin is known before anyone calls."},
    {"key": "parking-permits-online", "name": "Parking permits from the hub to the website",
     "service": "parking-permit", "from_channel": "customer-hub", "to_channel": "website",
     "share_moved": Decimal("60"), "years": 3, "baseline_year": 2025, "set_aside": Decimal("20"),
     "benefit_nodes": ["io-channel-shift"]},
]

INCLUSION = [
    {"key": "library-digital-helpers", "name": "Digital helpers in every library", "kind": "assisted_digital",
     "description": "Trained staff and volunteers help people use online services at library kiosks.",
     "segments": ["older-people", "disabled-people", "carers"], "provider": "kcc", "reach": 5200,
     "cost": Decimal("86000.00"), "status": "active", "funded_by": "council-tax-online"},
    {"key": "digital-skills-65", "name": "Get online at 65+", "kind": "training",
     "description": "Six-week courses in community centres on e-mail, video calls and the council app.",
     "segments": ["older-people"], "provider": "age-friendly", "reach": 900, "cost": Decimal("38500.00"),
     "status": "active", "funded_by": "parking-permits-online"},
    {"key": "community-access-points", "name": "Community access points", "kind": "access_point",
     "description": "Free Wi-Fi, computers and printing in twelve community buildings.",
     "segments": ["new-residents", "young-families", "disabled-people"], "provider": "inclusion-network",
     "reach": 7400, "cost": Decimal("64000.00"), "status": "active"},
    {"key": "device-lending", "name": "Device and data lending library", "kind": "other",
     "description": "Tablets with a data allowance lent for three months, with a phone helpline.",
     "segments": ["carers", "older-people"], "provider": "kester-cvs", "reach": 650, "cost": Decimal("41200.00"),
     "status": "planned", "funded_by": "missed-bins-app"},
    {"key": "business-digital-clinic", "name": "Digital clinic for new businesses", "kind": "training",
     "description": "Monthly clinics on online licensing, rates and trading platforms.",
     "segments": ["new-businesses"], "provider": "chamber", "reach": 240, "cost": Decimal("9800.00"),
     "status": "completed"},
]

PENNY = Decimal("0.01")


def _q(value: Decimal, step: Decimal = PENNY) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def audit_rows() -> list[dict]:
    rows = []
    for service, (volume, factor, shares) in AUDIT.items():
        factor = Decimal(factor)
        digital_share = sum(s for c, s in shares.items() if c in DIGITAL)
        for channel, share in shares.items():
            rnd = random.Random(f"{SEED}:{service}:{channel}")
            base_unit = Decimal(CHANNELS[channel][3]) * factor
            for i, (year, quarter) in enumerate(QUARTERS):
                # channel shift in progress: digital channels gain, assisted ones lose, 1.5 % of their share a quarter
                drift = Decimal("1") + (Decimal("0.015") * i if channel in DIGITAL else Decimal("-0.012") * i)
                if digital_share == 0:
                    drift = Decimal("1")
                noise = Decimal(rnd.randint(-60, 60)) / Decimal("1000")
                seasonal = Decimal("1.08") if quarter == 1 else Decimal("0.97") if quarter == 3 else Decimal("1")
                transactions = int(_q(Decimal(volume) / 4 * Decimal(share) / 100 * drift * seasonal
                                      * (1 + noise), Decimal("1")))
                unit = base_unit * (Decimal("1") + Decimal(rnd.randint(-50, 50)) / Decimal("1000"))
                level = Decimal(SERVICE_LEVEL[channel]) + Decimal(rnd.randint(-30, 30)) / Decimal("10")
                rows.append({
                    "service": service, "channel": channel, "year": year, "quarter": quarter,
                    "transactions": transactions, "total_cost": _q(unit * transactions),
                    "completion_rate": min(Decimal("100"), _q(Decimal(94 if channel not in DIGITAL else 86)
                                                                + Decimal(rnd.randint(-40, 40)) / 10)),
                    "satisfaction": min(Decimal("100"), _q(Decimal(78 if channel != "contact-centre" else 66)
                                                             + Decimal(rnd.randint(-50, 50)) / 10)),
                    "service_level_met": min(Decimal("100"), _q(level)),
                })
    return rows


def records() -> dict:
    offerings = {}
    for service, (_v, _f, shares) in AUDIT.items():
        overrides = SERVICES[service][6]
        offerings[service] = [{"channel": c, "it_system": overrides.get(c, ""), "service_level_standard": STANDARDS[c]}
                              for c in shares]
    services = []
    for key, (name, providers, needs, events, one_stop, device, _sys) in SERVICES.items():
        services.append({
            "key": key, "name": name,
            "purpose": f"{name}: quickly, once, through the channel that suits you.",
            "providers": providers, "needs": needs, "eligibility": "" if key not in ELIGIBILITY else ELIGIBILITY[key],
            "life_events": events, "one_stop": one_stop, "device_candidate": device,
            "offerings": [{k: v for k, v in o.items() if v} for o in offerings[key]],
        })
    return {
        "service_settings": {"service_level_threshold": Decimal("90")},
        "user_needs": [{"key": k, "name": n, "description": d} for k, (n, d) in NEEDS.items()],
        "channels": [{"key": k, "name": n, "kind": kind, "it_system": system,
                      "description": f"Synthetic demo channel; typical cost per transaction about £{cost}."}
                     for k, (n, kind, system, cost) in CHANNELS.items()],
        "services": services,
        "customer_segments": [{"key": k, "name": n, "description": d, "size": size, "needs": needs,
                               "insight_sources": src} for k, (n, d, size, needs, src) in SEGMENTS.items()],
        "franchise_teams": [{"key": k, "name": n, "segment": seg, "lead": lead, "members": members,
                             "services": svcs, "performance_measures": measures, "kpis": kpis}
                            for k, (n, seg, lead, members, svcs, measures, kpis) in TEAMS.items()],
        "channel_audit": audit_rows(),
        "channel_shift_scenarios": SCENARIOS,
        "inclusion_actions": INCLUSION,
    }


ELIGIBILITY = {
    "council-tax-reduction": "Residents on a low income who pay council tax in Kestermouth.",
    "blue-badge": "People with a permanent disability that makes walking very difficult, and some others.",
    "bus-pass": "Residents of state pension age, and disabled residents of any age.",
    "free-school-meals": "Children whose families receive certain benefits.",
    "childcare-funding": "Children aged two to four; two-year-olds when the family qualifies.",
    "housing-register": "People aged 18 or over with a local connection to Kestermouth.",
    "care-needs-assessment": "Any adult who may need care and support, and their carers.",
    "trading-licence": "Traders aged 17 or over; a pitch in a designated street.",
}


# --- writing -------------------------------------------------------------------------------------


def dump(data) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f")))
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True)


def setup_django(data_dir: Path) -> None:
    os.environ["CITYLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityline.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def summary(city_key: str) -> list[str]:
    from cityline.citizen_services import models as m
    from cityline.citizen_services import services as views
    from cityline.core.models import City

    city = City.objects.get(key=city_key)
    s = views.audit_summary(city)
    return [
        f"services {m.Service.objects.filter(city=city).count()}, segments "
        f"{m.CustomerSegment.objects.filter(city=city).count()}, teams {m.FranchiseTeam.objects.filter(city=city).count()}, "
        f"channels {m.Channel.objects.filter(city=city).count()}, audit rows "
        f"{m.ChannelAudit.objects.filter(city=city).count()}",
        f"latest four quarters: {s['period']}; league: "
        + ", ".join(f"{r['channel']} {r['unit_cost']}" for r in s["league_table"]),
        "below standard: " + ", ".join(b["channel"] for b in s["below_standard"]),
        "no digital channel: " + ", ".join(x["service"] for x in s["services_without_digital"]),
        "duplicated IT: " + ", ".join(x["service"] for x in s["duplicated_it"]),
        "scenarios: " + ", ".join(f"{sc.key} {sc.total_net_saving}"
                                  for sc in m.ChannelShiftScenario.objects.filter(city=city)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs from the generated one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cityline-demo-") as tmp:
        tmp = Path(tmp)
        setup_django(tmp / "data")
        from cityline.core.packs import PackError, export_pack, import_pack

        draft = tmp / "draft"
        shutil.copytree(PACK, draft, ignore=shutil.ignore_patterns(FILE))
        (draft / FILE).write_text(dump(records()), encoding="utf-8")
        try:
            report = import_pack(draft, progress=False, trusted=True)
        except PackError as exc:
            print("\n".join(map(str, exc.problems)), file=sys.stderr)
            return 1
        out = tmp / "export"
        export_pack(report.city_key, out)
        if args.check:
            if not (PACK / FILE).exists() or (PACK / FILE).read_bytes() != (out / FILE).read_bytes():
                print(f"out of date: {FILE}; run scripts/gen_demo_services.py", file=sys.stderr)
                return 1
        else:
            shutil.copyfile(out / FILE, PACK / FILE)
        print("\n".join(summary(report.city_key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
