"""Privacy (B10, B14): the inventory, consent events with Kantara receipts, the citizen area, erasure, the pack."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from cityline.accounts.models import ApiToken, FederatedIdentity, IdentityProvider, RoleAssignment
from cityline.accounts.principals import SESSION_TRUST_KEY
from cityline.accounts.testing import grant
from cityline.core import actions
from cityline.core.models import City
from cityline.core.packs import PackError, export_pack, import_pack
from cityline.privacy import consent
from cityline.privacy.models import ConsentEvent, ErasureRecord, PersonalDataHolding, ProcessingPurpose
from cityline.privacy.testing import make_privacy_city

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def city():
    return make_privacy_city()


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann", email="ann@example.org", password="correct horse battery", first_name="Ann")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", email="bob@example.org", password="another long password")


def signed_in(client, user):
    client.force_login(user)
    session = client.session
    session[SESSION_TRUST_KEY] = 1
    session.save()
    return client


class _Forms(HTMLParser):
    """The POST forms of a page: their hidden fields and their buttons (name, value, text)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._button = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self.forms.append({"action": attrs.get("action"), "fields": {}, "buttons": []})
        elif self.forms and tag == "input" and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif self.forms and tag == "button":
            self._button = [attrs.get("name"), attrs.get("value"), ""]
            self.forms[-1]["buttons"].append(self._button)

    def handle_data(self, data):
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None


def press(client, path, button_text, **where):
    """Press the one button reading ``button_text`` (in the form whose hidden fields hold ``where``) on the page
    at ``path``, as a browser would."""
    parser = _Forms()
    parser.feed(client.get(path).content.decode())
    found = [(form, button) for form in parser.forms for button in form["buttons"] if button[2] == button_text
             and all(form["fields"].get(k) == str(v) for k, v in where.items())]
    assert len(found) == 1, (button_text, where, parser.forms)
    form, (name, value, _text) = found[0]
    fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
    return client.post(form["action"], {**fields, name: value})


# --- the inventory ------------------------------------------------------------------------


def test_unknown_category_is_refused_naming_the_field(city):
    c, r = city
    holding = PersonalDataHolding(city=c, key="x", name="X", holder=r["council"], categories=["identity", "dna"],
                                  data_subjects="People", lawful_basis="contract", retention="1 year")
    with pytest.raises(ValidationError) as exc:
        holding.full_clean()
    assert "categories" in exc.value.message_dict
    assert "unknown category dna" in exc.value.message_dict["categories"][0]
    with pytest.raises(ValidationError) as exc:
        actions.create(PersonalDataHolding, city=c, key="y", name="Y", holder=r["council"], categories=[],
                       data_subjects="People", lawful_basis="contract", retention="1 year")
    assert "categories" in exc.value.message_dict
    assert not PersonalDataHolding.objects.filter(key__in=["x", "y"]).exists()


def test_a_consent_purpose_must_say_how_consent_ends(city):
    c, r = city
    purpose = r["newsletter"]
    purpose.termination = ""
    with pytest.raises(ValidationError) as exc:
        purpose.full_clean()
    assert "termination" in exc.value.message_dict
    purpose.termination, purpose.asks_consent = "Ends.", False
    with pytest.raises(ValidationError) as exc:
        purpose.full_clean()
    assert "asks_consent" in exc.value.message_dict


def test_transfers_outside_the_eea_must_be_described(city):
    c, r = city
    holding = r["tax"]
    holding.transfers_outside_eea = True
    with pytest.raises(ValidationError) as exc:
        holding.full_clean()
    assert "transfers" in exc.value.message_dict


