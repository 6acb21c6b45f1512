"""A small city with observation records, for the tests of the records part (pack, editor, API, services).

``make_observations_city(key)`` returns ``(city, r)``: organisation ``council``; KPIs ``pm25-mean`` and
``bus-share`` (monthly, ``pm25-mean`` published); series ``air-harbour`` (air, public, district Harbour),
``air-station`` (air, not public) and ``trips-bus``/``trips-all`` (mobility, public); a computation for each
KPI (a mean grouped by district, and a ratio); alert rule ``pm25-high`` over both air series.
``write_readings(city, rows)`` stores readings through the one ingest path.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from cityline.benefits.models import Kpi
from cityline.core import actions
from cityline.core.models import City, Organisation
from cityline.observations import models as m

MEAN_SPEC = {"version": 1, "value": {"series": {"group": "air", "attribute": "pm25"}, "function": "mean",
                                     "where": {"hours": [7, 19], "quality": ["ok"]}},
             "group_by": "district", "combine": "max"}
RATIO_SPEC = {"version": 1, "ratio": {"numerator": {"series": {"keys": ["trips-bus"]}, "function": "sum"},
                                      "denominator": {"series": {"keys": ["trips-all"]}, "function": "sum"}},
              "scale": 100}


def make_observations_city(key: str = "lumen"):
    city = actions.create(City, key=key, name=key.title(), country="GB")
    r: dict = {"city": city}
    r["council"] = actions.create(Organisation, city=city, key="council", name="City council", sector="public")
    r["kpi"] = actions.create(Kpi, city=city, key="pm25-mean", title="Mean PM2.5 in the worst district",
                              kind="outcome", unit="µg/m3", frequency="monthly", direction="lower_is_better",
                              published=True)
    r["kpi2"] = actions.create(Kpi, city=city, key="bus-share", title="Share of trips by bus", kind="outcome",
                               unit="%", frequency="monthly")
    common = dict(city=city, entity_type="AirQualityObserved", attribute="pm25", unit="µg/m3", group="air")
    r["harbour"] = actions.create(m.Series, key="air-harbour", name="PM2.5 at the harbour", district="Harbour",
                                  entity_id="urn:ngsi-ld:AirQualityObserved:harbour", public=True,
                                  latitude=Decimal("51.5"), longitude=Decimal("-0.12"), weight=Decimal("12000"),
                                  organisation=r["council"], interval_seconds=600, retention_days=3650,
                                  downsample_after_days=365, downsample_interval="hour", **common)
    r["station"] = actions.create(m.Series, key="air-station", name="PM2.5 at the station", district="Centre",
                                  **common)
    for k, name in (("trips-bus", "Bus trips"), ("trips-all", "All trips")):
        r[k] = actions.create(m.Series, city=city, key=k, name=name, group="mobility",
                              entity_type="TrafficFlowObserved", attribute="intensity", public=True)
    r["computation"] = actions.create(m.KpiComputation, city=city, kpi=r["kpi"], spec=MEAN_SPEC)
    r["computation2"] = actions.create(m.KpiComputation, city=city, kpi=r["kpi2"], spec=RATIO_SPEC, active=False)
    r["rule"] = actions.create(m.AlertRule, city=city, key="pm25-high", name="PM2.5 above 25 for an hour",
                               threshold=Decimal("25"), duration_seconds=3600, severity="critical",
                               m2m={"series": [r["harbour"], r["station"]]})
    return city, r


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def write_readings(city, rows: list[tuple[str, datetime, float]]) -> None:
    """Store ``(series, time, value)`` rows as the ingest path does (without raising alerts)."""
    from cityline.observations.ingest import write_observations

    write_observations(city, [{"series": s, "time": t, "value": v} for s, t, v in rows], react=False)


@pytest.fixture(autouse=True)
def own_store(settings, tmp_path):
    """Each test reads and writes its own observation stores (the city keys repeat from test to test)."""
    settings.CITYLINE_OBSERVATIONS_DIR = str(tmp_path / "observations")
