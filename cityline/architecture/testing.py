"""A small hand-made architecture for tests (B14).

``make_architecture_city()`` builds, through the actions layer, in a city with the
roadmap phases initiate (2025) and deliver (2026), organisations ``council`` and
``police``, and a service ``report-it`` provided by the council:

- standards ``dcat`` (adopted, used by ``data-hub``; addresses resource × semantic),
  ``oauth2`` (adopted, used by nobody), ``ngsi-ld`` (considered);
- building blocks ``data-hub`` (active, owner council, contract, used by council,
  police and the service: reuse 3), ``old-crm`` (legacy, owner council, contract),
  ``old-gis`` (retiring, no owner, no contract), ``crm`` (active, owner, contract);
- migration steps ``crm-1`` (order 1, deliver, old-crm → crm, due 2026-03-01) and
  ``crm-0`` (order 2, initiate, → crm, due 2026-02-01: out of phase order and outside
  the initiate phase).

Expected findings: old-gis without owner and contract, oauth2 unused, old-gis legacy
without a migration, crm-0 out of phase order (after crm-1) and due outside its phase.
"""

from __future__ import annotations

from datetime import date

from cityline.citizen_services.models import Service
from cityline.core import actions
from cityline.core.models import City
from cityline.core.testing import make_city, make_organisation
from cityline.strategy.models import RoadmapPhase

from .models import BuildingBlock, MigrationStep, Standard, StandardCell


def make_architecture_city(key: str = "testville") -> City:
    city = make_city(key, key.title())
    council = make_organisation(city, "council", name="Testville Council")
    police = make_organisation(city, "police", name="Testville Police")
    service = actions.create(Service, city=city, key="report-it", name="Report it", purpose="Report street problems",
                             m2m={"providers": [council]})
    actions.create(RoadmapPhase, city=city, phase="initiate", start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    actions.create(RoadmapPhase, city=city, phase="deliver", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    dcat = actions.create(Standard, city=city, key="dcat", body="W3C", identifier="DCAT", edition="3",
                          title="Data Catalog Vocabulary", status="adopted")
    actions.create(StandardCell, city=city, standard=dcat, process="resource", dimension="semantic")
    actions.create(Standard, city=city, key="oauth2", body="IETF", identifier="RFC 6749",
                   title="The OAuth 2.0 Authorization Framework", status="adopted")
    actions.create(Standard, city=city, key="ngsi-ld", body="ETSI", identifier="GS CIM 009",
                   title="NGSI-LD API", status="considered")
    actions.create(BuildingBlock, city=city, key="data-hub", name="Data hub", kind="data_platform", owner=council,
                   service_contract="Open data published daily; 99.5% availability",
                   api_spec_url="https://example.org/hub/openapi.json",
                   m2m={"standards": [dcat], "used_by_organisations": [council, police],
                        "used_by_services": [service]})
    old_crm = actions.create(BuildingBlock, city=city, key="old-crm", name="Old CRM", kind="application",
                             owner=council, service_contract="Best effort", lifecycle="legacy")
    actions.create(BuildingBlock, city=city, key="old-gis", name="Old GIS", kind="application", lifecycle="retiring")
    crm = actions.create(BuildingBlock, city=city, key="crm", name="CRM", kind="application", owner=council,
                         service_contract="Case management as a service")
    actions.create(MigrationStep, city=city, key="crm-1", title="Move cases to the new CRM", order=1, target=crm,
                   phase="deliver", due_date=date(2026, 3, 1), m2m={"replaces": [old_crm]})
    actions.create(MigrationStep, city=city, key="crm-0", title="Choose the CRM", order=2, target=crm,
                   phase="initiate", due_date=date(2026, 2, 1))
    return city
