"""The authorisation matrix's world: one city with two organisations and an outcome, the principals, and
an independent statement of the policy (B10) that the matrix test compares the running system with.

The expectations here are written from the policy in docs/identity/roles.md, not computed with
``authz.can``: a wrong rule in the code makes the test fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client

from cityline.accounts.testing import grant

#: The principals of the matrix, in the order they are reported.
PRINCIPALS = ["anonymous", "citizen", "contributor_a", "steward_a", "owner_x", "padmin", "padmin_other", "platform"]
#: Principals holding a role in the test city (they read its unpublished records and open the editor).
CITY_STAFF = {"contributor_a", "steward_a", "owner_x", "padmin", "platform"}
EVERYONE = set(PRINCIPALS)
NOBODY: set[str] = set()
ADMINS = {"padmin", "platform"}


# --- the policy, per kind of record ------------------------------------------------------------


def kind_of(scope) -> str:
    """The kind of a model's Scope, in the words of the policy table."""
    if scope.platform_only:
        return "platform_only"
    if scope.admin_only:
        return "admin_only"
    if scope.read_only:
        return "read_only"
    if scope.outcome:
        return "outcome"
    if scope.organisation:
        return "steward" if scope.org_role == "data_steward" else "contributor"
    return "admin_only"


#: Who may write a record of the test city (a record of organisation A / outcome X), per kind and action.
#: "create" is the class-level question (may they add some record of this collection in the city?).
WRITE_POLICY: dict[str, dict[str, set[str]]] = {
    "platform_only": {"create": {"platform"}, "update": {"platform"}, "delete": {"platform"}},
    "admin_only": {"create": ADMINS, "update": ADMINS, "delete": ADMINS},
    "read_only": {"create": NOBODY, "update": NOBODY, "delete": NOBODY},
    "contributor": {"create": ADMINS | {"contributor_a"}, "update": ADMINS | {"contributor_a"}, "delete": ADMINS},
    "steward": {"create": ADMINS | {"steward_a"}, "update": ADMINS | {"steward_a"},
                "delete": ADMINS | {"steward_a"}},
    "outcome": {"create": ADMINS | {"owner_x"}, "update": ADMINS | {"owner_x"}, "delete": ADMINS | {"owner_x"}},
}

#: Operations that are not generic CRUD: who may call them, by operation_id (GET ones read published data).
SPECIAL: dict[str, set[str]] = {
    "city_history": EVERYONE,
    "indicator_catalogue": EVERYONE,
    "benefit_map_status": EVERYONE,
    "kpi_status": EVERYONE,
    "benefit_map_check": EVERYONE,
    "benefit_node_line_of_sight": EVERYONE,
    "risk_register": EVERYONE,
    "escalations": EVERYONE,
    "cross_infrastructure": EVERYONE,
    "architecture_checks": EVERYONE,
    "channel_audit_summary": EVERYONE,
    "customer_segment_view": EVERYONE,
    "channel_shift_calculate": EVERYONE,
    # the test city does not publish its self-assessment: its role holders read it, nobody else (404)
    "assessment": CITY_STAFF,
    "assessment_snapshots": CITY_STAFF,
    "benchmark": EVERYONE,
    "opendata_rows": EVERYONE,
    "opendata_sql": EVERYONE,
    "opendata_sql_post": EVERYONE,
    "opendata_bulk": EVERYONE,
    # take-up statistics are the stewards' and the programme's working figures
    "opendata_take_up": CITY_STAFF,
    # the signed-in person's own account
    "me": EVERYONE - {"anonymous"},
    # uploading a version of organisation A's distribution: its stewards and the administrators
    "opendata_upload": ADMINS | {"steward_a"},
    # participation: what people said (display names only) and the engagement figures of public consultations
    "consultation_contributions": EVERYONE,
    "consultation_metrics": EVERYONE,
    "participation_metrics": EVERYONE,
    # observations: readings of a public series, alerts of public series, runs of published KPIs (the test
    # city's are public; non-public ones answer 404 to all but staff, see cityline/observations/tests/test_api.py)
    "series_readings": EVERYONE,
    # uploading readings: who may change the city's series (the stewards of an organisation with series, admins)
    "observations_ingest": ADMINS | {"steward_a"},
    "alerts_list": EVERYONE,
    "alerts_detail": EVERYONE,
    "computation_runs_list": EVERYONE,
    "computation_runs_detail": EVERYONE,
}

GENERIC = re.compile(r"^(?P<prefix>.+)_(?P<op>list|get|create|update|delete|history)$")


#: Principals with a role in some city: the editor opens for them (and lists what their cities hold).
EDITORS = CITY_STAFF | {"padmin_other"}

#: People's records (who took part in a consultation, what they wrote): not the colleague's to read. Only those
#: who work with them open them in the editor (the organiser's contributors, the administrators).
PERSONAL = {"participation.Participant", "participation.Contribution"}


