"""Print the API's OpenAPI document: ``python -m cityline.api.export_openapi > docs/openapi.json``.

docs/openapi.json is the committed contract; ``cityline/api/tests/test_openapi.py``
fails when the served document drifts from it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "python -m cityline.api.export_openapi > docs/openapi.json"


def render(schema: dict) -> str:
    """The canonical text of the document (stable key order as built, two-space indent)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def document() -> dict:
    from cityline.api.router import api

    return api.get_openapi_schema()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityline.settings")
    import django

    django.setup()
    sys.stdout.write(render(document()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
