"""The editor (Django admin) writes only through the actions layer (issue 2, items 4 and 5).

Covers: every registered model's list and add pages, create/edit/delete recording
history with the signed-in user, optimistic locking between two staff users (and a
race at save time), rule violations shown as form errors, city scoping of choices,
the per-object history page and the per-city change history page.
"""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.urls import reverse
from simple_history.models import HistoricalChanges

from cityline.core import actions, editor, history
from cityline.core.models import AuditEntry, Document, Organisation, Person
from cityline.core.testing import make_city, make_organisation, make_person

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
EDITOR_APPS = ("core", "strategy")


# --- helpers (also used by cityline/strategy/tests/test_admin.py) ---------------------------


def staff(username: str = "alice"):
    return get_user_model().objects.create_superuser(username, f"{username}@example.org", "pw-not-checked")


def client_for(client_class, user):
    c = client_class()
    c.force_login(user)
    return c


def _put(data: dict, name: str, value) -> None:
    if value is None or value is False:
        return
    if value is True:
        data[name] = "on"
    elif isinstance(value, (list, tuple)):
        data[name] = [str(v.pk if isinstance(v, Model) else v) for v in value]
    elif isinstance(value, Model):
        data[name] = str(value.pk)
    else:
        data[name] = str(value)


def form_data(response) -> dict:
    """The POST data a browser would send for an admin change/add page as rendered."""
    assert response.status_code == 200, response.status_code
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        _put(data, form[name].html_name, form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            _put(data, management[name].html_name, management[name].value())
        for f in formset.forms:
            for name in f.fields:
                _put(data, f[name].html_name, f[name].value())
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def errors_of(response) -> str:
    """All error texts of a re-rendered admin form (main form and inlines)."""
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    return " ".join(str(e) for e in response.context["errors"])


def latest_history(obj):
    return type(obj).history.filter(id=obj.pk).order_by("-history_date", "-history_id").first()


# --- every model has an editor ------------------------------------------------------------


def test_every_core_and_strategy_model_has_an_editor():
    missing = [
        m._meta.label for label in EDITOR_APPS for m in apps.get_app_config(label).get_models()
        if m not in admin.site._registry and not issubclass(m, HistoricalChanges)
    ]
    assert missing == [], f"models without an admin: {missing}"
    for model in admin.site._registry:
        # Operating-model records are edited through the actions layer; the audit chain is read-only.
        if model._meta.app_label in EDITOR_APPS and model is not AuditEntry:
            assert isinstance(admin.site._registry[model], editor.CitylineAdmin), model
    audit = admin.site._registry[AuditEntry]
    assert not (audit.has_add_permission(None) or audit.has_change_permission(None) or audit.has_delete_permission(None))


def test_editor_has_its_own_header(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert b"Cityline editor" in response.content


def test_index_lists_every_registered_model(admin_client):
    make_city()
    html = admin_client.get("/admin/").content.decode()
    for model in REGISTERED:
        if model._meta.app_label in EDITOR_APPS:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert f'href="{url}"' in html, f"{model._meta.label} is missing from the editor's index"
    # The strategy area is split by part of the standard.
    assert "B4 · Procurement and suppliers" in html and "A · Delivery principles" in html


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_and_add_page_render(model, admin_client):
    city = make_city()
    make_person(city, "ada", organisation=make_organisation(city))
    make_city("other", "Other town")  # two cities: the city column and filter show
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    if editor.has_city(model):
        assert "city" in changelist.context["cl"].list_filter or any(
            getattr(f, "field_path", None) == "city" for f in changelist.context["cl"].filter_specs
        )
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    if not admin.site._registry[model].has_add_permission(changelist.wsgi_request):
        assert add.status_code == 403  # read-only reference data, e.g. the indicator catalogue
        return
    assert add.status_code == 200
    if opts.app_label in EDITOR_APPS:
        assert "opened_version" in add.context["adminform"].form.fields


# --- create, edit, delete record history with the user ------------------------------------------


def test_create_edit_delete_through_the_editor_record_history_with_the_user(client):
    alice = staff("alice")
    c = client_for(type(client), alice)
    city = make_city()

    data = form_data(c.get(add_url(Organisation)))
    data.update({"city": city.pk, "key": "council", "name": "City Council", "sector": "public"})
    response = c.post(add_url(Organisation), data)
    assert response.status_code == 302, errors_of(response)
    org = Organisation.objects.get(city=city, key="council")
    created = latest_history(org)
    assert (created.history_type, created.history_user) == ("+", alice)

    data = form_data(c.get(change_url(org)))
    assert data["opened_version"] == "1"
    data["name"] = "Metropolitan Council"
    response = c.post(change_url(org), data)
    assert response.status_code == 302, errors_of(response)
    org.refresh_from_db()
    assert (org.name, org.version) == ("Metropolitan Council", 2)
    change = history.object_history(org)[0]
    assert change.user == "alice" and change.kind == "changed"
    assert {"field": "name", "before": "City Council", "after": "Metropolitan Council"} in change.fields

    delete = reverse("admin:core_organisation_delete", args=[org.pk])
    assert c.post(delete, {"post": "yes"}).status_code == 302
    assert not Organisation.objects.filter(pk=org.pk).exists()
    gone = Organisation.history.filter(id=org.pk).order_by("-history_date").first()
    assert (gone.history_type, gone.history_user) == ("-", alice)


def test_bulk_delete_goes_through_actions(client):
    alice = staff()
    c = client_for(type(client), alice)
    city = make_city()
    a, b = make_organisation(city, "a"), make_organisation(city, "b")
    response = c.post(reverse("admin:core_organisation_changelist"), {
        "action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes",
    })
    assert response.status_code == 302
    assert not Organisation.objects.filter(pk__in=[a.pk, b.pk]).exists()
    deletions = Organisation.history.filter(history_type="-")
    assert {h.id for h in deletions} == {a.pk, b.pk}
    assert {h.history_user for h in deletions} == {alice}


def test_views_never_save_directly(client):
    """A change through the editor calls actions.save, not Model.save from the view."""
    c = client_for(type(client), staff())
    org = make_organisation(make_city())
    data = form_data(c.get(change_url(org)))
    data["name"] = "Renamed"
    with mock.patch.object(actions, "save", wraps=actions.save) as spy:
        assert c.post(change_url(org), data).status_code == 302
    assert spy.call_count == 1
    assert spy.call_args.kwargs["expected_version"] == 1
    assert spy.call_args.kwargs["user"].username == "alice"


def test_many_to_many_and_the_form_never_use_save_m2m(client):
    c = client_for(type(client), staff())
    city = make_city()
    org = make_organisation(city)
    with mock.patch("django.forms.models.BaseModelForm._save_m2m") as save_m2m:
        data = form_data(c.get(change_url(org)))
        data["name"] = "Renamed again"
        assert c.post(change_url(org), data).status_code == 302
    save_m2m.assert_not_called()


# --- optimistic locking -----------------------------------------------------------------------


def test_two_staff_users_editing_the_same_record_second_is_refused(client):
    alice, bob = staff("alice"), staff("bob")
    c_alice, c_bob = client_for(type(client), alice), client_for(type(client), bob)
    org = make_organisation(make_city(), "council", name="City Council")

    alice_form = form_data(c_alice.get(change_url(org)))
    bob_form = form_data(c_bob.get(change_url(org)))

    alice_form["name"] = "Metropolitan Council"
    assert c_alice.post(change_url(org), alice_form).status_code == 302

    bob_form["name"] = "Town Council"
    response = c_bob.post(change_url(org), bob_form)
    text = errors_of(response)
    assert "was changed by alice at" in text
    assert "since you opened it" in text and "reload" in text
    assert "you opened version 1, it is now version 2" in text
    # Bob's input is still on the form so nothing he typed is lost.
    assert response.context["adminform"].form["name"].value() == "Town Council"
    org.refresh_from_db()
    assert (org.name, org.version) == ("Metropolitan Council", 2)
    assert Organisation.history.filter(id=org.pk).count() == 2  # created + alice's change


def test_conflict_raised_at_save_time_becomes_the_same_form_error(client):
    """A concurrent write between form validation and save (a race) is not a 500."""
    alice, bob = staff("alice"), staff("bob")
    c_bob = client_for(type(client), bob)
    org = make_organisation(make_city(), "council", name="City Council")
    bob_form = form_data(c_bob.get(change_url(org)))
    bob_form["name"] = "Town Council"

    original_save = actions.save

    def racing_save(instance, **kwargs):
        # Alice's write lands just after Bob's form was validated.
        if not racing_save.done:
            racing_save.done = True
            theirs = Organisation.objects.get(pk=instance.pk)
            theirs.name = "Metropolitan Council"
            original_save(theirs, user=alice)
        return original_save(instance, **kwargs)

    racing_save.done = False

    with mock.patch.object(actions, "save", side_effect=racing_save):
        response = c_bob.post(change_url(org), bob_form)
    text = errors_of(response)
    assert "was changed by alice at" in text and "since you opened it" in text
    org.refresh_from_db()
    assert org.name != "Town Council"


def test_stale_form_cannot_overwrite_a_deleted_record(client):
    c = client_for(type(client), staff())
    org = make_organisation(make_city())
    data = form_data(c.get(change_url(org)))
    actions.delete(Organisation.objects.get(pk=org.pk))
    response = c.post(change_url(org), data)
    assert response.status_code == 302  # back to the list with "doesn't exist" message
    assert not Organisation.objects.filter(pk=org.pk).exists()


def test_form_without_version_is_refused(client):
    c = client_for(type(client), staff())
    org = make_organisation(make_city())
    data = form_data(c.get(change_url(org)))
    del data["opened_version"]
    data["name"] = "No version"
    assert "which version" in errors_of(c.post(change_url(org), data))
    org.refresh_from_db()
    assert org.name != "No version"


# --- refused writes are form errors --------------------------------------------------------------


def test_rule_of_the_actions_layer_shows_as_form_error(client):
    """A policy product never goes back to draft (registered rule): shown on the form, no 500."""
    c = client_for(type(client), staff())
    city = make_city()
    doc = actions.create(Document, city=city, key="strategy", title="Digital strategy", doc_type="strategy",
                         status="adopted", adopted_on=datetime.date(2024, 3, 1))
    data = form_data(c.get(change_url(doc)))
    data.update(status="draft", adopted_on="")
    response = c.post(change_url(doc), data)
    text = errors_of(response)
    assert "cannot go from adopted back to draft" in text
    assert "cannot go from adopted back to draft" in str(response.context["adminform"].form.errors.get("status"))
    doc.refresh_from_db()
    assert (doc.status, doc.version) == ("adopted", 1)
    assert Document.history.filter(id=doc.pk).count() == 1


def test_reference_to_another_city_is_a_form_error(client):
    c = client_for(type(client), staff())
    a, b = make_city("a", "A"), make_city("b", "B")
    org_b = make_organisation(b, "council")
    response = c.post(add_url(Person), {"city": a.pk, "key": "ada", "name": "Ada", "organisation": org_b.pk})
    assert "must belong to the same city" in errors_of(response)
    assert not Person.objects.filter(key="ada").exists()


def test_refused_delete_is_a_message_not_a_500(client):
    c = client_for(type(client), staff())
    org = make_organisation(make_city())
    with mock.patch.object(actions, "delete", side_effect=actions.ConflictError(org, 1, 2)):
        response = c.post(reverse("admin:core_organisation_delete", args=[org.pk]), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert Organisation.objects.filter(pk=org.pk).exists()


# --- city scoping ------------------------------------------------------------------------------------


def test_foreign_key_choices_are_limited_to_the_city(client):
    c = client_for(type(client), staff())
    a, b = make_city("a", "A"), make_city("b", "B")
    org_a, org_b = make_organisation(a, "council-a"), make_organisation(b, "council-b")
    person = make_person(a, "ada", organisation=org_a)

    page = c.get(change_url(person))
    field = page.context["adminform"].form.fields["organisation"]
    assert list(field.queryset) == [org_a]
    assert f"?city={a.pk}" in page.content.decode()  # the autocomplete asks for this city only

    lookup = c.get(reverse("admin:autocomplete"), {
        "app_label": "core", "model_name": "person", "field_name": "organisation", "term": "council", "city": a.pk,
    })
    assert [r["id"] for r in lookup.json()["results"]] == [str(org_a.pk)]

    # The add page knows its city from ?city= and pre-selects it.
    add = c.get(add_url(Person), {"city": b.pk})
    assert list(add.context["adminform"].form.fields["organisation"].queryset) == [org_b]
    assert str(add.context["adminform"].form["city"].value()) == str(b.pk)


def _two_city_world():
    """Cities A, B and C, each with an organisation, a document and a governance body."""
    from cityline.strategy.models import GovernanceBody

    out = {}
    for key in ("a", "b", "c"):
        city = make_city(key, key.upper())
        out[key] = {"city": city, "org": make_organisation(city, f"council-{key}"),
                    "doc": actions.create(Document, city=city, key="plan", title=f"Plan of {key.upper()}",
                                          doc_type="plan"),
                    "body": actions.create(GovernanceBody, city=city, key="board", name=f"Board of {key.upper()}",
                                           level="strategic", remit="Steers.")}
    return out


def _role_holder(username: str, role: str, *cities):
    from cityline.accounts.testing import grant

    user = get_user_model().objects.create_user(username, password="x")
    for city in cities:
        grant(user, role, city=city)
    return user


def test_choices_before_a_city_is_chosen_are_of_the_cities_the_user_may_edit(client):
    from cityline.strategy.models import Meeting

    w = _two_city_world()
    a, b, c = (w[k]["city"] for k in "abc")
    # a programme administrator of A alone: the add form is for A, and offers A's records only
    c_a = client_for(type(client), _role_holder("padmin-a", "programme_admin", a))
    add = c_a.get(add_url(Person))
    form = add.context["adminform"].form
    assert str(form["city"].value()) == str(a.pk)
    assert list(form.fields["city"].queryset) == [a]
    assert list(form.fields["organisation"].queryset) == [w["a"]["org"]]
    assert f"?city={a.pk}" in add.content.decode()
    meeting = c_a.get(add_url(Meeting)).context["adminform"].form
    assert list(meeting.fields["papers"].queryset) == [w["a"]["doc"]]
    assert list(meeting.fields["body"].queryset) == [w["a"]["body"]]
    # asking for another city's form offers nothing of it
    other = c_a.get(add_url(Person), {"city": b.pk}).context["adminform"].form
    assert list(other.fields["organisation"].queryset) == []
    # a programme administrator of A and B: no city chosen for them, the records of A and B offered, not C's
    c_ab = client_for(type(client), _role_holder("padmin-ab", "programme_admin", a, b))
    form = c_ab.get(add_url(Meeting)).context["adminform"].form
    assert form["city"].value() is None
    assert set(form.fields["city"].queryset) == {a, b}
    assert set(form.fields["papers"].queryset) == {w["a"]["doc"], w["b"]["doc"]}
    # a platform administrator is offered every city's records
    form = client_for(type(client), staff()).get(add_url(Meeting)).context["adminform"].form
    assert set(form.fields["papers"].queryset) == {w[k]["doc"] for k in "abc"}


def test_many_to_many_link_to_another_city_is_a_form_error(client):
    from cityline.strategy.models import Meeting

    w = _two_city_world()
    c = client_for(type(client), staff())
    data = form_data(c.get(add_url(Meeting)))
    data.update(city=w["a"]["city"].pk, body=w["a"]["body"].pk, key="march", date="2026-03-01", title="March",
                papers=[str(w["a"]["doc"].pk), str(w["b"]["doc"].pk)])
    refused = c.post(add_url(Meeting), data)
    assert "“Plan of B” belongs to another city (B)" in errors_of(refused)
    assert "Plan of B" in str(refused.context["adminform"].form.errors.get("papers"))
    assert not Meeting.objects.filter(key="march").exists()


def test_related_list_filters_name_only_records_of_the_viewers_cities(client):
    from cityline.strategy.models import GovernanceBody

    w = _two_city_world()
    a = w["a"]["city"]
    for k in "abc":
        actions.create(GovernanceBody, city=w[k]["city"], key="audit", name=f"Audit of {k.upper()}",
                       level="strategic", remit="Checks.")

    def named(c, params=None) -> dict[str, list[str]]:
        """The filters shown (a filter with a single choice is left out) and the records they name."""
        specs = c.get(reverse("admin:strategy_meeting_changelist"), params or {}).context["cl"].filter_specs
        return {spec.field_path: sorted(label for _pk, label in spec.lookup_choices) for spec in specs}

    padmin = client_for(type(client), _role_holder("padmin-a", "programme_admin", a))
    assert named(padmin) == {"body": ["Audit of A", "Board of A"]}  # a single city: no city filter either
    admin_c = client_for(type(client), staff())
    assert named(admin_c) == {"city": ["A", "B", "C"], "body": sorted(f"{n} of {k}" for n in ("Audit", "Board")
                                                                   for k in "ABC")}
    # with the list's city filter set, the other filters name that city's records
    assert named(admin_c, {"city__id__exact": w["b"]["city"].pk}) == {"city": ["A", "B", "C"],
                                                                       "body": ["Audit of B", "Board of B"]}


def test_city_of_an_existing_record_is_read_only(client):
    c = client_for(type(client), staff())
    a, b = make_city("a", "A"), make_city("b", "B")
    org = make_organisation(a)
    data = form_data(c.get(change_url(org)))
    assert "city" not in data
    data["city"] = b.pk  # ignored: the field is not on the form
    assert c.post(change_url(org), data).status_code == 302
    org.refresh_from_db()
    assert org.city == a


# --- history pages -------------------------------------------------------------------------------------


def test_object_history_page_shows_who_and_before_after(client):
    alice = staff("alice")
    c = client_for(type(client), alice)
    org = make_organisation(make_city(), "council", name="City Council")
    actions.update(org, name="Metropolitan Council", user=alice, reason="merger")
    response = c.get(reverse("admin:core_organisation_history", args=[org.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "alice" in html and "merger" in html
    assert re.search(r"City Council\s*(&nbsp;)*&rarr;(&nbsp;)*\s*Metropolitan Council", html)
    changes = [r for r in response.context["page_obj"] if r.history_type == "~"]
    fields = [d["field"] for d in changes[0].history_delta_changes]
    assert fields == ["Name"]  # bookkeeping (version, updated at) left out
    # The creation had no signed-in user (a script): shown as the system, not "None".
    assert re.search(r"<td>\s*system\s*</td>", html) and not re.search(r"<td>\s*None\s*</td>", html)


def test_old_versions_cannot_be_posted_back(client):
    c = client_for(type(client), staff())
    org = make_organisation(make_city())
    record = latest_history(org)
    url = reverse("admin:core_organisation_simple_history", args=[org.pk, record.history_id])
    assert c.get(url).status_code == 200
    assert c.post(url, {"name": "Reverted"}).status_code == 405


def test_city_timeline_lists_changes_across_the_city_with_filters(client):
    alice, bob = staff("alice"), staff("bob")
    c = client_for(type(client), alice)
    a, b = make_city("riverford", "Riverford"), make_city("hillside", "Hillside")
    org = actions.create(Organisation, city=a, key="council", name="City Council", sector="public", user=alice)
    actions.update(org, name="Metropolitan Council", user=bob)
    actions.create(Person, city=a, key="ada", name="Ada Lovelace", user=alice)
    actions.create(Organisation, city=b, key="other", name="Hillside Council", sector="public", user=bob)
    doomed = actions.create(Document, city=a, key="old", title="Old plan", doc_type="plan", user=alice)
    doomed_id = doomed.pk
    actions.delete(doomed, user=bob)

    url = reverse("admin:core_city_timeline", args=["riverford"])
    assert url == "/admin/core/city/riverford/timeline/"
    response = c.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Metropolitan Council" in html and "Ada Lovelace" in html and "Old plan" in html
    assert "Hillside Council" not in html
    assert "City Council" in html  # the before value of the rename
    assert f'href="{change_url(org)}"' in html
    assert reverse("admin:core_document_history", args=[doomed_id]) in html  # deleted: history only
    assert [r["change"].kind for r in response.context["rows"]][:2] == ["deleted", "created"]

    by_model = c.get(url, {"model": "core.person"}).context["rows"]
    assert [r["change"].object_repr for r in by_model] == ["Ada Lovelace"]
    by_user = c.get(url, {"user": "bob"}).context["rows"]
    assert {r["change"].user for r in by_user} == {"bob"}
    assert {r["change"].kind for r in by_user} == {"changed", "deleted"}
    assert c.get(url, {"limit": "50"}).context["limit"] == 50

    assert c.get("/admin/core/city/nowhere/timeline/").status_code == 404
    index = c.get(reverse("admin:core_city_timeline_index"))
    assert index.status_code == 200 and url in index.content.decode()
    assert url in c.get(change_url(a)).content.decode()  # linked from the city's page


def test_city_timeline_needs_staff(client):
    make_city()
    response = client.get("/admin/core/city/testville/timeline/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_timeline_single_city_redirects(client):
    c = client_for(type(client), staff())
    make_city()
    response = c.get(reverse("admin:core_city_timeline_index"))
    assert response.status_code == 302 and response["Location"].endswith("/testville/timeline/")


def test_unchanged_form_writes_nothing(client):
    """Dates and the rest round-trip through the form; saving without changes leaves no trace."""
    c = client_for(type(client), staff())
    city = make_city()
    doc = actions.create(Document, city=city, key="d", title="Plan", doc_type="plan", status="published",
                         adopted_on=datetime.date(2024, 1, 2), published_on=datetime.date(2024, 1, 3))
    data = form_data(c.get(change_url(doc)))
    assert c.post(change_url(doc), data).status_code == 302
    doc.refresh_from_db()
    assert doc.version == 1 and Document.history.filter(id=doc.pk).count() == 1


def test_list_query_count_does_not_grow_with_rows(client):
    """Foreign keys shown in a list are joined, not fetched row by row (nullable ones too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(type(client), staff())
    city = make_city()
    url = reverse("admin:core_person_changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    org = make_organisation(city)
    make_person(city, "p0", organisation=org)
    few = count()
    for i in range(1, 8):
        make_person(city, f"p{i}", organisation=make_organisation(city, f"org{i}"))
    assert count() == few


def test_browser_line_breaks_are_stored_as_lf(client):
    """Text areas post CRLF; an untouched paragraph must not show up as changed."""
    c = client_for(type(client), staff())
    org = make_organisation(make_city(), description="First line.\nSecond line.")
    data = form_data(c.get(change_url(org)))
    data["description"] = data["description"].replace("\n", "\r\n")
    assert c.post(change_url(org), data).status_code == 302
    org.refresh_from_db()
    assert org.description == "First line.\nSecond line." and org.version == 1
    data["description"] = "One.\r\nTwo."
    assert c.post(change_url(org), data).status_code == 302
    org.refresh_from_db()
    assert org.description == "One.\nTwo." and org.version == 2


def test_deleting_a_record_still_in_use_is_refused_without_error(client):
    c = client_for(type(client), staff())
    city = make_city()
    org = make_organisation(city)
    make_person(city, "ada", organisation=org)
    page = c.post(reverse("admin:core_organisation_delete", args=[org.pk]), {"post": "yes"}, follow=True)
    assert page.status_code == 200
    bulk = c.post(reverse("admin:core_organisation_changelist"), {
        "action": "delete_selected", "_selected_action": [org.pk], "post": "yes",
    }, follow=True)
    assert bulk.status_code == 200
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert not Organisation.history.filter(id=org.pk, history_type="-").exists()
