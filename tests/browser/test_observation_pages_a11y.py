"""The public observation pages (issue 6) in a real browser, with the demo city's readings seeded.

The generic audit (test_public_pages_a11y.py) audits these registered pages with the demo city as its
snapshot restores it (and the small city with ``CITYLINE_AUDIT_ALL=1``): the demo's series are there,
their readings are not (the snapshot holds database tables and open data files, not the observation
store). Here the demo city gets a year of readings (:func:`cityline.observations.demo.seed_observations`)
and its KPIs computed from them, so:

- axe-core (WCAG 2.2 A/AA + best practice) finds nothing on the sensors list, a sensor's page (with
  its sparkline and tables) and the computed KPIs page, with readings and runs shown, in English and
  French, at desktop width and at 320 px without sideways scrolling;
- the live refresh works: a reading stored while the page is open shows up after the script's next
  poll of ``sensors.json`` (the page's clock is driven by Playwright, so nobody waits 30 s);
- without JavaScript the sensors page shows the readings as of page load.
"""

import shutil
import threading

import pytest
from playwright.sync_api import expect

from cityline.portal.testing import (
    DESKTOP,
    NARROW,
    assert_accessible,
    assert_light,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SENSOR = "aq-harbour-pm25"
PAGES = {
    "sensors": "/{lang}{city}/sensors/",
    "sensor": "/{lang}{city}/sensors/" + SENSOR + "/",
    "kpi-computations": "/{lang}{city}/kpi-computations/",
}


def load_demo_city_with_readings():
    from cityline.core.demo_snapshot import import_demo_pack
    from cityline.observations import demo, live

    city = import_demo_pack()
    live.forget()
    city.seeded = demo.seed_observations(city, years=1)  # the pages show the last 30 days; a year feeds the KPIs
    from cityline.observations import alertdata, compute

    # The seeding's alerts publish the alert history from a background thread. SQLite's shared in-memory test
    # database answers a second writer with "table is locked" instead of waiting (seen failing at set-up): the
    # KPIs are computed once that publication is done.
    alertdata.drain()
    compute.compute_city(city)
    return city


@pytest.fixture(scope="module")
def readings_site(django_db_setup, django_db_blocker):
    from cityline.observations import registry

    site = None
    try:
        for site in serve_city(load_demo_city_with_readings, "demo-readings", django_db_blocker):
            yield site
    finally:
        if site is not None:  # the store is per session: leave no readings to the other tests
            shutil.rmtree(registry.store_root(site.city), ignore_errors=True)


def url(site, name, lang="en"):
    return site.url + PAGES[name].format(lang="" if lang == "en" else "fr/", city=site.city.key)


@audit_views
@pytest.mark.parametrize("name", list(PAGES))
def test_observation_page_with_readings_is_accessible(readings_site, open_page, name, lang, viewport):
    assert readings_site.city.seeded["rows"] > 150_000
    page = open_page(url(readings_site, name, lang), viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    if name == "sensors":
        value = page.inner_text(f"[data-live='latest.{SENSOR}.value']")
        assert value.strip() not in ("", "—")  # a real reading is shown
        assert page.locator("table caption").count() >= 4  # one table per group
    if name == "sensor":
        assert page.locator("table tbody tr").count() > 24  # hourly means of the last 48 hours, daily means
        assert page.locator("svg").count() >= 1  # the sparkline
    if name == "kpi-computations":
        assert page.locator("table tbody tr").count() >= 5  # runs with their provenance
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_latest_readings_refresh_from_sensors_json(readings_site, browser):
    from datetime import datetime, timezone

    from django.db import connections

    from cityline.observations import ingest, live

    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.clock.install()  # the script polls every 30 s: Playwright moves the page's clock on
        page.goto(url(readings_site, "sensors"))
        cell = page.locator(f"[data-live='latest.{SENSOR}.value']")
        before = cell.inner_text()
        assert before.strip() not in ("", "—", "987.65")

        def store_reading():  # in a thread of its own, committed at once, as an ingestion process would
            try:
                ingest.write_observations(readings_site.city, [
                    {"series": SENSOR, "time": datetime(2026, 11, 30, 6, tzinfo=timezone.utc), "value": 987.65}])
                live.forget()
            finally:
                connections.close_all()

        thread = threading.Thread(target=store_reading)
        thread.start()
        thread.join()
        assert cell.inner_text() == before  # nothing moves before the next poll
        page.clock.run_for(31_000)
        expect(cell).to_contain_text("987.65")  # polled by Playwright: the site's CSP forbids eval
        assert page.get_attribute(f"[data-live-time='latest.{SENSOR}.time']", "datetime").startswith(
            "2026-11-30T06:00")
        assert "Latest readings updated at" in page.inner_text("[data-live-status]")
    finally:
        context.close()


def test_without_javascript_the_readings_are_shown(readings_site, browser):
    context = browser.new_context(viewport=NARROW, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url(readings_site, "sensors"))
        value = page.inner_text(f"[data-live='latest.{SENSOR}.value']")
        assert value.strip() not in ("", "—")
        assert "Latest readings as of when the page was loaded." in page.inner_text("[data-live-status]")
        page.click(f"a[href$='/sensors/{SENSOR}/']")
        page.wait_for_load_state("load")  # the click returns once the navigation commits, before the page is parsed
        assert page.locator("table tbody tr").count() > 24
    finally:
        context.close()
