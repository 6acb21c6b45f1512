"""A small city with series for the ingestion tests: ``air-harbour`` and ``air-station`` (group ``air``),
``water-level`` (group ``water``, kept 30 days, hourly means after 7 days) and ``traffic-quay`` (group
``traffic``, daily means after 2 days)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cityline.core import actions
from cityline.core.models import City
from cityline.observations import models as m

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
GROUPS = {"air-harbour": "air", "air-station": "air", "water-level": "water", "traffic-quay": "traffic"}


def make_city(key: str = "ingestville"):
    city = actions.create(City, key=key, name=key.title(), country="GB")
    common = dict(city=city, entity_type="AirQualityObserved", attribute="pm25", unit="µg/m3", group="air")
    actions.create(m.Series, key="air-harbour", name="PM2.5 harbour", **common)
    actions.create(m.Series, key="air-station", name="PM2.5 station", **common)
    actions.create(m.Series, city=city, key="water-level", name="Reservoir level", group="water",
                   entity_type="WaterObserved", attribute="height", unit="m", retention_days=30,
                   downsample_after_days=7, downsample_interval="hour")
    actions.create(m.Series, city=city, key="traffic-quay", name="Quay road", group="traffic",
                   entity_type="TrafficFlowObserved", attribute="intensity", downsample_after_days=2,
                   downsample_interval="day")
    return city


def csv_text(rows: list[tuple]) -> str:
    return "series,time,value\n" + "".join(f"{s},{t},{v}\n" for s, t, v in rows)


def iso(minutes: float, start: datetime = T0) -> str:
    return (start + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
