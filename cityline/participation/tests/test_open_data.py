"""Participation as open data (B3, B8): suppressed, anonymised, a new version only when the figures change."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from cityline.opendata import services
from cityline.opendata.models import Dataset
from cityline.participation import opendata
from cityline.participation.models import Participant

from .metrics_world import FREE_TEXT, add_people, make_metrics_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_metrics_world()


def _files(city) -> dict[str, bytes]:
    out = {}
    for spec in opendata.SPECS:
        dist = Dataset.objects.get(city=city, key=spec.key).distributions.get(generated=spec.generated)
        version = dist.latest_version()
        out[spec.key] = services.stored_path(version.path).read_bytes() if version else b""
    return out


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_publish_creates_four_public_datasets_with_suppressed_figures(world):
    city, r = world
    results = opendata.publish(city, today=date(2025, 9, 1))
    assert [(x["dataset"], x["action"], x["version"]) for x in results] == [
        (s.key, "created", 1) for s in opendata.SPECS]
    for spec in opendata.SPECS:
        dataset = Dataset.objects.get(city=city, key=spec.key)
        assert dataset.public and dataset.publisher.key == "council"
    files = _files(city)

    consultations = {row["consultation"]: row for row in _rows(files["participation-consultations"])}
    assert set(consultations) == {"bus-routes", "park-plan", "cycle-lanes", "library-hours"}  # not the draft
    bus = consultations["bus-routes"]
    assert (bus["participants"], bus["contributions"], bus["proposals"], bus["hidden_contributions"],
            bus["supports"], bus["survey_responses"]) == ("14", "3", "1", "1", "5", "14")
    assert (bus["response_published_on"], bus["days_to_respond"], bus["responded_in_target"]) == (
        "2025-03-01", "19", "true")
    assert consultations["park-plan"]["responded_in_target"] == "false"  # 60 days passed on 1 September

    breakdown = _rows(files["participation-breakdown"])
    district = {row["group"]: row for row in breakdown
                if row["consultation"] == "bus-routes" and row["dimension"] == "district"}
    assert district["North"]["participants"] == "7"
    # the group of 3 (South) never appears with its count, nor does the group that would give it away
    assert (district["South"]["participants"], district["South"]["suppressed"]) == ("", "true")
    assert district["not_given"]["participants"] == ""
    assert not any(row["participants"] in {"1", "2", "3", "4"} for row in breakdown)

    survey_rows = [row for row in _rows(files["participation-survey-results"]) if row["consultation"] == "bus-routes"]
    survey = {row["option"]: row for row in survey_rows}
    assert survey["Bike"]["count"] == "8" and survey["Bus"]["count"] == "" and survey["Car"]["count"] == ""
    assert {row["question_number"] for row in survey_rows} == {"1"}  # question 2 is free text

    responses = _rows(files["participation-responses"])
    assert [(row["consultation"], row["item_number"], row["outcome"]) for row in responses] == [
        ("bus-routes", "1", "changed"), ("bus-routes", "2", "not_changed")]


def test_no_personal_data_in_any_file(world):
    city, r = world
    opendata.publish(city, today=date(2025, 9, 1))
    text = b"\n".join(_files(city).values()).decode("utf-8")
    people = Participant.objects.filter(city=city)
    assert people.count() == 20
    for p in people:
        assert p.display_name not in text
    users = get_user_model().objects.filter(username__startswith="resident-")
    assert users.count() > 15
    for user in users:
        assert user.username not in text and user.email not in text
    assert FREE_TEXT not in text and "More evening buses" not in text and "Abusive" not in text
    for spec in opendata.SPECS:
        assert not {"user", "user_id", "display_name", "email", "participant", "body"} & set(spec.header)


def test_a_new_version_only_when_the_figures_change(world):
    city, r = world
    opendata.publish(city, today=date(2025, 9, 1))
    again = opendata.publish(city, today=date(2025, 9, 1))
    assert [(x["action"], x["version"]) for x in again] == [("unchanged", None)] * 4
    add_people(r["q2"], 1, start=50, district="Centre")
    changed = {x["dataset"]: x for x in opendata.publish(city, today=date(2025, 9, 1))}
    assert changed["participation-consultations"]["version"] == 2
    assert changed["participation-breakdown"]["version"] == 2  # Centre 6 -> 7
    assert changed["participation-survey-results"]["version"] is None
    assert changed["participation-responses"]["version"] is None


def test_nothing_for_a_city_without_public_consultations(world):
    from cityline.participation.models import Consultation

    city, r = world
    Consultation.objects.filter(city=city).exclude(status="draft").update(status="draft")  # (people took part:
    # not deleted)
    assert opendata.publish(city) == []
    assert not Dataset.objects.filter(city=city, key__startswith="participation-").exists()
