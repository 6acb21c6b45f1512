"""The actions layer: validation, optimistic locking, history, city boundaries."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from cityline.core import actions, history
from cityline.core.models import Document, Organisation, Person
from cityline.core.testing import make_city, make_organisation, make_person

pytestmark = pytest.mark.django_db


def test_create_validates_choices_and_writes_nothing():
    city = make_city()
    with pytest.raises(ValidationError) as err:
        actions.create(Organisation, city=city, key="x", name="X", sector="galactic")
    assert "sector" in err.value.message_dict
    assert not Organisation.objects.filter(key="x").exists()


def test_duplicate_key_in_city_is_refused_but_allowed_in_other_city():
    a, b = make_city("a", "A"), make_city("b", "B")
    make_organisation(a, "council")
    make_organisation(b, "council")
    with pytest.raises(ValidationError):
        make_organisation(a, "council")
    assert Organisation.objects.filter(key="council").count() == 2


def test_reference_across_cities_is_refused():
    a, b = make_city("a", "A"), make_city("b", "B")
    org_b = make_organisation(b, "council")
    with pytest.raises(ValidationError) as err:
        make_person(a, "ada", organisation=org_b)
    assert "organisation" in err.value.message_dict


def test_many_to_many_link_across_cities_is_refused_naming_the_field_and_the_target():
    """Every face sets many-to-many links through actions.save: a link to another city's record is refused."""
    import datetime

    from cityline.strategy.models import GovernanceBody, Meeting

    a, b = make_city("a", "A"), make_city("b", "B")
    paper_a = actions.create(Document, city=a, key="minutes", title="Minutes of A", doc_type="plan")
    paper_b = actions.create(Document, city=b, key="secret", title="Secret paper of B", doc_type="plan")
    board = actions.create(GovernanceBody, city=a, key="board", name="Board", level="strategic", remit="Steers.")
    fields = dict(city=a, key="m1", body=board, date=datetime.date(2026, 3, 1), title="March")
    with pytest.raises(ValidationError) as err:
        actions.create(Meeting, m2m={"papers": [paper_a, paper_b]}, **fields)
    assert list(err.value.message_dict) == ["papers"]
    assert "Secret paper of B" in err.value.message_dict["papers"][0] and "(B)" in err.value.message_dict["papers"][0]
    assert not Meeting.objects.filter(key="m1").exists()
    meeting = actions.create(Meeting, m2m={"papers": [paper_a]}, **fields)
    # given by primary key (as a caller holding only ids would): looked up, refused the same way
    with pytest.raises(ValidationError) as err:
        actions.update(meeting, m2m={"papers": [paper_a.pk, paper_b.pk]})
    assert "Secret paper of B" in err.value.message_dict["papers"][0]
    meeting.refresh_from_db()
    assert [p.key for p in meeting.papers.all()] == ["minutes"] and meeting.version == 1


def test_concurrent_edit_raises_conflict_and_keeps_first_write():
    city = make_city()
    org = make_organisation(city, "council", name="City Council")
    first = Organisation.objects.get(pk=org.pk)
    second = Organisation.objects.get(pk=org.pk)
    actions.update(first, name="Metropolitan Council", expected_version=1)
    with pytest.raises(actions.ConflictError) as err:
        actions.update(second, name="Town Council", expected_version=1)
    assert "changed by someone else" in str(err.value)
    stored = Organisation.objects.get(pk=org.pk)
    assert stored.name == "Metropolitan Council"
    assert stored.version == 2


def test_stale_instance_without_explicit_version_also_conflicts():
    city = make_city()
    org = make_organisation(city)
    stale = Organisation.objects.get(pk=org.pk)
    actions.update(org, name="Renamed")
    with pytest.raises(actions.ConflictError):
        actions.update(stale, name="Other")


def test_history_records_who_when_and_before_after():
    user = get_user_model().objects.create_user("editor")
    city = make_city()
    org = make_organisation(city, "council", name="City Council")
    actions.update(org, name="Metropolitan Council", user=user, reason="renamed after merger")
    changes = history.object_history(org)
    assert [c.kind for c in changes] == ["changed", "created"]
    latest = changes[0]
    assert latest.user == "editor"
    assert latest.reason == "renamed after merger"
    assert {"field": "name", "before": "City Council", "after": "Metropolitan Council"} in latest.fields
    timeline = history.city_history(city)
    assert timeline[0].object_repr == "Metropolitan Council"


def test_noop_update_leaves_no_history():
    city = make_city()
    org = make_organisation(city)
    actions.update(org, name=org.name)
    assert org.history.count() == 1
    assert Organisation.objects.get(pk=org.pk).version == 1


def test_delete_keeps_history_and_reports_protected_use():
    city = make_city()
    org = make_organisation(city)
    make_person(city, "ada", organisation=org)
    with pytest.raises(ValidationError) as err:
        actions.delete(org)
    assert "still used by" in str(err.value)
    person = org.people.get()
    actions.delete(person)
    assert [c.kind for c in history.city_history(city, model=type(person))] == ["deleted", "created"]


def test_document_status_only_moves_forward():
    import datetime

    city = make_city()
    doc = actions.create(Document, city=city, key="vision", title="Vision", doc_type="strategy", status="draft")
    actions.update(doc, status="adopted", adopted_on=datetime.date(2025, 1, 10))
    with pytest.raises(ValidationError) as err:
        actions.update(doc, status="draft", adopted_on=None)
    assert "status" in err.value.message_dict
    assert Document.objects.get(pk=doc.pk).status == "adopted"


def test_merged_organisation_needs_successor():
    city = make_city()
    with pytest.raises(ValidationError) as err:
        make_organisation(city, "old", lifecycle="merged")
    assert "successor" in err.value.message_dict


def test_deleting_a_city_removes_its_whole_operating_model_only():
    a, b = make_city("a", "A"), make_city("b", "B")
    for city in (a, b):
        org = make_organisation(city)
        make_person(city, "ada", organisation=org)
    actions.delete(a)
    assert not Organisation.objects.filter(city_id=a.pk).exists()
    assert Organisation.objects.filter(city=b).count() == 1


def test_city_history_filters_by_user_and_model_before_the_limit():
    User = get_user_model()
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    city = make_city()
    org = make_organisation(city, user=alice)
    for i in range(5):
        actions.update(org, description=f"bob's edit {i}", user=bob)
    make_person(city, "ada", user=alice)
    by_alice = history.city_history(city, limit=2, user="alice")
    assert [c.object_repr for c in by_alice] == ["Ada", "Council"]
    assert all(c.user == "alice" for c in by_alice)
    only_people = history.city_history(city, models_=[Person])
    assert [c.model for c in only_people] == ["core.person"]
