"""Every public page passes axe-core (WCAG 2.2 A/AA + best practice) in both languages and at both
widths (English at desktop width, French at 320 px without sideways scrolling: B11, WCAG 1.4.10;
``CITYLINE_AUDIT_ALL=1`` audits all four pairs, see ``cityline.portal.testing.AUDIT_VIEWS``).

Pages come from the registry, so pages registered by later issues are audited too;
for a detail page (one page per record) the first record's page is audited.
The pages are audited with the demo city (``CITYLINE_AUDIT_ALL=1`` adds the small test city first:
``cityline.portal.testing.A11Y_DATA_SETS``).
"""

import pytest

from cityline.portal import registry
from cityline.portal.testing import (
    NARROW,
    assert_accessible,
    assert_light,
    assert_no_horizontal_scroll,
    audit_views,
    page_weight,
)

# django_db: the test database must exist; the site data itself is loaded once per module.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGES = [p.name for p in registry.pages()]


@audit_views
@pytest.mark.parametrize("name", PAGES)
def test_public_page_is_accessible(a11y_site, open_page, name, lang, viewport):
    url = a11y_site.page_url(name, lang)
    if url is None:  # a detail page (one per record) and this data set has no such record
        pytest.skip(f"the {a11y_site.label} city has no {name} page")
    page = open_page(url, viewport)
    assert page.evaluate("document.documentElement.lang") == lang
    assert_accessible(page)
    assert_light(page)  # B11, measured in the browser with the demo city too
    if viewport is NARROW:
        assert_no_horizontal_scroll(page, NARROW["width"])


def test_harness_reports_violations_readably(a11y_site, open_page):
    """The harness really fails on a broken page, naming the rule, impact and element."""
    page = open_page(a11y_site.page_url("home"))
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = 'data:,'; img.id = 'no-alt';
        document.querySelector('main').appendChild(img);
        document.documentElement.removeAttribute('lang');
    }""")
    with pytest.raises(AssertionError) as err:
        assert_accessible(page)
    message = str(err.value)
    assert "image-alt" in message and "#no-alt" in message and "[critical]" in message
    assert "html-has-lang" in message


def test_harness_catches_sideways_scrolling(a11y_site, open_page):
    page = open_page(a11y_site.page_url("home"), NARROW)
    page.evaluate("""() => { const d = document.createElement('div'); d.id = 'too-wide';
                             d.style.width = '900px'; d.textContent = 'x';
                             document.querySelector('main').appendChild(d); }""")
    with pytest.raises(AssertionError, match="scrolls sideways.*div#too-wide"):
        assert_no_horizontal_scroll(page)


def test_page_weight_counts_html_and_css(a11y_site, open_page):
    page = open_page(a11y_site.page_url("home"))
    html_bytes = len(page.content().encode())
    assert page_weight(page) > html_bytes * 0.8 + 3000  # the stylesheet (several KB) is counted
