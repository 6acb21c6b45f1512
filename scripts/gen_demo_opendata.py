"""Generate the open data catalogue of the demo city Kestermouth (issue 4, item 10; B8, B13, C2.g).

    .venv/bin/python scripts/gen_demo_opendata.py            # (re)write the files
    .venv/bin/python scripts/gen_demo_opendata.py --check    # fail if the committed files differ

Writes ``cityline/demo/city-pack/opendata.yaml`` (the asset register and the catalogue)
and the data files under ``cityline/demo/city-pack/data/`` that its distributions name
with ``pack_file``, plus ``data/SOURCES.md`` naming where every file comes from.

Two kinds of data:

- **Real open data** shipped inside the ``vega_datasets`` PyPI package (v0.9.0, MIT
  licence for the package; the data are US federal government works, in the public
  domain): Seattle daily weather and Seattle / San Francisco hourly temperatures (NOAA),
  Iowa electricity generation by source (US EIA) and US employment by sector (US BLS).
  They are copied with their rows and values unchanged; the only change is that
  ``YYYY/MM/DD`` dates are rewritten as ISO 8601 (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS``)
  so the platform types them as dates (and the San Francisco file's columns are put in
  the same order as Seattle's), and the two hourly temperature files (8,759 rows each,
  the whole of 2010) are **trimmed to January 2010** (744 rows each), because the demo
  pack is imported by many tests and every row costs validation time.
  ``airports.csv`` is not used (US airports say nothing about an English estuary city)
  and neither is ``la-riots.csv``.
- **Synthetic data** for the fictional city (air quality, traffic and cycle counts, bus
  stops, parking, energy, recycling, libraries, service requests, budget, ...), small
  (tens to about 2,000 rows) and deterministic: every random number comes from
  ``random.Random(f"{SEED}:<dataset>")``. Two synthetic files are built so that the
  privacy gate **rightly blocks** them: housing support applications (microdata whose
  quasi-identifiers single households out, k = 1 < 5) and street works complaints (a
  free-text column with the e-mail addresses and phone numbers of fictional
  complainants, ``example.org`` and Ofcom's ``01632 960xxx`` drama range only).

How it works (as scripts/gen_demo_benefits.py): the data files are written first, the
records are drafted here and imported with the normal pack importer (which ingests the
files, converts them to Parquet and runs the privacy gate) into a throw-away SQLite
database together with the rest of the demo pack, and ``opendata.yaml`` is written by
the pack exporter, so a round trip is byte-identical. Then :func:`verify` checks that
exactly the planted datasets are blocked and reports the Five-Star spread.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "cityline" / "demo" / "city-pack"
FILE = "opendata.yaml"
DATA = "data"
SEED = 37106

#: Datasets the privacy gate must block, and why (the gate's reason codes).
EXPECTED_BLOCKED = {
    "housing-support-applications": "k-anonymity",
    "street-works-complaints": "personal-data",
}

WARDS = ["City Centre", "Old Docks", "Northgate", "Westfield", "Riverside", "Quayside", "Harbour",
         "Southmoor", "Eastbank", "Kester Vale"]
WARD_CODES = {w: f"KM{i + 1:02d}" for i, w in enumerate(WARDS)}
CENTRE = (50.720, -2.050)  # the Old Docks box of developments.yaml is around here
ID = "https://kestermouth.example.org/id"
WARD_URI = f"{ID}/ward/{{ward_code}}"


# --------------------------------------------------------------------------- writers

def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(row)
    return out.getvalue().encode("utf-8")


def json_bytes(header: list[str], rows: list[list]) -> bytes:
    return (json.dumps([dict(zip(header, r)) for r in rows], indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def geojson_bytes(features: list[dict]) -> bytes:
    return (json.dumps({"type": "FeatureCollection", "features": features}, indent=1, ensure_ascii=False)
            + "\n").encode("utf-8")


def parquet_bytes(header: list[str], rows: list[list], types: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = list(zip(*rows))
    table = pa.table({name: pa.array(list(col), type=types[name]) for name, col in zip(header, cols)})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def point(lat: float, lon: float, props: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 3), round(lat, 3)]},
            "properties": props}


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def months(start_year: int, start_month: int, n: int) -> list[str]:
    out = []
    y, m = start_year, start_month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def near(rng: random.Random, spread: float = 0.03) -> tuple[float, float]:
    return round(CENTRE[0] + rng.uniform(-spread, spread), 3), round(CENTRE[1] + rng.uniform(-spread * 1.6, spread * 1.6), 3)


# --------------------------------------------------------------------------- real open data (vega_datasets)

def vega_dir() -> Path:
    import vega_datasets

    return Path(vega_datasets.__file__).parent / "_data"


def _iso(value: str) -> str:
    """``2012/01/01`` → ``2012-01-01``; ``2010/01/01 00:00[:00]`` → ``2010-01-01T00:00:00``."""
    day, _, time = value.partition(" ")
    day = day.replace("/", "-")
    return f"{day}T{time[:5]}:00" if time else day


def vega_file(name: str, *, order: list[str] | None = None, dates: str | None = None, until: str = "") -> bytes:
    """A vega_datasets file as CSV; ``until``: keep only rows whose (ISO) date sorts before it."""
    with open(vega_dir() / name, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = order or list(reader.fieldnames)
        rows = []
        for r in reader:
            if dates:
                r[dates] = _iso(r[dates])
                if until and r[dates] >= until:
                    continue
            rows.append([r[h] for h in header])
    return csv_bytes(header, rows)


#: The hourly temperature files are cut at this date (the first month of 2010).
TEMPS_UNTIL = "2010-02-01"


def real_files() -> dict[str, bytes]:
    return {
        "seattle-weather.csv": vega_file("seattle-weather.csv", dates="date"),
        # trimmed to January 2010 (744 hours each): every imported row costs validation time
        "seattle-temps.csv": vega_file("seattle-temps.csv", dates="date", until=TEMPS_UNTIL),
        "sf-temps.csv": vega_file("sf-temps.csv", order=["date", "temp"], dates="date", until=TEMPS_UNTIL),
        "iowa-electricity.csv": vega_file("iowa-electricity.csv"),
        "us-employment.csv": vega_file("us-employment.csv"),
    }


# --------------------------------------------------------------------------- synthetic data

STATIONS = [("AQ01", "Harbour Road roadside", "roadside"), ("AQ02", "Northgate interchange", "roadside"),
            ("AQ03", "Old Docks square", "urban background"), ("AQ04", "Westfield school", "urban background"),
            ("AQ05", "Kester Vale park", "suburban"), ("AQ06", "Quayside port gate", "industrial")]


def air_quality() -> dict[str, bytes]:
    rng = random.Random(f"{SEED}:air-quality")
    rows = []
    for code, _, kind in STATIONS:
        base = {"roadside": 32, "urban background": 19, "suburban": 12, "industrial": 27}[kind]
        for d in days(date(2026, 3, 1), 245):
            season = 1.15 if d.month in (11, 12, 1, 2) else 0.9 if d.month in (6, 7, 8) else 1.0
            no2 = max(2.0, rng.gauss(base * season, base * 0.25))
            pm10 = max(3.0, rng.gauss(base * 0.6 * season, 4))
            pm25 = max(1.0, pm10 * rng.uniform(0.45, 0.7))
            rows.append([code, WARD_CODES[_station_ward(code)], d.isoformat(), round(no2, 1), round(pm10, 1),
                         round(pm25, 1)])
    header = ["station_id", "ward_code", "date", "no2_ugm3", "pm10_ugm3", "pm25_ugm3"]
    stations = [point(*near(random.Random(f"{SEED}:station:{c}"), 0.02),
                      {"station_id": c, "station": n, "site_type": k, "ward_code": WARD_CODES[_station_ward(c)]})
                for c, n, k in STATIONS]
    return {"air-quality-daily.csv": csv_bytes(header, rows), "air-quality-stations.geojson": geojson_bytes(stations)}


def _station_ward(code: str) -> str:
    return {"AQ01": "Harbour", "AQ02": "Northgate", "AQ03": "Old Docks", "AQ04": "Westfield",
            "AQ05": "Kester Vale", "AQ06": "Quayside"}[code]


def traffic_counts() -> bytes:
    rng = random.Random(f"{SEED}:traffic")
    sites = [f"TC{i:02d}" for i in range(1, 9)]
    rows = []
    for s in sites:
        base = rng.randint(6000, 24000)
        for d in days(date(2026, 5, 1), 180):
            weekday = d.weekday() < 5
            v = int(base * (1.0 if weekday else 0.72) * rng.uniform(0.9, 1.1))
            rows.append([s, WARD_CODES[WARDS[sites.index(s) % len(WARDS)]], d.isoformat(), v,
                         int(v * rng.uniform(0.04, 0.09)), round(rng.uniform(18, 42), 1)])
    return csv_bytes(["site_id", "ward_code", "date", "vehicles", "heavy_goods_vehicles", "mean_speed_kmh"], rows)


def cycle_counts() -> bytes:
    rng = random.Random(f"{SEED}:cycles")
    sites = ["Harbour Road path", "Northgate cycleway", "Eastbank bridge", "Riverside promenade", "Westfield link"]
    rows = []
    for i, s in enumerate(sites):
        base = rng.randint(300, 1400)
        for d in days(date(2026, 1, 1), 300):
            summer = 1.35 if d.month in (5, 6, 7, 8, 9) else 0.8
            rows.append([f"CC{i + 1:02d}", s, d.isoformat(), int(base * summer * rng.uniform(0.7, 1.2))])
    return csv_bytes(["counter_id", "counter", "date", "bicycles"], rows)


STOP_STREETS = ["Harbour Road", "Eastgate Road", "Quay Street", "Northgate", "Westfield Avenue", "Riverside Walk",
                "Southmoor Lane", "Kester Vale Road", "Dock Square", "Station Approach", "College Road",
                "Marine Parade"]


def bus_stops() -> dict[str, bytes]:
    rng = random.Random(f"{SEED}:bus-stops")
    rows, feats = [], []
    for i in range(1, 241):
        lat, lon = near(rng, 0.04)
        street = STOP_STREETS[i % len(STOP_STREETS)]
        ward = WARDS[i % len(WARDS)]
        shelter = rng.random() < 0.6
        display = rng.random() < 0.45
        row = [f"KM{i:04d}", f"{street} stop {i % 7 + 1}", WARD_CODES[ward], lat, lon, shelter, display]
        rows.append(row)
        feats.append(point(lat, lon, {"stop_id": row[0], "stop": row[1], "ward_code": row[2],
                                      "shelter": shelter, "real_time_display": display}))
    header = ["stop_id", "stop", "ward_code", "latitude", "longitude", "shelter", "real_time_display"]
    return {"bus-stops.csv": csv_bytes(header, rows), "bus-stops.geojson": geojson_bytes(feats)}


def bus_punctuality() -> bytes:
    rng = random.Random(f"{SEED}:punctuality")
    rows = []
    for r in ["1", "2", "3", "5", "7", "10", "12", "X4", "X9", "20", "21", "30"]:
        for m in months(2025, 1, 22):
            rows.append([r, m, round(rng.uniform(78, 96), 1), rng.randint(800, 5200),
                         round(rng.uniform(0.2, 2.5), 1)])
    return json_bytes(["route", "month", "on_time_percent", "scheduled_trips", "lost_mileage_percent"], rows)


def parking_occupancy() -> bytes:
    import pyarrow as pa

    rng = random.Random(f"{SEED}:parking")
    parks = [("CP01", "Dock Square car park", 420), ("CP02", "Station car park", 310), ("CP03", "Marine Parade", 180),
             ("CP04", "Northgate multi-storey", 650), ("CP05", "Riverside park and ride", 900),
             ("CP06", "Eastbank car park", 140)]
    rows = []
    start = datetime(2026, 10, 1)
    for code, _, spaces in parks:
        for h in range(14 * 24):
            t = start + timedelta(hours=h)
            day_curve = max(0.05, 1 - abs(t.hour - 13) / 11)
            occupied = min(spaces, int(spaces * day_curve * rng.uniform(0.7, 1.05)))
            rows.append([code, t, spaces, occupied])
    return parquet_bytes(["car_park_id", "hour", "spaces", "occupied"], rows,
                         {"car_park_id": pa.string(), "hour": pa.timestamp("s"), "spaces": pa.int32(),
                          "occupied": pa.int32()})


def charge_points() -> bytes:
    rng = random.Random(f"{SEED}:charge-points")
    feats = []
    for i in range(1, 61):
        lat, lon = near(rng, 0.04)
        feats.append(point(lat, lon, {"charge_point_id": f"EV{i:03d}", "connectors": rng.choice([1, 2, 2, 4]),
                                      "power_kw": rng.choice([7, 7, 22, 50, 150]),
                                      "operator": rng.choice(["Kester Energy Networks Ltd", "Kestermouth City Council"]),
                                      "ward_code": WARD_CODES[WARDS[i % len(WARDS)]]}))
    return geojson_bytes(feats)


BUILDINGS = ["Civic Centre", "Central Library", "Northgate Library", "Eastbank Library", "Harbour Leisure Centre",
             "Westfield Leisure Centre", "Old Docks Museum", "Kester Hall", "Depot and workshops",
             "Southmoor Community Centre", "Riverside Community Centre", "Quayside Market Hall",
             "Marine Parade Pavilion", "Registry Office", "Kester Vale Primary School",
             "Westfield Primary School", "Northgate Academy", "Harbour Primary School", "Eastbank Nursery",
             "City Archive"]


def building_energy() -> bytes:
    rng = random.Random(f"{SEED}:buildings")
    rows = []
    for i, b in enumerate(BUILDINGS):
        base = rng.randint(8000, 90000)
        gas = rng.random() < 0.7
        for m in months(2025, 1, 22):
            winter = 1.35 if m[5:] in ("01", "02", "03", "11", "12") else 0.85
            elec = int(base * rng.uniform(0.9, 1.1) * (1 - 0.004 * months(2025, 1, 22).index(m)))
            rows.append([f"PB{i + 1:02d}", b, m, elec, int(base * 1.4 * winter * rng.uniform(0.8, 1.1)) if gas else 0,
                         round(elec * 0.000207, 2)])
    return csv_bytes(["building_id", "building", "month", "electricity_kwh", "gas_kwh", "co2_tonnes"], rows)


def street_lighting() -> bytes:
    rng = random.Random(f"{SEED}:lighting")
    rows = []
    for w in WARDS:
        lanterns = rng.randint(900, 2600)
        led = rng.uniform(0.35, 0.6)
        for m in months(2025, 1, 22):
            led = min(0.98, led + rng.uniform(0.005, 0.02))
            rows.append([WARD_CODES[w], w, m, lanterns, int(lanterns * led),
                         int(lanterns * (led * 24 + (1 - led) * 62) * rng.uniform(0.95, 1.05))])
    return csv_bytes(["ward_code", "ward", "month", "lanterns", "led_lanterns", "energy_kwh"], rows)


def recycling() -> bytes:
    rng = random.Random(f"{SEED}:recycling")
    rows = []
    for w in WARDS:
        rate = rng.uniform(31, 48)
        for y in (2024, 2025, 2026):
            for q in (1, 2, 3, 4):
                if (y, q) > (2026, 3):
                    continue
                rate = min(65, rate + rng.uniform(-0.5, 1.2))
                total = rng.randint(2100, 3900)
                rows.append([WARD_CODES[w], w, f"{y}-Q{q}", total, int(total * rate / 100), round(rate, 1)])
    return csv_bytes(["ward_code", "ward", "quarter", "household_waste_tonnes", "recycled_tonnes",
                      "recycling_rate_percent"], rows)


def missed_bins() -> bytes:
    rng = random.Random(f"{SEED}:missed-bins")
    rows = [[WARD_CODES[w], m, rng.choice(["general", "recycling", "garden", "food"]), rng.randint(3, 60)]
            for w in WARDS for m in months(2025, 1, 22)]
    return csv_bytes(["ward_code", "month", "bin_type", "missed_collections"], rows)


def water_use() -> bytes:
    rng = random.Random(f"{SEED}:water")
    rows = []
    for i in range(1, 13):
        props = rng.randint(4000, 14000)
        for m in months(2025, 1, 22):
            litres = rng.uniform(128, 152) * (1.08 if m[5:] in ("06", "07", "08") else 1)
            rows.append([f"DMA{i:02d}", m, props, round(litres, 1), round(rng.uniform(14, 24), 1)])
    return csv_bytes(["district_metered_area", "month", "properties", "litres_per_person_per_day",
                      "leakage_percent"], rows)


def river_levels() -> bytes:
    rng = random.Random(f"{SEED}:river")
    rows = []
    for g, base in (("RG01 Kester Bridge", 1.2), ("RG02 Vale Weir", 0.8), ("RG03 Old Docks lock", 2.1)):
        level = base
        for d in days(date(2025, 11, 1), 365):
            level = max(0.2, level + rng.gauss(0, 0.08) + (0.02 if d.month in (12, 1, 2) else -0.01))
            level = min(base * 2.5, level)
            rows.append([g[:4], g[5:], d.isoformat(), round(level, 2), round(level * 1.1 + rng.uniform(0, 0.3), 2)])
    return csv_bytes(["gauge_id", "gauge", "date", "mean_level_m", "max_level_m"], rows)


LIBRARIES = ["Central Library", "Northgate Library", "Eastbank Library", "Westfield Library", "Harbour Library",
             "Mobile library"]


def library_visits() -> bytes:
    rng = random.Random(f"{SEED}:libraries")
    rows = []
    for lib in LIBRARIES:
        base = rng.randint(1500, 22000)
        for m in months(2024, 1, 34):
            rows.append([lib, m, int(base * rng.uniform(0.8, 1.15)), int(base * 0.6 * rng.uniform(0.7, 1.2)),
                         int(base * 0.12 * rng.uniform(0.6, 1.4))])
    return csv_bytes(["library", "month", "visits", "loans", "computer_sessions"], rows)


def venue_attendance() -> bytes:
    rng = random.Random(f"{SEED}:venues")
    venues = ["Old Docks Museum", "Kester Hall", "City Archive", "Marine Parade Pavilion", "Harbour Arts Centre"]
    rows = [[v, m, rng.randint(800, 16000), rng.randint(2, 40)] for v in venues for m in months(2025, 1, 22)]
    return json_bytes(["venue", "month", "visitors", "events"], rows)


REQUEST_CATEGORIES = [("pothole", "Potholes"), ("street-light", "Street light faults"),
                      ("missed-bin", "Missed bins"), ("fly-tipping", "Fly-tipping"), ("graffiti", "Graffiti"),
                      ("drain", "Blocked drains"), ("tree", "Trees"), ("noise", "Noise")]
CHANNELS = ["web", "app", "phone", "email", "face to face"]


def service_requests() -> bytes:
    rng = random.Random(f"{SEED}:requests")
    rows = []
    for i in range(1, 1001):
        opened = date(2026, 1, 1) + timedelta(days=rng.randint(0, 320))
        cat = rng.choice(REQUEST_CATEGORIES)[0]
        took = rng.randint(0, 40)
        closed = opened + timedelta(days=took)
        done = closed <= date(2026, 11, 26)
        rows.append([f"SR-{i:05d}", cat, WARD_CODES[rng.choice(WARDS)], rng.choice(CHANNELS), opened.isoformat(),
                     closed.isoformat() if done else "", took if done else "", "closed" if done else "open"])
    return csv_bytes(["request_id", "category", "ward_code", "channel", "opened", "closed", "days_to_close",
                      "status"], rows)


BUDGET = [("Adult social care", 96.4), ("Children's services", 71.2), ("Housing and homelessness", 14.8),
          ("Highways and transport", 18.9), ("Waste and recycling", 16.3), ("Libraries and culture", 7.1),
          ("Parks and leisure", 6.4), ("Planning and regeneration", 5.9), ("Environment and climate", 3.8),
          ("Public health", 19.5), ("Digital and customer services", 9.7), ("Corporate and democratic", 12.2),
          ("Capital financing", 21.0)]


def budget_lines() -> bytes:
    rng = random.Random(f"{SEED}:budget")
    rows = []
    for y in ("2024/25", "2025/26", "2026/27"):
        for s, amount in BUDGET:
            for line in ("staff", "supplies and services", "contracts", "income"):
                share = {"staff": 0.38, "supplies and services": 0.17, "contracts": 0.55, "income": -0.1}[line]
                v = amount * 1_000_000 * share * rng.uniform(0.95, 1.05) * (1 + 0.03 * ("2024/25", "2025/26",
                                                                                      "2026/27").index(y))
                rows.append([y, s, line, int(round(v, -2))])
    return csv_bytes(["financial_year", "service_area", "budget_line", "amount_gbp"], rows)


SUPPLIERS = ["Northlight Systems plc", "Estuary Analytics Ltd", "Brightwater Telecom plc", "Harbourline Logistics Ltd",
             "Kester Energy Networks Ltd", "Vale Highways Ltd", "Estuary Facilities Ltd", "Kester Print Co-operative",
             "Coastline Care Services Ltd", "Kestermouth Council for Voluntary Service"]


def spending() -> bytes:
    rng = random.Random(f"{SEED}:spend")
    rows = []
    for i in range(1, 601):
        d = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        rows.append([f"TX{i:05d}", d.isoformat(), rng.choice(SUPPLIERS), rng.choice(BUDGET)[0],
                     round(rng.uniform(500, 85000), 2)])
    return csv_bytes(["transaction_id", "payment_date", "supplier", "service_area", "amount_gbp"], rows)


AGE_BANDS = ["0-15", "16-24", "25-44", "45-64", "65-74", "75+"]


def population() -> bytes:
    rng = random.Random(f"{SEED}:population")
    rows = []
    for w in WARDS:
        for y in (2021, 2022, 2023, 2024, 2025):
            for a in AGE_BANDS:
                for s in ("female", "male"):
                    rows.append([WARD_CODES[w], w, y, a, s, rng.randint(600, 3400)])
    return csv_bytes(["ward_code", "ward", "year", "age_band", "sex", "population"], rows)


def housing_completions() -> bytes:
    rng = random.Random(f"{SEED}:housing")
    rows = []
    for w in WARDS:
        for y in (2024, 2025, 2026):
            for q in (1, 2, 3, 4):
                if (y, q) > (2026, 3):
                    continue
                for tenure in ("social rent", "affordable ownership", "market"):
                    rows.append([WARD_CODES[w], f"{y}-Q{q}", tenure, rng.randint(0, 60 if w == "Old Docks" else 18)])
    return csv_bytes(["ward_code", "quarter", "tenure", "completions"], rows)


def housing_applications() -> bytes:
    """Microdata the gate must block: ward × age band × household type × size single out households."""
    rng = random.Random(f"{SEED}:housing-applications")
    rows = []
    for i in range(1, 401):
        rows.append([f"HSA-{i:04d}", rng.choice(WARDS), rng.choice(AGE_BANDS[1:]),
                     rng.choice(["single adult", "couple", "lone parent", "family", "older couple", "shared"]),
                     rng.randint(1, 7), rng.choice(["A", "B", "C", "D"]),
                     rng.choice(["accepted", "accepted", "refused", "pending"])])
    return csv_bytes(["application_ref", "ward", "age_band", "household_type", "household_size", "priority_band",
                      "decision"], rows)


FIRST = ["Alex", "Sam", "Jo", "Robin", "Chris", "Morgan", "Jamie", "Casey", "Taylor", "Jordan"]
LAST = ["Example", "Sample", "Placeholder", "Testcase", "Fictional", "Demo"]


def street_works_complaints() -> bytes:
    """Free text with (fictional) complainants' e-mails and phone numbers: the gate must block it."""
    rng = random.Random(f"{SEED}:complaints")
    issues = ["noise from night works", "footway closed without a diversion", "barriers left after works finished",
              "dust from road cutting", "bus stop blocked by the works compound", "trench not reinstated properly"]
    rows = []
    for i in range(1, 161):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        issue = rng.choice(issues)
        contact = (f"please reply to {first.lower()}.{last.lower()}{i}@example.org" if i % 2
                   else f"please call me back on 01632 960{rng.randint(0, 999):03d}")
        rows.append([f"SWC-{i:04d}", (date(2026, 2, 1) + timedelta(days=rng.randint(0, 290))).isoformat(),
                     f"SW/{rng.randint(2026000, 2026999)}", WARD_CODES[rng.choice(WARDS)], issue,
                     f"The {issue} on my street has gone on for days, {contact}"])
    return csv_bytes(["complaint_id", "received", "works_permit", "ward_code", "issue", "details"], rows)


