"""No page breaks the Content-Security-Policy (B10; docs/security.md): portal, open data and editor pages
are opened in Debian's chromium with the real policy header, and every ``securitypolicyviolation``
event and every CSP console error is recorded; there must be none.

The demo city is loaded once; the editor pages are opened signed in as a platform administrator
through the sign-in form, so the sign-in page and its form post are under the policy too.
"""

from __future__ import annotations

import pytest

from cityline.portal import registry
from cityline.portal.testing import DESKTOP, load_demo_city, serve_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "csp-test-password-0123"

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} `
                              + `at ${e.sourceFile}:${e.lineNumber} (${(e.sample || '').slice(0, 60)})`);
});
"""


def load_city_and_admin():
    from django.contrib.auth import get_user_model

    from cityline.accounts.testing import grant

    city = load_demo_city()
    admin = get_user_model().objects.create_user("csp-admin", password=PASSWORD)
    grant(admin, "platform_admin")
    return city


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    yield from serve_city(load_city_and_admin, "demo", django_db_blocker)


def editor_paths(city) -> list[str]:
    from django.urls import reverse

    from cityline.benefits.models import Kpi
    from cityline.strategy.models import Initiative

    kpi = Kpi.objects.filter(city=city).first()
    initiative = Initiative.objects.filter(city=city).first()
    paths = [
        reverse("admin:index"),
        reverse("admin:core_city_changelist"),
        reverse("admin:core_city_change", args=[city.pk]),
        reverse("admin:core_city_history", args=[city.pk]),
        reverse("admin:core_city_timeline", args=[city.key]),
        reverse("admin:strategy_initiative_add"),
        reverse("admin:strategy_initiative_change", args=[initiative.pk]),
        reverse("admin:benefits_kpi_change", args=[kpi.pk]),
        reverse("admin:opendata_dataset_changelist") + "?q=a",
        reverse("admin:delivery_board_pack") + f"?city={city.key}",
        reverse("admin:delivery_board_pack") + f"?city={city.key}&format=html",
        reverse("admin:delivery_engagement") + f"?city={city.key}",
        reverse("admin:auth_user_changelist"),
    ]
    return paths


def public_paths(site) -> list[str]:
    out = []
    for page in registry.pages():
        for lang in ("en", "fr"):
            url = site.page_url(page.name, lang)
            if url:
                out.append(url[len(site.url):])
    return out + ["/account/sign-in/", "/api/v1/docs"]


def violations_of(page, console: list[str]) -> list[str]:
    found = list(page.evaluate("window.__cspViolations || []"))
    found += [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]
    console.clear()
    return found


@pytest.fixture
def csp_context(browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=True)
    context.add_init_script(RECORD_VIOLATIONS)
    yield context
    context.close()


def open_all(context, base: str, paths: list[str]) -> dict[str, list[str]]:
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    problems = {}
    for path in paths:
        response = page.goto(base + path, wait_until="load")
        assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), path
        page.wait_for_timeout(50)  # let deferred scripts run
        found = violations_of(page, console)
        if found:
            problems[path] = found
    page.close()
    return problems


def test_public_and_open_data_pages_break_no_policy_rule(site, csp_context):
    paths = public_paths(site)
    assert any("/data/" in p for p in paths) and any("benefit" in p for p in paths)
    assert open_all(csp_context, site.url, paths) == {}


def test_editor_pages_break_no_policy_rule(site, csp_context):
    page = csp_context.new_page()
    page.goto(site.url + "/account/sign-in/?next=/admin/")
    page.fill("input[name=username]", "csp-admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit], main form input[type=submit]")
    page.wait_for_load_state("load")
    assert "/admin/" in page.url, page.url
    assert page.evaluate("window.__cspViolations") == []
    page.close()
    assert open_all(csp_context, site.url, editor_paths(site.city)) == {}


def test_the_recorder_sees_a_violation(site, csp_context):
    """The harness is live: an inline script injected into a page is reported."""
    page = csp_context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.goto(site.url + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';
                             document.body.appendChild(s);
                             const d = document.createElement('div'); d.setAttribute('style', 'color: red');
                             document.body.appendChild(d); }""")
    page.wait_for_timeout(100)
    found = violations_of(page, console)
    assert any(v.startswith("script-src") for v in found), found
    assert any(v.startswith("style-src") for v in found), found
