"""The API token page passes axe-core (WCAG 2.2 A/AA + best practice) in English and French, at desktop
width and at 320 px without sideways scrolling, and works without JavaScript (B10; issue 7).

The browser gets the session cookie of a session made with ``Client.force_login`` for a person who
already has an active and a revoked token; creating a token through the form (JavaScript off) shows
the result page with the raw token, audited too.
"""

from urllib.parse import urlsplit

import pytest

from cityline.portal.testing import (
    NARROW,
    assert_accessible,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
    signed_in_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def load_token_city():
    from django.contrib.auth import get_user_model
    from cityline.accounts import tokens
    from cityline.core.testing import make_city

    city = make_city("testville", "Testville")
    user = get_user_model().objects.create_user("sam", email="sam@example.org", password="x" * 24)
    tokens.issue(user, name="nightly export to the regional portal", scopes=["read"], days=30, trust_level=2)
    old, _ = tokens.issue(user, name="old script", scopes=["read", "write"], days=5, trust_level=2)
    tokens.revoke(old)
    city.a11y_session_cookie = signed_in_cookie(user, trust=2)
    return city


@pytest.fixture(scope="module")
def token_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_token_city, "tokens", django_db_blocker)


def context_for(browser, url, cookie, **options):
    context = browser.new_context(bypass_csp=True, **options)  # axe-core is injected as a script
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": url}])
    return context


@audit_views
def test_token_page_is_accessible(token_site, browser, lang, viewport):
    url = token_site.url + ("/account/tokens/" if lang == "en" else "/fr/account/tokens/")
    context = context_for(browser, url, token_site.city.a11y_session_cookie, viewport=viewport)
    try:
        page = context.new_page()
        response = page.goto(url, wait_until="load")
        assert response.status == 200 and urlsplit(page.url).path == urlsplit(url).path
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.locator("tbody tr").count() == 2
        assert_accessible(page)
        if viewport is NARROW:
            assert_no_horizontal_scroll(page, NARROW["width"])
    finally:
        context.close()


def test_create_without_javascript_shows_the_token_once(token_site, browser):
    url = token_site.url + "/account/tokens/"
    context = context_for(browser, url, token_site.city.a11y_session_cookie, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url)
        page.fill("#id_name", "dashboard")
        page.check("#id_scopes_0")
        page.fill("#id_days", "7")
        page.click("form[action$='/account/tokens/'] button[type=submit]")
        raw = page.input_value("#raw-token")
        assert raw.startswith("cl_") and "Copy it now" in page.inner_text(".new-token")
        page.goto(url)
        assert raw not in page.content() and page.locator("tbody tr").count() == 3
    finally:
        context.close()
    audit = context_for(browser, url, token_site.city.a11y_session_cookie)
    try:
        page = audit.new_page()
        page.goto(url)
        page.fill("#id_name", "audit")
        page.check("#id_scopes_1")
        page.click("form[action$='/account/tokens/'] button[type=submit]")
        assert page.input_value("#raw-token").startswith("cl_")
        assert_accessible(page)
    finally:
        audit.close()
