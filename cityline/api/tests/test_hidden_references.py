"""A record anyone may read does not reveal the records only staff see through its references (C2.f)."""

from __future__ import annotations

import pytest
from django.test import Client

from cityline.benefits.models import Kpi
from cityline.benefits.testing import make_realisation_city
from cityline.citizen_services import models as cs
from cityline.core import actions

pytestmark = pytest.mark.django_db

TEAMS = "/api/v1/cities/testville/franchise-teams"


@pytest.fixture
def team(db):
    city, _nodes = make_realisation_city()
    assert not Kpi.objects.get(city=city, key="noise").published
    segment = actions.create(cs.CustomerSegment, city=city, key="cyclists", name="Cyclists")
    return actions.create(cs.FranchiseTeam, city=city, key="cycling-team", name="Cycling team", segment=segment,
                          m2m={"kpis": list(Kpi.objects.filter(city=city, key__in=["noise", "cycling-share"]))})


def test_an_unpublished_kpi_is_left_out_of_a_public_record_for_the_public(client, team):
    assert client.get(f"{TEAMS}/cycling-team").json()["kpis"] == ["cycling-share"]
    assert client.get(TEAMS).json()["results"][0]["kpis"] == ["cycling-share"]


def test_staff_see_every_reference(staff_client, team):
    assert staff_client.get(f"{TEAMS}/cycling-team").json()["kpis"] == ["cycling-share", "noise"]
    assert staff_client.get(TEAMS).json()["results"][0]["kpis"] == ["cycling-share", "noise"]


def test_a_staff_write_answers_with_every_reference(staff_client, team):
    r = staff_client.patch(f"{TEAMS}/cycling-team", {"name": "Cycling"}, content_type="application/json",
                           HTTP_IF_MATCH=f'"{team.version}"')
    assert r.status_code == 200 and r.json()["kpis"] == ["cycling-share", "noise"]


def test_a_single_reference_to_an_unpublished_kpi_is_null_for_the_public(team):
    from cityline.api import generic
    from cityline.benefits.models import Measurement

    resource = generic.REGISTRY[Measurement]
    hidden, shown = (Measurement.objects.filter(kpi__key=key).first() for key in ("noise", "cycling-share"))
    visible = generic.public_targets(resource, team.city, [hidden, shown])
    assert generic.serialize(resource, hidden, staff=False, visible=visible)["kpi"] is None
    assert generic.serialize(resource, shown, staff=False, visible=visible)["kpi"] == "cycling-share"
    assert generic.serialize(resource, hidden, staff=True)["kpi"] == "noise"
