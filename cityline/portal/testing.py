"""Accessibility harness for public pages: Debian's chromium (Playwright) + axe-core (npm).

Reusable by every area that adds public pages. A browser test module gets the
fixtures through ``tests/browser/conftest.py`` (which imports them from here) and
usually needs no code of its own: ``tests/browser/test_public_pages_a11y.py``
audits every page in the registry (``cityline.portal.registry``), so a page
registered by a later issue is audited automatically. See ``docs/portal.md``.

What it checks (WCAG 2.2 AA):

- axe-core with the WCAG 2.0 / 2.1 / 2.2 A and AA rules plus axe's best practices:
  zero violations, reported with rule id, impact and the failing elements;
- at 320 CSS pixels wide the page does not scroll sideways (reflow, WCAG 1.4.10);
- every request the page makes goes to our own server (no CDN, no third party).

Browser test modules are marked ``pytest.mark.django_db`` (so pytest-django sets
up the test database); the ``a11y_site`` fixture refuses to touch any other database.

If chromium or axe-core is missing the tests fail with a message saying how to
install them (``make test`` does it); they are never skipped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CITYLINE_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(os.environ.get("CITYLINE_AXE_JS", REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]
#: axe-core tags: WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}

#: The (language, viewport) pairs each page is audited in: each language and each width once, the
#: pair likeliest to break among them (French, the longer text, at 320 px). The other two pairs would
#: double the browser suite's minutes in CI; ``CITYLINE_AUDIT_ALL=1`` adds them for a full local audit.
AUDIT_VIEWS = [("en", DESKTOP), ("fr", NARROW)]
if os.environ.get("CITYLINE_AUDIT_ALL") == "1":
    AUDIT_VIEWS += [("fr", DESKTOP), ("en", NARROW)]
#: ``@audit_views`` parametrizes a test with ``lang`` and ``viewport`` over :data:`AUDIT_VIEWS`.
audit_views = pytest.mark.parametrize(
    ("lang", "viewport"), AUDIT_VIEWS,
    ids=[f"{lang}-{'desktop' if viewport is DESKTOP else '320px'}" for lang, viewport in AUDIT_VIEWS])


def require_tools() -> None:
    """Fail (not skip) with instructions when the browser or axe-core is missing."""
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"Debian's chromium is not installed at {CHROMIUM}: run `sudo apt-get install chromium` "
                        "(or `make test`), or set CITYLINE_CHROMIUM to a chromium binary.")
    if not AXE_JS.exists():
        problems.append(f"axe-core is not installed at {AXE_JS}: run `npm ci` in {REPO_ROOT} (or `make test`).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is missing: pip install -e '.[test]' (or `make test`).")
    if problems:
        pytest.fail("browser tests cannot run:\n- " + "\n- ".join(problems), pytrace=False)


def format_violations(url: str, violations: list[dict]) -> str:
    """A readable report: one block per rule with its impact and the failing elements."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v.get('impact') or 'n/a'}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:10]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary}")
        if len(v.get("nodes", [])) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def run_axe(page) -> list[dict]:
    """Inject axe-core into a Playwright page and return its violations."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
               runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        AXE_TAGS,
    )
    return result["violations"]


def assert_accessible(page) -> None:
    violations = run_axe(page)
    assert not violations, format_violations(page.url, violations)


def assert_no_horizontal_scroll(page, width: int = NARROW["width"]) -> None:
    """Reflow (WCAG 1.4.10): at ``width`` CSS pixels the document itself never scrolls sideways."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(
            """(w) => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > w + 1
                   && !Array.from(e.children).some(c => c.getBoundingClientRect().right > w + 1))
                 .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                   + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))""",
            width,
        )
        raise AssertionError(f"{page.url} scrolls sideways at {width}px: scrollWidth={scroll_width}; "
                             f"widest elements: {', '.join(culprits)}")


#: B11: a public page with its CSS and JavaScript stays under this many bytes.
MAX_PAGE_BYTES = 150 * 1024


def page_weight(page) -> int:
    """Bytes of the page's HTML plus the stylesheets and scripts it loaded (decoded sizes)."""
    return page.evaluate(
        r"""() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const assets = performance.getEntriesByType('resource')
                .filter(r => ['link', 'script', 'css'].includes(r.initiatorType) || /\.(css|js)(\?|$)/.test(r.name));
            return nav.decodedBodySize + assets.reduce((sum, r) => sum + r.decodedBodySize, 0);
        }"""
    )


def assert_light(page, limit: int = MAX_PAGE_BYTES) -> None:
    weight = page_weight(page)
    assert weight < limit, f"{page.url} weighs {weight} bytes of HTML, CSS and JS (limit {limit})"


