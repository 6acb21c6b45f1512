"""The observations section of city packs (``observations.yaml``, issue 6).

Holds what describes the city's sensor and system feeds and what uses them: the series (NGSI-LD
entity type and attribute, B13 asset, grouping, retention and downsampling), the KPI computation
specs (a nested mapping, checked by :func:`.domain.spec.parse` while the pack is read, so a bad spec
is reported at the line of the field at fault, e.g. ``spec.value.function``) and the alert rules.

The readings themselves never travel in a pack (they live in the Parquet observation store and
can be large; bulk files go through ``cityline ingest``), nor do what Cityline writes as it runs:
computation runs, alerts, quarantined messages and NGSI-LD entities. A spec's version is not in
the pack either: it starts at 1 and increases each time an import (or an edit) changes the spec.
"""

from __future__ import annotations

from typing import Any

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models, services  # noqa: F401  (services registers the write rules the import goes through)
from .domain import spec as spec_rules

FILE = "observations.yaml"


def check_spec(value: Any) -> list[tuple[list[str], str]]:
    """A KPI spec's own rules, as ``[(steps inside the spec, message)]`` (empty when it is sound)."""
    try:
        spec_rules.parse(value)
    except spec_rules.SpecError as exc:
        return [(exc.path.split(".") if exc.path else [], exc.problem)]
    return []


SECTION = register(
    Section(
        file=FILE,
        title="observations (issue 6): sensor and system series, KPIs computed from readings, alert rules",
        order=75,
        description="Readings, computation runs, alerts, quarantined messages and NGSI-LD entities never travel "
                    "in a pack; load readings with `cityline ingest`.",
        collections=[
            Collection(
                "series", models.Series, key=True,
                fields=["name", "description", "group", "entity_type", "entity_id", "attribute", "unit",
                        "data_asset", "organisation", "district", "latitude", "longitude", "weight",
                        "interval_seconds", "public", "retention_days", "downsample_after_days",
                        "downsample_interval"],
                description="Time series of readings from one sensor or system feed, named in the NGSI-LD / FIWARE "
                            "Smart Data Models vocabulary. Readings are stored by group and month.",
            ),
            Collection(
                "kpi_computations", models.KpiComputation, identity=["kpi"],
                fields=["kpi",
                        Field("spec", kind="json", check=check_spec,
                              description="What to compute from the readings: one aggregation (value) or a ratio "
                                          "of two (ratio.numerator, ratio.denominator); see docs/observations.md, "
                                          "'KPI specs'."),
                        "active", "first_period_end"],
                description="KPIs of the benefit map computed from readings by a declarative spec (one value per "
                            "KPI period, written into the KPI's history with provenance).",
            ),
            Collection(
                "alert_rules", models.AlertRule, key=True,
                fields=["name", "series", "kind", "comparison", "threshold", "duration_seconds", "window_seconds",
                        "severity", "webhook_url", "active", "description"],
                description="Threshold and rate-of-change rules over series, checked as readings arrive.",
            ),
        ],
    )
)
