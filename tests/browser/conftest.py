"""Fixtures of the browser tests: Debian's chromium, axe-core and a live site (see cityline.portal.testing).

``CITYLINE_BROWSER_SUBSET=postgres`` keeps, of the browser tests, only the modules of :data:`POSTGRES_ONLY`;
``CITYLINE_BROWSER_SUBSET=foundation`` (``scripts/test.sh``'s default for its PostgreSQL pass) keeps those
and the accessibility audit of the foundation's public pages (issue 2: home, vision and
principles, governance, roadmap, procurement pipeline, interoperability matrix, glossary), so those pages
are audited on both databases while the whole browser suite runs once, on SQLite, within CI's time.
"""

import os
from pathlib import Path

import pytest

from cityline.portal.testing import a11y_site, browser, open_page  # noqa: F401  (pytest fixtures)

#: The public pages of the foundation (issue 2), audited on PostgreSQL as well.
FOUNDATION_PAGES = {"city", "home", "vision", "governance", "roadmap", "procurement", "interoperability", "glossary"}
SUBSETS = {"foundation", "postgres"}
#: Browser modules that write while the live server reads (the operations page's live update): SQLite's shared
#: in-memory test database answers such a write with "table is locked" instead of waiting, so they run in the
#: PostgreSQL pass (with row-level locking, as a deployment would have) and are left out of the SQLite pass.
POSTGRES_ONLY = {"test_operations_page_a11y.py"}
HERE = Path(__file__).resolve().parent


def _in_foundation_subset(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return (item.originalname == "test_public_page_is_accessible" and callspec is not None
            and callspec.params.get("name") in FOUNDATION_PAGES)


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    subset = os.environ.get("CITYLINE_BROWSER_SUBSET", "")
    if not subset:
        if connection.vendor == "sqlite":
            drop = [item for item in items if Path(str(item.path)).name in POSTGRES_ONLY
                    and HERE in Path(str(item.path)).resolve().parents]
            if drop:
                config.hook.pytest_deselected(items=drop)
                items[:] = [item for item in items if item not in drop]
        return
    if subset not in SUBSETS:
        raise pytest.UsageError(f"CITYLINE_BROWSER_SUBSET must be one of {', '.join(sorted(SUBSETS))}, not {subset!r}")
    keep, drop = [], []
    for item in items:
        in_browser_tests = HERE in Path(str(item.path)).resolve().parents
        wanted = ((subset == "foundation" and _in_foundation_subset(item))
                  or Path(str(item.path)).name in POSTGRES_ONLY)
        (drop if in_browser_tests and not wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