@dataclass
class Site:
    """A live server with one city loaded, for browser tests."""

    url: str
    city: object
    label: str
    pages: list = field(default_factory=list)

    def page_url(self, name: str, lang: str = "en") -> str | None:
        """Absolute URL of a registered page (its HTML face) in one language.

        For a detail page (one page per record) this is the first record's page;
        ``None`` when the city has no record for it (e.g. no KPI in a strategy-only city).
        """
        from django.utils import translation

        from . import registry

        page = registry.get(name)
        with translation.override(lang):
            paths = page.paths(None if page.scope == "site" else self.city)
        return self.url + paths[0] if paths else None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's chromium through Playwright, shared by the whole session."""
    require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser):
    """Open a URL at a viewport size; fails on any request to another host (no CDN)."""
    contexts = []

    def opener(url: str, viewport: dict = DESKTOP, cookie: str | None = None):
        """``cookie``: a session cookie value (see :func:`signed_in_cookie`) to open the page signed in."""
        # bypass_csp: axe-core is injected as an inline script, which the site's Content-Security-Policy
        # refuses; the policy itself is tested in tests/browser/test_content_security_policy.py.
        context = browser.new_context(viewport=viewport, java_script_enabled=True, bypass_csp=True)
        contexts.append(context)
        if cookie:
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": url}])
        page = context.new_page()
        own = urlsplit(url).netloc
        foreign: list[str] = []

        def guard(route):
            target = urlsplit(route.request.url)
            if target.scheme in ("http", "https") and target.netloc != own:
                foreign.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", guard)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
        assert urlsplit(page.url).path == urlsplit(url).path, f"{url} was redirected to {page.url}"
        assert not foreign, f"{url} requested other hosts: {foreign}"
        return page

    yield opener
    for context in contexts:
        context.close()


def signed_in_cookie(user, trust: int) -> str:
    """The value of a session cookie signed in as ``user`` at a sign-in trust level (for the browser)."""
    from django.test import Client

    from cityline.accounts.principals import SESSION_TRUST_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_TRUST_KEY] = trust
    session.save()
    return client.cookies["sessionid"].value


def assert_test_database() -> None:
    """Refuse to load or flush anything unless Django points at the test database.

    pytest-django creates the test database only when a collected test is marked
    ``django_db``: browser test modules must carry that mark (see the module docstring).
    """
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    test_name = connection.settings_dict.get("TEST", {}).get("NAME") or ""
    if not (name.startswith("test_") or "memory" in name or (test_name and name == test_name)):
        pytest.fail(f"browser fixtures refuse to use the database {name!r}: it is not a test database. "
                    "Mark the test module with pytest.mark.django_db so pytest-django creates one.", pytrace=False)


def serve_city(loader, label: str, django_db_blocker) -> Iterator[Site]:
    """Load a city once (committed), serve it with pytest-django's LiveServer, then empty the database.

    Loading once per module keeps the audit fast with the full demo city (its import
    takes seconds); the database is flushed afterwards, as a transactional test would.
    """
    from django.core.management import call_command
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        assert_test_database()
        city = loader()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield Site(url=server.url, city=city, label=label)
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            # Playwright's event loop gives this fixture its own context, hence its own
            # database connections (asgiref locals): close them, or PostgreSQL refuses
            # to drop the test database at the end of the run.
            from django.db import connections

            connections.close_all()


def load_small_city():
    from cityline.strategy.tests.factories import make_strategy_city

    return make_strategy_city()


def load_demo_city():
    from cityline.core.demo import prepare_peer
    from cityline.core.demo_snapshot import import_demo_pack

    city = import_demo_pack()  # a snapshot of the first import in this worker (cityline.core.demo_snapshot)
    prepare_peer(city)  # the comparison partner, so the benchmark page is audited with data (issue 9)
    return city


#: The data sets the page audits run with: the demo city has every page; ``CITYLINE_AUDIT_ALL=1`` adds the small
#: test city (sparse pages; their HTML is also rendered by the Django test-client page tests), left out of CI for time.
A11Y_DATA_SETS = ["small", "demo"] if os.environ.get("CITYLINE_AUDIT_ALL") == "1" else ["demo"]


@pytest.fixture(scope="module", params=A11Y_DATA_SETS)
def a11y_site(request, django_db_setup, django_db_blocker) -> Iterator[Site]:
    """A live site loaded with the demo city (and the small test city first with ``CITYLINE_AUDIT_ALL=1``)."""
    loader = {"small": load_small_city, "demo": load_demo_city}[request.param]
    yield from serve_city(loader, request.param, django_db_blocker)
