"""The open data pages pass axe-core (WCAG 2.2 A/AA + best practice) in both languages, at desktop
width and at 320 px without sideways scrolling (B8, B11, WCAG 1.4.10; issue 4 item 10).

The registry audit (``test_public_pages_a11y.py``) covers the catalogue and the first dataset
page of the demo city; this module audits them on a catalogue with uploaded files, so the
pages are seen with every part they can show: facets and an active filter, the Five-Star
reasons, versions, the preview table, the quick chart with its table, the Table Schema, and a
dataset whose distributions are links only.
"""

import tempfile
from pathlib import Path

import pytest

from cityline.portal.testing import (
    NARROW,
    assert_accessible,
    assert_light,
    assert_no_horizontal_scroll,
    audit_views,
    serve_city,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGES = {
    "catalogue": "/{lang}testville/data/",
    "catalogue-filtered": "/{lang}testville/data/?theme=environment&q=air&sort=title",
    "dataset": "/{lang}testville/data/air-quality/",
    "dataset-chart-values": "/{lang}testville/data/air-quality/?chart=district",
    "dataset-links-only": "/{lang}testville/data/bus-stops/",
}


def load_catalogue():
    from cityline.opendata import services
    from cityline.opendata.models import Distribution
    from cityline.opendata.testing import make_catalogue_city, sample_files

    city = make_catalogue_city()
    files = sample_files(Path(tempfile.mkdtemp(prefix="cityline-a11y-")))
    air = Distribution.objects.get(city=city, key="air-quality-csv")
    services.upload_version(air, files["air-quality-csv"])
    services.upload_version(air, files["air-quality-csv"], note="same rows again")
    return city


@pytest.fixture(scope="module")
def catalogue_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_catalogue, "catalogue", django_db_blocker)


@audit_views
@pytest.mark.parametrize("name", list(PAGES))
def test_open_data_page_is_accessible(catalogue_site, open_page, name, lang, viewport):
    url = catalogue_site.url + PAGES[name].format(lang="" if lang == "en" else "fr/")
    page = open_page(url, viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_search_form_works_without_javascript(catalogue_site, browser):
    """The GET form and the facet links need no script (B11)."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(catalogue_site.url + "/testville/data/")
        page.fill("#od-q", "stops")
        page.click("form[role=search] button[type=submit]")
        assert "q=stops" in page.url
        assert page.inner_text("#od-results-h").startswith("1 ")
        page.goto(catalogue_site.url + "/testville/data/air-quality/")
        page.select_option("#od-chart-col", "district")
        page.click("#chart button[type=submit], section[aria-labelledby=chart] button[type=submit]")
        assert "chart=district" in page.url
        assert "district" in page.inner_text("#chart-table-caption")
    finally:
        context.close()
