"""The sign-in page, with an identity provider's button, passes axe-core (WCAG 2.2 A/AA + best
practice) in both languages, at desktop width and at 320 px without sideways scrolling (B10).
"""

import pytest

from cityline.portal.testing import (
    DESKTOP,
    NARROW,
    assert_accessible,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def load_city_with_provider():
    from cityline.accounts.models import IdentityProvider
    from cityline.core import actions
    from cityline.core.testing import make_city

    city = make_city("testville", "Testville")
    actions.create(IdentityProvider, city=city, key="council-id", name="Testville Council ID",
                   issuer="https://id.testville.example.org", client_id="cityline")
    return city


@pytest.fixture(scope="module")
def sign_in_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_city_with_provider, "sign-in", django_db_blocker)


@pytest.fixture
def visit(browser):
    """Open a page (any status). The test injects axe-core inline, which the site's Content-Security-Policy
    rightly forbids, so the audit's browser context bypasses the policy."""
    contexts = []

    def opener(url, viewport, status=200):
        context = browser.new_context(viewport=viewport, java_script_enabled=True, bypass_csp=True)
        contexts.append(context)
        page = context.new_page()
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == status, f"{url} answered {response and response.status}"
        return page

    yield opener
    for context in contexts:
        context.close()


@audit_views
def test_sign_in_page_with_a_provider_is_accessible(sign_in_site, visit, lang, viewport):
    prefix = "" if lang == "en" else "/fr"
    page = visit(sign_in_site.url + prefix + "/account/sign-in/?next=/testville/", viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    button = page.locator("a[href*='/account/sign-in/testville/council-id/']")
    assert button.count() == 1 and "Testville Council ID" in button.inner_text()
    assert_accessible(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_a_failed_sign_in_page_is_accessible(sign_in_site, visit):
    # The provider does not exist at that address: the failure page says so, clearly and accessibly.
    page = visit(sign_in_site.url + "/account/sign-in/testville/council-id/", DESKTOP, status=400)
    assert "cannot be reached" in page.inner_text("[role=alert]")
    assert_accessible(page)
