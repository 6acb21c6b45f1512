"""Attestations, settings, context, snapshots and their differences (ISO 37106 C2.e; B2.g)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cityline.assessment import services
from cityline.assessment.models import AssessmentSettings, Attestation, Snapshot
from cityline.core import actions

pytestmark = pytest.mark.django_db


def attest(city, person, doc, key="open-1", rec="A.1.4", on=date(2026, 1, 10), expires=date(2027, 1, 10), **extra):
    return actions.create(Attestation, city=city, key=key, recommendation=rec, outcome="met",
                          statement="Open by default: every paper is published", evidence=doc,
                          attested_by=person, attested_on=on, expires=expires, **extra)


def test_an_attestation_names_a_real_recommendation_and_expires_after_it_is_made(town, sandbox):
    city, person, _bmap, survey = town
    with pytest.raises(ValidationError) as err:
        attest(city, person, survey, rec="B99.z")
    assert list(err.value.message_dict) == ["recommendation"]
    with pytest.raises(ValidationError) as err:
        attest(city, person, survey, expires=date(2026, 1, 10))
    assert list(err.value.message_dict) == ["expires"]
    assert not Attestation.objects.exists()


def test_settings_refuse_unknown_thresholds_and_non_numbers(town, sandbox):
    city = town[0]
    with pytest.raises(ValidationError) as err:
        actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": 2, "freshnes_days": 3})
    assert "freshnes_days" in err.value.message_dict["thresholds"][0]
    with pytest.raises(ValidationError) as err:
        actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": "two"})
    assert list(err.value.message_dict) == ["thresholds"]
    s = actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": 2}, publish=True)
    assert services.is_published(city) and s.thresholds == {"min_frameworks": 2}


def test_settings_refuse_values_that_would_give_wrong_results_naming_each(town):
    """A share of 60 (meant as 60 %), one licence written as text, a fraction of days: the old check let them in
    and C2.f, C2.g fell to not met ("0 of 75 published KPIs carry an open licence ... (CC-BY-4.0)")."""
    city = town[0]
    bad = {"c2f_min_share": 60, "c2g_open_licences": "CC-BY-4.0", "c3d_meeting_days": 90.5, "b1a_min_share": 0.6}
    with pytest.raises(ValidationError) as err:
        actions.create(AssessmentSettings, city=city, thresholds=bad)
    assert err.value.message_dict["thresholds"] == [
        "c2f_min_share is a share: a number from 0 to 1 (0.6 for 60%), not 60",
        'c2g_open_licences must be a list of identifiers (e.g. [CC-BY-4.0, CC0-1.0]), not "CC-BY-4.0"',
        "c3d_meeting_days must be a whole number of at least 0, not 90.5",
    ]
    assert not AssessmentSettings.objects.exists()
    good = {"c2f_min_share": 0.6, "c2g_open_licences": ["CC-BY-4.0"], "c3d_meeting_days": 90}
    assert actions.create(AssessmentSettings, city=city, thresholds=good).thresholds == good


def test_an_attestation_is_refused_for_a_recommendation_the_records_alone_show(town):
    """B2.a (named accountable leads) reads the records only: an attestation of it used to be stored and then
    silently counted for nothing; it is refused, naming the recommendations that do take one."""
    city, person, _bmap, survey = town
    with pytest.raises(ValidationError) as err:
        attest(city, person, survey, rec="B2.a")
    message = err.value.message_dict["recommendation"][0]
    assert message.startswith("B2.a is assessed from the city's records alone") and "B4.c.5" in message
    assert not Attestation.objects.exists()
    assert attest(city, person, survey, rec="B4.c.5").pk


def test_context_for_loads_thresholds_and_the_attestation_current_on_the_date(town, sandbox):
    city, person, _bmap, survey = town
    attest(city, person, survey, key="old", on=date(2025, 1, 1), expires=date(2025, 12, 31))
    attest(city, person, survey, key="new", on=date(2026, 1, 10), expires=date(2026, 12, 31))
    actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": 3})

    ctx = services.context_for(city, date(2026, 6, 1))
    assert ctx.thresholds == {"min_frameworks": 3}
    att = ctx.attestations["A.1.4"]
    assert (att.key, att.outcome, att.expires) == ("new", "met", date(2026, 12, 31))
    assert (att.evidence.kind, att.evidence.key, att.evidence.label) == ("core.document", "culture-survey",
                                                                         "Culture survey 2026")
    assert services.context_for(city, date(2025, 6, 1)).attestations["A.1.4"].key == "old"
    assert services.context_for(city, date(2024, 6, 1)).attestations == {}


def test_assess_applies_thresholds_and_attestations_and_rolls_up(town, sandbox):
    city, person, _bmap, survey = town
    attest(city, person, survey, on=date(2026, 1, 10), expires=date(2026, 6, 30))
    a = services.assess(city, date(2026, 3, 1))
    assert [(r.id, r.outcome, r.attestation) for r in a.results] == [
        ("A.1.4", "met", "open-1"), ("C1", "partly_met", None), ("C2.a", "met", None)]
    assert a.maturity.component("C").score == 0.75 and a.maturity.component("A").score == 1.0
    assert a.maturity.score == pytest.approx(2.5 / 3)
    assert [g.as_dict() for g in a.gaps] == [
        {"id": "C1", "outcome": "partly_met", "blocks": ["C2.a"], "blocks_count": 1, "effort": "high"}]
    # after the attestation expires, A.1.4 falls back to what the data shows
    later = services.assess(city, date(2026, 7, 1))
    assert later.results[0].outcome == "not_met"
    actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": 2})
    assert services.assess(city, date(2026, 3, 1)).results[2].outcome == "not_met"


def test_snapshot_and_diff_name_the_rules_that_moved_and_the_record_changes_behind_them(
        town, sandbox, today, yesterday):
    city, person, bmap, survey = town
    first = services.take_snapshot(city, yesterday)
    assert [(r["id"], r["outcome"]) for r in first.results] == [
        ("A.1.4", "not_met"), ("C1", "partly_met"), ("C2.a", "met")]
    assert first.maturity["counts"] == {"met": 1, "partly_met": 1, "not_met": 1, "not_applicable": 0}

    actions.update(bmap, version=bmap.version, status="published", published_on=today)
    actions.create(AssessmentSettings, city=city, thresholds={"min_frameworks": 2})
    second = services.take_snapshot(city, today)
    again = services.take_snapshot(city, today)              # same day: replaced, not duplicated
    assert again.pk == second.pk and Snapshot.objects.filter(city=city).count() == 2

    moves = services.diff(first, second)
    assert [(m.id, m.before, m.after) for m in moves] == [("C1", "partly_met", "met"), ("C2.a", "met", "not_met")]
    c1, c2a = moves
    assert [(c.kind, c.model, c.object_repr) for c in c1.changes] == [
        ("created", "core.document", "Benefit map"), ("changed", "core.document", "Benefit map")]
    assert {f["field"] for f in c1.changes[1].fields} == {"status", "published_on"}
    assert c1.explanation == ""
    assert c2a.changes == [] and c2a.explanation == "no recorded change to its evidence"
    assert services.diff(second, first)[0].before == "partly_met"     # order does not matter
