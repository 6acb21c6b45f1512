"""``cityline participation publish-data|sync-kpis`` and ``cityline opendata sync-kpis`` refreshing them (B3)."""

from __future__ import annotations

import json

import pytest

from cityline import cli
from cityline.accounts.testing import grant
from cityline.benefits.models import Kpi, Measurement
from cityline.core import actions
from cityline.opendata.models import Dataset
from cityline.participation.models import EngagementKpiFeed
from cityline.participation.testing import make_person

from .metrics_world import make_metrics_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_metrics_world()


def test_help_lists_the_metrics_actions(capsys):
    with pytest.raises(SystemExit):
        cli.main(["participation", "--help"])
    out = capsys.readouterr().out
    assert "publish-data" in out and "sync-kpis" in out


def test_publish_data_and_sync_kpis(world, capsys):
    city, r = world
    kpi = actions.create(Kpi, city=city, key="responded-in-target", title="Responded in target", kind="leading",
                         unit="%", frequency="quarterly")
    actions.create(EngagementKpiFeed, city=city, kpi=kpi, metric="responded_in_target", period="quarter")
    assert cli.main(["participation", "publish-data", city.key]) == 0
    out = capsys.readouterr().out
    assert "participation-consultations: created, version 1" in out
    assert cli.main(["participation", "publish-data", city.key, "--json"]) == 0
    assert {x["action"] for x in json.loads(capsys.readouterr().out)} == {"unchanged"}
    assert cli.main(["participation", "sync-kpis", city.key]) == 0
    out = capsys.readouterr().out
    assert "responded-in-target (responded_in_target, per quarter): " in out
    assert Measurement.objects.filter(kpi=kpi, source="Cityline participation").count() >= 2
    assert cli.main(["participation", "sync-kpis", "nowhere"]) == 2


def test_only_a_programme_administrator_may_run_them(world, capsys):
    city, r = world
    staff = make_person("council-staff")
    grant(staff, "contributor", organisation=r["council"])
    assert cli.main(["participation", "publish-data", city.key, "--user", "council-staff"]) == 1
    assert "nothing was changed" in capsys.readouterr().err
    assert not Dataset.objects.filter(city=city, key__startswith="participation-").exists()
    admin = make_person("programme-admin")
    grant(admin, "programme_admin", city=city)
    assert cli.main(["participation", "publish-data", city.key, "--user", "programme-admin"]) == 0


def test_opendata_sync_kpis_refreshes_the_participation_datasets(world, capsys):
    city, r = world
    assert cli.main(["opendata", "sync-kpis", city.key, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [x["dataset"] for x in body["participation"]] == [
        "participation-consultations", "participation-breakdown", "participation-survey-results",
        "participation-responses"]
    assert Dataset.objects.filter(city=city, key="participation-consultations", published=True).exists()