def expected_admin(page: str, kind: str, label: str = "") -> set[str]:
    """Who opens an editor page of a model of this kind (``a``/``b``: a record of organisation A / B or
    outcome X / Y in the test city). Viewing is the colleague's right: every role holder of the city sees
    the city's records; adding is asked in any city of the principal; deleting is the writer's right.
    People's records (:data:`PERSONAL`) are read only by those who may moderate them."""
    if kind == "platform_only":
        return {"platform"}
    if label in PERSONAL and page in ("changelist", "change_a", "change_b"):
        if page == "changelist":  # opens for anyone who moderates somewhere (listing only their own)
            return set(WRITE_POLICY[kind]["update"]) | {"padmin_other"}
        return set(WRITE_POLICY[kind]["update"]) if page == "change_a" else set(ADMINS)
    if page == "changelist":
        return set(EDITORS)
    if page == "add":
        return set(WRITE_POLICY[kind]["create"]) | ({"padmin_other"} if WRITE_POLICY[kind]["create"] else set())
    if page in ("change_a", "change_b"):
        return set(CITY_STAFF)
    if page == "delete_a":
        return set(WRITE_POLICY[kind]["delete"])
    if page == "delete_b":
        return set(ADMINS)
    raise AssertionError(page)


def expected_generic(op: str, kind: str, staff_only: bool) -> set[str]:
    if op in ("list", "get", "history"):
        if staff_only and op != "list":
            return set(CITY_STAFF)
        return set(EVERYONE)
    return set(WRITE_POLICY[kind][op])


# --- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    city: Any
    other: Any
    org_a: Any
    org_b: Any
    outcome_x: Any
    outcome_y: Any
    users: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)


def _owner_path(path: str) -> tuple[list[str], str]:
    parts = path.split("__")
    return parts[:-1], parts[-1].removesuffix("_id")


def _resolve(obj, parts: list[str]):
    for p in parts:
        obj = getattr(obj, p, None) if obj is not None else None
    return obj


def assign(obj: models.Model, path: str, owner: models.Model) -> None:
    """Make ``obj`` belong to ``owner`` along a Scope lookup path (``dataset__publisher_id``), without history."""
    hops, last = _owner_path(path)
    holder = _resolve(obj, hops)
    type(holder)._default_manager.filter(pk=holder.pk).update(**{last: owner})


def make_owned(model, city, path: str, owner, *, avoid=None, visible_if: str | None = None) -> models.Model | None:
    """A record of ``model`` in ``city`` belonging to ``owner`` (reassigning one if none does)."""
    qs = model._default_manager.filter(city=city)
    if visible_if:
        qs = qs.filter(**{visible_if: True})
    found = qs.filter(**{path: owner.pk}).order_by("pk").first()
    if found is not None:
        return found
    candidates = qs.exclude(pk=getattr(avoid, "pk", None)).order_by("pk")
    for obj in candidates:
        hops, _ = _owner_path(path)
        holder = _resolve(obj, hops)
        if holder is None or (avoid is not None and hops and _resolve(avoid, hops) == holder):
            continue
        assign(obj, path, owner)
        return model._default_manager.get(pk=obj.pk)
    return None


def make_matrix_city():
    """A small city: organisations A and B with a person, a document, a procurement entry, a dataset and a
    distribution each; the benefit map of :func:`cityline.benefits.testing.make_realisation_city` with
    realisation plans for outcome X (cleaner air) and outcome Y (quiet streets)."""
    from datetime import date
    from decimal import Decimal

    from cityline.benefits.testing import make_realisation_city
    from cityline.core import actions
    from cityline.core.models import Document
    from cityline.core.testing import make_organisation, make_person
    from cityline.delivery.models import RealisationPlan
    from cityline.opendata.models import Dataset, Distribution
    from cityline.strategy.models import ProcurementEntry, Vision

    city, nodes = make_realisation_city("matrixville")
    actions.create(Vision, city=city, title="A city that works", statement="By 2035 ...", horizon_year=2035)
    for key, plan in (("cleaner-air", "air-plan"), ("quiet-streets", "quiet-plan")):
        actions.create(RealisationPlan, city=city, key=plan, benefit=nodes[key])
    for key in ("org-a", "org-b"):
        org = make_organisation(city, key, name=f"Organisation {key[-1].upper()}")
        make_person(city, f"{key}-person", name=f"Person of {key}", organisation=org)
        actions.create(Document, city=city, key=f"{key}-doc", title=f"Document of {key}", doc_type="policy",
                       owner=org)
        actions.create(ProcurementEntry, city=city, key=f"{key}-buy", title=f"Purchase of {key}", buyer=org,
                       outcome_sought="Something useful", estimated_value=Decimal("1000.00"),
                       expected_tender_date=date(2026, 5, 1), status="planned")
        dataset = actions.create(Dataset, city=city, key=f"{key}-data", title=f"Data of {key}",
                                 description="Synthetic.", publisher=org, licence="CC-BY-4.0", published=True)
        actions.create(Distribution, city=city, key=f"{key}-csv", dataset=dataset, title="CSV", format="CSV",
                       media_type="text/csv")
        make_consultation(city, org, key)
    make_observations(city)
    return city