def collisions() -> bytes:
    rng = random.Random(f"{SEED}:collisions")
    rows = []
    for i in range(1, 401):
        lat, lon = near(rng, 0.04)
        d = date(2024, 1, 1) + timedelta(days=rng.randint(0, 1000))
        rows.append([f"RC{i:04d}", d.isoformat(), WARD_CODES[rng.choice(WARDS)],
                     rng.choices(["slight", "serious", "fatal"], [85, 14, 1])[0], rng.randint(1, 4),
                     rng.randint(1, 3), lat, lon])
    return csv_bytes(["collision_id", "date", "ward_code", "severity", "vehicles", "casualties", "latitude",
                      "longitude"], rows)


def response_times() -> bytes:
    rng = random.Random(f"{SEED}:response")
    rows = [[s, m, round(rng.uniform(6.5, 11.5), 1), rng.randint(300, 2400)]
            for s in ("fire", "ambulance", "police") for m in months(2024, 1, 34)]
    return csv_bytes(["service", "month", "median_minutes", "incidents"], rows)


def wifi_sessions() -> bytes:
    rng = random.Random(f"{SEED}:wifi")
    rows = [[f"WIFI{i:02d}", m, rng.randint(2000, 40000), round(rng.uniform(150, 2400), 1)]
            for i in range(1, 11) for m in months(2025, 1, 22)]
    return csv_bytes(["hotspot_id", "month", "sessions", "data_gb"], rows)


