"""A small hand-made catalogue for tests (B8, B13).

``make_catalogue_city()`` builds, through the actions layer, a city with organisations
``council`` (public) and ``buses`` (private), a data steward ``dana`` (published contact),
themes ``environment`` (ENVI) and ``transport`` (TRAN), assets ``air-sensors`` (IoT fleet)
and ``permits-db`` (dataset, personal data), and these datasets:

========================  =========  ===========  =========  ======================================
key                       published  access       licence    distributions
========================  =========  ===========  =========  ======================================
``air-quality``           yes        public       CC-BY-4.0  ``air-quality-csv`` (file, CSV)
``bus-stops``             yes        public       ODbL-1.0   ``bus-stops-geojson`` (remote GeoJSON),
                                                             ``bus-stops-api`` (API)
``parking-permits``       yes        public       CC0-1.0    ``parking-permits-csv`` (file, CSV);
                                                             microdata, quasi-identifiers
                                                             ``age_band, district``
``noise-draft``           no         public       CC-BY-4.0  none
``internal-budget``       yes        internal     —          none
========================  =========  ===========  =========  ======================================

No file is uploaded here: :func:`sample_files` writes matching CSV files into a folder
(``air-quality.csv`` is clean; ``parking-permits.csv`` has a unique combination of
quasi-identifiers, so the privacy gate must block it) for tests to upload.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from cityline.core import actions
from cityline.core.models import City
from cityline.core.testing import make_city, make_organisation, make_person

from .models import DataAsset, Dataset, Distribution, Theme


def make_catalogue_city(key: str = "testville") -> City:
    city = make_city(key, key.title())
    council = make_organisation(city, "council", name=f"{key.title()} Council")
    buses = make_organisation(city, "buses", name=f"{key.title()} Buses", sector="private")
    dana = make_person(city, "dana", name="Dana Steward", organisation=council, email="data@example.org",
                       published_contact=True)
    environment = actions.create(Theme, city=city, key="environment", title="Environment", eu_theme="ENVI")
    transport = actions.create(Theme, city=city, key="transport", title="Transport", eu_theme="TRAN")
    sensors = actions.create(DataAsset, city=city, key="air-sensors", name="Air quality sensors",
                             asset_type="iot_fleet", owner=council, domain="environment", reuse_potential=4)
    permits_db = actions.create(DataAsset, city=city, key="permits-db", name="Parking permits database",
                                asset_type="dataset", owner=council, domain="transport", personal_data=True,
                                reuse_potential=2)
    air = actions.create(Dataset, city=city, key="air-quality", title="Air quality readings",
                         description="Hourly NO2 and PM10 readings from the city's sensors.",
                         keywords="air, no2, pm10", publisher=council, contact_point=dana, licence="CC-BY-4.0",
                         spatial=key.title(), temporal_start=date(2026, 1, 1), frequency="DAILY",
                         asset=sensors, issued=date(2026, 1, 15), published=True, m2m={"themes": [environment]})
    actions.create(Distribution, city=city, key="air-quality-csv", dataset=air, title="Readings (CSV)",
                   format="CSV", media_type="text/csv", key_columns="station, time")
    stops = actions.create(Dataset, city=city, key="bus-stops", title="Bus stops",
                           description="Every bus stop with its location.", keywords="bus, stops",
                           publisher=buses, licence="ODbL-1.0", frequency="MONTHLY", published=True,
                           m2m={"themes": [transport]})
    actions.create(Distribution, city=city, key="bus-stops-geojson", dataset=stops, title="Stops (GeoJSON)",
                   kind="remote", format="GeoJSON", media_type="application/geo+json",
                   access_url="https://transport.example.org/stops.geojson")
    actions.create(Distribution, city=city, key="bus-stops-api", dataset=stops, title="Stops API", kind="api",
                   format="API", access_url="https://transport.example.org/api/stops")
    permits = actions.create(Dataset, city=city, key="parking-permits", title="Parking permits issued",
                             description="One row per residents' parking permit.", keywords="parking, permits",
                             publisher=council, contact_point=dana, licence="CC0-1.0", frequency="MONTHLY",
                             asset=permits_db, microdata=True, quasi_identifiers="age_band, district",
                             published=True, m2m={"themes": [transport]})
    actions.create(Distribution, city=city, key="parking-permits-csv", dataset=permits, title="Permits (CSV)",
                   format="CSV", media_type="text/csv")
    actions.create(Dataset, city=city, key="noise-draft", title="Noise map (draft)",
                   description="Not released yet.", publisher=council, m2m={"themes": [environment]})
    actions.create(Dataset, city=city, key="internal-budget", title="IT budget lines",
                   description="For staff only.", publisher=council, access_level="internal", published=True)
    return city


def sample_files(directory: Path) -> dict[str, Path]:
    """Write the CSV files matching :func:`make_catalogue_city`'s held distributions; return them by key."""
    directory.mkdir(parents=True, exist_ok=True)
    air = directory / "air-quality.csv"
    with air.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["station", "time", "district", "no2", "pm10"])
        for day in range(1, 11):
            for station, district in [("north-gate", "north"), ("river-quay", "centre"), ("mill-lane", "south")]:
                w.writerow([station, f"2026-01-{day:02d}T08:00:00", district, 20 + day, 15 + day % 4])
    permits = directory / "parking-permits.csv"
    with permits.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["permit_id", "age_band", "district", "vehicle_type"])
        n = 0
        for district in ["north", "centre", "south"]:
            for band in ["18-34", "35-64", "65+"]:
                for _ in range(6):
                    n += 1
                    w.writerow([f"P{n:04d}", band, district, "car"])
        w.writerow([f"P{n + 1:04d}", "18-34", "harbour", "van"])  # alone in its group: k = 1
    return {"air-quality-csv": air, "parking-permits-csv": permits}
