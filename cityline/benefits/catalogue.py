"""The indicator catalogue (C2.c): reference lists shipped with Cityline, and the lists a city loads.

``load_catalogue()`` loads the lists in ``cityline/benefits/reference/`` (ISO 37120:2014
indicators, ISO 37120:2018 themes, ITU U4SSC KPIs): identifiers, names, themes and types
only, each with where it comes from. Loading is idempotent: entries are matched by list
and identifier, changed names are updated, nothing is duplicated. Lists held under
licence (ISO 37120:2018, ISO 37122, ISO 37123) are loaded with
:func:`cityline.benefits.imports.import_indicators`.

The catalogue is instance-wide reference data, not part of any city's operating model:
cities point at it from their own ``CityIndicator`` records by list and identifier.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.db import transaction

from cityline.core import actions

from . import choices
from .models import Indicator, IndicatorTheme

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
U4SSC_EDITION = "ITU U4SSC KPIs (2017 collection methodology)"
ISO37120_2018_EDITION = "ISO 37120:2018"

#: How an edition names its list: first match wins.
_EDITIONS = [
    (re.compile(r"^\s*(ISO\s*)?37120\s*:\s*2014\b", re.I), choices.IndicatorSource.ISO37120_2014),
    (re.compile(r"^\s*(ISO\s*)?37120\s*:\s*2018\b", re.I), choices.IndicatorSource.ISO37120_2018),
    (re.compile(r"^\s*(ISO\s*)?37122\b", re.I), choices.IndicatorSource.ISO37122),
    (re.compile(r"^\s*(ISO\s*)?37123\b", re.I), choices.IndicatorSource.ISO37123),
    (re.compile(r"\bU4SSC\b", re.I), choices.IndicatorSource.U4SSC),
]


def source_for_edition(edition: str) -> str:
    """The catalogue list an edition belongs to (``ISO 37122:2019`` → ``iso37122``)."""
    for pattern, source in _EDITIONS:
        if pattern.search(edition):
            return str(source)
    raise ValueError(f"cannot tell which list {edition!r} is; write e.g. ISO 37120:2018, ISO 37122:2019, "
                     "ISO 37123:2019 or ITU U4SSC")


def upsert_indicator(values: dict[str, Any], *, user=None, reason: str) -> str:
    """Create or update one catalogue entry by (source, code); return created / updated / unchanged."""
    instance = Indicator.objects.filter(source=values["source"], code=values["code"]).first()
    if instance is None:
        actions.create(Indicator, user=user, reason=reason, **values)
        return "created"
    before = {k: getattr(instance, k) for k in values}
    if before == values:
        return "unchanged"
    actions.update(instance, user=user, reason=reason, **values)
    return "updated"


def _upsert_theme(values: dict[str, Any], *, user=None, reason: str) -> str:
    instance = IndicatorTheme.objects.filter(source=values["source"], clause=values["clause"]).first()
    if instance is None:
        actions.create(IndicatorTheme, user=user, reason=reason, **values)
        return "created"
    if all(getattr(instance, k) == v for k, v in values.items()):
        return "unchanged"
    actions.update(instance, user=user, reason=reason, **values)
    return "updated"


def load_catalogue(*, user=None, directory: Path | None = None) -> list:
    """Load the shipped reference lists into the catalogue, in one transaction; return one summary per file."""
    from .imports import CsvImportError, CsvProblem, ImportSummary, import_indicators, read_csv

    directory = directory or REFERENCE_DIR
    summaries = []
    with transaction.atomic():
        summaries.append(import_indicators(directory / "iso37120_indicators.csv", user=user, licensed=False))

        name, rows = read_csv(directory / "u4ssc_kpis.csv",
                              ["code", "name", "dimension", "sub_dimension", "category", "type", "source"])
        summary = ImportSummary(name, "indicators")
        reason = f"reference list {name}"
        for row in rows:
            v = row.values
            sub = " / ".join(p for p in (v["sub_dimension"], v["category"]) if p)
            values = {"source": str(choices.IndicatorSource.U4SSC), "code": v["code"], "name": v["name"],
                      "theme": v["dimension"], "sub_theme": sub, "indicator_type": v["type"].lower(),
                      "edition": U4SSC_EDITION, "reference": v["source"], "licensed": False}
            try:
                summary.count(upsert_indicator(values, user=user, reason=reason))
            except Exception as exc:  # a broken shipped file is a bug: name the row
                raise CsvImportError([CsvProblem(name, row.line, None, str(exc))]) from exc
        summaries.append(summary)

        name, rows = read_csv(directory / "iso37120_2018_themes.csv", ["clause", "theme", "source"])
        summary = ImportSummary(name, "themes")
        reason = f"reference list {name}"
        for row in rows:
            v = row.values
            values = {"source": str(choices.IndicatorSource.ISO37120_2018), "clause": v["clause"],
                      "name": v["theme"], "reference": v["source"]}
            summary.count(_upsert_theme(values, user=user, reason=reason))
        summaries.append(summary)
    return summaries
