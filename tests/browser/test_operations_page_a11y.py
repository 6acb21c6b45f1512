"""The staff operations page, and the public sensors page's open alerts (issue 6), in a real browser.

- axe-core (WCAG 2.2 A/AA + best practice) finds nothing on the page with an open alert, readings
  and history, in English and French, at desktop width and at 320 px without sideways scrolling;
- the page updates live: readings stored while it is open show up in the tables and the new
  alert is announced in the polite live region;
- without JavaScript the page still shows everything and a refresh link;
- the public sensors page refreshes its list of open alerts as it does its readings.
"""

import threading

import pytest
from playwright.sync_api import expect

from cityline.portal.testing import (
    DESKTOP,
    NARROW,
    assert_accessible,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
    signed_in_cookie,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGE = "/{lang}vale/operations/"


def load_operations_city():
    from django.contrib.auth import get_user_model

    from cityline.accounts.testing import grant
    from cityline.observations import alerts, live
    from cityline.observations.tests.alert_world import make_alert_city, write

    alerts.reset()
    live.forget()
    city, r = make_alert_city()
    write(city, "air-harbour", [(t, 30) for t in range(0, 70, 10)] + [(70, 12)])  # closed alert
    write(city, "air-station", [(t, 31.5) for t in range(0, 70, 10)])  # open alert
    write(city, "water-level", [(0, 951.25)])
    operator = get_user_model().objects.create_user("operator", password="x")
    grant(operator, "contributor", organisation=r["council"])
    city.operator_cookie = signed_in_cookie(operator, trust=2)  # substantial: what a staff role needs
    return city


@pytest.fixture(scope="module")
def operations_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_operations_city, "operations", django_db_blocker)


@audit_views
def test_operations_page_is_accessible(operations_site, open_page, lang, viewport):
    url = operations_site.url + PAGE.format(lang="" if lang == "en" else "fr/")
    page = open_page(url, viewport, operations_site.city.operator_cookie)
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.locator("table caption").count() == 3
    assert page.locator("[data-live-table=open] tbody tr").count() == 1
    assert_accessible(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_page_updates_live_and_announces_a_new_alert(operations_site, open_page, django_db_blocker):
    from django.db import connections

    from cityline.observations import live
    from cityline.observations.tests.alert_world import write

    page = open_page(operations_site.url + PAGE.format(lang=""), DESKTOP, operations_site.city.operator_cookie)
    news = page.locator("[data-live-news]")
    assert news.inner_text() == ""

    def store_readings():  # in a thread of its own: committed at once, as an ingestion process would
        try:
            write(operations_site.city, "air-harbour", [(t, 44) for t in range(80, 150, 10)])  # an hour above again
            live.forget()
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        worker = threading.Thread(target=store_readings)
        worker.start()
        worker.join()
    page.wait_for_function("document.querySelector('[data-live-news]').textContent.includes('New alert')",
                           timeout=30000)
    assert "PM2.5 at the harbour at 44" in news.inner_text()
    assert page.locator("[data-live-table=open] tbody tr").count() == 2
    readings = page.locator("[data-live-table=readings] tbody").inner_text()
    assert "44" in readings
    assert_accessible(page)


def test_without_javascript_the_page_shows_everything_and_a_refresh_link(operations_site, browser):
    url = operations_site.url + PAGE.format(lang="")
    context = browser.new_context(java_script_enabled=False)
    try:
        context.add_cookies([{"name": "sessionid", "value": operations_site.city.operator_cookie, "url": url}])
        page = context.new_page()
        page.goto(url)
        assert page.locator("table caption").count() == 3
        assert page.get_by_role("link", name="Refresh").get_attribute("href") == "/vale/operations/"
        assert "951.25" in page.locator("[data-live-table=readings]").inner_text()
    finally:
        context.close()


def test_the_sensors_page_refreshes_its_open_alerts(operations_site, browser, django_db_blocker):
    """The public sensors page polls sensors.json every 30 s (Playwright moves the page's clock on): an alert that
    closes leaves its list of open alerts, one that opens joins it, its time said in UTC."""
    from django.db import connections

    from cityline.observations import live
    from cityline.observations.tests.alert_world import write

    def store(readings):  # in a thread of its own: committed at once, as an ingestion process would
        def run():
            try:
                write(operations_site.city, "air-harbour", readings)
                live.forget()
            finally:
                connections.close_all()

        with django_db_blocker.unblock():
            worker = threading.Thread(target=run)
            worker.start()
            worker.join()

    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)  # bypass_csp: axe-core is injected inline
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(operations_site.url + "/vale/sensors/")
        section = page.locator("[data-live-alerts]")
        store([(t, 26) for t in range(200, 270, 10)])  # an hour above 25: an alert is open (or stays open)
        page.clock.run_for(31_000)
        expect(section.locator("li")).to_have_count(1)
        store([(300, 12)])  # below the threshold: it closes
        page.clock.run_for(31_000)
        expect(section.get_by_text("No alert is open.")).to_be_visible()
        expect(section.locator("li")).to_have_count(0)
        store([(t, 26) for t in range(310, 380, 10)])  # above 25 for an hour from 13:10 (no jump of 20)
        page.clock.run_for(31_000)
        expect(section.locator("li")).to_have_count(1)
        expect(section.locator("li")).to_contain_text("PM2.5 at the harbour (since 2026-03-02 13:10 UTC, peak 26)")
        expect(section.get_by_text("No alert is open.")).to_be_hidden()
        assert_accessible(page)
    finally:
        context.close()