def admissions() -> bytes:
    rng = random.Random(f"{SEED}:admissions")
    rows = [[WARD_CODES[w], m, rng.randint(40, 210), rng.randint(5, 60)] for w in WARDS for m in months(2025, 1, 22)]
    return csv_bytes(["ward_code", "month", "emergency_admissions", "avoidable_admissions"], rows)


def business_startups() -> bytes:
    rng = random.Random(f"{SEED}:startups")
    sectors = ["marine engineering", "creative and digital", "hospitality", "retail", "construction",
               "health and care", "logistics"]
    rows = [[s, f"{y}-Q{q}", rng.randint(3, 48), rng.randint(1, 30)] for s in sectors for y in (2024, 2025, 2026)
            for q in (1, 2, 3, 4) if (y, q) <= (2026, 3)]
    return csv_bytes(["sector", "quarter", "new_businesses", "closures"], rows)


def synthetic_files() -> dict[str, bytes]:
    files = {}
    files.update(air_quality())
    files.update(bus_stops())
    files.update({
        "traffic-counts.csv": traffic_counts(),
        "cycle-counts.csv": cycle_counts(),
        "bus-punctuality.json": bus_punctuality(),
        "parking-occupancy.parquet": parking_occupancy(),
        "ev-charge-points.geojson": charge_points(),
        "public-building-energy.csv": building_energy(),
        "street-lighting.csv": street_lighting(),
        "recycling-rates.csv": recycling(),
        "missed-bins.csv": missed_bins(),
        "water-use.csv": water_use(),
        "river-levels.csv": river_levels(),
        "library-visits.csv": library_visits(),
        "venue-attendance.json": venue_attendance(),
        "service-requests.csv": service_requests(),
        "budget-lines.csv": budget_lines(),
        "spending-over-500.csv": spending(),
        "population-by-ward.csv": population(),
        "housing-completions.csv": housing_completions(),
        "housing-support-applications.csv": housing_applications(),
        "street-works-complaints.csv": street_works_complaints(),
        "road-collisions.csv": collisions(),
        "emergency-response-times.csv": response_times(),
        "public-wifi-sessions.csv": wifi_sessions(),
        "emergency-admissions.csv": admissions(),
        "business-start-ups.csv": business_startups(),
    })
    return files


