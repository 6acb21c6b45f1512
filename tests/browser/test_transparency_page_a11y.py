"""The public record of decisions and KPI changes passes the accessibility audit (B2.g, WCAG 2.2 AA).

Audited on ``make_realisation_city()`` with an adopted document and a changed measurement, so
the page shows its chain summary and a table of changes with before and after values, in both
languages, at desktop width and at 320 px without sideways scrolling.
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


def load_city():
    from datetime import date
    from decimal import Decimal

    from cityline.benefits.models import Measurement
    from cityline.benefits.testing import make_realisation_city
    from cityline.core import actions
    from cityline.core.models import Document

    city, _nodes = make_realisation_city("testville")
    m = Measurement.objects.get(kpi__key="cycling-share", period_end=date(2021, 12, 31))
    actions.update(m, value=Decimal("6.4"))
    actions.create(Document, city=city, key="mobility-plan", title="Mobility plan", doc_type="strategy",
                   status="adopted", adopted_on=date(2024, 5, 1))
    return city


@pytest.fixture(scope="module")
def transparency_site(django_db_setup, django_db_blocker):
    yield from serve_city(load_city, "transparency", django_db_blocker)


@audit_views
def test_transparency_page_is_accessible(transparency_site, open_page, lang, viewport):
    prefix = "" if lang == "en" else f"/{lang}"
    page = open_page(f"{transparency_site.url}{prefix}/testville/transparency/", viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.locator("#changes-caption").count() == 1
    assert_accessible(page)
    assert_light(page)
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])
