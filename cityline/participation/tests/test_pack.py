"""The participation section of city packs: byte-identical round trip, state checks, errors that name the row.

People's contributions never travel; a response item's change (``change_id``) stays in its instance.
"""

from datetime import date

import pytest

from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.core.tests.packs_helpers import edit
from cityline.participation import models as m
from cityline.participation import services
from cityline.participation.testing import make_participation_city, make_person
from cityline.strategy import models as sm

pytestmark = pytest.mark.django_db


def _with_response(city, r):
    """The closed consultation gets a published response whose item names a real change of an initiative."""
    initiative = sm.Initiative.objects.get(city=city, key="library-wifi")
    actions.update(initiative, reason="You said, we did: longer hours", description="Open until 8 pm on Thursdays.")
    change = initiative.history.order_by("-history_id").first().history_id
    response = actions.create(m.ConsultationResponse, city=city, consultation=r["closed"],
                              summary="Most people asked for evening hours.")
    item = actions.create(m.ResponseItem, city=city, response=response, number=1, you_said="Open later.",
                          we_did="Thursdays until 8 pm.", outcome="changed", record_type="strategy.Initiative",
                          record_key="library-wifi", change_id=change)
    # ``reason`` is also the change reason of actions.create: build the item, then save it
    actions.save(m.ResponseItem(city=city, response=response, number=2, you_said="Open on Sundays.",
                                we_did="Not this year.", outcome="not_changed", reason="No staff budget for Sundays."))
    services.publish_response(r["closed"], on=date(2026, 11, 1), notify=False)
    return item, change


def _with_contributions(r):
    person = make_person("resident-a")
    p = services.join(r["open"], person, display_name="Alex P.")
    services.contribute(p, "Please start with Quay Road, it is the most dangerous.")
    services.answer_survey(p, {1: "Bike"})


def test_round_trip_is_byte_identical_and_leaves_people_out(tmp_path):
    from cityline.benefits.models import Kpi

    city, r = make_participation_city()
    _with_response(city, r)
    _with_contributions(r)
    kpi = Kpi.objects.filter(city=city).order_by("key").first()
    if kpi is not None:
        actions.create(m.EngagementKpiFeed, city=city, kpi=kpi, metric="responded_in_target", period="quarter")
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(city.key, first)
    text = (first / "participation.yaml").read_text()
    assert "districts: [North, South, Centre]" in text
    assert "key: cycle-lanes" in text and "options: [Bike, Bus, Car, On foot]" in text
    assert "record_key: library-wifi" in text and "status: responded" in text
    assert "change_id" not in text
    for personal in ("Alex P.", "Quay Road, it is", "resident-a", "mail.example.org"):
        assert personal not in text
    actions.delete(City.objects.get(key=city.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("consultations").created == 3
    assert report.count("consultations.questions").created == 4
    assert report.count("responses.items").created == 2
    c = m.Consultation.objects.get(city__key=city.key, key="library-hours")
    assert c.status == "responded" and c.response.status == "published"
    assert m.Participant.objects.count() == 0
    export_pack(city.key, second)
    assert (first / "participation.yaml").read_bytes() == (second / "participation.yaml").read_bytes()


def test_reimport_keeps_the_change_chosen_in_the_instance(tmp_path):
    city, r = make_participation_city()
    item, change = _with_response(city, r)
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    edit(pack, "participation.yaml", "we_did: Thursdays until 8 pm.", "we_did: Thursdays and Fridays until 8 pm.")
    report = import_pack(pack, progress=False, trusted=True)
    assert report.count("responses.items").updated == 1
    item.refresh_from_db()
    assert item.we_did == "Thursdays and Fridays until 8 pm." and item.change_id == change


def test_a_responded_consultation_needs_a_published_response(tmp_path):
    city, r = make_participation_city()
    _with_response(city, r)
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    edit(pack, "participation.yaml", "  status: published\n", "  status: draft\n")
    before = list(m.ConsultationResponse.objects.values_list("status", "version"))
    with pytest.raises(PackError) as exc:
        import_pack(pack, progress=False, trusted=True)
    problems = [str(p) for p in exc.value.problems]
    assert any(p.startswith("participation.yaml") and "consultations.library-hours.status" in p
               and "published" in p for p in problems), problems
    assert list(m.ConsultationResponse.objects.values_list("status", "version")) == before


@pytest.mark.parametrize("old, new, field, expected", [
    ("kind: scale", "kind: slider", "kind", "slider"),
    ("channels: [online, post]", "channels: [online, pigeon]", "channels", "pigeon"),
    ("record_key: library-wifi", "record_key: no-such-initiative", "record_key", "no-such-initiative"),
    ("allows_anonymous: true", "allows_anonymus: true", "allows_anonymus", "allows_anonymous"),
])
def test_bad_input_names_file_line_and_field_and_writes_nothing(tmp_path, old, new, field, expected):
    city, r = make_participation_city()
    _with_response(city, r)
    pack = tmp_path / "pack"
    export_pack(city.key, pack)
    line = edit(pack, "participation.yaml", old, new)
    before = (list(m.Consultation.objects.values_list("key", "version")),
              list(m.SurveyQuestion.objects.values_list("pk", "version")),
              list(m.ResponseItem.objects.values_list("pk", "version")))
    with pytest.raises(PackError) as exc:
        import_pack(pack, progress=False, trusted=True)
    problems = [str(p) for p in exc.value.problems]
    assert any(p.startswith(f"participation.yaml:{line}:") and field in p and expected in p for p in problems), \
        (line, problems)
    after = (list(m.Consultation.objects.values_list("key", "version")),
             list(m.SurveyQuestion.objects.values_list("pk", "version")),
             list(m.ResponseItem.objects.values_list("pk", "version")))
    assert after == before


def test_an_items_change_is_not_copied_into_its_own_history_rows():
    """``ResponseItem.change_id`` names another record's change; its own history keeps separate rows."""
    city, r = make_participation_city()
    item, change = _with_response(city, r)
    rows = item.history.count()
    actions.update(item, we_did="Thursdays until 8.30 pm.")
    actions.update(item, we_did="Thursdays until 9 pm.")
    assert item.history.count() == rows + 2
    assert sorted(item.history.values_list("history_type", flat=True)) == ["+", "~", "~"]
    assert item.history.first().instance.we_did == "Thursdays until 9 pm."
    item.refresh_from_db()
    assert item.change_id == change
