"""The privacy pages pass axe-core (WCAG 2.2 A/AA + best practice) in English and French, at desktop
width and at 320 px without sideways scrolling (B10, B14; issue 7).

The public inventory ``/<city>/privacy/`` is also in the registry audit (demo city); here it is
audited with every part it can show (special categories, transfers, several holders). The citizen
area needs a signed-in person: the browser gets the session cookie of a session made with
Django's ``Client.force_login`` (committed before the live server starts), for a person who has
a role, consent decisions and a consultation they took part in, so the pages show their lists,
receipts and forms.
"""

import pytest

from cityline.portal.testing import (
    NARROW,
    assert_accessible,
    assert_light,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
    signed_in_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGES = {
    "inventory": ("/{lang}testville/privacy/", False),
    "account": ("/{lang}account/", True),
    "account-privacy": ("/{lang}account/privacy/", True),
    "account-erase": ("/{lang}account/erase/", True),
}

def load_privacy_city():
    from django.contrib.auth import get_user_model
    from cityline.accounts.testing import grant
    from cityline.privacy import consent
    from cityline.privacy.testing import make_privacy_city

    city, r = make_privacy_city()
    user = get_user_model().objects.create_user("camille", email="camille@example.org", password="x" * 24,
                                                first_name="Camille", last_name="Martin")
    grant(user, "contributor", organisation=r["council"])
    consent.grant(user, r["newsletter"])
    consent.withdraw(user, r["newsletter"])
    consent.grant(user, r["panel"])
    # a consultation the person took part in: listed on the account page, counted on the erasure page
    from datetime import timedelta

    from django.utils import timezone

    from cityline.core import actions
    from cityline.participation import services
    from cityline.participation.models import Consultation

    today = timezone.localdate()
    consultation = actions.create(
        Consultation, city=city, key="quieter-streets", title="Quieter streets for everyone in the old town",
        organiser=r["council"], question="Which streets should be closed to through traffic?",
        opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=20), channels=["online"])
    actions.update(consultation, status="open")
    participant = services.join(consultation, user, display_name="Camille from the harbour district")
    services.contribute(participant, "Close Harbour Lane to through traffic on weekends first.")
    city.a11y_session_cookie = signed_in_cookie(user, trust=1)
    return city

@pytest.fixture(scope="module")
def privacy_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_privacy_city, "privacy", django_db_blocker)

@audit_views
@pytest.mark.parametrize("name", list(PAGES))
def test_privacy_page_is_accessible(privacy_site, open_page, name, lang, viewport):
    path, signed_in = PAGES[name]
    url = privacy_site.url + path.format(lang="" if lang == "en" else "fr/")
    page = open_page(url, viewport, privacy_site.city.a11y_session_cookie if signed_in else None)
    assert page.evaluate("document.documentElement.lang") == lang
    if signed_in:
        assert page.locator("main h1").count() == 1
        assert page.locator("form[action$='sign-out/'] button").count() == 1
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])

# the newsletter's consent block (its id is the purpose's database id, unique on the page whichever cities it shows)
NEWSLETTER = "article:has(h4:text-is('Newsletter'))"

def test_consent_buttons_work_without_javascript(privacy_site, browser):
    """Giving and withdrawing consent are plain POST forms (B11: no script needed)."""
    context = browser.new_context(java_script_enabled=False)
    try:
        url = privacy_site.url + "/account/privacy/"
        context.add_cookies([{"name": "sessionid", "value": privacy_site.city.a11y_session_cookie, "url": url}])
        page = context.new_page()
        page.goto(url)
        page.click(NEWSLETTER + " button[name=action][value=grant]")
        page.wait_for_load_state("load")  # the click returns once the navigation commits, before the page is parsed
        assert page.locator(NEWSLETTER + " button[value=withdraw]").count() == 1
        assert "Newsletter" in page.inner_text(".messages")
        page.click(NEWSLETTER + " button[name=action][value=withdraw]")
        page.wait_for_load_state("load")
        assert page.locator(NEWSLETTER + " button[value=grant]").count() == 1
    finally:
        context.close()
