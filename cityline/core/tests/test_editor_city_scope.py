"""The editor's own pages stay inside the cities where the staff member holds a role (B10, B2.g).

Every custom editor page (``get_urls`` of the areas' admins) is opened by a programme administrator of
another city (refused: 404 or 403, nothing of the city shown) and by one of the city (200).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import Document, Organisation
from cityline.core.testing import make_city

pytestmark = pytest.mark.django_db


def _admin_of(city, username: str):
    user = get_user_model().objects.create_user(username, password="a-long-enough-password", is_staff=True)
    grant(user, "programme_admin", city=city)
    return user


def _client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def two_cities():
    riverford, hillside = make_city("riverford", "Riverford"), make_city("hillside", "Hillside")
    council = actions.create(Organisation, city=riverford, key="council", name="Riverford Council", sector="public")
    actions.create(Document, city=riverford, key="secret-plan", title="Unpublished tram plan", doc_type="plan",
                   owner=council)
    actions.create(Organisation, city=hillside, key="council", name="Hillside Council", sector="public")
    return riverford, hillside


def test_city_timeline_refuses_another_citys_staff(two_cities, client):
    """A programme administrator of Hillside cannot read Riverford's timeline (its unpublished records and who
    changed them): the city does not exist for them."""
    riverford, hillside = two_cities
    c = _client(client, _admin_of(hillside, "hilda"))
    refused = c.get(reverse("admin:core_city_timeline", args=[riverford.key]))
    assert refused.status_code == 404
    assert b"Unpublished tram plan" not in refused.content
    own = c.get(reverse("admin:core_city_timeline", args=[hillside.key]))
    assert own.status_code == 200 and "Hillside Council" in own.content.decode()
    assert "Riverford" not in own.content.decode()


def test_city_timeline_opens_for_the_citys_own_staff(two_cities, client):
    riverford, _hillside = two_cities
    c = _client(client, _admin_of(riverford, "rita"))
    own = c.get(reverse("admin:core_city_timeline", args=[riverford.key]))
    assert own.status_code == 200 and "Unpublished tram plan" in own.content.decode()


def test_timeline_index_lists_only_the_viewers_cities(two_cities, client):
    riverford, hillside = two_cities
    c = _client(client, _admin_of(hillside, "hilda"))
    # their only city is opened for them, as on a one-city instance
    index = c.get(reverse("admin:core_city_timeline_index"))
    assert index.status_code == 302 and index["Location"] == reverse("admin:core_city_timeline", args=["hillside"])
    grant(get_user_model().objects.get(username="hilda"), "programme_admin", city=make_city("lakeside", "Lakeside"))
    index = c.get(reverse("admin:core_city_timeline_index"))
    html = index.content.decode()
    assert index.status_code == 200
    assert reverse("admin:core_city_timeline", args=["hillside"]) in html
    assert reverse("admin:core_city_timeline", args=["lakeside"]) in html
    assert reverse("admin:core_city_timeline", args=["riverford"]) not in html and "Riverford" not in html


def test_timeline_kinds_and_users_are_those_of_the_city(two_cities, client):
    """A contributor of Riverford's council (no role in Hillside) sees Riverford's kinds of record they may view,
    and gets no Hillside timeline even though they may view documents somewhere."""
    riverford, hillside = two_cities
    clerk = get_user_model().objects.create_user("clerk", password="a-long-enough-password", is_staff=True)
    grant(clerk, "contributor", organisation=Organisation.objects.get(city=riverford, key="council"))
    c = _client(client, clerk)
    assert c.get(reverse("admin:core_city_timeline", args=[hillside.key])).status_code == 404
    own = c.get(reverse("admin:core_city_timeline", args=[riverford.key]))
    assert own.status_code == 200
    assert "core.document" in dict(own.context["model_choices"])


def test_platform_administrator_reads_every_citys_timeline(two_cities, client):
    riverford, hillside = two_cities
    c = _client(client, get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-checked"))
    for city in (riverford, hillside):
        assert c.get(reverse("admin:core_city_timeline", args=[city.key])).status_code == 200
    index = c.get(reverse("admin:core_city_timeline_index")).content.decode()
    assert "Riverford" in index and "Hillside" in index


# --- the other custom editor pages ---------------------------------------------------------------------


def test_dataset_steward_pages_refuse_another_citys_staff(client):
    from cityline.opendata.models import Dataset
    from cityline.opendata.testing import make_catalogue_city

    city = make_catalogue_city("riverford")
    other = make_city("hillside", "Hillside")
    air = Dataset.objects.get(city=city, key="air-quality")
    outsider = _client(client, _admin_of(other, "hilda"))
    for name in ("admin:opendata_dataset_upload", "admin:opendata_dataset_gate"):
        response = outsider.get(reverse(name, args=[air.pk]))
        assert response.status_code in (403, 404), name
        assert b"Air quality readings" not in response.content
    client.logout()
    insider = _client(client, _admin_of(city, "rita"))
    for name in ("admin:opendata_dataset_upload", "admin:opendata_dataset_gate"):
        assert insider.get(reverse(name, args=[air.pk])).status_code == 200, name


def test_consultation_and_moderation_pages_refuse_another_citys_staff(client):
    from cityline.participation import services
    from cityline.participation.models import Contribution, ModerationEvent
    from cityline.participation.testing import make_participation_city, make_person

    city, r = make_participation_city("riverford")
    ann = services.join(r["open"], make_person("ann"), display_name="Ann R.")
    contribution = services.contribute(ann, "Quay Road is dangerous at night, please start there.")
    other = make_city("hillside", "Hillside")
    offline = reverse("admin:participation_consultation_offline", args=[r["open"].pk])
    outsider = _client(client, _admin_of(other, "hilda"))
    response = outsider.get(offline)
    assert response.status_code in (403, 404) and b"Safer cycle lanes" not in response.content
    moderate = reverse("admin:participation_contribution_moderate", args=[contribution.pk])
    response = outsider.post(moderate, {"action": "hide", "reason": "Not from here"})
    assert response.status_code in (403, 404)
    assert not ModerationEvent.objects.exists() and not Contribution.objects.get(pk=contribution.pk).hidden
    client.logout()
    insider = _client(client, _admin_of(city, "rita"))
    assert insider.get(offline).status_code == 200
    response = insider.post(moderate, {"action": "hide", "reason": "Not about cycle lanes"})
    assert response.status_code == 302 and Contribution.objects.get(pk=contribution.pk).hidden


def test_record_history_pages_refuse_another_citys_staff(two_cities, client):
    """The history of a record (kept after deletion) and its old versions are the city's too."""
    riverford, hillside = two_cities
    plan = Document.objects.get(city=riverford, key="secret-plan")
    plan_id = plan.pk
    version_id = plan.history.latest("history_date").history_id
    gone = actions.create(Document, city=riverford, key="gone", title="Withdrawn depot plan", doc_type="plan")
    gone_id = gone.pk
    actions.delete(gone)
    urls = [reverse("admin:core_document_history", args=[plan_id]),
            reverse("admin:core_document_history", args=[gone_id]),
            reverse("admin:core_document_simple_history", args=[plan_id, version_id])]
    outsider = _client(client, _admin_of(hillside, "hilda"))
    for url in urls:
        response = outsider.get(url)
        assert response.status_code in (403, 404), url
        assert b"tram plan" not in response.content and b"depot plan" not in response.content
    client.logout()
    insider = _client(client, _admin_of(riverford, "rita"))
    for url in urls:
        assert insider.get(url).status_code == 200, url