def test_public_inventory_page_shows_only_published_holdings(client, city):
    c, r = city
    response = client.get("/testville/privacy/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Council tax system" in html and "Panel answers" in html
    assert "Secret draft system" not in html and "Hidden purpose" not in html
    assert "Health and care (special category)" in html
    assert "USA, standard contractual clauses" in html
    data = client.get("/testville/privacy.json").json()
    assert [g["holder"] for g in data["holders"]] == ["Council", "University"]
    assert {h["key"] for h in data["holdings"]} == {"tax", "panel-answers"}
    assert data["summary"] == {"holdings": 2, "holders": 2, "special": 1, "asking_consent": 2}
    csv_text = client.get("/testville/privacy.csv").content.decode()
    assert "Council tax system" in csv_text and "Secret draft system" not in csv_text
    assert "Personnelles" not in html  # English by default; French below
    french = client.get("/fr/testville/privacy/").content.decode()
    assert 'lang="fr"' in french


def test_a_city_without_inventory_has_no_privacy_page(client, db):
    from cityline.core.testing import make_city

    make_city("empty", "Empty")
    assert client.get("/empty/privacy/").status_code == 404


# --- consent --------------------------------------------------------------------------------


def test_grant_and_withdraw_are_events_with_schema_valid_receipts(city, ann):
    c, r = city
    given = consent.grant(ann, r["newsletter"])
    withdrawn = consent.withdraw(ann, r["newsletter"])
    again = consent.grant(ann, r["newsletter"])
    panel = consent.grant(ann, r["panel"], language="fr")
    events = list(ConsentEvent.objects.filter(user=ann).order_by("at", "id"))
    assert [(e.purpose_key, e.action) for e in events] == [
        ("newsletter", "granted"), ("newsletter", "withdrawn"), ("newsletter", "granted"), ("panel", "granted")]
    assert consent.is_granted(ann, r["newsletter"]) and consent.current(ann, r["newsletter"]) == again
    for event in events:
        assert consent.receipt_problems(event.receipt) == []
        assert event.receipt["consentReceiptID"] == str(event.receipt_id)
        assert event.receipt["piiPrincipalId"] == event.subject
        assert "ann" not in json.dumps(event.receipt)  # pseudonymous: neither user name nor e-mail
    assert len({e.subject for e in events}) == 1
    receipt = given.receipt
    assert receipt["version"] == "KI-CR-v1.1.0" and receipt["jurisdiction"] == "FR"
    assert receipt["services"][0]["service"] == "Bin collection"
    purpose = receipt["services"][0]["purposes"][0]
    assert purpose["piiCategory"] == ["identity", "address", "financial"]  # from the published holding only
    assert purpose["consentType"] == "EXPLICIT" and purpose["termination"] == "Removed from the list."
    assert receipt["sensitive"] is False and withdrawn.receipt["cityline:action"] == "withdrawn"
    assert panel.receipt["sensitive"] is True and panel.receipt["spiCat"] == ["health"]
    assert panel.receipt["language"] == "fr"
    assert panel.receipt["services"][0]["purposes"][0]["thirdPartyName"] == "University"


def test_consent_is_append_only_and_refuses_meaningless_changes(city, ann):
    c, r = city
    event = consent.grant(ann, r["newsletter"])
    with pytest.raises(consent.ConsentError):
        consent.grant(ann, r["newsletter"])
    with pytest.raises(consent.ConsentError):
        consent.withdraw(ann, r["panel"])
    for purpose in (r["services"], r["hidden"]):  # not asked / not published
        with pytest.raises(consent.ConsentError):
            consent.grant(ann, purpose)
    event.action = "withdrawn"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert ConsentEvent.objects.get(pk=event.pk).action == "granted"


def test_a_broken_receipt_is_reported_by_field():
    problems = consent.receipt_problems({"version": "KI-CR-v1.1.0", "sensitive": "no"})
    assert any(p.startswith("sensitive:") for p in problems)
    assert any("piiPrincipalId" in p for p in problems)
    with pytest.raises(consent.ConsentError, match="sensitive"):
        consent.validate_receipt({"sensitive": "no"})


# --- the citizen area -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/account/", "/account/privacy/", "/account/my-data.json", "/account/erase/",
                                  "/account/consents/7d1c3f52-8f4e-4a5b-9c1d-2e3f4a5b6c7d.json", "/fr/account/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    sign_in = reverse("accounts:sign-in") if not path.startswith("/fr/") else "/fr/account/sign-in/"
    assert response["Location"].startswith(sign_in + "?next=")


def test_account_page_shows_who_how_roles_tokens_and_consents(client, city, ann):
    c, r = city
    grant(ann, "contributor", organisation=r["council"])
    consent.grant(ann, r["newsletter"])
    html = signed_in(client, ann).get("/account/").content.decode()
    assert "ann@example.org" in html and "Low" in html
    assert "Contributor" in html and "Council" in html
    assert "Newsletter" in html and "/account/consents/" in html
    assert "/account/tokens/" in html
    assert 'href="/account/"' in html  # the header link to the account


def test_privacy_page_grants_and_withdraws_with_post(client, city, ann):
    c, r = city
    client = signed_in(client, ann)
    page = client.get("/account/privacy/").content.decode()
    assert "Give consent to “Newsletter”" in page and "Give consent to “Research panel”" in page
    assert "Hidden purpose" not in page and "Secret draft system" not in page
    response = press(client, "/account/privacy/", "Give consent to “Newsletter”")
    assert response.status_code == 302 and response["Location"].endswith(f"#purpose-{r['newsletter'].pk}")
    assert consent.is_granted(ann, r["newsletter"])
    page = client.get("/account/privacy/").content.decode()
    assert "Withdraw consent to “Newsletter”" in page and "You agreed to “Newsletter”" in page
    press(client, "/account/privacy/", "Withdraw consent to “Newsletter”")
    assert not consent.is_granted(ann, r["newsletter"])
    assert client.post("/account/privacy/", {"purpose_id": r["hidden"].pk, "action": "grant"}).status_code == 404
    for unknown in ("0", "999999", "x", "²", "9" * 40):
        assert client.post("/account/privacy/", {"purpose_id": unknown, "action": "grant"}).status_code == 404
    assert ConsentEvent.objects.filter(user=ann).count() == 2


# a purpose taken off offer after the person agreed: unpublished, no longer asking (its notice, contact and
# termination text gone, so a receipt could not be built from it any more), or deleted (an editor or a pack)
NO_LONGER_OFFERED = {
    "unpublished": {"published": False},
    "not-asked": {"asks_consent": False, "lawful_basis": "public_task", "policy_url": "", "termination": "",
                  "contact_email": ""},
    "deleted": None,
}


def take_off_offer(purpose, how):
    if NO_LONGER_OFFERED[how] is None:
        actions.delete(purpose)
    else:
        actions.update(purpose, **NO_LONGER_OFFERED[how])


@pytest.mark.parametrize("how", NO_LONGER_OFFERED)
def test_a_consent_can_be_withdrawn_whatever_became_of_its_purpose(client, city, ann, how):
    """GDPR Art. 7(3): withdrawing is as easy as giving, at any time; giving stays limited to purposes on offer."""
    c, r = city
    client = signed_in(client, ann)
    assert press(client, "/account/privacy/", "Give consent to “Newsletter”").status_code == 302
    given = ConsentEvent.objects.get(user=ann)
    take_off_offer(r["newsletter"], how)
    # both pages still show the consent as given, say why it is no longer asked, and offer to withdraw it
    for path in ("/account/privacy/?city=testville", "/account/"):
        page = client.get(path).content.decode()
        assert "Withdraw consent to “Newsletter”" in page, path
        assert "no longer asks for this consent" in page and str(given.receipt_id) in page, path
    assert "Give consent to “Newsletter”" not in client.get("/account/privacy/").content.decode()
    response = press(client, "/account/privacy/", "Withdraw consent to “Newsletter”")
    # the consent's block goes with it: back to the city's section
    assert response.status_code == 302 and response["Location"].endswith("?city=testville#city-testville")
    assert "You withdrew your consent to “Newsletter”" in client.get(response["Location"]).content.decode()
    withdrawn = ConsentEvent.objects.filter(user=ann).order_by("-at", "-id").first()
    assert withdrawn.action == "withdrawn" and withdrawn.purpose_key == "newsletter" and withdrawn.city == c
    assert consent.receipt_problems(withdrawn.receipt) == []
    assert withdrawn.receipt["cityline:action"] == "withdrawn" and withdrawn.subject == given.subject
    # what was agreed to, repeated from the grant's receipt (the purpose no longer says it)
    assert withdrawn.receipt["policyUrl"] == "https://council.example.org/privacy/newsletter"
    assert withdrawn.receipt["services"] == given.receipt["services"]
    assert consent.held(ann) == []
    page = client.get("/account/").content.decode()
    assert "Newsletter" not in page and "You have not given consent" in page
    assert f'name="consent" value="{given.receipt_id}"' not in client.get("/account/privacy/").content.decode()
    # no giving it again: the purpose is not on offer (404, as for anyone)
    assert client.post("/account/privacy/", {"purpose_id": given.purpose_id, "action": "grant"}).status_code == 404
    # the old form again (a second click): nothing more to withdraw, nothing recorded
    response = client.post("/account/privacy/", {"consent": given.receipt_id, "action": "withdraw"})
    assert response.status_code == 302
    assert "Nothing changed" in client.get(response["Location"]).content.decode()
    assert [e.action for e in ConsentEvent.objects.filter(user=ann).order_by("at", "id")] == ["granted", "withdrawn"]
    assert ConsentEvent.objects.get(pk=given.pk).receipt == given.receipt  # append-only: the grant unchanged


def test_withdrawing_a_purpose_no_longer_on_offer_in_the_consent_module(city, ann, bob):
    c, r = city
    consent.grant(ann, r["newsletter"])
    consent.grant(ann, r["panel"])
    actions.update(r["newsletter"], published=False)
    with pytest.raises(consent.ConsentError):
        consent.withdraw(bob, r["newsletter"])  # bob holds nothing to withdraw
    assert [e.purpose_key for e in consent.held(ann)] == ["panel", "newsletter"]
    assert consent.withdraw(ann, r["newsletter"]).action == "withdrawn"
    with pytest.raises(consent.ConsentError):
        consent.grant(ann, r["newsletter"])
    with pytest.raises(consent.ConsentError):
        consent.withdraw(ann, r["newsletter"])
    actions.delete(r["panel"])
    assert [(e.purpose_id, e.purpose_key) for e in consent.held(ann)] == [(None, "panel")]
    with pytest.raises(consent.ConsentError):
        consent.withdraw_deleted(bob, c, "panel")
    event = consent.withdraw_deleted(ann, c, "panel", language="fr")
    assert event.purpose is None and event.receipt["language"] == "fr" and event.receipt["sensitive"] is True
    assert consent.held(ann) == []


def test_the_account_page_lists_each_city_s_consent_for_purposes_of_the_same_key(client, city, ann):
    c, r = city
    other, r2 = make_privacy_city("otherville")
    consent.grant(ann, r["newsletter"])
    consent.grant(ann, r2["newsletter"])
    page = signed_in(client, ann).get("/account/").content.decode()
    assert "Newsletter (Testville)" in page and "Newsletter (Otherville)" in page
    otherville = consent.current(ann, r2["newsletter"])
    press(client, "/account/", "Withdraw consent to “Newsletter”", consent=otherville.receipt_id)
    page = client.get("/account/").content.decode()
    assert "Newsletter (Testville)" in page and "Newsletter (Otherville)" not in page
    assert consent.is_granted(ann, r["newsletter"]) and not consent.is_granted(ann, r2["newsletter"])


def test_the_privacy_form_needs_a_csrf_token(city, ann):
    from django.test import Client

    c, r = city
    strict = signed_in(Client(enforce_csrf_checks=True), ann)
    response = strict.post("/account/privacy/", {"purpose_id": r["newsletter"].pk, "action": "grant"})
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()


def recreate(purpose, **changes):
    """Delete ``purpose`` and create a new one of the same key (an editor or a pack re-import may do this)."""
    fields = {f: getattr(purpose, f) for f in ("city", "key", "name", "controller", "category", "lawful_basis",
                                               "asks_consent", "policy_url", "termination", "contact_email")}
    actions.delete(purpose)
    return actions.create(ProcessingPurpose, **{**fields, **changes})


@pytest.mark.parametrize("first", ["old", "new"])
def test_consents_to_a_deleted_purpose_and_its_successor_of_the_same_key_are_withdrawn_apart(client, city, ann,
                                                                                            first):
    """The form names the exact consent: withdrawing one never withdraws the other, in either order."""
    c, r = city
    old = consent.grant(ann, r["newsletter"])
    successor = recreate(r["newsletter"], policy_url="https://council.example.org/privacy/newsletter-2")
    new = consent.grant(ann, successor)
    old.refresh_from_db()
    assert old.purpose_id is None and old.purpose_key == new.purpose_key == "newsletter"
    client = signed_in(client, ann)
    page = client.get("/account/privacy/?city=testville").content.decode()
    assert page.count("Withdraw consent to “Newsletter”") == 2
    assert page.count(f'id="purpose-{successor.pk}"') == 1 and page.count(f'id="consent-{old.receipt_id}"') == 1
    order = [old, new] if first == "old" else [new, old]
    aimed, other = order
    response = press(client, "/account/privacy/?city=testville", "Withdraw consent to “Newsletter”",
                     consent=aimed.receipt_id)
    assert response.status_code == 302
    withdrawn = ConsentEvent.objects.filter(user=ann).order_by("-at", "-id").first()
    assert withdrawn.action == "withdrawn" and withdrawn.purpose_id == aimed.purpose_id
    assert withdrawn.receipt["policyUrl"] == aimed.receipt["policyUrl"]  # the receipt names what was withdrawn
    assert [e.receipt_id for e in consent.held(ann)] == [other.receipt_id]  # the other consent stays given
    # the other one is still there to withdraw, from the account page this time
    press(client, "/account/", "Withdraw consent to “Newsletter”", consent=other.receipt_id)
    assert consent.held(ann) == [] and not consent.is_granted(ann, successor)
    events = ConsentEvent.objects.filter(user=ann)
    assert events.count() == 4 and all(consent.receipt_problems(e.receipt) == [] for e in events)
    assert {e.receipt_id: e.receipt for e in events if e.action == "granted"} == {old.receipt_id: old.receipt,
                                                                                 new.receipt_id: new.receipt}


def test_a_consent_cannot_be_aimed_at_by_another_person(client, city, ann, bob):
    """Changing the posted identifier reaches only the signed-in person's own consents."""
    c, r = city
    bobs = consent.grant(bob, r["newsletter"])
    bobs_panel = consent.grant(bob, r["panel"])
    consent.withdraw(bob, r["panel"])
    client = signed_in(client, ann)
    for receipt_id in (bobs.receipt_id, bobs_panel.receipt_id, "not-a-uuid", "7d1c3f52-8f4e-4a5b-9c1d-2e3f4a5b6c7d"):
        assert client.post("/account/privacy/", {"consent": receipt_id, "action": "withdraw"}).status_code == 404
    assert consent.is_granted(bob, r["newsletter"]) and not ConsentEvent.objects.filter(user=ann).exists()
    # giving consent is always the signed-in person's own decision, whatever purpose is named
    assert client.post("/account/privacy/", {"purpose_id": r["newsletter"].pk, "action": "grant"}).status_code == 302
    assert consent.is_granted(ann, r["newsletter"])
    assert [(e.purpose_key, e.action) for e in ConsentEvent.objects.filter(user=bob).order_by("at", "id")] == [
        ("newsletter", "granted"), ("panel", "granted"), ("panel", "withdrawn")]
    with pytest.raises(consent.UnknownConsent):
        consent.withdraw_grant(ann, bobs.receipt_id)
    with pytest.raises(consent.UnknownConsent):  # signed out: nobody's consent
        consent.own_grant(None, bobs.receipt_id)


def test_a_form_naming_a_purpose_by_city_and_key_is_refused(client, city, ann):
    """The old form (city and purpose key) cannot say which consent it means: 400, nothing recorded."""
    c, r = city
    consent.grant(ann, r["newsletter"])
    client = signed_in(client, ann)
    for action in ("grant", "withdraw"):
        response = client.post("/account/privacy/", {"city": "testville", "purpose": "panel" if action == "grant"
                                                     else "newsletter", "action": action})
        assert response.status_code == 400 and "reload the page" in response.content.decode()
    assert client.post("/account/privacy/", {"consent": "x", "action": "erase"}).status_code == 400
    assert ConsentEvent.objects.filter(user=ann).count() == 1 and consent.is_granted(ann, r["newsletter"])


def test_a_withdrawal_pressed_on_a_page_older_than_the_consent_in_force_withdraws_it(client, city, ann):
    # The page was open while ann withdrew and gave consent again in another tab: its button carries the first
    # grant's receipt. She asked to withdraw her consent to that purpose, and it is withdrawn.
    c, r = city
    first = consent.grant(ann, r["newsletter"])
    consent.withdraw(ann, r["newsletter"])
    consent.grant(ann, r["newsletter"])
    response = signed_in(client, ann).post("/account/privacy/", {"consent": str(first.receipt_id),
                                                                 "action": "withdraw"}, follow=True)
    assert not consent.is_granted(ann, r["newsletter"])
    assert "You withdrew your consent" in response.content.decode()
    with pytest.raises(consent.ConsentError, match="no consent"):  # nothing in force: nothing recorded
        consent.withdraw_grant(ann, first.receipt_id)
    assert ConsentEvent.objects.filter(user=ann).count() == 4


def test_only_the_owner_sees_a_receipt(client, city, ann, bob):
    c, r = city
    event = consent.grant(ann, r["newsletter"])
    url = f"/account/consents/{event.receipt_id}.json"
    own = signed_in(client, ann).get(url)
    assert own.status_code == 200 and own.json() == event.receipt
    assert consent.receipt_problems(own.json()) == []
    client.logout()
    assert signed_in(client, bob).get(url).status_code == 404
    assert str(event.receipt_id) not in client.get("/account/privacy/").content.decode()
    assert str(event.receipt_id) not in client.get("/account/my-data.json").content.decode()


def test_my_data_holds_everything_about_the_person_and_nothing_else(client, city, ann, bob):
    c, r = city
    from cityline.accounts import tokens

    provider = actions.create(IdentityProvider, city=c, key="idp", name="Town ID", issuer="https://id.example.org",
                              client_id="cityline")
    FederatedIdentity.objects.create(user=ann, provider=provider, subject="sub-ann")
    FederatedIdentity.objects.create(user=bob, provider=provider, subject="sub-bob")
    grant(ann, "contributor", organisation=r["council"])
    token, raw = tokens.issue(ann, name="scripts", scopes=["read"], trust_level=1)
    tokens.issue(bob, name="bob's scripts", scopes=["read"], trust_level=1)
    consent.grant(ann, r["newsletter"])
    consent.grant(bob, r["panel"])
    response = signed_in(client, ann).get("/account/my-data.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["account"]["username"] == "ann" and data["account"]["email"] == "ann@example.org"
    assert [i["subject"] for i in data["federated_identities"]] == ["sub-ann"]
    assert [(a["role"], a["organisation"]) for a in data["role_assignments"]] == [("contributor", "council")]
    assert [e["purpose"] for e in data["consent_events"]] == ["newsletter"]
    assert data["consent_events"][0]["receipt"]["piiPrincipalId"] == data["pseudonymous_id"]
    text = response.content.decode()
    assert "bob" not in text and "sub-bob" not in text and "password" not in text
    assert [(t["name"], t["prefix"]) for t in data["api_tokens"]] == [("scripts", token.prefix)]
    assert "digest" not in data["api_tokens"][0]
    assert token.digest not in text and raw not in text
    assert ApiToken.objects.count() == 2


def test_erasure_removes_the_account_and_keeps_pseudonymous_evidence(client, city, ann, bob):
    c, r = city
    provider = actions.create(IdentityProvider, city=c, key="idp", name="Town ID", issuer="https://id.example.org",
                              client_id="cityline")
    FederatedIdentity.objects.create(user=ann, provider=provider, subject="sub-ann")
    grant(ann, "contributor", organisation=r["council"])
    grant(bob, "contributor", organisation=r["council"], granted_by=ann)
    consent.grant(ann, r["newsletter"])
    consent.withdraw(ann, r["newsletter"])
    consent.grant(bob, r["newsletter"])
    # a change ann made to a city record: its history must survive her erasure, without her
    actions.update(r["tax"], user=ann, expected_version=r["tax"].version, retention="7 years")
    pseudonym = ConsentEvent.objects.filter(user=ann).first().subject
    client = signed_in(client, ann)
    page = client.get("/account/erase/").content.decode()
    assert "2 consent decisions are kept" in page
    refused = client.post("/account/erase/", {})
    assert refused.status_code == 400 and User.objects.filter(username="ann").exists()
    response = client.post("/account/erase/", {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("/account/erase/done/")
    assert not User.objects.filter(username="ann").exists()
    assert not FederatedIdentity.objects.filter(subject="sub-ann").exists()
    assert RoleAssignment.objects.filter(user=bob).get().granted_by is None
    kept = ConsentEvent.objects.filter(subject=pseudonym)
    assert kept.count() == 2 and not kept.filter(user__isnull=False).exists()
    assert ConsentEvent.objects.filter(user=bob).count() == 1
    record = ErasureRecord.objects.get(subject=pseudonym)
    assert {k: v for k, v in record.erased.items() if not k.startswith("participation_")} == {
        "api_tokens": 0, "federated_identities": 1, "role_assignments": 1, "consent_events_pseudonymised": 2,
        "account": 1}
    assert not any(record.erased[k] for k in record.erased if k.startswith("participation_"))
    history = r["tax"].history.order_by("-history_date").first()
    assert history.retention == "7 years" and history.history_user_id is None
    done = client.get(response["Location"])
    assert done.status_code == 200 and pseudonym in done.content.decode()
    assert client.get("/account/").status_code == 302  # signed out


def test_erase_done_page_needs_an_erasure_in_this_session(client):
    assert client.get("/account/erase/done/").status_code == 404


# --- editor -------------------------------------------------------------------------------


def test_consent_evidence_is_read_only_for_platform_admins_only(client, city, ann, bob):
    c, r = city
    event = consent.grant(ann, r["newsletter"])
    grant(bob, "programme_admin", city=c)
    signed_in(client, bob)
    session = client.session
    session[SESSION_TRUST_KEY] = 3
    session.save()
    assert client.get("/admin/privacy/personaldataholding/").status_code == 200
    assert client.get("/admin/privacy/consentevent/").status_code == 403
    admin = User.objects.create_user("root", password="x" * 20, is_superuser=True, is_staff=True)
    client.force_login(admin)
    session = client.session
    session[SESSION_TRUST_KEY] = 3
    session.save()
    assert client.get("/admin/privacy/consentevent/").status_code == 200
    assert client.get(f"/admin/privacy/consentevent/{event.pk}/change/").status_code == 200
    assert client.get("/admin/privacy/consentevent/add/").status_code == 403
    assert client.get(f"/admin/privacy/personaldataholding/{r['tax'].pk}/change/").status_code == 200


# --- city pack ----------------------------------------------------------------------------


def test_pack_round_trip_carries_the_inventory_but_never_consent(tmp_path, city, ann):
    c, r = city
    consent.grant(ann, r["newsletter"])
    first, second = tmp_path / "first", tmp_path / "second"
    export_pack(c.key, first)
    text = (first / "privacy.yaml").read_text()
    assert "categories: [identity, address, financial]" in text and "draft-system" in text
    assert "granted" not in text and "ann" not in text
    actions.delete(City.objects.get(key=c.key))
    report = import_pack(first, progress=False, trusted=True)
    assert report.count("holdings").created == 3 and report.count("purposes").created == 4
    tax = PersonalDataHolding.objects.get(key="tax")
    assert [p.key for p in tax.purposes.order_by("key")] == ["newsletter", "services"]
    assert [o.key for o in tax.shared_with.all()] == ["uni"]
    export_pack(c.key, second)
    assert (first / "privacy.yaml").read_bytes() == (second / "privacy.yaml").read_bytes()


def test_pack_refuses_an_unknown_category_naming_file_and_field(tmp_path, city):
    c, r = city
    pack = tmp_path / "pack"
    export_pack(c.key, pack)
    path = pack / "privacy.yaml"
    path.write_text(path.read_text().replace("categories: [identity, address, financial]",
                                             "categories: [identity, adress, financial]"))
    with pytest.raises(PackError) as exc:
        import_pack(pack, progress=False, trusted=True)
    problems = [str(p) for p in exc.value.problems]
    assert any("privacy.yaml" in p and "categories[1]" in p and "adress" in p for p in problems), problems
    assert PersonalDataHolding.objects.get(key="tax").categories == ["identity", "address", "financial"]
