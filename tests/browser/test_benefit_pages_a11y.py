"""The public benefit pages pass the accessibility audit on a small benefit city, and the map works by keyboard (C1, C2.f).

The registry audit (``test_public_pages_a11y.py``) covers these pages with the strategy
test city and the demo city; this module audits them on
``cityline.benefits.testing.make_realisation_city()``, whose data exercises every part
of the pages (an off-track cause, an outcome at risk through it, an unpublished KPI).
"""

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

PAGES = ["kpis", "kpis/lanes-built", "benefit-map", "purposes/environment", "outcomes/cleaner-air"]


def load_benefit_city():
    from cityline.benefits.testing import make_realisation_city

    city, _nodes = make_realisation_city("testville")
    return city


@pytest.fixture(scope="module")
def benefit_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_benefit_city, "benefits", django_db_blocker)


@audit_views
@pytest.mark.parametrize("path", PAGES)
def test_benefit_page_is_accessible(benefit_site, open_page, path, lang, viewport):
    prefix = "" if lang == "en" else f"/{lang}"
    page = open_page(f"{benefit_site.url}{prefix}/testville/{path}/", viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_map_node_highlights_its_line_of_sight_from_the_keyboard(benefit_site, open_page):
    """C1: Tab to a box, press Enter: what it leads to is highlighted, the rest dimmed, and the change announced."""
    page = open_page(f"{benefit_site.url}/testville/benefit-map/")
    lanes = page.locator('svg.benefit-map .node[data-key="lanes"]')
    assert lanes.get_attribute("role") == "button" and lanes.get_attribute("tabindex") == "0"
    lanes.focus()
    page.keyboard.press("Enter")
    assert lanes.get_attribute("aria-pressed") == "true"
    down = page.eval_on_selector_all("svg.benefit-map .node.downstream", "ns => ns.map(n => n.dataset.key).sort()")
    assert down == ["cleaner-air", "environment", "mobility-data", "more-cycling", "quiet-streets"]
    up = page.eval_on_selector_all("svg.benefit-map .node.upstream", "ns => ns.map(n => n.dataset.key)")
    assert up == ["bikes"]
    assert "Selected" in page.locator("#map-status").text_content()
    # Space on the same box clears the selection
    page.keyboard.press(" ")
    assert page.locator("svg.benefit-map .node.downstream").count() == 0
    assert lanes.get_attribute("aria-pressed") == "false"
    # an end outcome: what feeds it is upstream, the purpose downstream
    page.locator('svg.benefit-map .node[data-key="quiet-streets"]').click()
    down = page.eval_on_selector_all("svg.benefit-map .node.downstream", "ns => ns.map(n => n.dataset.key)")
    assert down == ["environment"]
    assert page.locator('svg.benefit-map .node[data-key="more-cycling"].dim').count() == 1
    assert_accessible(page)  # the highlighted state is accessible too


def test_map_works_without_javascript(benefit_site, browser):
    """The nested list is the content: with scripts off, nothing is focusable in the picture and the list is there."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{benefit_site.url}/testville/benefit-map/")
        assert page.locator("svg.benefit-map").get_attribute("role") == "img"
        assert page.locator("svg.benefit-map [tabindex]").count() == 0
        assert page.locator(".map-controls").is_hidden()
        assert page.locator(".tree #tree-cleaner-air").count() == 1
    finally:
        context.close()
