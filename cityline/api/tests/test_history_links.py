"""Many-to-many changes in the history name the linked records to staff only (B10, C2.f).

A change to a record's links is noted in the change's reason ("kpis: [] → [Cycling share, Noise]");
a reader without a role reads the note without the names: the linked records may be hidden from them.
"""

from __future__ import annotations

import json

import pytest

from cityline.benefits.models import Kpi
from cityline.benefits.testing import make_realisation_city
from cityline.citizen_services import models as cs
from cityline.core import actions
from cityline.core.history import object_history
from cityline.core.models import Organisation

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cities/testville"


@pytest.fixture
def team(db):
    city, _nodes = make_realisation_city()
    noise = Kpi.objects.get(city=city, key="noise")
    assert not noise.published and Kpi.objects.get(city=city, key="cycling-share").published
    noise_title = noise.title
    segment = actions.create(cs.CustomerSegment, city=city, key="cyclists", name="Cyclists")
    team = actions.create(cs.FranchiseTeam, city=city, key="cycling-team", name="Cycling team", segment=segment)
    actions.update(team, m2m={"kpis": list(Kpi.objects.filter(city=city, key__in=["noise", "cycling-share"]))},
                   reason="teams reviewed")
    return team, noise_title


def test_the_stored_note_names_the_links(team):
    team, noise_title = team
    reason = object_history(team)[0].reason
    assert reason.startswith("teams reviewed; kpis: [] → [") and noise_title in reason


@pytest.mark.parametrize("path", ["/history?_limit=500", "/franchise-teams/cycling-team/history"])
def test_the_public_history_does_not_name_an_unpublished_kpi(client, team, path):
    _team, noise_title = team
    entries = client.get(BASE + path).json()["results"]
    raw = json.dumps(entries)
    assert noise_title not in raw and not any("noise" in e["reason"].lower() for e in entries)
    link_change = next(e for e in entries if e["object_key"] == "cycling-team" and e["kind"] == "changed")
    assert link_change["reason"] == "teams reviewed; kpis: links changed"


def test_staff_keep_the_full_note(staff_client, team):
    _team, noise_title = team
    entries = staff_client.get(f"{BASE}/franchise-teams/cycling-team/history").json()["results"]
    assert noise_title in entries[0]["reason"] and entries[0]["reason"].startswith("teams reviewed; kpis: [] → [")


def test_public_reason_keeps_the_free_text_and_every_link_field():
    from cityline.core.history import public_reason

    team_model = cs.FranchiseTeam
    assert public_reason("merger", team_model) == "merger"
    assert public_reason("", team_model) == ""
    assert public_reason("kpis: [Noise] → []", team_model) == "kpis: links changed"
    # a name that looks like a separator cannot smuggle text out: everything after the first note is redacted
    assert public_reason("import; kpis: [A; b] → [Secret; kpis: [x]", team_model) == "import; kpis: links changed"
    # a model without many-to-many fields keeps its reason as stored
    assert public_reason("kpis: [Noise] → []", Organisation) == "kpis: [Noise] → []"
