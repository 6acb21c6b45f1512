"""The authorisation layer itself: scopes, trust levels, token scopes (B10)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from cityline.accounts import authz
from cityline.accounts.roles import Role, Trust, min_trust, trust_from
from cityline.accounts.testing import grant
from cityline.benefits.choices import NodeKind
from cityline.benefits.testing import node
from cityline.core.testing import make_city, make_organisation
from cityline.opendata.models import Dataset
from cityline.opendata.testing import make_catalogue_city

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def city():
    return make_catalogue_city()


def dataset(city, key):
    return Dataset.objects.get(city=city, key=key)


def who(user, **kw):
    return authz.principal_for_user(User.objects.get(pk=user.pk), **kw)


def test_anonymous_may_do_nothing_beyond_reading_published(city):
    air = dataset(city, "air-quality")
    for action in authz.ACTIONS:
        assert not authz.can(authz.ANONYMOUS, action, air)
    assert not authz.can_read_unpublished(authz.ANONYMOUS, city.pk)


def test_a_citizen_has_no_staff_rights(city):
    citizen = User.objects.create_user("cid")
    p = who(citizen)
    assert [g.role for g in p.grants] == [Role.CITIZEN]
    assert not authz.editor_access(p) and not authz.can(p, "change", dataset(city, "air-quality"))


def test_a_steward_edits_only_their_organisations_datasets(city):
    from cityline.opendata.models import Distribution

    buses = make_organisation(city, "buses-two", name="Other buses", sector="private")
    steward = User.objects.create_user("sam")
    grant(steward, Role.DATA_STEWARD, organisation=dataset(city, "air-quality").publisher)
    p = who(steward)
    air = dataset(city, "air-quality")
    assert authz.can(p, "change", air) and authz.can(p, "delete", air)
    assert authz.can(p, "change", Distribution.objects.get(city=city, key="air-quality-csv"))
    air.publisher = buses  # handing the dataset to another organisation leaves the steward's scope
    assert not authz.can(p, "change", air)
    assert authz.can(p, "view", Dataset) and authz.can_read_unpublished(p, city.pk)
    other = make_city("elsewhere", "Elsewhere")
    assert not authz.can_read_unpublished(p, other.pk)
    assert not authz.can(p, "change", city)  # cities are the platform administrators'


def test_contributors_add_and_change_but_do_not_delete(city):
    from cityline.core.models import Document

    council = dataset(city, "air-quality").publisher
    doc = Document(city=city, key="plan", title="Plan", doc_type="strategy", owner=council)
    contributor = User.objects.create_user("cora")
    grant(contributor, Role.CONTRIBUTOR, organisation=council)
    p = who(contributor)
    assert authz.can(p, "add", doc) and authz.can(p, "change", doc)
    assert not authz.can(p, "delete", doc)
    assert not authz.can(p, "change", dataset(city, "air-quality"))  # open data is the steward's


def test_a_benefit_owner_edits_the_plans_of_their_outcome_only():
    from cityline.delivery.models import RealisationPlan

    city = make_city()
    air = node(city, "cleaner-air", NodeKind.END_OUTCOME, title="Cleaner air")
    jobs = node(city, "jobs", NodeKind.END_OUTCOME, title="More jobs")
    owner = User.objects.create_user("olga")
    grant(owner, Role.BENEFIT_OWNER, outcome=air)
    p = who(owner)
    assert authz.can(p, "add", RealisationPlan(city=city, key="p1", benefit=air))
    assert not authz.can(p, "add", RealisationPlan(city=city, key="p2", benefit=jobs))


def test_role_scope_is_validated():
    city = make_city()
    user = User.objects.create_user("val")
    with pytest.raises(ValidationError) as exc:
        grant(user, Role.DATA_STEWARD)
    assert "organisation" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        grant(user, Role.PLATFORM_ADMIN, city=city)
    assert "city" in exc.value.message_dict
    investment = node(city, "sensors", NodeKind.INVESTMENT, title="Sensors")
    with pytest.raises(ValidationError) as exc:
        grant(user, Role.BENEFIT_OWNER, outcome=investment)
    assert "outcome" in exc.value.message_dict
    org = make_organisation(city)
    assert grant(user, Role.CONTRIBUTOR, organisation=org).city_id == city.pk  # the city follows the scope


def test_roles_count_only_at_their_trust_level(city, settings):
    admin = User.objects.create_user("pam")
    grant(admin, Role.PROGRAMME_ADMIN, city=city)
    air = dataset(city, "air-quality")
    assert authz.can(who(admin, trust=Trust.SUBSTANTIAL), "delete", air)
    assert not authz.can(who(admin, trust=Trust.LOW), "change", air)
    assert not authz.editor_access(who(admin, trust=Trust.LOW))
    settings.CITYLINE_ROLE_MIN_TRUST = {"programme_admin": "high"}
    assert min_trust("programme_admin") == Trust.HIGH
    assert not authz.can(who(admin, trust=Trust.SUBSTANTIAL), "change", air)
    superuser = User.objects.create_superuser("root", password="x")
    assert not who(superuser, trust=Trust.SUBSTANTIAL).platform_admin  # platform administration needs "high"
    assert who(superuser, trust=Trust.HIGH).platform_admin


def test_token_scopes_limit_what_a_token_may_do(city):
    admin = User.objects.create_user("tok")
    grant(admin, Role.PROGRAMME_ADMIN, city=city)
    air = dataset(city, "air-quality")
    read_only = who(admin, scopes=frozenset({"read"}))
    assert authz.can_read_unpublished(read_only, city.pk) and not authz.can(read_only, "change", air)
    with pytest.raises(PermissionDenied, match="no 'write' scope"):
        authz.require(read_only, "change", air)
    write_only = who(admin, scopes=frozenset({"write"}))
    assert authz.can(write_only, "change", air) and not authz.can_read_unpublished(write_only, city.pk)


def test_a_model_without_a_rule_is_for_platform_administrators_only(city):
    from cityline.opendata.models import TakeUpCount

    assert authz.rule_for(TakeUpCount) is None
    admin = User.objects.create_user("pa2")
    grant(admin, Role.PROGRAMME_ADMIN, city=city)
    assert not authz.can(who(admin), "change", TakeUpCount)
    assert authz.can(authz.OPERATOR, "change", TakeUpCount)


def test_trust_levels_read_from_names_and_numbers():
    assert trust_from("Substantial") == trust_from(2) == Trust.SUBSTANTIAL
    with pytest.raises(ValueError, match="unknown trust level 'gold'"):
        trust_from("gold")


def test_require_names_who_and_what(city):
    with pytest.raises(PermissionDenied, match="sign in to change a dataset"):
        authz.require(authz.ANONYMOUS, "change", dataset(city, "air-quality"))
    citizen = User.objects.create_user("carl")
    with pytest.raises(PermissionDenied, match="carl may not delete this dataset"):
        authz.require(who(citizen), "delete", dataset(city, "air-quality"))


def test_the_right_a_refusal_names_is_one_that_grants_it(city):
    from cityline.accounts.models import RoleAssignment

    padmin = User.objects.create_user("pa3")
    grant(padmin, Role.PROGRAMME_ADMIN, city=city)
    org = dataset(city, "air-quality").publisher
    contributor = RoleAssignment(user=User.objects.create_user("ct3"), role=Role.CONTRIBUTOR, organisation=org)
    assert authz.needed("add", contributor) == f"the programme administrator role of {city.key!r}"
    assert authz.can(who(padmin), "add", contributor)
    # the platform administrator role: only a platform administrator grants it, whatever the city
    platform = RoleAssignment(user=User.objects.create_user("pl3"), role=Role.PLATFORM_ADMIN)
    assert authz.needed("add", platform) == authz.needed("change", platform) == "a platform administrator"
    assert not authz.can(who(padmin), "add", platform)
    assert authz.needed("view", platform) == "a role in its city"
