"""City packs: a city's whole operating model as a folder of YAML files, one per area.

A pack is the full state of one city. It can be kept in git, diffed, reviewed and
shared with other cities. The format is described in ``docs/city-packs.md`` and
by the JSON Schema ``docs/city-pack.schema.json`` (generated from the specs by
:mod:`.schema`).

Public API (all functions need Django set up):

- :func:`validate_pack` (path) → :class:`ImportReport` of what an import would change;
  raises :class:`PackError` listing every problem (file, line, field). Writes nothing.
- :func:`import_pack` (path, user=None, dry_run=False, principal=None, *, trusted=False) →
  :class:`ImportReport`; creates the city or replaces its operating model in one transaction, through
  the actions layer (history reason "city pack import"). All or nothing. With a principal or a user,
  every record it would create, change or delete (and every data file it would store) is asked of the
  authorisation layer; a refusal raises :class:`PackRefused` (a :class:`PackError`) naming each record
  and the right it needs. Only ``trusted=True`` (the platform's own set-up) is asked for nothing; a call
  that says neither who imports nor ``trusted`` is a ``TypeError``.
- :func:`export_pack` (city or key, path) → files written; deterministic output.
- :func:`read_pack` (path) → parsed pack with the problems found without a database.

Areas add their part of the format by registering a :class:`~.spec.Section` in
their ``pack.py`` (see :mod:`cityline.strategy.pack`).
"""

from .errors import PackError, PackRefused, Problem

# The rest is imported on first use, so that ``python -m cityline.core.packs.schema``
# can set Django up before any model is imported.
_LAZY = {
    "export_pack": "exporter", "render_pack": "exporter",
    "REASON": "importer", "ImportReport": "importer", "import_pack": "importer", "validate_pack": "importer",
    "read_pack": "reader",
}

__all__ = ["PackError", "PackRefused", "Problem", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
