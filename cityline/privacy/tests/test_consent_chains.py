"""Consent chains that outlive their purpose (B14) and the page anchors of the consents (accessibility).

A consent event keeps its purpose's identifier (``purpose_ref``) after the purpose is deleted, so two successive
deleted purposes of the same key in the same city keep two consents apart; the "every city" view of the privacy
page gives each city's consent block its own id, and the links to them land on them.
"""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from cityline.core import actions
from cityline.privacy import consent
from cityline.privacy.models import ConsentEvent
from cityline.privacy.testing import make_privacy_city

from .test_privacy import ann, city, press, recreate, signed_in  # noqa: F401  (fixtures and helpers)

pytestmark = pytest.mark.django_db


def two_deleted_newsletters(ann, r):
    """Ann consents to the newsletter, the city deletes it and creates a new one of the same key, she consents to
    that one too, and the city deletes it as well: two consents, each to its own (now deleted) purpose."""
    first = consent.grant(ann, r["newsletter"])
    second_purpose = recreate(r["newsletter"], name="Newsletter (weekly)",
                              policy_url="https://council.example.org/privacy/newsletter-2")
    second = consent.grant(ann, second_purpose)
    actions.delete(second_purpose)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.purpose_id is None and second.purpose_id is None
    assert first.purpose_key == second.purpose_key == "newsletter"
    return first, second


def test_consents_to_two_deleted_purposes_of_the_same_key_stay_two(city, ann):
    c, r = city
    first, second = two_deleted_newsletters(ann, r)
    assert first.purpose_ref != second.purpose_ref
    assert {e.receipt_id for e in consent.held(ann)} == {first.receipt_id, second.receipt_id}
    # withdrawing the first one withdraws the first one only, with a receipt repeating what was agreed to then
    withdrawn = consent.withdraw_grant(ann, first.receipt_id)
    assert withdrawn.purpose_ref == first.purpose_ref
    assert withdrawn.receipt["policyUrl"] == "https://council.example.org/privacy/newsletter"
    assert [e.receipt_id for e in consent.held(ann)] == [second.receipt_id]
    # and the second one is still in force, and withdrawn on its own
    withdrawn = consent.withdraw_grant(ann, second.receipt_id)
    assert withdrawn.purpose_ref == second.purpose_ref
    assert withdrawn.receipt["policyUrl"] == "https://council.example.org/privacy/newsletter-2"
    assert consent.held(ann) == []
    with pytest.raises(consent.ConsentError):  # nothing more in force: nothing recorded
        consent.withdraw_grant(ann, first.receipt_id)
    assert ConsentEvent.objects.filter(user=ann).count() == 4


def test_withdrawing_the_second_deleted_purpose_leaves_the_first_consent_given(city, ann):
    c, r = city
    first, second = two_deleted_newsletters(ann, r)
    consent.withdraw_grant(ann, second.receipt_id)
    assert [e.receipt_id for e in consent.held(ann)] == [first.receipt_id]


def test_withdraw_deleted_by_key_refuses_to_guess_between_two_consents(city, ann):
    c, r = city
    first, second = two_deleted_newsletters(ann, r)
    with pytest.raises(consent.ConsentError, match="receipt"):
        consent.withdraw_deleted(ann, c, "newsletter")
    assert ConsentEvent.objects.filter(user=ann).count() == 2
    consent.withdraw_grant(ann, second.receipt_id)
    # one left in force: the key names it without doubt
    assert consent.withdraw_deleted(ann, c, "newsletter").purpose_ref == first.purpose_ref
    assert consent.held(ann) == []


def test_the_pages_show_both_consents_and_withdraw_each_apart(client, city, ann):
    c, r = city
    first, second = two_deleted_newsletters(ann, r)
    client = signed_in(client, ann)
    page = client.get("/account/privacy/?city=testville").content.decode()
    assert "Withdraw consent to “Newsletter”" in page and "Withdraw consent to “Newsletter (weekly)”" in page
    assert "Withdraw consent to “Newsletter (weekly)”" in client.get("/account/").content.decode()
    press(client, "/account/privacy/?city=testville", "Withdraw consent to “Newsletter”", consent=first.receipt_id)
    page = client.get("/account/privacy/?city=testville").content.decode()
    assert "Withdraw consent to “Newsletter”" not in page and "Withdraw consent to “Newsletter (weekly)”" in page
    # the history names each decision after the purpose it was about
    history = page.split('id="history"')[1]
    assert history.count("Newsletter (weekly) (Testville)") == 1 and history.count("Newsletter (Testville)") == 2


