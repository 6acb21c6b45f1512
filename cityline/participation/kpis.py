"""Engagement figures as KPI measurements (B3, C2.c): the benefit map's leading indicators.

An :class:`~.models.EngagementKpiFeed` names a KPI, an engagement metric and a period
(quarter or year). :func:`sync_engagement_kpis` computes the metric for every period that
has ended and writes one :class:`cityline.benefits.models.Measurement` per period, dated the
period's last day, through :mod:`cityline.core.actions` (validated, in the change history).
Safe to repeat: a value is written only when new or changed. Only measurements whose source is
:data:`SOURCE` are touched; a value entered by hand for the same period is left alone and
reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cityline.core import actions

from .domain import metrics as dm
from .metrics import load_rows, period_metrics
from .models import EngagementKpiFeed

SOURCE = "Cityline participation"


@dataclass
class FeedResult:
    kpi: str
    metric: str
    period: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"kpi": self.kpi, "metric": self.metric, "period": self.period, "created": self.created,
                "updated": self.updated, "removed": self.removed, "unchanged": self.unchanged,
                "problems": self.problems}


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def sync_feed(feed: EngagementKpiFeed, *, user=None, today: date | None = None, rows=None,
              figures: dict | None = None) -> FeedResult:
    """Bring one feed's KPI measurements in line with the figures of the periods that have ended."""
    from cityline.benefits.models import Measurement

    today = today or timezone.localdate()
    kpi = feed.kpi
    result = FeedResult(kpi.key, feed.metric, feed.period)
    periods = figures if figures is not None else period_metrics(feed.city, feed.period, today=today,
                                                                 closed_only=True, rows=rows)
    existing = {m.period_end: m for m in Measurement.objects.filter(kpi=kpi)}
    with transaction.atomic():
        for p in periods:
            value = dm.metric_value(p, feed.metric)
            end = p["ends_on"]
            current = existing.get(end)
            note = f"{p['period']}: {p['consultations_closed']} consultation(s) closed"
            if current is not None and current.source != SOURCE:
                result.problems.append(f"{p['period']}: a measurement from {current.source or 'another source'!r} "
                                       "is already recorded for this period; left as it is")
                continue
            if value is None:  # nothing to measure (no response due yet, or the figure is suppressed)
                if current is not None:
                    actions.delete(current, user=user, reason="engagement figure no longer available")
                    result.removed.append(p["period"])
                continue
            value = _decimal(value)
            if current is None:
                actions.create(Measurement, user=user, city=feed.city, kpi=kpi, period_end=end, value=value,
                               source=SOURCE, note=note, reason="engagement KPI feed (B3)")
                result.created.append(p["period"])
            elif current.value != value or current.note != note:
                actions.update(current, user=user, value=value, note=note, reason="engagement KPI feed (B3)")
                result.updated.append(p["period"])
            else:
                result.unchanged += 1
    return result


def sync_engagement_kpis(city, *, user=None, today: date | None = None) -> list[FeedResult]:
    """Every engagement KPI feed of the city, each period that has ended (``cityline participation sync-kpis``)."""
    feeds = list(EngagementKpiFeed.objects.filter(city=city).select_related("kpi", "city").order_by("kpi__key"))
    if not feeds:
        return []
    today = today or timezone.localdate()
    rows = load_rows(city)
    by_period = {period: period_metrics(city, period, today=today, closed_only=True, rows=rows)
                 for period in {f.period for f in feeds}}
    return [sync_feed(f, user=user, today=today, figures=by_period[f.period]) for f in feeds]
