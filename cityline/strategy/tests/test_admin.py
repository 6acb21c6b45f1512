"""The strategy-management editor (A, B1–B7): pages, inlines, many-to-many, the B4 fieldsets.

Inline rows and many-to-many sets must go through the actions layer like every other
write: each leaves a history record with the signed-in user.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from cityline.core import actions
from cityline.core.models import Document, Organisation, Person
from cityline.core.tests.test_editor import change_url, client_for, errors_of, form_data, staff
from cityline.strategy import models as m
from cityline.strategy.tests.factories import make_strategy_city

pytestmark = pytest.mark.django_db

STRATEGY_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "strategy"),
    key=lambda model: model._meta.label,
)


def complete_city():
    """The shared strategy test city plus the record types its factory leaves out."""
    city = make_strategy_city()
    ada = Person.objects.get(city=city, key="ada")
    council = Organisation.objects.get(city=city, key="council")

    def make(model, **fields):
        return actions.create(model, city=city, **fields)

    programme = make(m.Programme, key="digital", name="Digital Riverford", status="in_progress", progress=30,
                     owner=ada, budget=Decimal("4000000"))
    actions.update(m.Project.objects.get(city=city, key="portal-project"), programme=programme)
    party = make(m.InterestedParty, key="residents", name="Residents' forum", categories=["beneficiary", "consumer"],
                 sector="voluntary", influence="medium", interest="high")
    make(m.EngagementActivity, key="survey-2024", title="Digital services survey", kind="survey",
         date=date(2024, 5, 1), channel="online", participants=1200, m2m={"parties": [party]})
    supplier = make(m.Supplier, key="lumen", name="Lumen SAS", size="sme")
    make(m.Contract, key="lighting-1", title="Street lighting", supplier=supplier, buyer=council,
         procurement=m.ProcurementEntry.objects.get(city=city, key="smart-lighting"), value=Decimal("2300000"),
         start_date=date(2025, 11, 1), data_ownership="city_owns")
    return city


@pytest.fixture
def alice(client):
    user = staff("alice")
    return user, client_for(type(client), user)


@pytest.mark.parametrize("model", STRATEGY_MODELS, ids=lambda model: model._meta.label)
def test_list_and_change_pages_render_with_data(model, admin_client):
    city = complete_city()
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1, f"the test city has no {opts.verbose_name}"
    obj = model.objects.filter(city=city).first()
    page = admin_client.get(change_url(obj))
    assert page.status_code == 200
    # The changelist search works on every list.
    assert admin_client.get(changelist.request["PATH_INFO"], {"q": "a"}).status_code == 200


def test_inline_rows_are_written_through_actions_with_history(alice):
    user, c = alice
    city = complete_city()
    principle = m.Principle.objects.get(city=city, key="open-by-default")
    coop = Organisation.objects.get(city=city, key="energy-coop")
    first = principle.agreements.order_by("agreed_on").first()

    data = form_data(c.get(change_url(principle)))
    prefix = "agreements"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    # add a row, change the first row, delete the second
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    data.update({f"{prefix}-{total}-organisation": str(coop.pk), f"{prefix}-{total}-agreed_on": "2024-04-01"})
    data[f"{prefix}-0-agreed_on"] = "2024-01-11"
    data[f"{prefix}-1-DELETE"] = "on"
    deleted_id = int(data[f"{prefix}-1-id"])
    response = c.post(change_url(principle), data)
    assert response.status_code == 302, errors_of(response)

    added = m.PrincipleAgreement.objects.get(principle=principle, organisation=coop)
    assert added.city == city  # inline rows take the parent's city
    h = m.PrincipleAgreement.history
    assert h.get(id=added.pk, history_type="+").history_user == user
    first.refresh_from_db()
    assert first.agreed_on == date(2024, 1, 11) and first.version == 2
    assert h.get(id=first.pk, history_type="~").history_user == user
    assert h.get(id=deleted_id, history_type="-").history_user == user
    assert not m.PrincipleAgreement.objects.filter(pk=deleted_id).exists()


def test_stale_inline_row_refuses_the_whole_submission(alice, client):
    user, c = alice
    bob = staff("bob")
    city = complete_city()
    principle = m.Principle.objects.get(city=city, key="open-by-default")
    row = principle.agreements.order_by("agreed_on").first()
    data = form_data(c.get(change_url(principle)))

    actions.update(m.PrincipleAgreement.objects.get(pk=row.pk), agreed_on=date(2024, 1, 20), user=bob)

    data["title"] = "Open by default, always"
    data["agreements-0-agreed_on"] = "2024-01-05"
    text = errors_of(c.post(change_url(principle), data))
    assert "was changed by bob at" in text
    principle.refresh_from_db()
    row.refresh_from_db()
    assert principle.title == "Open by default" and row.agreed_on == date(2024, 1, 20)


def test_many_to_many_goes_through_actions_and_is_in_history(alice):
    user, c = alice
    city = complete_city()
    cell = m.InteropCell.objects.get(city=city, process="strategy", dimension="policy")
    minutes = Document.objects.get(city=city, key="board-minutes-1")
    data = form_data(c.get(change_url(cell)))
    data["policy_products"] = [*data["policy_products"], str(minutes.pk)]
    response = c.post(change_url(cell), data)
    assert response.status_code == 302, errors_of(response)
    assert minutes in cell.policy_products.all()
    record = m.InteropCell.history.filter(id=cell.pk).order_by("-history_date").first()
    assert record.history_user == user
    assert "policy_products:" in record.history_change_reason and "Board minutes, March" in record.history_change_reason


def test_inline_many_to_many_goes_through_actions(alice):
    user, c = alice
    city = complete_city()
    board = m.GovernanceBody.objects.get(city=city, key="board")
    strategy_doc = Document.objects.get(city=city, key="digital-strategy")
    data = form_data(c.get(change_url(board)))
    assert data["meetings-TOTAL_FORMS"] == "1"
    data["meetings-0-papers"] = [*data["meetings-0-papers"], str(strategy_doc.pk)]
    response = c.post(change_url(board), data)
    assert response.status_code == 302, errors_of(response)
    meeting = board.meetings.get()
    assert strategy_doc in meeting.papers.all()
    record = m.Meeting.history.filter(id=meeting.pk).order_by("-history_date").first()
    assert record.history_user == user and "papers:" in record.history_change_reason


def test_vision_holds_purposes_issues_and_objectives(alice):
    _user, c = alice
    city = complete_city()
    vision = m.Vision.objects.get(city=city)
    page = c.get(change_url(vision))
    prefixes = [inline.formset.prefix for inline in page.context["inline_admin_formsets"]]
    assert prefixes == ["purposes", "issues", "objectives"]
    data = form_data(page)
    n = int(data["issues-TOTAL_FORMS"])
    data["issues-TOTAL_FORMS"] = str(n + 1)
    data.update({f"issues-{n}-issue": "health", f"issues-{n}-weight": "0.25"})
    # an objective whose target comes before its baseline is refused on the form
    data["objectives-0-target_year"] = "2020"
    response = c.post(change_url(vision), data)
    assert "cannot be before the baseline year" in errors_of(response)
    assert not vision.issues.filter(issue="health").exists()
    data["objectives-0-target_year"] = "2035"
    assert c.post(change_url(vision), data).status_code == 302
    assert vision.issues.get(issue="health").weight == Decimal("0.25")


def test_programme_shows_its_projects_read_only(alice):
    _user, c = alice
    city = complete_city()
    programme = m.Programme.objects.get(city=city, key="digital")
    page = c.get(change_url(programme))
    assert "Resident portal project" in page.content.decode()
    data = form_data(page)
    data["name"] = "Digital Riverford 2030"
    assert c.post(change_url(programme), data).status_code == 302
    project = m.Project.objects.get(city=city, key="portal-project")
    assert project.version == 2  # created, then linked to the programme; the programme save left it alone


def test_procurement_entry_groups_the_checklist_and_shows_tco(alice):
    _user, c = alice
    city = complete_city()
    entry = m.ProcurementEntry.objects.get(city=city, key="smart-lighting")
    page = c.get(change_url(entry))
    titles = [str(fs.name) for fs in page.context["adminform"]]
    assert "Smart-contracting checklist (B4.b.1–B4.b.4)" in titles
    checklist = next(fs for fs in page.context["adminform"] if "B4.b.1" in str(fs.name))
    assert list(checklist.fields) == ["buys_outcomes", "open_data_terms", "innovation_incentives",
                                      "avoids_lock_in", "checklist_summary"]
    html = page.content.decode()
    assert "2,420,000.00 EUR" in html  # 1,500,000 + 10 × 80,000 + 120,000 exit
    assert "3 of 4 checks met; missing B4.b.3" in html
    assert "total_cost_of_ownership" not in page.context["adminform"].form.fields  # read-only
    listing = c.get(reverse("admin:strategy_procuremententry_changelist")).content.decode()
    assert "3/4" in listing


def test_interested_party_categories_are_checkboxes(alice):
    _user, c = alice
    city = complete_city()
    page = c.get(reverse("admin:strategy_interestedparty_add"))
    data = form_data(page)
    data.update(city=str(city.pk), key="chamber", name="Chamber of commerce", categories=["investor", "promoter"],
                sector="private", influence="high", interest="medium")
    response = c.post(reverse("admin:strategy_interestedparty_add"), data)
    assert response.status_code == 302, errors_of(response)
    assert m.InterestedParty.objects.get(city=city, key="chamber").categories == ["investor", "promoter"]
    data.update(key="nobody", categories=[])
    assert "required" in errors_of(c.post(reverse("admin:strategy_interestedparty_add"), data))
    only_promoters = c.get(reverse("admin:strategy_interestedparty_changelist"), {"category": "promoter"})
    assert [p.key for p in only_promoters.context["cl"].result_list] == ["chamber"]


def test_cross_city_reference_is_a_form_error(alice):
    _user, c = alice
    city = complete_city()
    other = actions.create(type(city), key="hillside", name="Hillside")
    stranger = actions.create(Person, city=other, key="zed", name="Zed Stranger")
    board = m.GovernanceBody.objects.get(city=city, key="board")
    data = form_data(c.get(reverse("admin:strategy_bodymember_add")))
    data.update(city=str(city.pk), body=str(board.pk), person=str(stranger.pk), role="member")
    response = c.post(reverse("admin:strategy_bodymember_add"), data)
    assert "must belong to the same city" in errors_of(response)
    assert not m.BodyMember.objects.filter(person=stranger).exists()


def test_interop_action_barriers_are_limited_to_the_cell(alice):
    _user, c = alice
    city = complete_city()
    cell = m.InteropCell.objects.get(city=city, process="strategy", dimension="policy")
    other_cell = m.InteropCell.objects.get(city=city, process="resource")
    actions.create(m.InteropBarrier, city=city, key="elsewhere", cell=other_cell, description="Other", severity="low")
    page = c.get(change_url(cell))
    actions_formset = next(i.formset for i in page.context["inline_admin_formsets"] if i.formset.prefix == "actions")
    barriers = actions_formset.forms[0].fields["barrier"].queryset
    assert [b.key for b in barriers] == ["no-data-sharing"]


def test_a_completed_project_must_be_done_shown_on_the_form(alice):
    _user, c = alice
    city = complete_city()
    project = m.Project.objects.get(city=city, key="portal-project")
    data = form_data(c.get(change_url(project)))
    data["status"] = "completed"
    assert "a completed item must show 100 percent progress" in errors_of(c.post(change_url(project), data))
    project.refresh_from_db()
    assert project.status == "in_progress"


def test_new_record_with_inline_rows_in_one_submission(alice):
    user, c = alice
    city = complete_city()
    uni = Organisation.objects.get(city=city, key="uni")
    url = reverse("admin:strategy_principle_add")
    data = form_data(c.get(url))
    data.update({
        "city": str(city.pk), "key": "digital-by-design", "group": "digital", "title": "Digital by design",
        "statement": "Services are digital first, never digital only.", "order": "3",
        "agreements-TOTAL_FORMS": "1", "agreements-0-organisation": str(uni.pk), "agreements-0-agreed_on": "2024-06-01",
    })
    response = c.post(url, data)
    assert response.status_code == 302, errors_of(response)
    principle = m.Principle.objects.get(city=city, key="digital-by-design")
    agreement = principle.agreements.get()
    assert agreement.city == city and agreement.organisation == uni
    assert m.PrincipleAgreement.history.get(id=agreement.pk).history_user == user
    assert m.Principle.history.get(id=principle.pk).history_user == user


def test_refused_inline_row_rolls_back_the_whole_submission(alice):
    """A rule of the actions layer refusing one inline row: error names the row, nothing is kept."""
    _user, c = alice
    city = complete_city()
    principle = m.Principle.objects.get(city=city, key="open-by-default")
    data = form_data(c.get(change_url(principle)))
    data["title"] = "Open by default, always"
    data["agreements-0-agreed_on"] = "2024-01-02"
    original_save = actions.save

    def refuse_agreements(instance, **kwargs):
        if isinstance(instance, m.PrincipleAgreement):
            raise ValidationError({"agreed_on": "is during the moratorium"})
        return original_save(instance, **kwargs)

    with mock.patch.object(actions, "save", side_effect=refuse_agreements):
        response = c.post(change_url(principle), data)
    text = errors_of(response)
    assert "principle agreement “Riverford City Council — Open by default" in text
    assert "agreed on: is during the moratorium" in text
    principle.refresh_from_db()
    assert principle.title == "Open by default" and principle.version == 1
    assert m.Principle.history.filter(id=principle.pk).count() == 1