def test_the_data_subject_export_tells_the_two_consents_apart(client, city, ann):
    c, r = city
    first, second = two_deleted_newsletters(ann, r)
    consent.withdraw_grant(ann, first.receipt_id)
    data = json.loads(signed_in(client, ann).get("/account/my-data.json").content)
    events = data["consent_events"]
    assert [(e["purpose"], e["action"]) for e in events] == [("newsletter", "granted"), ("newsletter", "granted"),
                                                              ("newsletter", "withdrawn")]
    assert events[0]["purpose_ref"] == events[2]["purpose_ref"] == first.purpose_ref
    assert events[1]["purpose_ref"] == second.purpose_ref != first.purpose_ref


def test_the_purpose_ref_is_the_purpose_s_id_while_it_exists(city, ann):
    c, r = city
    event = consent.grant(ann, r["newsletter"])
    pk = r["newsletter"].pk
    assert event.purpose_ref == pk
    actions.delete(r["newsletter"])
    event.refresh_from_db()
    assert event.purpose_id is None and event.purpose_ref == pk


# --- anchors -------------------------------------------------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.fragments: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            self.fragments.append(attrs["href"][1:])


def ids_of(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


def test_every_city_view_gives_each_consent_block_its_own_id(client, city, ann):
    c, r = city
    other, r2 = make_privacy_city("otherville")
    consent.grant(ann, r["newsletter"])
    consent.grant(ann, r2["panel"])
    actions.update(r2["panel"], published=False)  # held, no longer on offer, in the other city
    page = ids_of(signed_in(client, ann).get("/account/privacy/").content.decode())
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert duplicates == []
    assert set(page.fragments) <= set(page.ids)


@pytest.mark.parametrize("view", ["/account/privacy/", "/account/privacy/?city=otherville"])
def test_the_page_a_decision_returns_to_has_the_anchor_it_points_at(client, city, ann, view):
    c, r = city
    other, r2 = make_privacy_city("otherville")
    client = signed_in(client, ann)
    response = press(client, view, "Give consent to “Newsletter”", purpose_id=r2["newsletter"].pk)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.query == "city=otherville"
    landing = client.get(f"{target.path}?{target.query}").content.decode()
    assert target.fragment in ids_of(landing).ids
    # the block the anchor names is the other city's newsletter, now given
    block = landing.split(f'id="{target.fragment}"')[1].split("</article>")[0]
    assert "Withdraw consent to “Newsletter”" in block
    assert str(consent.current(ann, r2["newsletter"]).receipt_id) in block
    # the same anchor in the every-city view lands on the same block
    every = client.get("/account/privacy/").content.decode()
    assert str(consent.current(ann, r2["newsletter"]).receipt_id) in every.split(f'id="{target.fragment}"')[1] \
        .split("</article>")[0]
    # and withdrawing it returns to it too
    response = press(client, view, "Withdraw consent to “Newsletter”",
                     consent=consent.current(ann, r2["newsletter"]).receipt_id)
    assert urlsplit(response["Location"]).fragment == target.fragment


# --- events recorded before purpose_ref was kept (migration 0002) ---------------------------------------------


def fill_purpose_ref():
    import importlib

    from django.apps import apps

    importlib.import_module("cityline.privacy.migrations.0002_consentevent_purpose_ref").fill_purpose_ref(apps, None)


def test_the_migration_fills_the_purpose_ref_where_the_purpose_still_exists(city, ann):
    c, r = city
    kept = consent.grant(ann, r["newsletter"])
    gone = consent.grant(ann, r["panel"])
    actions.delete(r["panel"])
    ConsentEvent.objects.update(purpose_ref=None)  # as they were before the migration
    fill_purpose_ref()
    assert dict(ConsentEvent.objects.values_list("receipt_id", "purpose_ref")) == {
        kept.receipt_id: r["newsletter"].pk, gone.receipt_id: None}


def test_a_consent_to_a_purpose_deleted_before_the_migration_is_still_held_and_withdrawn_by_city_and_key(city, ann):
    c, r = city
    given = consent.grant(ann, r["panel"])
    actions.delete(r["panel"])
    ConsentEvent.objects.update(purpose_ref=None)
    fill_purpose_ref()
    assert [e.receipt_id for e in consent.held(ann)] == [given.receipt_id]
    withdrawn = consent.withdraw_grant(ann, given.receipt_id)
    assert withdrawn.purpose_ref is None and withdrawn.purpose_key == "panel"
    assert withdrawn.receipt["services"] == given.receipt["services"] and consent.held(ann) == []
