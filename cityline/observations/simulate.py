"""``cityline simulate``: live readings of a city's series published over MQTT, for the demo (issue 6).

Values are deterministic (the same series at the same time always gives the same value) and shaped
like the real thing for the series' entity type and attribute: PM2.5 and NO2 peak with the morning
and evening traffic, traffic intensity follows the rush hours and drops at the weekend, water and
energy use have their daily curves, temperature a day-night swing. Noise comes from a hash of the
series key and the time, not from a random generator, so two runs publish the same values.

Messages go to the topic layout the consumer maps by default (``<city>/<group>/<series>/reading``)
as ``{"time": ISO 8601, "value": number, "id": message id}``, QoS 1.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .domain.payload import topic_for


@dataclass(frozen=True)
class Profile:
    """A daily shape: ``base + amplitude * shape(hour)`` plus noise of ``noise`` (fraction of base)."""

    base: float
    amplitude: float
    shape: str  # "rush" (8h and 18h peaks), "day" (one broad day peak), "sine" (warmest mid-afternoon), "flat"
    noise: float = 0.08
    weekend: float = 1.0  # factor on Saturdays and Sundays
    minimum: float = 0.0


#: By attribute (NGSI-LD / Smart Data Models names), then a fallback by entity type.
PROFILES = {
    "pm25": Profile(9.0, 14.0, "rush", 0.15, 0.8),
    "pm10": Profile(16.0, 18.0, "rush", 0.15, 0.8),
    "no2": Profile(18.0, 32.0, "rush", 0.12, 0.7),
    "o3": Profile(40.0, 35.0, "sine", 0.1),
    "intensity": Profile(60.0, 900.0, "rush", 0.1, 0.55),
    "averagevehiclespeed": Profile(48.0, -18.0, "rush", 0.06),
    "occupancy": Profile(0.05, 0.45, "rush", 0.1, 0.6),
    "waterconsumption": Profile(120.0, 260.0, "rush", 0.08, 1.1),
    "consumption": Profile(150.0, 240.0, "rush", 0.08, 1.1),
    "activepower": Profile(400.0, 650.0, "day", 0.06, 0.8),
    "energy": Profile(400.0, 650.0, "day", 0.06, 0.8),
    "temperature": Profile(9.0, 7.0, "sine", 0.05, minimum=-30.0),
    "relativehumidity": Profile(0.8, -0.2, "sine", 0.04),
    "noise": Profile(42.0, 24.0, "rush", 0.05, 0.85),
    "laeq": Profile(42.0, 24.0, "rush", 0.05, 0.85),
    "fillinglevel": Profile(0.3, 0.4, "day", 0.1),
}
BY_ENTITY_TYPE = {
    "AirQualityObserved": PROFILES["pm25"],
    "TrafficFlowObserved": PROFILES["intensity"],
    "WaterConsumption": PROFILES["waterconsumption"],
    "WaterConsumptionObserved": PROFILES["waterconsumption"],
    "NoiseLevelObserved": PROFILES["laeq"],
    "WeatherObserved": PROFILES["temperature"],
    "Device": PROFILES["energy"],
}
DEFAULT = Profile(50.0, 20.0, "day", 0.1)


def profile_for(entity_type: str, attribute: str) -> Profile:
    name = attribute.lower().replace("_", "").replace("-", "")
    return PROFILES.get(name) or BY_ENTITY_TYPE.get(entity_type) or DEFAULT


def _shape(kind: str, hour: float) -> float:
    """0..1 over the day (hour in 0..24, local time taken as UTC: the demo city is on UTC)."""
    if kind == "rush":
        return math.exp(-((hour - 8.0) ** 2) / 2.5) + 0.85 * math.exp(-((hour - 17.5) ** 2) / 3.0) \
            + 0.25 * math.exp(-((hour - 13.0) ** 2) / 8.0)
    if kind == "day":
        return max(0.0, math.sin(math.pi * (hour - 6.0) / 14.0)) if 6.0 <= hour <= 20.0 else 0.0
    if kind == "sine":
        return 0.5 + 0.5 * math.cos(2 * math.pi * (hour - 15.0) / 24.0)
    return 0.0


def _noise(series: str, when: datetime) -> float:
    """-1..1, a hash of the series and the time (deterministic, no random generator state)."""
    h = zlib.crc32(f"{series}|{when.isoformat()}".encode())
    return (h / 0xFFFFFFFF) * 2 - 1


def value_at(series: str, entity_type: str, attribute: str, when: datetime) -> float:
    """The simulated reading of ``series`` at ``when`` (UTC)."""
    p = profile_for(entity_type, attribute)
    hour = when.hour + when.minute / 60 + when.second / 3600
    level = p.base + p.amplitude * _shape(p.shape, hour)
    if when.weekday() >= 5:
        level *= p.weekend
    level += abs(p.base + p.amplitude) * p.noise * _noise(series, when)
    # Each series its own level (a busy road, a quiet park), fixed by its key.
    level *= 0.8 + 0.4 * (zlib.crc32(series.encode()) % 1000) / 1000
    return round(max(p.minimum, level), 3)


def payload(series: str, when: datetime, value: float, seq: int) -> bytes:
    return json.dumps({"time": when.isoformat().replace("+00:00", "Z"), "value": value,
                       "id": f"sim-{series}-{seq}"}, separators=(",", ":")).encode()


class EndOfTime(Exception):
    """The next reading time is past the last one a date can hold (the end of the year 9999)."""


@dataclass
class SimSeries:
    key: str
    group: str
    entity_type: str
    attribute: str
    unit: str = ""


def messages(city_key: str, series: list[SimSeries], *, rate: float, start: datetime | None = None,
             count: int | None = None, duration: float | None = None, step: float | None = None):
    """Yield ``(due, topic, payload, series, time, value)``: round-robin over ``series``, ``rate`` messages per
    second. ``due`` is the monotonic time to send at. Reading times: the wall clock (``start`` None), or
    ``start`` plus ``step`` seconds per round (a replay, faster than real time when ``step`` is larger
    than the round takes). :class:`EndOfTime` when the next reading time is past the year 9999."""
    if not series:
        return
    interval = 1.0 / rate
    t0 = time.monotonic()
    clock0 = datetime.now(timezone.utc)
    n = 0
    while (count is None or n < count) and (duration is None or n * interval < duration):
        s = series[n % len(series)]
        rnd = n // len(series)
        try:
            if start is None:
                when = clock0 + timedelta(seconds=n * interval)
            else:
                when = start + timedelta(seconds=rnd * (step or max(1.0, len(series) * interval)))
        except OverflowError:
            raise EndOfTime(f"stopped after {n} message(s): the next reading time is past the year 9999") from None
        when = when.replace(microsecond=(when.microsecond // 1000) * 1000)
        value = value_at(s.key, s.entity_type, s.attribute, when)
        yield t0 + n * interval, topic_for(city_key, s.group, s.key), payload(s.key, when, value, n), s, when, value
        n += 1


def publish(client, city_key: str, series: list[SimSeries], *, rate: float, start=None, count=None, duration=None,
            step=None, out=print, quiet: bool = False) -> dict:
    """Publish at QoS 1 and wait for every PUBACK; returns ``{"sent": n, "acknowledged": n}``. A replay that
    reaches the year 9999 stops there, saying so (even when ``quiet``)."""
    pending = []
    sent = 0
    try:
        for due, topic, body, s, when, value in messages(city_key, series, rate=rate, start=start, count=count,
                                                         duration=duration, step=step):
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pending.append(client.publish(topic, body, qos=1))
            sent += 1
            if not quiet:
                out(f"{when.isoformat().replace('+00:00', 'Z')}  {topic}  {value:g} {s.unit}".rstrip())
            if len(pending) >= 1000:
                pending = [p for p in pending if not p.is_published()]
    except EndOfTime as exc:
        out(str(exc))
    acknowledged = sent
    for info in pending:
        try:
            info.wait_for_publish(timeout=30)
        except (RuntimeError, ValueError):
            pass
        if not info.is_published():
            acknowledged -= 1
    return {"sent": sent, "acknowledged": acknowledged}
