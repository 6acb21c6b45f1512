"""``cityline participation``: tick (close on the date), list, publish-response, with --user (B1.b, B3, B10)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cityline import cli
from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import Organisation
from cityline.participation import services
from cityline.participation.models import Consultation, ConsultationResponse, Participant, ResponseItem
from cityline.participation.testing import make_participation_city, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_participation_city()


def test_help_lists_every_action(capsys):
    with pytest.raises(SystemExit):
        cli.main(["participation", "--help"])
    out = capsys.readouterr().out
    for action in ("tick", "list", "publish-response"):
        assert action in out


def test_tick_closes_what_is_past_its_closing_date_and_is_safe_to_repeat(world, capsys):
    city, r = world
    assert cli.main(["participation", "tick", city.key]) == 0
    assert "No open consultation in riverford is past its closing date" in capsys.readouterr().out
    later = (timezone.localdate() + timedelta(days=21)).isoformat()
    assert cli.main(["participation", "tick", "--on", later]) == 0
    out = capsys.readouterr().out
    assert "closed riverford/cycle-lanes (Safer cycle lanes)" in out
    consultation = Consultation.objects.get(pk=r["open"].pk)
    assert (consultation.status, consultation.closed_on) == ("closed", consultation.closes_on)
    assert cli.main(["participation", "tick", city.key, "--on", later]) == 0
    assert "No open consultation" in capsys.readouterr().out


def test_list_shows_status_dates_and_figures(world, capsys):
    city, r = world
    services.contribute(services.join(r["open"], make_person("ann"), display_name="Ann R."), "Quay Road first.")
    assert cli.main(["participation", "list", city.key]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("cycle-lanes"))
    assert "open" in line and "Safer cycle lanes" in line and r["open"].closes_on.isoformat() in line
    assert line.split()[4:6] == ["1", "1"]
    assert "draft-plan" in out and "library-hours" in out
    assert cli.main(["participation", "list", city.key, "--json"]) == 0
    rows = {row["key"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows["cycle-lanes"]["participants"], rows["library-hours"]["status"]) == (1, "closed")


def test_unknown_names_exit_2_naming_them(world, capsys):
    assert cli.main(["participation", "list", "nowhere"]) == 2
    assert "no city 'nowhere' (cities: riverford)" in capsys.readouterr().err
    assert cli.main(["participation", "publish-response", "riverford", "nope"]) == 2
    assert "no consultation 'nope' in riverford (consultations: cycle-lanes, draft-plan, library-hours)" in (
        capsys.readouterr().err)
    assert cli.main(["participation", "publish-response", "riverford", "library-hours", "--user", "ghost"]) == 2
    assert "ghost" in capsys.readouterr().err


def test_publish_response_refuses_with_the_reason_then_publishes_and_tells_participants(
        world, capsys, django_capture_on_commit_callbacks):
    city, r = world
    # someone who took part while it was open and asked to be told
    Participant.objects.create(city=city, consultation=r["closed"], user=make_person("ann"), display_name="Ann R.")
    assert cli.main(["participation", "publish-response", city.key, "library-hours"]) == 1
    err = capsys.readouterr().err
    assert "riverford/library-hours (Library opening hours) was not published" in err
    assert "write the response first" in err and "nothing was changed" in err
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"], summary="Thanks.")
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="Open later",
                   we_did="Open until 8 pm", outcome="changed")
    with django_capture_on_commit_callbacks(execute=True):
        assert cli.main(["participation", "publish-response", city.key, "library-hours"]) == 0
    assert "published the response of riverford/library-hours" in capsys.readouterr().out
    assert Consultation.objects.get(pk=r["closed"].pk).status == "responded"
    assert [m.to for m in mail.outbox] == [["ann@mail.example.org"]]


def test_user_option_needs_the_organisers_role(world, capsys, monkeypatch):
    city, r = world
    response = actions.create(ConsultationResponse, city=city, consultation=r["closed"], summary="Thanks.")
    actions.create(ResponseItem, city=city, response=response, number=1, you_said="a", we_did="b",
                   outcome="changed")
    outsider = make_person("uni-staff")
    grant(outsider, "contributor", organisation=Organisation.objects.get(city=city, key="uni"))
    assert cli.main(["participation", "publish-response", city.key, "library-hours", "--user", "uni-staff"]) == 1
    err = capsys.readouterr().err
    assert "uni-staff may not change consultation 'library-hours' of riverford" in err
    assert Consultation.objects.get(pk=r["closed"].pk).status == "closed"
    organiser = make_person("council-staff")
    grant(organiser, "contributor", organisation=r["council"])
    monkeypatch.setenv("CITYLINE_USER", "council-staff")
    assert cli.main(["participation", "publish-response", city.key, "library-hours", "--no-notify"]) == 0
    published = ConsultationResponse.objects.get(pk=response.pk)
    assert published.status == "published"
    assert published.history.order_by("-history_date").first().history_user == organiser
    later = (timezone.localdate() + timedelta(days=21)).isoformat()
    monkeypatch.setenv("CITYLINE_USER", "uni-staff")
    assert cli.main(["participation", "tick", city.key, "--on", later]) == 1
    assert "uni-staff may not change consultation 'cycle-lanes'" in capsys.readouterr().err
    assert Consultation.objects.get(pk=r["open"].pk).status == "open"
