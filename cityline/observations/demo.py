"""The demo city's sensor readings: real weather from NOAA, synthetic air, traffic, cycling, water and energy.

The series themselves (what each sensor is, where it stands, whether it is public) come from the
demo city pack (``observations.yaml``); :func:`seed_observations` only fills the store with their
readings: the history in one batch through the store's bulk path (as ``cityline ingest`` stores a
big file), the last two days through :func:`.ingest.write_observations`, so the alert rules see
them as if they had just arrived.

- **Real measurements**: the weather station series are the daily Seattle weather observations of
  2012 to 2015 (precipitation, daily maximum and minimum temperature, mean wind speed) from NOAA's
  Global Historical Climatology Network, public domain, as shipped in the ``vega_datasets`` PyPI
  package (``seattle-weather.csv``, read from the package's own files: never downloaded). They keep
  their real dates and are described as what they are: Seattle's readings shown in the demo.
- **Synthetic series** for everything else, made up for the demo city: hourly PM2.5 and NO2 at six
  air quality monitors, hourly motor traffic and speeds on the main corridors, hourly cycle counts,
  daily water use per resident in each ward and daily energy use of six public buildings, with
  daily, weekly and seasonal patterns and the slow trends of the city's benefit map (cleaner air,
  more cycling, less water and energy used).

Deterministic: each series draws its noise from its own generator (seed from the series key) over
a fixed grid that starts at :data:`EPOCH`, so a reading at a given time has the same value however
late ``today`` is. Vectorised with NumPy: the three years of hourly readings (some half a million
rows) take well under a second to make, and DuckDB writes them in a few seconds.

Idempotent: a group that already holds readings in the store is left alone, so running
``cityline demo`` again adds nothing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from . import ingest, registry

#: Where the synthetic grid starts (the noise of every series is drawn from here on).
EPOCH = date(2020, 1, 1)
#: How much synthetic history the demo city gets, up to ``today``.
YEARS = 3
SEED = 37106

WEATHER_SOURCE = ("NOAA Global Historical Climatology Network daily observations for Seattle, WA, 2012-2015 "
                  "(public domain), as shipped in the vega_datasets package (seattle-weather.csv)")
#: Weather station series and the column of seattle-weather.csv each reads.
WEATHER_COLUMNS = {
    "weather-precipitation": "precipitation",
    "weather-temperature-max": "temp_max",
    "weather-temperature-min": "temp_min",
    "weather-wind-speed": "wind",
}


@dataclass(frozen=True)
class Profile:
    """How a synthetic series behaves: level, daily shape, week, season, trend and noise."""

    kind: str  # "pm25", "no2", "traffic", "speed", "cycles", "water", "energy"
    level: float  # the typical value (hourly or daily)
    trend: float = 0.0  # relative change per year (−0.04: 4 % less each year)
    noise: float = 0.1  # relative size of the noise


#: Synthetic series of the demo pack by key (observations.yaml names the same keys).
PROFILES: dict[str, Profile] = {
    # air quality monitors (µg/m³): the port and the centre are the worst, levels fall slowly
    "aq-harbour-pm25": Profile("pm25", 11.5, -0.05, 0.45),
    "aq-city-centre-pm25": Profile("pm25", 10.8, -0.06, 0.45),
    "aq-eastbank-pm25": Profile("pm25", 9.8, -0.04, 0.45),
    "aq-northgate-pm25": Profile("pm25", 9.0, -0.05, 0.45),
    "aq-kester-vale-pm25": Profile("pm25", 8.2, -0.04, 0.45),
    "aq-westfield-pm25": Profile("pm25", 7.6, -0.04, 0.45),
    "aq-harbour-no2": Profile("no2", 33.0, -0.05, 0.3),
    "aq-city-centre-no2": Profile("no2", 31.0, -0.06, 0.3),
    "aq-eastbank-no2": Profile("no2", 24.0, -0.04, 0.3),
    "aq-northgate-no2": Profile("no2", 26.0, -0.05, 0.3),
    "aq-kester-vale-no2": Profile("no2", 19.0, -0.04, 0.3),
    "aq-westfield-no2": Profile("no2", 17.0, -0.04, 0.3),
    # traffic counters (vehicles/h at the daily mean) and corridor speeds (km/h at free flow)
    "traffic-quay-road": Profile("traffic", 880, -0.02, 0.08),
    "traffic-northgate-road": Profile("traffic", 640, -0.015, 0.08),
    "traffic-ring-road": Profile("traffic", 1450, -0.01, 0.08),
    "speed-quay-road": Profile("speed", 46, 0.01, 0.05),
    "speed-ring-road": Profile("speed", 58, 0.008, 0.05),
    # cycle counters (cycles/h at the daily mean): cycling grows
    "cycles-riverside-path": Profile("cycles", 150, 0.08, 0.15),
    "cycles-quay-road": Profile("cycles", 120, 0.1, 0.15),
    "cycles-northgate": Profile("cycles", 90, 0.07, 0.15),
    # water use per resident by ward (litres per person per day)
    "water-city-centre": Profile("water", 226, -0.018, 0.04),
    "water-eastbank": Profile("water", 214, -0.015, 0.04),
    "water-harbour": Profile("water", 231, -0.012, 0.04),
    "water-kester-vale": Profile("water", 205, -0.02, 0.04),
    "water-northgate": Profile("water", 219, -0.018, 0.04),
    "water-old-docks": Profile("water", 228, -0.015, 0.04),
    "water-quayside": Profile("water", 222, -0.02, 0.04),
    "water-riverside": Profile("water", 209, -0.017, 0.04),
    "water-southmoor": Profile("water", 217, -0.014, 0.04),
    "water-westfield": Profile("water", 203, -0.02, 0.04),
    # public buildings (kWh per m² per day at the yearly mean): retrofits cut use
    "energy-civic-centre": Profile("energy", 0.58, -0.03, 0.08),
    "energy-central-library": Profile("energy", 0.52, -0.025, 0.08),
    "energy-northgate-leisure-centre": Profile("energy", 0.74, -0.04, 0.08),
    "energy-harbour-depot": Profile("energy", 0.46, -0.02, 0.08),
    "energy-westfield-school": Profile("energy", 0.49, -0.035, 0.08),
    "energy-kester-vale-hub": Profile("energy", 0.44, -0.03, 0.08),
}

#: Hourly kinds (the others are daily, one reading at midnight UTC for the day).
HOURLY = {"pm25", "no2", "traffic", "speed", "cycles"}


def _key_seed(key: str) -> int:
    return SEED * 1_000_003 + zlib.crc32(key.encode("utf-8"))


def _hours(frac_hour: np.ndarray, peaks: list[tuple[float, float, float]]) -> np.ndarray:
    """A daily shape: a sum of Gaussian bumps (hour, width in hours, height) on the hour of the day."""
    shape = np.zeros_like(frac_hour)
    for hour, width, height in peaks:
        distance = np.minimum(np.abs(frac_hour - hour), 24 - np.abs(frac_hour - hour))
        shape += height * np.exp(-0.5 * (distance / width) ** 2)
    return shape


def _smooth(noise: np.ndarray, span: int) -> np.ndarray:
    """Noise with memory (pollution episodes last hours to days): an exponential moving average, unit variance.

    Written as a convolution with a truncated exponential kernel, so it stays vectorised (no SciPy here)."""
    kernel = np.exp(-np.arange(span * 4) / span)
    out = np.convolve(noise, kernel, mode="full")[: noise.size]
    return out / np.sqrt(np.sum(kernel**2))


def synthetic_values(key: str, profile: Profile, times: np.ndarray) -> np.ndarray:
    """The values of one synthetic series at ``times`` (numpy datetime64[s], UTC, on the series' grid)."""
    epoch = np.datetime64(EPOCH.isoformat(), "s")
    step = 3600 if profile.kind in HOURLY else 86400
    index = ((times - epoch) // np.timedelta64(step, "s")).astype(np.int64)
    rng = np.random.default_rng(_key_seed(key))
    noise_all = rng.standard_normal(int(index.max()) + 1)  # from EPOCH: a value never depends on the range
    days = (times - epoch) / np.timedelta64(86400, "s")
    years = days / 365.25
    doy = np.mod(days, 365.25)
    hour = np.mod(days, 1.0) * 24
    weekday = (np.floor(days).astype(np.int64) + 2) % 7  # 2020-01-01 was a Wednesday: 0 = Monday
    weekend = weekday >= 5
    winter = np.cos(2 * np.pi * (doy - 15) / 365.25)  # +1 mid-January, −1 mid-July
    trend = (1 + profile.trend) ** (years - 4)  # the level is the one of early 2024
    kind = profile.kind
    if kind in ("pm25", "no2"):
        episodes = _smooth(noise_all, 18)[index]
        if kind == "pm25":
            daily = 0.82 + _hours(hour, [(8.5, 1.8, 0.25), (20.0, 2.5, 0.35)])
            season = 1 + 0.28 * winter
            week = np.where(weekend, 0.92, 1.03)
        else:
            daily = 0.6 + _hours(hour, [(8.0, 1.5, 0.75), (17.5, 2.0, 0.65)])
            season = 1 + 0.16 * winter
            week = np.where(weekend, 0.78, 1.08)
        spread = profile.noise
        values = profile.level * trend * daily * season * week * np.exp(spread * episodes - spread**2 / 2)
        return np.round(values, 1)
    if kind in ("traffic", "cycles"):
        if kind == "traffic":
            weekday_shape = 0.15 + _hours(hour, [(8.0, 1.3, 1.5), (17.3, 1.6, 1.4), (13.0, 3.5, 0.7)])
            weekend_shape = 0.15 + _hours(hour, [(13.5, 3.5, 1.1)])
            season = 1 + 0.04 * winter
        else:
            weekday_shape = 0.05 + _hours(hour, [(8.0, 1.0, 2.4), (17.3, 1.3, 2.0), (12.5, 2.5, 0.5)])
            weekend_shape = 0.05 + _hours(hour, [(12.5, 3.0, 1.4)])
            season = 1 - 0.25 * winter
        shape = np.where(weekend, weekend_shape * 0.8, weekday_shape)
        shape = shape / 0.9  # about 1 at the daily mean
        mean = profile.level * trend * season * shape * np.exp(profile.noise * noise_all[index])
        return rng.poisson(np.maximum(mean, 0)).astype(np.float64)
    if kind == "speed":
        congestion = np.where(weekend, 0.08 * _hours(hour, [(13.5, 3.0, 1.0)]),
                              _hours(hour, [(8.0, 1.2, 0.30), (17.3, 1.4, 0.26)]))
        congestion = congestion / trend  # less congestion over time
        values = profile.level / (1 + congestion) * (1 + profile.noise * noise_all[index])
        return np.round(values, 1)
    if kind == "water":
        season = 1 - 0.07 * winter  # more in summer (gardens)
        week = np.where(weekend, 1.05, 0.98)
        values = profile.level * trend * season * week * (1 + profile.noise * _smooth(noise_all, 3)[index])
        return np.round(values, 1)
    if kind == "energy":
        season = 1 + 0.45 * winter  # heating
        week = np.where(weekend, 0.55, 1.18)
        values = profile.level * trend * season * week * (1 + profile.noise * noise_all[index])
        return np.round(np.maximum(values, 0.02), 3)
    raise ValueError(f"unknown profile kind {kind!r} of series {key!r}")


def synthetic_table(key: str, profile: Profile, start: date, end: date) -> pa.Table:
    """Readings of one synthetic series from ``start`` (included) to ``end`` (excluded), UTC midnights."""
    step = 3600 if profile.kind in HOURLY else 86400
    first = np.datetime64(start.isoformat(), "s")
    count = int((np.datetime64(end.isoformat(), "s") - first) // np.timedelta64(step, "s"))
    times = first + np.arange(count) * np.timedelta64(step, "s")
    values = synthetic_values(key, profile, times)
    return pa.table({"series": pa.array(np.full(count, key, dtype=object), pa.string()),
                     "time": pa.array(times.astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
                     "value": pa.array(values, pa.float64())})


def weather_file() -> Path:
    """seattle-weather.csv as the vega_datasets package ships it (a local file, never fetched)."""
    from vega_datasets import local_data

    return Path(local_data.seattle_weather.filepath)


def weather_table(keys: list[str]) -> pa.Table:
    """The weather station series named in ``keys`` from the real NOAA observations (one reading a day)."""
    raw = pa_csv.read_csv(weather_file(), convert_options=pa_csv.ConvertOptions(
        column_types={"date": pa.timestamp("s")}, timestamp_parsers=["%Y/%m/%d", pa_csv.ISO8601]))
    times = raw.column("date").cast(pa.timestamp("us")).cast(pa.timestamp("us", tz="UTC"))
    tables = []
    for key in keys:
        column = raw.column(WEATHER_COLUMNS[key]).cast(pa.float64())
        tables.append(pa.table({"series": pa.array([key] * raw.num_rows, pa.string()), "time": times,
                                "value": column}))
    return pa.concat_tables(tables) if tables else pa.table({"series": [], "time": [], "value": []})


def _store_history(city, table: pa.Table, groups: dict[str, str]) -> int:
    """Store the history in one batch through the store's bulk path (no alert hooks); returns its rows.

    DuckDB writes every (group, day) partition of the batch in one ``COPY`` to a staging folder and
    :meth:`.store.StagedBatch.commit` moves them in: one batch, committed once, where writing the
    parts one by one (``ingest.write_observations``) took some 5,000 separate Parquet writes. The
    series are checked against the city's (``groups``) as on every write path.
    """
    if table.num_rows == 0:
        return 0
    with duckdb.connect() as con:
        con.register("demo_readings", table)

        def source(ordinal: bool) -> str:
            return ("SELECT series, time, value, NULL::VARCHAR AS quality, NULL::VARCHAR AS message_id"
                    + (", row_number() OVER () AS _ordinal" if ordinal else "") + " FROM demo_readings")

        staged = registry.store_for(city, groups).stage_bulk(con, source, groups=groups)
    return staged.commit()


#: The day the demo city's scenarios are written for (``AS_OF`` of scripts/gen_demo_benefits.py): the
#: synthetic readings end the day before.
DEMO_TODAY = date(2026, 11, 30)


def seed_observations(city, today: date | None = None, *, years: int = YEARS) -> dict:
    """Fill the store with ``years`` years of readings of the city's demo series, up to the day before
    ``today`` (groups already holding readings are left alone). Returns ``{"rows": n, "series": [...],
    "skipped_groups": [...]}``."""
    from .models import Series

    today = today or DEMO_TODAY
    start = today.replace(year=today.year - years) if not (today.month == 2 and today.day == 29) \
        else date(today.year - years, 2, 28)
    groups = registry.series_groups(city)
    known = dict(Series.objects.filter(city=city, key__in=list(PROFILES) + list(WEATHER_COLUMNS))
                 .values_list("key", "group"))
    store = registry.store_to_read(city)
    filled = {g for g in set(known.values()) if store.months(g)}
    wanted = [k for k in known if known[k] not in filled]
    tables = [synthetic_table(k, PROFILES[k], start, today) for k in wanted if k in PROFILES]
    weather = [k for k in wanted if k in WEATHER_COLUMNS]
    if weather:
        tables.append(weather_table(weather))
    rows = 0
    if tables:
        table = pa.concat_tables(tables)
        # The history is loaded without the alert rules; the last two days go through them as if they
        # had just arrived, so the demo has the alerts a live city would have open now.
        recent = pc.greater_equal(table.column("time"),
                                  pa.scalar(datetime.combine(today - timedelta(days=2), datetime.min.time(),
                                                             tzinfo=timezone.utc), pa.timestamp("us", tz="UTC")))
        rows += _store_history(city, table.filter(pc.invert(recent)), groups)
        rows += ingest.write_observations(city, table.filter(recent), groups=groups, react=True).rows
    return {"rows": rows, "series": sorted(wanted), "skipped_groups": sorted(filled),
            "from": start, "to": today - timedelta(days=1)}