def make_observations(city) -> None:
    """A public series of each organisation, a KPI computation, an alert rule over both, and one record of each
    log Cityline writes (alert, computation run, quarantined message, NGSI-LD entity) (issue 6)."""
    from datetime import date, datetime, timezone
    from decimal import Decimal

    from cityline.benefits.models import Kpi
    from cityline.core import actions
    from cityline.core.models import Organisation
    from cityline.observations import models as om

    series = [actions.create(om.Series, city=city, key=f"{key}-pm25", name=f"PM2.5 of {key}", group="air",
                             entity_type="AirQualityObserved", attribute="pm25", public=True,
                             organisation=Organisation.objects.get(city=city, key=key)) for key in ("org-a", "org-b")]
    kpi = Kpi.objects.filter(city=city).order_by("-published", "key").first()
    computation = actions.create(om.KpiComputation, city=city, kpi=kpi,
                                 spec={"value": {"series": {"group": "air"}, "function": "mean"}})
    rule = actions.create(om.AlertRule, city=city, key="pm25-high", name="PM2.5 high", threshold=Decimal("25"),
                          m2m={"series": series})
    when = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
    om.Alert.objects.create(city=city, rule=rule, series=series[0], started_at=when, raised_at=when,
                            trigger_value=30, peak_value=30, message="PM2.5 high")
    om.ComputationRun.objects.create(city=city, computation=computation, period_start=date(2026, 3, 1),
                                     period_end=date(2026, 3, 31), spec_version=1, engine="duckdb", status="no_data")
    om.QuarantinedMessage.objects.create(city=city, source="mqtt", origin="matrix/air", payload="{", reason="not JSON",
                                         received_at=when)
    om.NgsiEntity.objects.create(city=city, entity_id="urn:ngsi-ld:AirQualityObserved:matrix",
                                 entity_type="AirQualityObserved", body={}, created_at=when, modified_at=when)


def make_consultation(city, org, key: str) -> None:
    """An open consultation of ``org`` with a survey question, a draft response with an item, and one
    offline participant's contribution with a moderation log entry (participation, B3)."""
    from datetime import date

    from cityline.core import actions
    from cityline.participation import models as pm

    consultation = actions.create(pm.Consultation, city=city, key=f"{key}-consultation", title=f"Consultation of {key}",
                                  organiser=org, question="What should change?", opens_on=date(2026, 1, 1),
                                  closes_on=date(2026, 12, 31), channels=["online", "post"])
    actions.update(consultation, status="open")
    actions.create(pm.SurveyQuestion, city=city, consultation=consultation, number=1, text="Agree?", kind="scale",
                   scale_min=1, scale_max=5)
    response = actions.create(pm.ConsultationResponse, city=city, consultation=consultation, summary="Thank you.")
    actions.create(pm.ResponseItem, city=city, response=response, number=1, you_said="More trees",
                   we_did="Planted 40", outcome="changed")
    person = pm.Participant.objects.create(city=city, consultation=consultation, display_name=f"Resident {key}",
                                           channel="post")
    contribution = pm.Contribution.objects.create(city=city, consultation=consultation, participant=person,
                                                  body="Please plant more trees.")
    pm.ModerationEvent.objects.create(city=city, contribution=contribution, action="dismiss", reason="Not abuse.")


def build_world(city) -> World:
    """Organisations A and B, outcomes X and Y, a second city and every principal's account and client."""
    from cityline.benefits.choices import NodeKind
    from cityline.core.models import Organisation
    from cityline.core.testing import make_city
    from cityline.delivery.models import RealisationPlan

    outcome_x = RealisationPlan.objects.get(city=city, key="air-plan").benefit
    outcome_y = RealisationPlan.objects.get(city=city, key="quiet-plan").benefit
    assert {outcome_x.kind, outcome_y.kind} <= {NodeKind.END_OUTCOME, NodeKind.INTERMEDIATE_OUTCOME}
    other = make_city("matrix-other", "Other Town")
    world = World(city=city, other=other, org_a=Organisation.objects.get(city=city, key="org-a"),
                  org_b=Organisation.objects.get(city=city, key="org-b"), outcome_x=outcome_x, outcome_y=outcome_y)
    User = get_user_model()
    for name in PRINCIPALS:
        if name == "anonymous":
            world.clients[name] = Client()
            continue
        user = User.objects.create_user(f"m-{name}", f"{name}@matrix.example", "matrix-password")
        if name == "contributor_a":
            grant(user, "contributor", organisation=world.org_a)
        elif name == "steward_a":
            grant(user, "data_steward", organisation=world.org_a)
        elif name == "owner_x":
            grant(user, "benefit_owner", outcome=outcome_x)
        elif name == "padmin":
            grant(user, "programme_admin", city=city)
        elif name == "padmin_other":
            grant(user, "programme_admin", city=other)
        elif name == "platform":
            grant(user, "platform_admin")
        client = Client()
        client.force_login(user)
        world.users[name] = user
        world.clients[name] = client
    return world
