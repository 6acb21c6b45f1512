"""Fixtures of the browser tests: Debian's chromium, axe-core and a live site (see cityline.portal.testing)."""

from cityline.portal.testing import a11y_site, browser, open_page  # noqa: F401  (pytest fixtures)
