"""Fixtures of the browser tests: Debian's chromium, axe-core and a live site (see cityline.portal.testing).

``CITYLINE_BROWSER_SUBSET=foundation`` (set by ``scripts/test.sh`` for its PostgreSQL pass) keeps, of the
browser tests, only the accessibility audit of the foundation's public pages (issue 2: home, vision and
principles, governance, roadmap, procurement pipeline, interoperability matrix, glossary), so those pages
are audited on both databases while the whole browser suite runs once, on SQLite, within CI's time.
"""

import os
from pathlib import Path

import pytest

from cityline.portal.testing import a11y_site, browser, open_page  # noqa: F401  (pytest fixtures)

#: The public pages of the foundation (issue 2), audited on PostgreSQL as well.
FOUNDATION_PAGES = {"city", "home", "vision", "governance", "roadmap", "procurement", "interoperability", "glossary"}
SUBSETS = {"foundation"}
HERE = Path(__file__).resolve().parent


def _in_foundation_subset(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return (item.originalname == "test_public_page_is_accessible" and callspec is not None
            and callspec.params.get("name") in FOUNDATION_PAGES)


def pytest_collection_modifyitems(config, items):
    subset = os.environ.get("CITYLINE_BROWSER_SUBSET", "")
    if not subset:
        return
    if subset not in SUBSETS:
        raise pytest.UsageError(f"CITYLINE_BROWSER_SUBSET must be one of {', '.join(sorted(SUBSETS))}, not {subset!r}")
    keep, drop = [], []
    for item in items:
        in_browser_tests = HERE in Path(str(item.path)).resolve().parents
        (drop if in_browser_tests and not _in_foundation_subset(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