SOURCES = """\
# Where the demo city's data files come from

The files in this folder are the held distributions of the demo city's open data
catalogue (`../opendata.yaml`, `pack_file`). They are written by
`scripts/gen_demo_opendata.py`; do not edit them by hand.

## Real open data (from the `vega_datasets` PyPI package)

Copied from the local files of the `vega_datasets` package, version 0.9.0 (the package
is MIT-licensed; https://github.com/altair-viz/vega_datasets). The data are works of
US federal agencies and in the public domain in the United States; Kestermouth
republishes them under CC0-1.0 as reference data. Rows and values are unchanged; dates
written `YYYY/MM/DD` were rewritten in ISO 8601 (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`), the San
Francisco file's two columns were swapped to match Seattle's, and the two hourly
temperature files were trimmed to January 2010 (the package has the whole year, 8,759
hours each) to keep the demo import fast.

| file | source | rows |
| --- | --- | --- |
| `seattle-weather.csv` | NOAA daily weather, Seattle, 2012–2015 (`seattle-weather.csv`) | 1,461 |
| `seattle-temps.csv` | NOAA hourly temperatures, Seattle, January 2010 (`seattle-temps.csv`, trimmed) | 744 |
| `sf-temps.csv` | NOAA hourly temperatures, San Francisco, January 2010 (`sf-temps.csv`, trimmed) | 744 |
| `iowa-electricity.csv` | US Energy Information Administration, Iowa net generation by source, 2001–2017 | 51 |
| `us-employment.csv` | US Bureau of Labor Statistics, employment by sector, 2006–2015 | 120 |

## Synthetic data (fictional)

Every other file is synthetic: Kestermouth, its wards, stations, stops, buildings,
suppliers and people are invented, and the values are random numbers drawn with a
fixed seed. Coordinates are rounded to three decimals (about 100 m). Two files are
built to be blocked by the privacy gate and must never be published:
`housing-support-applications.csv` (microdata whose quasi-identifiers single out
households) and `street-works-complaints.csv` (free text with fictional complainants'
e-mail addresses at `example.org` and phone numbers in Ofcom's `01632 960xxx` drama
range).
"""


def data_files() -> dict[str, bytes]:
    files = {**real_files(), **synthetic_files()}
    files["SOURCES.md"] = SOURCES.encode("utf-8")
    return files


# --------------------------------------------------------------------------- the catalogue

THEMES = [
    ("environment", "Environment", "Air quality, noise, green spaces and climate.", "ENVI"),
    ("transport", "Transport", "Roads, buses, cycling and parking.", "TRAN"),
    ("mobility", "Mobility services", "Shared bikes, electric vehicle charging and journey planning.", "TRAN"),
    ("energy", "Energy", "Energy use of public buildings, street lighting and generation.", "ENER"),
    ("housing", "Housing", "New homes, housing support and the housing register.", "SOCI"),
    ("health", "Health and care", "Hospital admissions and care services.", "HEAL"),
    ("economy", "Economy and work", "Businesses, jobs and the port.", "ECON"),
    ("governance", "Council and budget", "The council's budget, spending and decisions.", "GOVE"),
    ("culture", "Culture and leisure", "Libraries, museums and venues.", "EDUC"),
    ("safety", "Community safety", "Road safety and emergency services.", "JUST"),
    ("water", "Water and flooding", "Water use, leakage, river levels and flood risk.", "ENVI"),
    ("waste", "Waste and recycling", "Collections, missed bins and recycling.", "ENVI"),
    ("population", "Population", "Who lives in Kestermouth, ward by ward.", "SOCI"),
    ("digital", "Digital city", "Public wi-fi, sensors and city platforms.", "TECH"),
]

ASSETS = [
    # key, name, type, owner, domain, personal, reuse potential, standards, building block, policy, description
    ("air-quality-network", "Air quality sensor network", "iot_fleet", "urban-observatory", "environment", False, 5,
     ["ogc-sensorthings", "lorawan"], "sensor-data-service", "Open: readings published daily under CC-BY-4.0.",
     "Six reference-grade and low-cost stations measuring NO2, PM10 and PM2.5."),
    ("traffic-counters", "Traffic and cycle counters", "iot_fleet", "kcc", "transport", False, 4,
     ["lorawan", "etsi-ngsi-ld"], "sensor-data-service", "Open: counts published under OGL-UK-3.0.",
     "Induction loops and radar counters on main roads and cycle routes."),
    ("parking-sensors", "Car park occupancy sensors", "iot_fleet", "kcc", "transport", False, 3,
     ["oasis-mqtt"], "sensor-data-service", "Open; live feed for the journey planner.",
     "Entry and exit counters of the council's six car parks."),
    ("smart-water-meters", "Smart water meters", "iot_fleet", "kester-water", "water", True, 4,
     ["lorawan"], "lorawan-network", "Aggregates by district metered area only; readings per home are personal data.",
     "Kester Water's smart meters, read every hour over the city LoRaWAN network."),
    ("river-gauges", "River level gauges", "iot_fleet", "marine-institute", "water", False, 5,
     ["ogc-sensorthings"], "sensor-data-service", "Open, for flood warning and research.",
     "Three gauges on the Kester, shared with the flood warning service."),
    ("open-data-platform", "Kestermouth open data platform", "platform", "kcc", "digital", False, 5,
     ["dcat-ap", "w3c-dcat", "openapi"], "open-data-platform", "The city's shared catalogue: any partner may publish.",
     "Catalogue, file store, query API and CKAN-compatible API of the city's open data."),
    ("context-broker", "City context broker", "platform", "kcc", "digital", False, 4,
     ["etsi-ngsi-ld"], "context-broker", "Partners publish and subscribe under the data sharing agreement.",
     "Live context data (traffic signals, car parks, sensors) as NGSI-LD entities."),
    ("digital-twin", "Local digital twin", "platform", "kcc", "environment", False, 4,
     ["ogc-citygml"], "digital-twin", "3D model open under OGL; scenario tools for partners.",
     "3D model of buildings, terrain and the estuary for planning and flood scenarios."),
    ("city-api-gateway", "City API gateway", "api", "kcc", "digital", False, 5,
     ["openapi", "ietf-oauth2"], "api-gateway", "Every city API is published through it, with keys for partners.",
     "Single front door for the city's APIs, with keys, quotas and usage statistics."),
    ("bus-realtime-api", "Bus real-time API", "api", "valley-buses", "transport", False, 5,
     ["gtfs-realtime", "cen-siri"], "bus-realtime-feed", "Open to any developer with a free key.",
     "Vehicle positions and predicted arrivals of every bus in Kester Valley."),
    ("port-community-api", "Port community system API", "api", "port-authority", "economy", False, 3,
     ["openapi"], "port-community-system", "Port users on subscription; aggregates open.",
     "Vessel calls, berth bookings and truck slots for port users."),
    ("journey-planner", "Journey planner", "application", "transport-authority", "transport", False, 3,
     ["gtfs-realtime"], None, "Open source; reuses the bus, parking and cycling data.",
     "The Kester Valley journey planner app and website."),
    ("customer-account", "My Kestermouth account", "application", "kcc", "digital", True, 2,
     ["openid-connect"], "customer-account", "Internal: holds residents' accounts; statistics only are published.",
     "Residents' account for council services, requests and payments."),
    ("case-management", "Case management service", "application", "kcc", "governance", True, 2,
     [], "case-management", "Internal; anonymised statistics only.",
     "Council case management for service requests, complaints and housing applications."),
    ("finance-system", "Council finance system", "application", "kcc", "governance", False, 3,
     [], None, "Budget and spending over GBP 500 published monthly under OGL-UK-3.0.",
     "The council's general ledger and payments."),
    ("lorawan-network", "City LoRaWAN network", "infrastructure", "brightwater", "digital", False, 4,
     ["lorawan"], "lorawan-network", "Open to partners' sensors under the network access agreement.",
     "Forty gateways covering the city for low-power sensors."),
    ("public-wifi", "Public wi-fi network", "infrastructure", "kcc", "digital", True, 2,
     [], None, "Session counts only; no device or user data leave the network.",
     "Free wi-fi in the centre, libraries and the Old Docks."),
    ("street-lighting", "Street lighting network", "infrastructure", "kcc", "energy", False, 3,
     ["lorawan"], None, "Energy and fault data open; lantern control internal.",
     "About 17,000 lanterns, being converted to LED with remote monitoring."),
    ("air-quality-data", "Air quality readings store", "dataset", "urban-observatory", "environment", False, 5,
     ["ogc-sensorthings"], "sensor-data-service", "Open under CC-BY-4.0.",
     "Validated daily means of every station since 2020."),
    ("council-statistics", "Council statistics store", "dataset", "kcc", "governance", False, 4,
     ["iso-37120", "iso-37122"], "indicator-service", "Open under OGL-UK-3.0 unless it holds personal data.",
     "Aggregated statistics of council services: requests, libraries, waste, housing and budget."),
    ("housing-casework", "Housing support casework", "dataset", "kcc", "housing", True, 1,
     [], "case-management", "Personal data: internal; anonymised extracts only after a privacy review.",
     "Applications for housing support and their decisions."),
    ("complaints-casework", "Complaints casework", "dataset", "kcc", "governance", True, 1,
     [], "case-management", "Personal data: internal; counts may be published.",
     "Complaints about council and contractors' works, with the complainants' contact details."),
    ("reference-climate-data", "Reference climate and economy data", "dataset", "urban-observatory", "environment",
     False, 3, ["w3c-dcat"], None, "Public domain data from US federal agencies, republished for comparison and teaching.",
     "Open reference series the Urban Observatory uses to test models and teach data skills."),
    ("health-activity-data", "Health activity statistics", "dataset", "health-partnership", "health", True, 3,
     ["hl7-fhir"], "shared-care-record", "Aggregates by ward, small numbers suppressed.",
     "Hospital activity derived from the shared care record."),
]


