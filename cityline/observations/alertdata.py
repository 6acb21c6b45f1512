"""Alert history as open data (issue 6): the alerts of a city's public series, one CSV dataset.

Dataset ``alert-history`` (built with :mod:`cityline.opendata.generated`), one row per alert of a
series marked public: rule, series and its NGSI-LD entity and attribute, severity, the condition,
when it started, was raised and ended, the value that raised it and the peak. Alerts of series that
are not public never appear, nor does anything about the webhook.

Kept up to date in the background: after a batch opened or closed an alert of a public series,
:func:`schedule` publishes once the transaction commits (one run at a time per city; a new version
only when the file changed). Peak updates of an open alert appear with the next opening or closing,
so a rising reading does not make a version per reading. ``cityline alerts publish CITY`` runs it
at once.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections, transaction
from django.utils.translation import gettext_lazy as _

from cityline.opendata.generated import Generated
from cityline.opendata.generated import publish as publish_generated

log = logging.getLogger("cityline.observations")

ALERT_HISTORY = Generated(
    "alert-history", _("Alerts from the city's sensors"),
    _("Every alert the city's alert rules raised on its public sensor and system series: the rule and its "
      "condition, the series (NGSI-LD entity and attribute), when the condition started, when the alert was "
      "raised and when it ended, the value that raised it and the peak. Series that are not public are left out."),
    ["rule", "rule_name", "severity", "kind", "comparison", "threshold", "duration_seconds", "window_seconds",
     "series", "series_name", "entity_id", "entity_type", "attribute", "unit", "started_at", "raised_at",
     "ended_at", "trigger_value", "peak_value", "end_note"],
    "rule, series, started_at", keywords="alerts, sensors, real-time, observations",
    distribution_title=_("Alert history"), reason="alert history as open data (issue 6)")


def rows(city) -> list[dict]:
    """The file's rows: alerts of public series, oldest first."""
    from .models import Alert

    out = []
    for a in (Alert.objects.filter(city=city, series__public=True).select_related("rule", "series")
              .order_by("started_at", "rule__key", "series__key", "id")):
        r, s = a.rule, a.series
        out.append({"rule": r.key, "rule_name": r.name, "severity": r.severity, "kind": r.kind,
                    "comparison": r.comparison, "threshold": r.threshold.normalize(),
                    "duration_seconds": r.duration_seconds, "window_seconds": r.window_seconds, "series": s.key,
                    "series_name": s.name, "entity_id": s.entity_id, "entity_type": s.entity_type,
                    "attribute": s.attribute, "unit": s.unit, "started_at": a.started_at, "raised_at": a.raised_at,
                    "ended_at": a.ended_at, "trigger_value": a.trigger_value, "peak_value": a.peak_value,
                    "end_note": a.end_note})
    return out


def publish(city, *, user=None) -> dict:
    """Create or refresh the dataset (nothing is created while no public series has an alert)."""
    from cityline.opendata.models import Dataset

    content = rows(city)
    if not content and not Dataset.objects.filter(city=city, key=ALERT_HISTORY.key).exists():
        return {"dataset": None, "action": "unchanged", "version": None}
    return publish_generated(city, ALERT_HISTORY, content, user=user, note="alerts changed")


_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cityline-alertdata")
_pending: set[int] = set()
_lock = threading.Lock()


def _run(city_id: int) -> None:
    from cityline.core.models import City

    with _lock:
        _pending.discard(city_id)
    try:
        city = City.objects.filter(pk=city_id).first()
        if city is not None:
            publish(city)
    except Exception:  # open data bookkeeping never breaks ingestion; it is logged
        log.exception("could not publish the alert history of city %s", city_id)
    finally:
        connections.close_all()


def schedule(city) -> None:
    """Publish the city's alert history in the background after the current transaction commits."""
    def submit():
        with _lock:
            if city.pk in _pending:
                return
            _pending.add(city.pk)
        _executor.submit(_run, city.pk)

    transaction.on_commit(submit)


def drain() -> None:
    """Wait until the publications asked for so far are done (tests, shutdown)."""
    _executor.submit(lambda: None).result()