def ds(key, title, description, themes, publisher, contact, *, licence="OGL-UK-3.0", keywords="", frequency="MONTHLY",
       start=None, end=None, access="public", model="free", issued="2026-03-01", modified="2026-11-20", asset=None,
       kpis=(), services=(), conforms_to="", landing="", microdata=False, qis="", k=None, published=True,
       spatial="Kestermouth"):
    row = {"key": key, "title": title, "description": description, "keywords": keywords,
           "themes": list(themes), "publisher": publisher, "contact_point": contact, "licence": licence,
           "spatial": spatial, "temporal_start": start, "temporal_end": end, "frequency": frequency,
           "access_level": access, "publication_model": model, "issued": issued, "modified": modified,
           "landing_page": landing, "conforms_to": conforms_to, "asset": asset, "kpis": list(kpis),
           "services": list(services), "microdata": microdata, "quasi_identifiers": qis, "k_threshold": k,
           "published": published}
    return {k2: v for k2, v in row.items() if v not in (None, "", [], False)} | {"key": key}


def dist(key, dataset, title, fmt, *, kind="file", pack_file="", access_url="", media_type="", key_columns="",
         about_url="", column_links=None, description=""):
    row = {"key": key, "dataset": dataset, "title": title, "description": description, "kind": kind, "format": fmt,
           "media_type": media_type, "access_url": access_url, "key_columns": key_columns, "about_url": about_url,
           "column_links": column_links, "pack_file": f"{DATA}/{pack_file}" if pack_file else ""}
    return {k2: v for k2, v in row.items() if v not in (None, "", {}, [])}


CSV, JSON, GEOJSON = "text/csv", "application/json", "application/geo+json"
VEGA = ("Source: the vega_datasets package 0.9.0 (MIT licence), file {file}; the data are a US federal "
        "government work ({agency}), in the public domain. Values unchanged; dates rewritten in ISO 8601.{trim}")
OBS = "Kestermouth Urban Observatory republishes it as reference data for models and data-skills courses."


def catalogue() -> tuple[list[dict], list[dict]]:
    D, R = [], []  # datasets, distributions
    # --- real open data ---------------------------------------------------------------------------------------
    for key, title, file, agency, start, end, freq, rows_desc, theme, kpis in (
        ("seattle-daily-weather", "Seattle daily weather 2012–2015 (reference data)", "seattle-weather.csv",
         "NOAA", "2012-01-01", "2015-12-31", "NEVER", "Daily precipitation (mm), maximum and minimum temperature "
         "(°C), wind (m/s) and the weather of the day.", "environment", []),
        ("seattle-hourly-temperatures", "Seattle hourly temperatures, January 2010 (reference data)",
         "seattle-temps.csv", "NOAA", "2010-01-01", "2010-01-31", "NEVER", "Hourly air temperature (°F); the "
         "first month of the package's year-long file.", "environment", []),
        ("san-francisco-hourly-temperatures", "San Francisco hourly temperatures, January 2010 (reference data)",
         "sf-temps.csv", "NOAA", "2010-01-01", "2010-01-31", "NEVER", "Hourly air temperature (°F); the first "
         "month of the package's year-long file.", "environment", []),
        ("iowa-electricity-generation", "Iowa electricity generation by source 2001–2017 (reference data)",
         "iowa-electricity.csv", "US Energy Information Administration", "2001-01-01", "2017-12-31", "NEVER",
         "Yearly net generation (thousand MWh) from fossil fuels, nuclear and renewables: a benchmark for the "
         "city's renewable energy target.", "energy", ["renewable-energy"]),
        ("us-employment-by-sector", "US employment by sector 2006–2015 (reference data)", "us-employment.csv",
         "US Bureau of Labor Statistics", "2006-01-01", "2015-12-31", "NEVER",
         "Monthly employment (thousands) by sector, with the monthly change in non-farm jobs.", "economy",
         ["unemployment"]),
    ):
        trim = " Trimmed to January 2010." if "temps" in file else ""
        D.append(ds(key, title, f"{rows_desc} {OBS}\n\n" + VEGA.format(file=file, agency=agency, trim=trim), [theme],
                    "urban-observatory", "leila-haddad", licence="CC0-1.0", keywords="reference data, open data, "
                    + ("climate, weather" if theme == "environment" else theme), frequency=freq, start=start,
                    end=end, spatial="United States", asset="reference-climate-data", kpis=kpis,
                    landing="https://github.com/altair-viz/vega_datasets", issued="2026-06-01",
                    modified="2026-06-01"))
        R.append(dist(f"{key}-csv", key, f"{title.split(' (')[0]} (CSV)", "CSV", pack_file=file, media_type=CSV))
    R.append(dist("san-francisco-hourly-temperatures-parquet", "san-francisco-hourly-temperatures",
                  "San Francisco hourly temperatures (Parquet)", "Parquet",
                  access_url="https://data.kestermouth.example.org/files/san-francisco-hourly-temperatures/"
                             "san-francisco-hourly-temperatures-csv/v1/data.parquet",
                  kind="remote", media_type="application/vnd.apache.parquet",
                  description="The platform's typed Parquet copy of the CSV."))

    # --- environment ------------------------------------------------------------------------------------------
    D.append(ds("air-quality-daily", "Air quality: daily means by station",
                "Daily mean concentrations of nitrogen dioxide, PM10 and PM2.5 at the six stations of the city's air "
                "quality network, March to October 2026. Synthetic demo data.", ["environment", "health"],
                "urban-observatory", "leila-haddad", licence="CC-BY-4.0", keywords="air quality, no2, pm10, pm2.5",
                frequency="DAILY", start="2026-03-01", end="2026-10-31", asset="air-quality-data",
                kpis=["no2", "pm10", "pm25", "sensors-live"], conforms_to="https://www.ogc.org/standard/sensorthings/"))
    R.append(dist("air-quality-daily-csv", "air-quality-daily", "Daily means (CSV)", "CSV",
                  pack_file="air-quality-daily.csv", media_type=CSV, key_columns="station_id, date",
                  about_url=f"{ID}/air-quality/{{station_id}}/{{date}}",
                  column_links={"station_id": f"{ID}/air-station/{{station_id}}", "ward_code": WARD_URI}))
    R.append(dist("air-quality-sensorthings", "air-quality-daily", "Live readings (SensorThings API)", "API",
                  kind="api", access_url="https://sensors.kestermouth.example.org/v1.1/Datastreams",
                  media_type="application/json"))
    D.append(ds("air-quality-stations", "Air quality monitoring stations",
                "Location (to about 100 m), type and ward of each air quality station. Synthetic demo data.",
                ["environment"], "urban-observatory", "leila-haddad", licence="CC-BY-4.0",
                keywords="air quality, stations, map", frequency="ANNUAL", asset="air-quality-network",
                kpis=["sensors-live"]))
    R.append(dist("air-quality-stations-geojson", "air-quality-stations", "Stations (GeoJSON)", "GeoJSON",
                  pack_file="air-quality-stations.geojson", media_type=GEOJSON, key_columns="station_id"))
    D.append(ds("noise-monitoring", "Noise monitoring (pilot)",
                "Noise levels from the pilot sensors near the port. Internal while the sensors are calibrated.",
                ["environment"], "kcc", "grace-whitfield", keywords="noise", frequency="CONT",
                access="internal", kpis=["noise-exposure"], asset="traffic-counters"))
    R.append(dist("noise-monitoring-api", "noise-monitoring", "Noise readings (context broker)", "API", kind="api",
                  access_url="https://broker.kestermouth.example.org/ngsi-ld/v1/entities?type=NoiseLevelObserved",
                  media_type="application/ld+json"))

    # --- transport and mobility -------------------------------------------------------------------------------
    D.append(ds("traffic-counts", "Traffic counts: daily vehicles by counter",
                "Vehicles, heavy goods vehicles and mean speed per day at eight counters on main roads, May to "
                "October 2026. Synthetic demo data.", ["transport"], "kcc", "marek-nowak",
                keywords="traffic, counts, vehicles", frequency="DAILY", start="2026-05-01", end="2026-10-27",
                asset="traffic-counters", kpis=["traffic-monitoring", "travel-time-index"]))
    R.append(dist("traffic-counts-csv", "traffic-counts", "Daily counts (CSV)", "CSV", pack_file="traffic-counts.csv",
                  media_type=CSV, key_columns="site_id, date", about_url=f"{ID}/traffic-count/{{site_id}}/{{date}}"))
    D.append(ds("cycle-counts", "Cycle counts: daily bicycles by counter",
                "Bicycles counted per day at five counters on the cycle network, 2026. Synthetic demo data.",
                ["transport", "mobility"], "kcc", "marek-nowak", keywords="cycling, counts", frequency="DAILY",
                start="2026-01-01", end="2026-10-27", asset="traffic-counters",
                kpis=["cycle-counts", "bicycle-lanes", "mode-share"], services=["journey-planner"]))
    R.append(dist("cycle-counts-csv", "cycle-counts", "Daily counts (CSV)", "CSV", pack_file="cycle-counts.csv",
                  media_type=CSV, key_columns="counter_id, date"))
    D.append(ds("bus-stops", "Bus stops", "Every bus stop in Kestermouth with its location (rounded to about "
                "100 m), shelter and real-time display. Synthetic demo data.", ["transport", "mobility"],
                "transport-authority", "simon-pargeter", licence="ODbL-1.0", keywords="bus, stops, map",
                frequency="QUARTERLY", asset="bus-realtime-api", kpis=["real-time-bus-info"],
                services=["journey-planner", "bus-pass"], conforms_to="https://gtfs.org/documentation/schedule/reference/"))
    R.append(dist("bus-stops-csv", "bus-stops", "Bus stops (CSV)", "CSV", pack_file="bus-stops.csv", media_type=CSV,
                  key_columns="stop_id", about_url=f"{ID}/bus-stop/{{stop_id}}",
                  column_links={"ward_code": WARD_URI}))
    R.append(dist("bus-stops-geojson", "bus-stops", "Bus stops (GeoJSON)", "GeoJSON", pack_file="bus-stops.geojson",
                  media_type=GEOJSON, key_columns="stop_id"))
    D.append(ds("bus-real-time", "Bus real-time positions and arrivals",
                "Live vehicle positions and predicted arrivals of every bus (GTFS Realtime and SIRI).",
                ["transport", "mobility"], "valley-buses", None, licence="OGL-UK-3.0", keywords="bus, real time, gtfs",
                frequency="CONT", asset="bus-realtime-api", kpis=["real-time-bus-info", "pt-trips"],
                services=["journey-planner"], conforms_to="https://gtfs.org/documentation/realtime/reference/"))
    R.append(dist("bus-real-time-api", "bus-real-time", "Real-time API (JSON)", "API", kind="api",
                  access_url="https://api.kestermouth.example.org/buses/v1/vehicles", media_type="application/json"))
    D.append(ds("bus-punctuality", "Bus punctuality by route and month",
                "Share of buses on time, trips scheduled and mileage lost, by route and month. Synthetic demo data.",
                ["transport"], "transport-authority", "simon-pargeter", keywords="bus, punctuality",
                start="2025-01-01", end="2026-10-31", kpis=["pt-trips"], asset="bus-realtime-api"))
    R.append(dist("bus-punctuality-json", "bus-punctuality", "Punctuality (JSON)", "JSON",
                  pack_file="bus-punctuality.json", media_type=JSON, key_columns="route, month"))
    D.append(ds("parking-occupancy", "Car park occupancy by hour",
                "Spaces and occupied spaces in the council's six car parks, hour by hour, 1–14 October 2026. "
                "Synthetic demo data.", ["transport"], "kcc", "marek-nowak", keywords="parking, occupancy",
                frequency="CONT", start="2026-10-01", end="2026-10-14", asset="parking-sensors",
                services=["parking-payment", "journey-planner"]))
    R.append(dist("parking-occupancy-parquet", "parking-occupancy", "Hourly occupancy (Parquet)", "Parquet",
                  pack_file="parking-occupancy.parquet", media_type="application/vnd.apache.parquet",
                  key_columns="car_park_id, hour"))
    R.append(dist("parking-occupancy-live", "parking-occupancy", "Live occupancy (NGSI-LD)", "API", kind="api",
                  access_url="https://broker.kestermouth.example.org/ngsi-ld/v1/entities?type=ParkingSite",
                  media_type="application/ld+json"))
    D.append(ds("ev-charge-points", "Electric vehicle charge points",
                "Public charge points with their connectors, power and operator. Synthetic demo data.",
                ["mobility", "energy"], "kcc", "grace-whitfield", keywords="electric vehicles, charging, map",
                frequency="MONTHLY", kpis=["charge-points", "low-carbon-vehicles"], asset="context-broker"))
    R.append(dist("ev-charge-points-geojson", "ev-charge-points", "Charge points (GeoJSON)", "GeoJSON",
                  pack_file="ev-charge-points.geojson", media_type=GEOJSON, key_columns="charge_point_id"))
    D.append(ds("road-collisions", "Road collisions", "Reported road collisions with their severity, vehicles and "
                "casualties; locations rounded to about 100 m. Synthetic demo data.", ["safety", "transport"],
                "kcc", "marek-nowak", keywords="road safety, collisions", frequency="QUARTERLY",
                start="2024-01-01", end="2026-09-30", asset="council-statistics"))
    R.append(dist("road-collisions-csv", "road-collisions", "Collisions (CSV)", "CSV", pack_file="road-collisions.csv",
                  media_type=CSV, key_columns="collision_id"))
    D.append(ds("traffic-signals-live", "Traffic signals: live state",
                "The state of every connected traffic signal junction, as NGSI-LD entities.", ["transport"], "kcc",
                "marek-nowak", keywords="traffic signals, real time, linked data", frequency="CONT",
                asset="context-broker", kpis=["intersection-control"],
                conforms_to="https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/"))
    R.append(dist("traffic-signals-ngsi-ld", "traffic-signals-live", "Junctions (NGSI-LD, JSON-LD)", "API",
                  kind="api", access_url="https://broker.kestermouth.example.org/ngsi-ld/v1/entities?type=TrafficSignal",
                  media_type="application/ld+json"))

    # --- energy -----------------------------------------------------------------------------------------------
    D.append(ds("public-building-energy", "Energy use of public buildings",
                "Monthly electricity and gas use and CO2 of twenty council buildings. Synthetic demo data.",
                ["energy"], "kcc", "grace-whitfield", keywords="energy, buildings, carbon", start="2025-01-01",
                end="2026-10-31", asset="council-statistics",
                kpis=["public-building-energy", "building-management", "ghg-per-capita"]))
    R.append(dist("public-building-energy-csv", "public-building-energy", "Monthly energy (CSV)", "CSV",
                  pack_file="public-building-energy.csv", media_type=CSV, key_columns="building_id, month",
                  about_url=f"{ID}/building-energy/{{building_id}}/{{month}}",
                  column_links={"building_id": f"{ID}/building/{{building_id}}"}))
    D.append(ds("street-lighting-energy", "Street lighting: lanterns, LED conversion and energy",
                "Lanterns, LED lanterns and energy used per ward and month. Synthetic demo data.", ["energy"], "kcc",
                "grace-whitfield", keywords="street lighting, led, energy", start="2025-01-01", end="2026-10-31",
                asset="street-lighting", kpis=["street-lighting-energy", "led-lanterns"],
                services=["street-light-fault"]))
    R.append(dist("street-lighting-energy-csv", "street-lighting-energy", "By ward and month (CSV)", "CSV",
                  pack_file="street-lighting.csv", media_type=CSV, key_columns="ward_code, month",
                  about_url=f"{ID}/street-lighting/{{ward_code}}/{{month}}", column_links={"ward_code": WARD_URI}))
    D.append(ds("renewable-generation", "Renewable generation connected to the city network",
                "Yearly renewable generation and capacity connected to Kester Energy's network, as a spreadsheet.",
                ["energy"], "kester-energy", "daniel-ferris", keywords="renewables, solar, wind",
                frequency="ANNUAL", start="2020-01-01", end="2025-12-31", kpis=["renewable-energy"]))
    R.append(dist("renewable-generation-xlsx", "renewable-generation", "Generation (Excel)", "XLSX", kind="remote",
                  access_url="https://www.kester-energy.example.org/reports/renewable-generation-2025.xlsx",
                  media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))

    # --- water ------------------------------------------------------------------------------------------------
    D.append(ds("water-use", "Water use and leakage by district metered area",
                "Litres per person per day and leakage for twelve district metered areas, by month. Synthetic demo "
                "data.", ["water"], "kester-water", None, keywords="water, consumption, leakage",
                start="2025-01-01", end="2026-10-31", asset="smart-water-meters",
                kpis=["water-consumption", "domestic-water", "water-loss", "smart-water-meters"]))
    R.append(dist("water-use-csv", "water-use", "By area and month (CSV)", "CSV", pack_file="water-use.csv",
                  media_type=CSV, key_columns="district_metered_area, month"))
    D.append(ds("water-meter-readings", "Smart water meter readings (hourly, per meter)",
                "Hourly readings of every smart meter, for water retailers and researchers under Kester Water's "
                "commercial terms.", ["water"], "kester-water", None, licence="LicenseRef-proprietary",
                keywords="water, smart meters", frequency="CONT", access="restricted", model="commercial",
                asset="smart-water-meters", kpis=["water-ict-monitoring"]))
    R.append(dist("water-meter-readings-api", "water-meter-readings", "Readings API", "API", kind="api",
                  access_url="https://api.kester-water.example.org/v2/readings", media_type="application/json"))
    D.append(ds("river-levels", "River levels on the Kester", "Daily mean and maximum levels at three river gauges, "
                "November 2025 to October 2026. Synthetic demo data.", ["water", "safety"], "marine-institute",
                "erik-lindqvist", licence="CC-BY-4.0", keywords="river, flooding, levels", frequency="DAILY",
                start="2025-11-01", end="2026-10-31", asset="river-gauges",
                kpis=["drainage-monitoring", "flood-alert-signups"]))
    R.append(dist("river-levels-csv", "river-levels", "Daily levels (CSV)", "CSV", pack_file="river-levels.csv",
                  media_type=CSV, key_columns="gauge_id, date"))
    D.append(ds("flood-risk-areas", "Flood risk areas", "Areas at risk of tidal and river flooding, from the digital "
                "twin's flood scenarios.", ["water", "safety"], "kcc", "grace-whitfield", keywords="flooding, map",
                frequency="ANNUAL", asset="digital-twin", kpis=["population-flood-prone", "resilience-plans"]))
    R.append(dist("flood-risk-areas-geojson", "flood-risk-areas", "Flood risk areas (GeoJSON)", "GeoJSON",
                  kind="remote", access_url="https://maps.kestermouth.example.org/flood-risk-areas.geojson",
                  media_type=GEOJSON))
    D.append(ds("city-3d-model", "3D city model (CityGML)", "Buildings and terrain of the digital twin in CityGML, "
                "for planners and researchers; the enhanced scenario edition is charged.", ["digital", "housing"],
                "kcc", "marek-nowak", keywords="3d, digital twin, citygml", frequency="ANNUAL", model="value_added",
                asset="digital-twin", conforms_to="https://www.ogc.org/standard/citygml/"))
    R.append(dist("city-3d-model-citygml", "city-3d-model", "City model (CityGML)", "XML", kind="remote",
                  access_url="https://twin.kestermouth.example.org/downloads/kestermouth-lod2.gml",
                  media_type="application/gml+xml"))

    # --- waste ------------------------------------------------------------------------------------------------
    D.append(ds("recycling-rates", "Household waste and recycling rates by ward",
                "Household waste collected, tonnes recycled and the recycling rate by ward and quarter. Synthetic "
                "demo data.", ["waste"], "kcc", "grace-whitfield", keywords="waste, recycling",
                frequency="QUARTERLY", start="2024-01-01", end="2026-09-30", asset="council-statistics",
                services=["bulky-waste", "missed-bin"]))
    R.append(dist("recycling-rates-csv", "recycling-rates", "By ward and quarter (CSV)", "CSV",
                  pack_file="recycling-rates.csv", media_type=CSV, key_columns="ward_code, quarter",
                  about_url=f"{ID}/recycling/{{ward_code}}/{{quarter}}", column_links={"ward_code": WARD_URI}))
    D.append(ds("missed-bins", "Missed bin collections", "Reported missed collections by ward, month and bin type. "
                "Synthetic demo data.", ["waste"], "kcc", "lucy-harrow", keywords="waste, bins",
                start="2025-01-01", end="2026-10-31", asset="case-management", services=["missed-bin"]))
    R.append(dist("missed-bins-csv", "missed-bins", "Missed collections (CSV)", "CSV", pack_file="missed-bins.csv",
                  media_type=CSV))

    # --- culture ----------------------------------------------------------------------------------------------
    D.append(ds("library-visits", "Library visits, loans and computer sessions",
                "Monthly visits, loans and public computer sessions in each library. Synthetic demo data.",
                ["culture", "digital"], "kcc", "lucy-harrow", keywords="libraries, culture",
                start="2024-01-01", end="2026-10-31", asset="council-statistics",
                kpis=["adults-without-digital-skills"]))
    R.append(dist("library-visits-csv", "library-visits", "Monthly figures (CSV)", "CSV",
                  pack_file="library-visits.csv", media_type=CSV, key_columns="library, month"))
    D.append(ds("venue-attendance", "Museum and venue attendance", "Visitors and events per month at the city's "
                "museum, hall, archive and arts venues. Synthetic demo data.", ["culture", "economy"], "kcc",
                "lucy-harrow", keywords="culture, tourism, visitors", start="2025-01-01", end="2026-10-31",
                asset="council-statistics", kpis=["tourism-employment"]))
    R.append(dist("venue-attendance-json", "venue-attendance", "Attendance (JSON)", "JSON",
                  pack_file="venue-attendance.json", media_type=JSON, key_columns="venue, month"))

    # --- governance -------------------------------------------------------------------------------------------
    D.append(ds("service-requests", "Service requests (street issues)",
                "Requests about potholes, street lights, bins, fly-tipping and more: category, ward, channel and "
                "how long they took, 2026. No personal data. Synthetic demo data.", ["governance", "transport"],
                "kcc", "lucy-harrow", keywords="service requests, potholes, street lights", frequency="DAILY",
                start="2026-01-01", end="2026-11-16", asset="case-management",
                kpis=["online-transactions", "first-contact-resolution"],
                services=["pothole", "street-light-fault", "missed-bin"]))
    R.append(dist("service-requests-csv", "service-requests", "Requests (CSV)", "CSV",
                  pack_file="service-requests.csv", media_type=CSV, key_columns="request_id",
                  about_url=f"{ID}/service-request/{{request_id}}"))
    D.append(ds("council-budget", "Council revenue budget by service area",
                "The revenue budget by financial year, service area and budget line. Synthetic demo data.",
                ["governance"], "kcc", "gareth-lloyd-evans", keywords="budget, finance", frequency="ANNUAL",
                start="2024-04-01", end="2027-03-31", asset="finance-system"))
    R.append(dist("council-budget-csv", "council-budget", "Budget lines (CSV)", "CSV", pack_file="budget-lines.csv",
                  media_type=CSV))
    D.append(ds("spending-over-500", "Council spending over £500", "Every payment over £500 with its date, supplier "
                "and service area. Synthetic demo data.", ["governance", "economy"], "kcc", "gareth-lloyd-evans",
                keywords="spending, transparency, suppliers", start="2026-01-01", end="2026-10-28",
                asset="finance-system"))
    R.append(dist("spending-over-500-csv", "spending-over-500", "Payments (CSV)", "CSV",
                  pack_file="spending-over-500.csv", media_type=CSV, key_columns="transaction_id"))
    D.append(ds("statement-of-accounts", "Statement of accounts 2025/26", "The council's audited statement of "
                "accounts, as a PDF document.", ["governance"], "kcc", "gareth-lloyd-evans",
                keywords="accounts, finance", frequency="ANNUAL", start="2025-04-01", end="2026-03-31"))
    R.append(dist("statement-of-accounts-pdf", "statement-of-accounts", "Statement of accounts (PDF)", "PDF",
                  kind="remote", access_url="https://kestermouth.example.org/documents/statement-of-accounts-2025-26.pdf",
                  media_type="application/pdf"))
    D.append(ds("street-works-complaints", "Street works complaints",
                "Complaints about street works with the complainant's message. Synthetic demo data with fictional "
                "complainants: the privacy gate blocks it because the messages hold e-mail addresses and phone "
                "numbers.", ["governance", "transport"], "kcc", "lucy-harrow", keywords="street works, complaints",
                start="2026-02-01", end="2026-11-18", asset="complaints-casework", services=["pothole"]))
    R.append(dist("street-works-complaints-csv", "street-works-complaints", "Complaints (CSV)", "CSV",
                  pack_file="street-works-complaints.csv", media_type=CSV, key_columns="complaint_id"))

    # --- population, housing, health, economy, safety, digital -------------------------------------------------
    D.append(ds("population-by-ward", "Population estimates by ward, age band and sex",
                "Mid-year population estimates by ward, age band and sex, 2021–2025. Synthetic demo data.",
                ["population"], "kcc", "priya-lal", keywords="population, census, wards", frequency="ANNUAL",
                start="2021-01-01", end="2025-12-31", asset="council-statistics", kpis=["healthy-life-gap"]))
    R.append(dist("population-by-ward-csv", "population-by-ward", "Estimates (CSV)", "CSV",
                  pack_file="population-by-ward.csv", media_type=CSV, key_columns="ward_code, year, age_band, sex",
                  about_url=f"{ID}/population/{{ward_code}}/{{year}}/{{age_band}}/{{sex}}",
                  column_links={"ward_code": WARD_URI}))
    D.append(ds("housing-completions", "New homes completed by ward and tenure",
                "Homes completed per quarter by ward and tenure. Synthetic demo data.", ["housing"],
                "kestermouth-homes", "mark-bellamy", keywords="housing, new homes", frequency="QUARTERLY",
                start="2024-01-01", end="2026-09-30", asset="council-statistics", kpis=["jobs-housing-ratio"],
                services=["housing-register"]))
    R.append(dist("housing-completions-csv", "housing-completions", "Completions (CSV)", "CSV",
                  pack_file="housing-completions.csv", media_type=CSV, key_columns="ward_code, quarter, tenure"))
    D.append(ds("housing-support-applications", "Housing support applications (microdata)",
                "One row per application for housing support, with the ward, age band and household of the "
                "applicant and the decision. Synthetic demo data: the privacy gate blocks it because the ward, age "
                "band, household type and size single out households (k-anonymity below 5).", ["housing"], "kcc",
                "mark-bellamy", keywords="housing, homelessness, microdata", start="2025-04-01", end="2026-10-31",
                asset="housing-casework", services=["housing-register"], microdata=True,
                qis="ward, age_band, household_type, household_size"))
    R.append(dist("housing-support-applications-csv", "housing-support-applications", "Applications (CSV)", "CSV",
                  pack_file="housing-support-applications.csv", media_type=CSV, key_columns="application_ref"))
    D.append(ds("emergency-admissions", "Emergency hospital admissions by ward",
                "Emergency and avoidable admissions per month and ward, small numbers rounded. Shared with partners "
                "under the health data sharing agreement. Synthetic demo data.", ["health"], "health-partnership",
                "miriam-achebe", keywords="health, hospital admissions", start="2025-01-01", end="2026-10-31",
                access="restricted", asset="health-activity-data", kpis=["avoidable-admissions"],
                services=["care-navigator"]))
    R.append(dist("emergency-admissions-csv", "emergency-admissions", "Admissions (CSV)", "CSV",
                  pack_file="emergency-admissions.csv", media_type=CSV, key_columns="ward_code, month"))
    D.append(ds("emergency-response-times", "Emergency response times", "Median response time and incidents per "
                "month for fire, ambulance and police. Synthetic demo data.", ["safety", "health"],
                "combined-authority", "rachel-odunsi", keywords="emergency, response times", start="2024-01-01",
                end="2026-10-31", kpis=["emergency-response-time"]))
    R.append(dist("emergency-response-times-csv", "emergency-response-times", "Response times (CSV)", "CSV",
                  pack_file="emergency-response-times.csv", media_type=CSV, key_columns="service, month"))
    D.append(ds("business-start-ups", "New businesses and closures by sector",
                "New businesses registered and closures by sector and quarter. Synthetic demo data.", ["economy"],
                "chamber", "fiona-macleod", keywords="business, economy, start-ups", frequency="QUARTERLY",
                start="2024-01-01", end="2026-09-30", services=["business-support", "trading-licence"],
                kpis=["ict-employment"]))
    R.append(dist("business-start-ups-csv", "business-start-ups", "By sector (CSV)", "CSV",
                  pack_file="business-start-ups.csv", media_type=CSV, key_columns="sector, quarter"))
    D.append(ds("port-vessel-calls", "Port vessel calls and truck turnaround",
                "Vessel calls, berth occupancy and truck turnaround per day from the port community system, for "
                "port users on subscription.", ["economy", "transport"], "port-authority", "ian-rudd",
                licence="LicenseRef-proprietary", keywords="port, shipping, logistics", frequency="DAILY",
                access="restricted", model="commercial", asset="port-community-api",
                kpis=["port-bookings", "truck-turnaround", "port-data-sharers"], services=["berth-booking"]))
    R.append(dist("port-vessel-calls-api", "port-vessel-calls", "Port community API", "API", kind="api",
                  access_url="https://pcs.port-of-kestermouth.example.org/api/v1/calls", media_type="application/json"))
    D.append(ds("public-wifi-sessions", "Public wi-fi sessions by hotspot",
                "Sessions and data used per month at each public wi-fi hotspot; no device or user data. Synthetic "
                "demo data.", ["digital"], "kcc", "nadia-brennan", keywords="wi-fi, digital inclusion",
                start="2025-01-01", end="2026-10-31", asset="public-wifi",
                kpis=["public-wifi", "household-internet-access"]))
    R.append(dist("public-wifi-sessions-csv", "public-wifi-sessions", "Sessions (CSV)", "CSV",
                  pack_file="public-wifi-sessions.csv", media_type=CSV, key_columns="hotspot_id, month"))
    D.append(ds("city-apis", "City API catalogue", "Every API published through the city API gateway, with its "
                "OpenAPI description.", ["digital"], "kcc", "nadia-brennan", keywords="api, openapi",
                frequency="IRREG", asset="city-api-gateway", kpis=["systems-on-gateway", "open-data-api-calls"],
                conforms_to="https://spec.openapis.org/oas/v3.1.0"))
    R.append(dist("city-apis-openapi", "city-apis", "API catalogue (JSON)", "API", kind="api",
                  access_url="https://api.kestermouth.example.org/catalogue/openapi.json", media_type="application/json"))
    D.append(ds("digital-skills-survey", "Digital skills survey 2026 (draft)",
                "Answers to the 2026 digital skills survey, being anonymised before release.", ["digital", "population"],
                "inclusion-network", "aisha-rahman", keywords="digital inclusion, survey", frequency="ANNUAL",
                published=False, kpis=["adults-without-digital-skills"]))
    R.append(dist("digital-skills-survey-xlsx", "digital-skills-survey", "Survey tables (Excel)", "XLSX", kind="remote",
                  access_url="https://inclusion.kestermouth.example.org/survey-2026-tables.xlsx",
                  media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    return D, R


def assets() -> list[dict]:
    out = []
    for key, name, kind, owner, domain, personal, reuse, standards, block, policy, description in ASSETS:
        row = {"key": key, "name": name, "asset_type": kind, "description": description, "owner": owner,
               "domain": domain, "reuse_policy": policy, "reuse_potential": reuse, "personal_data": personal,
               "standards": standards, "building_block": block}
        out.append({k: v for k, v in row.items() if v not in (None, [], False)})
    return out


def themes() -> list[dict]:
    return [{"key": k, "title": t, "description": d, "eu_theme": e} for k, t, d, e in THEMES]


# --------------------------------------------------------------------------- build, import, verify

def setup_django(data_dir: Path) -> None:
    os.environ["CITYLINE_DATA_DIR"] = str(data_dir)
    os.environ.pop("CITYLINE_OPENDATA_DIR", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cityline.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def draft_file(directory: Path) -> None:
    import yaml

    datasets, distributions = catalogue()
    data = {"data_assets": assets(), "themes": themes(), "datasets": datasets, "distributions": distributions}
    (directory / FILE).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def verify(city_key: str) -> list[str]:
    from collections import Counter

    from cityline.core.models import City
    from cityline.opendata import services
    from cityline.opendata.domain import stars
    from cityline.opendata.models import DataAsset, Dataset, Distribution

    city = City.objects.get(key=city_key)
    datasets = Dataset.objects.filter(city=city, source_kpi__isnull=True).prefetch_related("distributions__versions")
    problems = []
    for d in datasets:
        if d.key in EXPECTED_BLOCKED:
            review = services.latest_review(services.latest_versions(d)[0])
            codes = {r["code"] for r in review.report["reasons"]}
            if d.gate != "blocked" or d.public or EXPECTED_BLOCKED[d.key] not in codes:
                problems.append(f"{d.key}: expected blocked for {EXPECTED_BLOCKED[d.key]}, got {d.gate} {codes}")
        elif d.gate == "blocked":
            review = services.latest_review(services.latest_versions(d)[0])
            problems.append(f"{d.key}: wrongly blocked: {[r['text'] for r in review.report['reasons']]}")
    missing = [x.key for x in Distribution.objects.filter(city=city).exclude(pack_file="") if not x.versions.exists()]
    if missing:
        problems.append(f"distributions without a version: {missing}")
    if problems:
        raise SystemExit("\n".join(problems))
    spread = Counter(stars.rating(d)["stars"] for d in datasets)
    types = Counter(DataAsset.objects.filter(city=city).values_list("asset_type", flat=True))
    return [f"{datasets.count()} datasets ({sum(d.public for d in datasets)} public, "
            f"{len(EXPECTED_BLOCKED)} blocked by the privacy gate as planted), "
            f"{Distribution.objects.filter(city=city, generated='').count()} distributions, "
            f"{DataAsset.objects.filter(city=city).count()} assets {dict(sorted(types.items()))}; "
            f"stars {dict(sorted(spread.items()))}"]


def without_generated(text: str, city_key: str) -> str:
    """Drop what Cityline writes itself from the exported file: the datasets of KPI measurements (C2.g,
    ``source_kpi``) and their ``generated`` distributions are rebuilt from the KPIs on every import."""
    from cityline.opendata.models import Dataset, Distribution

    drop = set(Dataset.objects.filter(city__key=city_key, source_kpi__isnull=False).values_list("key", flat=True))
    drop |= set(Distribution.objects.filter(city__key=city_key).exclude(generated="").values_list("key", flat=True))
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("  - key: "):
            skipping = line[len("  - key: "):].strip() in drop
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            out.append(line)
    return "".join(out)


def write_data(target: Path, files: dict[str, bytes]) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, content in files.items():
        (target / name).write_bytes(content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if the committed files differ from the generated ones")
    args = parser.parse_args(argv)
    files = data_files()
    big = [n for n, b in files.items() if len(b) > 1_000_000]
    if big:
        raise SystemExit(f"data files over 1 MB: {big}")
    with tempfile.TemporaryDirectory(prefix="cityline-demo-") as tmp:
        tmp = Path(tmp)
        setup_django(tmp / "data")
        from cityline.core.packs import PackError, export_pack, import_pack

        draft = tmp / "draft"
        shutil.copytree(PACK, draft, ignore=shutil.ignore_patterns(FILE, DATA))
        write_data(draft / DATA, files)
        draft_file(draft)
        try:
            report = import_pack(draft, progress=False, trusted=True)
        except PackError as exc:
            print("\n".join(map(str, exc.problems)), file=sys.stderr)
            return 1
        out = tmp / "export"
        export_pack(report.city_key, out)
        summary = verify(report.city_key)
        generated = out / FILE
        generated.write_text(without_generated(generated.read_text(encoding="utf-8"), report.city_key),
                             encoding="utf-8", newline="\n")
        if args.check:
            stale = [] if (PACK / FILE).exists() and (PACK / FILE).read_bytes() == generated.read_bytes() else [FILE]
            committed = {p.name: p.read_bytes() for p in (PACK / DATA).iterdir()} if (PACK / DATA).is_dir() else {}
            if committed != files:
                stale.append(f"{DATA}/ ({', '.join(sorted(set(committed) ^ set(files)) or [n for n in files if committed.get(n) != files[n]])})")
            if stale:
                print(f"out of date: {', '.join(stale)}; run scripts/gen_demo_opendata.py", file=sys.stderr)
                return 1
        else:
            write_data(PACK / DATA, files)
            shutil.copyfile(generated, PACK / FILE)
        print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
